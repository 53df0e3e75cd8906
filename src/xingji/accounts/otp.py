"""Who must pass the TOTP second factor (django-otp)."""

from django.conf import settings
from django_otp import user_has_device


def otp_required(user) -> bool:
    """A user with a confirmed TOTP device, or of a role configured to need one."""
    if not user.is_authenticated:
        return False
    if getattr(user, "role", None) in settings.XINGJI_OTP_REQUIRED_ROLES:
        return True
    return user_has_device(user, confirmed=True)


def otp_verified(request) -> bool:
    """The request's session has passed the second factor, or needs none."""
    user = request.user
    if not otp_required(user):
        return True
    return bool(getattr(user, "is_verified", lambda: False)())
