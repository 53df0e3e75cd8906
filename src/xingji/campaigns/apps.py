from django.apps import AppConfig


class CampaignsConfig(AppConfig):
    name = "xingji.campaigns"
    verbose_name = "星级评定"
