from django.apps import AppConfig


class RecordsConfig(AppConfig):
    name = "xingji.records"
    verbose_name = "加减分依据"
