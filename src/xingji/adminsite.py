"""The back-office admin site: for administrators (active superusers) only.

Differs from Django's in two points of policy:

* **administrators only** (``xingji.accounts.access.is_administrator``):
  every other role works on the site's own pages, which cover what it may
  do; a logged-in user of another role gets a 403 page in Chinese at every
  admin address (not a login form), and the admin login form refuses such
  an account. An anonymous visitor is sent to the admin login page.
* a user whose account requires a TOTP second factor
  (``xingji.accounts.otp.otp_required``) must enter a token at login, and a
  session that has not been verified by one is not let in. Everyone else
  logs in with a password alone — the second factor is optional.
"""

from functools import wraps

from django.contrib import admin
from django.contrib.admin.forms import AdminAuthenticationForm
from django.contrib.auth.decorators import login_not_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils.decorators import method_decorator
from django.views.decorators.cache import never_cache
from django_otp.admin import OTPAdminAuthenticationForm

from xingji.accounts.access import ADMINISTRATORS_ONLY, is_administrator
from xingji.accounts.otp import otp_required, otp_verified

NOT_AN_ADMINISTRATOR = "后台管理只对系统管理员开放：该账户请从网站首页登录。"


class XingjiAdminAuthenticationForm(OTPAdminAuthenticationForm):
    def clean(self):
        # Skip the OTP form's unconditional token check; ask for a token only
        # from the users who need one.
        cleaned_data = AdminAuthenticationForm.clean(self)
        user = self.get_user()
        if user is not None and otp_required(user):
            self.clean_otp(user)
        return cleaned_data

    def confirm_login_allowed(self, user):
        super().confirm_login_allowed(user)
        if not user.is_superuser:
            raise ValidationError(NOT_AN_ADMINISTRATOR, code="not_administrator")


def refuse_other_roles(request) -> None:
    """403 for a logged-in account that is not an administrator's: it has no business in the back office."""
    if request.user.is_authenticated and not is_administrator(request.user):
        raise PermissionDenied(ADMINISTRATORS_ONLY)


class XingjiAdminSite(admin.AdminSite):
    site_header = "星级创建管理平台 · 后台管理"
    site_title = "星级创建管理平台"
    index_title = "后台管理"
    login_form = XingjiAdminAuthenticationForm
    login_template = "otp/admin111/login.html"

    def has_permission(self, request):
        return bool(is_administrator(request.user) and otp_verified(request))

    def admin_view(self, view, cacheable=False):
        guarded = super().admin_view(view, cacheable)

        @wraps(guarded)
        def inner(request, *args, **kwargs):
            refuse_other_roles(request)
            return guarded(request, *args, **kwargs)

        return inner

    @method_decorator(never_cache)
    @login_not_required
    def login(self, request, extra_context=None):
        refuse_other_roles(request)
        return super().login(request, extra_context)
