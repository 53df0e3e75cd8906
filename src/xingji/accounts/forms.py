"""Forms of the login, second-factor and user-management pages."""

from __future__ import annotations

from typing import cast

from django import forms
from django.contrib.auth.forms import AuthenticationForm
from django.contrib.auth.password_validation import password_validators_help_text_html, validate_password
from django.contrib.auth.signals import user_login_failed
from django.core.exceptions import ValidationError
from django.db import transaction
from django_otp import devices_for_user, user_has_device

from xingji.accounts.access import visible_organizations
from xingji.accounts.models import Role, User
from xingji.accounts.otp import otp_required
from xingji.common.forms import OrganizationChoiceField
from xingji.orgs.models import Organization


def normalize_token(value: str) -> str:
    return "".join((value or "").split())


class LoginForm(AuthenticationForm):
    """Username and password, and the TOTP token from the users who need one (``otp_required``).

    A wrong token counts as a failed login, so the lockout (django-axes)
    covers guessing tokens as it covers guessing passwords.
    """

    otp_token = forms.CharField(
        label="动态验证码",
        required=False,
        max_length=10,
        help_text="已绑定验证器的账户填写验证器上的 6 位数字",
        widget=forms.TextInput(attrs={"autocomplete": "one-time-code", "inputmode": "numeric"}),
    )

    error_messages = {
        **AuthenticationForm.error_messages,
        "invalid_login": "用户名或密码不正确。注意：连续失败多次后账户将被暂时锁定。",
        "inactive": "该账户已停用。",
        "otp_no_device": "该账户必须使用动态验证码登录，但尚未绑定验证器，请联系市直工委组织部。",
        "otp_required": "该账户已启用动态验证码，请输入验证器上显示的 6 位数字。",
        "otp_invalid": "动态验证码不正确或已过期。",
        "otp_throttled": "动态验证码错误次数过多，请稍后再试。",
    }

    def confirm_login_allowed(self, user):
        super().confirm_login_allowed(user)
        if otp_required(user):
            user.otp_device = self._verified_device(user)

    def _verified_device(self, user):
        if not user_has_device(user, confirmed=True):
            raise ValidationError(self.error_messages["otp_no_device"], code="otp_no_device")
        token = normalize_token(self.cleaned_data.get("otp_token", ""))
        if not token:
            raise ValidationError(self.error_messages["otp_required"], code="otp_required")
        throttled = False
        with transaction.atomic():
            for device in devices_for_user(user, for_verify=True):
                allowed, _ = device.verify_is_allowed()
                if not allowed:
                    throttled = True
                elif device.verify_token(token):
                    return device
        user_login_failed.send(sender=__name__, credentials={"username": user.get_username()}, request=self.request)
        code = "otp_throttled" if throttled else "otp_invalid"
        raise ValidationError(self.error_messages[code], code=code)


class TokenForm(forms.Form):
    token = forms.CharField(
        label="验证码",
        max_length=10,
        help_text="在手机验证器中添加账户后，输入它显示的 6 位数字",
        widget=forms.TextInput(attrs={"autocomplete": "one-time-code", "inputmode": "numeric"}),
    )

    def clean_token(self) -> str:
        token = normalize_token(self.cleaned_data["token"])
        if not token.isdigit():
            raise ValidationError("验证码应为数字", code="token_not_digits")
        return token


class UserFilterForm(forms.Form):
    q = forms.CharField(
        label="用户名或姓名",
        required=False,
        widget=forms.TextInput(attrs={"type": "search", "placeholder": "用户名或姓名"}),
    )
    role = forms.ChoiceField(label="角色", required=False, choices=[("", "全部角色"), *Role.choices])


class _ScopedUserForm(forms.ModelForm):
    organization = OrganizationChoiceField(
        label="所在党组织", queryset=Organization.objects.none(), help_text="用户能看到和修改这个组织及其下级组织"
    )
    role = forms.ChoiceField(label="角色", choices=Role.choices)

    def __init__(self, *args, manager: User, **kwargs):
        super().__init__(*args, **kwargs)
        organization = cast(OrganizationChoiceField, self.fields["organization"])
        organization.queryset = visible_organizations(manager).order_by("path")


class UserCreateForm(_ScopedUserForm):
    password1 = forms.CharField(
        label="初始密码",
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
        help_text=password_validators_help_text_html(),
    )
    password2 = forms.CharField(
        label="确认密码", strip=False, widget=forms.PasswordInput(attrs={"autocomplete": "new-password"})
    )

    class Meta:
        model = User
        fields = ["username", "name", "email", "organization", "role"]

    def clean_password2(self) -> str:
        first, second = self.cleaned_data.get("password1"), str(self.cleaned_data["password2"])
        if first and second and first != second:
            raise ValidationError("两次输入的密码不一致", code="password_mismatch")
        return second

    def _post_clean(self):
        super()._post_clean()
        password = self.cleaned_data.get("password2")
        if password:
            try:
                validate_password(password, self.instance)
            except ValidationError as error:
                self.add_error("password2", error)


class UserEditForm(_ScopedUserForm):
    is_active = forms.BooleanField(
        label="启用", required=False, help_text="停用的账户不能登录；用户不删除，审计记录保留其姓名"
    )

    class Meta:
        model = User
        fields = ["name", "email", "organization", "role", "is_active"]

    def __init__(self, *args, manager: User, **kwargs):
        super().__init__(*args, manager=manager, **kwargs)
        self.is_self = self.instance.pk == manager.pk

    def clean(self):
        cleaned_data = super().clean()
        if self.is_self and set(self.changed_data) & {"organization", "role", "is_active"}:
            raise ValidationError("不能修改自己的所在组织、角色或停用自己的账户，请由其他管理员操作", code="own_role")
        return cleaned_data
