from django.apps import AppConfig


class SurveysConfig(AppConfig):
    name = "xingji.surveys"
    verbose_name = "党员群众测评"
