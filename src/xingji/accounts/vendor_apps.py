"""The configurations of the third-party apps the accounts build on: the login lockout and the second factor.

Named in Chinese for the back office (``INSTALLED_APPS`` lists these classes
instead of the apps' own). Kept out of ``accounts.apps``, whose one
configuration Django picks by itself.
"""

from axes.apps import AppConfig as AxesAppConfig
from django.apps import apps
from django_otp.plugins.otp_totp.apps import DefaultConfig as TOTPAppConfig


def name_models(label: str, names: dict[str, str]) -> None:
    """Name a third-party app's models in Chinese for the back office.

    Only the model's ``verbose_name`` and plural are set, not the ``Meta``
    the migrations read (``_meta.original_attrs``), so no migration is asked
    of the app.
    """
    for model_name, name in names.items():
        options = apps.get_model(label, model_name)._meta
        options.verbose_name = name
        options.verbose_name_plural = name


class AxesConfig(AxesAppConfig):
    """django-axes (the login lockout), named in Chinese in the back office."""

    verbose_name = "登录安全"

    def ready(self) -> None:
        super().ready()
        name_models(
            "axes",
            {
                "accessattempt": "登录失败计数",
                "accessattemptexpiration": "登录失败计数的到期时间",
                "accesslog": "登录记录",
                "accessfailurelog": "登录失败记录",
            },
        )


class TOTPConfig(TOTPAppConfig):
    """django-otp's TOTP devices (the second factor), named in Chinese in the back office."""

    verbose_name = "动态验证码"

    def ready(self) -> None:
        super().ready()
        name_models("otp_totp", {"totpdevice": "验证器"})
