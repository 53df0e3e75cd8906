from django.apps import AppConfig
from django.db.models.signals import post_migrate


class OrgsConfig(AppConfig):
    name = "xingji.orgs"
    verbose_name = "组织与党员"

    def ready(self) -> None:
        from xingji.orgs.kept import install_after_migrate

        # Once per migrate, whichever app it migrated: the triggers of the kept columns in place (kept).
        post_migrate.connect(install_after_migrate, sender=self, dispatch_uid="orgs_kept_columns")
