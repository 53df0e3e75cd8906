from django.apps import AppConfig


class SupervisionConfig(AppConfig):
    name = "xingji.supervision"
    verbose_name = "复检核星与督导"
