"""Start-up checks of the accounts settings."""

from __future__ import annotations

from django.conf import settings
from django.core import checks

from xingji.accounts.models import Role


@checks.register(checks.Tags.security)
def otp_required_roles(app_configs=None, **kwargs) -> list[checks.CheckMessage]:
    """``XINGJI_OTP_REQUIRED_ROLES`` names roles that exist: a typo would silently leave a role without the factor."""
    unknown = [role for role in settings.XINGJI_OTP_REQUIRED_ROLES if role not in Role.values]
    if not unknown:
        return []
    return [
        checks.Error(
            f"XINGJI_OTP_REQUIRED_ROLES 中有未知的角色：{'、'.join(unknown)}",
            hint=f"可用的角色代码：{', '.join(Role.values)}",
            id="xingji.accounts.E001",
        )
    ]
