from django.apps import AppConfig


class DuesConfig(AppConfig):
    name = "xingji.dues"
    verbose_name = "党费"
