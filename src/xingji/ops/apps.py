from django.apps import AppConfig


class OpsConfig(AppConfig):
    name = "xingji.ops"
    verbose_name = "运行维护"
