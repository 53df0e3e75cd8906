from django.apps import AppConfig


class BranchworkConfig(AppConfig):
    name = "xingji.branchwork"
    verbose_name = "支部工作"
