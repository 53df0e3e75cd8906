from django.apps import AppConfig


class AccountsConfig(AppConfig):
    name = "xingji.accounts"
    verbose_name = "用户与权限"
