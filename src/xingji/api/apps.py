from django.apps import AppConfig


class ApiConfig(AppConfig):
    name = "xingji.api"
    verbose_name = "数据接口"
