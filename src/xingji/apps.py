from django.contrib.admin.apps import AdminConfig


class XingjiAdminConfig(AdminConfig):
    """The admin app, with the project's site (second factor, Chinese titles)."""

    default_site = "xingji.adminsite.XingjiAdminSite"
