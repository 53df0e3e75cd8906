from django.apps import AppConfig


class ReportsConfig(AppConfig):
    name = "xingji.reports"
    verbose_name = "结果运用"
