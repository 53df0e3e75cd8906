from django.apps import AppConfig
from django.db.models.signals import post_migrate


class CampaignsConfig(AppConfig):
    name = "xingji.campaigns"
    verbose_name = "星级评定"

    def ready(self) -> None:
        from xingji.campaigns.kept import install_after_migrate

        # Once per migrate: the trigger that keeps each organization's current level in place (kept).
        post_migrate.connect(install_after_migrate, sender=self, dispatch_uid="campaigns_star_level")
