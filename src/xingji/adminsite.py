"""The back-office admin site.

Differs from Django's in one point of policy: a user whose account requires a
TOTP second factor (``xingji.accounts.otp.otp_required``) must enter a token
at login, and a session that has not been verified by one is not let in.
Everyone else logs in with a password alone — the second factor is optional.
"""

from django.contrib import admin
from django.contrib.admin.forms import AdminAuthenticationForm
from django_otp.admin import OTPAdminAuthenticationForm

from xingji.accounts.otp import otp_required, otp_verified


class XingjiAdminAuthenticationForm(OTPAdminAuthenticationForm):
    def clean(self):
        # Skip the OTP form's unconditional token check; ask for a token only
        # from the users who need one.
        cleaned_data = AdminAuthenticationForm.clean(self)
        user = self.get_user()
        if user is not None and otp_required(user):
            self.clean_otp(user)
        return cleaned_data


class XingjiAdminSite(admin.AdminSite):
    site_header = "星级创建管理平台 · 后台管理"
    site_title = "星级创建管理平台"
    index_title = "后台管理"
    login_form = XingjiAdminAuthenticationForm
    login_template = "otp/admin111/login.html"

    def has_permission(self, request):
        user = request.user
        return bool(user.is_active and user.is_staff and otp_verified(request))
