from django.apps import AppConfig
from django.db.models.signals import post_migrate


class OrgsConfig(AppConfig):
    name = "xingji.orgs"
    verbose_name = "组织与党员"

    def ready(self) -> None:
        from xingji.orgs.member_counts import install_after_migrate

        # Once per migrate, whichever app it migrated: the member-count triggers in place (member_counts).
        post_migrate.connect(install_after_migrate, sender=self, dispatch_uid="orgs_member_counts")
