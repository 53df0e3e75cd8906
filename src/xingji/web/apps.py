from django.apps import AppConfig


class WebConfig(AppConfig):
    name = "xingji.web"
    verbose_name = "界面"
