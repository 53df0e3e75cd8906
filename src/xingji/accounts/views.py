"""Login, logout, password change, the TOTP enrolment page, and user management.

User management is for the committee office (``can_manage_users``): 403 for
everyone else; an account outside the office's subtree (or a superuser's)
answers 404 like a missing one (``access_user``). Role and node changes, and
lifting a login lockout, go through ``xingji.accounts.services`` and are
audited there.
"""

from __future__ import annotations

from base64 import b32encode

import django_otp
from django.contrib import messages
from django.contrib.auth import views as auth_views
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Exists, OuterRef, Q
from django.http import QueryDict
from django.shortcuts import redirect, render
from django.urls import reverse, reverse_lazy
from django.views.decorators.http import require_GET, require_http_methods, require_POST
from django_otp.plugins.otp_totp.models import TOTPDevice

from xingji.accounts.access import access_user, can_manage_users, visible_users
from xingji.accounts.decorators import login_required
from xingji.accounts.forms import LoginForm, TokenForm, UserCreateForm, UserEditForm, UserFilterForm
from xingji.accounts.lockout import account_locks
from xingji.accounts.services import (
    totp_device_confirm,
    totp_device_start,
    user_change_role,
    user_create,
    user_unlock,
    user_update,
)
from xingji.common.forms import add_service_error
from xingji.common.pagination import paginate
from xingji.common.qr import qr_svg
from xingji.common.views import messages_of


class LoginView(auth_views.LoginView):
    template_name = "accounts/login.html"
    authentication_form = LoginForm


login = LoginView.as_view()
# POST only (Django's LogoutView refuses GET): a link cannot log anyone out.
logout = auth_views.LogoutView.as_view()


class PasswordChangeView(auth_views.PasswordChangeView):
    template_name = "accounts/password_change.html"
    success_url = reverse_lazy("web:home")

    def form_valid(self, form):
        response = super().form_valid(form)
        messages.success(self.request, "密码已修改")
        return response


password_change = login_required(PasswordChangeView.as_view())


def _secret_text(device: TOTPDevice) -> str:
    secret = b32encode(device.bin_key).decode("ascii").rstrip("=")
    return " ".join(secret[index : index + 4] for index in range(0, len(secret), 4))


