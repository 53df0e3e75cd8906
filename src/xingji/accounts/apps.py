from django.apps import AppConfig


class AccountsConfig(AppConfig):
    name = "xingji.accounts"
    verbose_name = "用户与权限"

    def ready(self) -> None:
        from xingji.accounts import checks  # noqa: F401 (registers the start-up checks)