@login_required
@require_http_methods(["GET", "POST"])
def otp_setup(request):
    """Enrol an authenticator app (TOTP): start (a secret is made), then confirm with one token.

    Opening the page stores nothing: the pending (unconfirmed) device is made
    by the POST of the start button, and the same one is shown until it is
    confirmed.
    """
    user = request.user
    if request.method == "POST" and "start" in request.POST:
        totp_device_start(user=user, actor=user)
        return redirect("accounts:otp_setup")
    confirmed = TOTPDevice.objects.filter(user=user, confirmed=True).exists()
    device = TOTPDevice.objects.filter(user=user, confirmed=False).order_by("pk").first()
    if request.method == "POST" and device is None:
        messages.error(request, "请先点击“开始绑定”生成密钥，再输入验证码")
        return redirect("accounts:otp_setup")
    form = TokenForm(request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        allowed, _ = device.verify_is_allowed()
        if not allowed:
            form.add_error("token", "尝试过于频繁，请稍等片刻再输入")
        elif device.verify_token(form.cleaned_data["token"]):
            totp_device_confirm(device=device, actor=user)
            # This session has just proved the new factor: keep it signed in.
            django_otp.login(request, device)
            messages.success(request, "验证器已绑定，今后登录需要输入动态验证码")
            return redirect("web:home")
        else:
            form.add_error("token", "验证码不正确：请核对手机时间是否准确，并输入当前显示的数字")
    return render(
        request,
        "accounts/otp_setup.html",
        {
            "form": form,
            "confirmed": confirmed,
            "started": device is not None,
            "config_url": device.config_url if device is not None else "",
            "qr": qr_svg(device.config_url, label="验证器配置二维码") if device is not None else "",
            "secret": _secret_text(device) if device is not None else "",
        },
    )


# --- user management ------------------------------------------------------------------------


def _require_manager(user) -> None:
    if not can_manage_users(user):
        raise PermissionDenied("只有市直工委组织部可以管理用户")


@login_required
@require_GET
def user_list(request):
    _require_manager(request.user)
    form = UserFilterForm(request.GET)
    form.is_valid()
    users = (
        visible_users(request.user)
        .select_related("organization")
        .annotate(has_second_factor=Exists(TOTPDevice.objects.filter(user=OuterRef("pk"), confirmed=True)))
    )
    search = form.cleaned_data.get("q", "").strip()
    if search:
        users = users.filter(Q(username__icontains=search) | Q(name__icontains=search))
    if form.cleaned_data.get("role"):
        users = users.filter(role=form.cleaned_data["role"])
    page, query = paginate(request, users.order_by("organization__path", "username"))
    locks = account_locks(account.username for account in page)
    for account in page:
        account.locked_minutes = locks.get(account.username, 0)
    return render(request, "accounts/user_list.html", {"filter_form": form, "page_obj": page, "query": query})


@login_required
@require_POST
def user_unlock_view(request, pk):
    """Lift an account's login lockout (解除锁定), back to the user list where the button was."""
    account = access_user(request.user, pk)
    try:
        user_unlock(user=account, actor=request.user)
    except ValidationError as error:
        messages.error(request, messages_of(error))
    else:
        messages.success(request, f"已解除账户“{account.username}”的登录锁定")
    return redirect(reverse("accounts:user_list") + _list_query(request))


def _list_query(request) -> str:
    """The user list's filters and page the button was posted from (``next_query``), kept on the way back."""
    query = QueryDict(request.POST.get("next_query", "")).urlencode()
    return f"?{query}" if query else ""


@login_required
@require_http_methods(["GET", "POST"])
def user_create_view(request):
    _require_manager(request.user)
    form = UserCreateForm(request.POST if request.method == "POST" else None, manager=request.user)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            created = user_create(
                username=data["username"],
                password=data["password1"],
                name=data["name"],
                email=data["email"],
                organization=data["organization"],
                role=data["role"],
                actor=request.user,
            )
        except ValidationError as error:
            add_service_error(form, error)
        else:
            messages.success(request, f"已新建用户：{created}")
            return redirect("accounts:user_list")
    return render(
        request,
        "web/form_page.html",
        {
            "form": form,
            "title": "新建用户",
            "cancel_url": reverse("accounts:user_list"),
            "submit": "新建",
        },
    )


@login_required
@require_http_methods(["GET", "POST"])
def user_edit(request, pk):
    account = access_user(request.user, pk)
    form = UserEditForm(request.POST if request.method == "POST" else None, instance=account, manager=request.user)
    if request.method == "POST" and form.is_valid():
        data, changed = form.cleaned_data, set(form.changed_data)
        try:
            with transaction.atomic():
                saved = account
                if changed & {"organization", "role"}:
                    saved = user_change_role(
                        user=saved, role=data["role"], organization=data["organization"], actor=request.user
                    )
                if changed & {"name", "email", "is_active"}:
                    saved = user_update(
                        user=saved,
                        actor=request.user,
                        name=data["name"] if "name" in changed else None,
                        email=data["email"] if "email" in changed else None,
                        is_active=data["is_active"] if "is_active" in changed else None,
                    )
        except ValidationError as error:
            add_service_error(form, error)
        else:
            messages.success(request, f"已保存：{saved}" if changed else "没有修改")
            return redirect("accounts:user_list")
    return render(
        request,
        "web/form_page.html",
        {
            "form": form,
            "title": f"编辑用户：{account.username}",
            "cancel_url": reverse("accounts:user_list"),
        },
    )
