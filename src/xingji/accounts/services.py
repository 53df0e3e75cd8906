"""Creating users and changing what they may do; every change is audited.

As in ``xingji.orgs.services``: one transaction per service, its audit entry
inside it, ``ValidationError`` for invalid data. Each service checks its
``actor`` first (``xingji.accounts.access``): accounts are managed by
superusers and the committee office, within the office's subtree
(``ActionForbidden`` for any other role, ``Http404`` for an account or a node
outside it); only a superuser grants admin access or superuser status; a
second factor is enrolled by its own account only. ``actor`` None is the
system (the demo loader's first accounts, before any account exists).
Passwords and their hashes are never recorded in the audit log. A login
lockout is lifted by whoever manages the account (``user_unlock``).
"""

from __future__ import annotations

from typing import Any

from axes.utils import reset as reset_login_failures
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django_otp.plugins.otp_totp.models import TOTPDevice

from xingji.accounts.access import MANAGERS_ONLY, access_organization, access_user, can_manage_users
from xingji.accounts.lockout import account_locks, recent_failures
from xingji.accounts.models import Actor, User
from xingji.audit.services import audit_log, snapshot
from xingji.common.errors import ActionForbidden
from xingji.orgs.models import Organization

USER_AUDIT_FIELDS = ("username", "name", "email", "organization", "role", "is_active", "is_staff", "is_superuser")


ADMIN_STATUS_ONLY = "只有超级用户可以授予或取消后台管理权限和超级用户身份"
OWN_DEVICE_ONLY = "只能为自己的账户绑定验证器"


def _user_snapshot(user: User) -> dict[str, Any]:
    return snapshot(user, USER_AUDIT_FIELDS)


def _check_manager(actor: Actor | None, organization: Organization | None) -> None:
    """Refuse an actor who does not manage accounts, or does not manage them at ``organization``.

    No organization is left to the data's own check: only a superuser's account may have none.
    """
    if actor is None:
        return
    if not can_manage_users(actor):
        raise ActionForbidden(MANAGERS_ONLY)
    if organization is not None:
        access_organization(actor, organization.pk, write=True)


def _check_admin_status(actor: Actor | None) -> None:
    if actor is not None and not actor.is_superuser:
        raise ActionForbidden(ADMIN_STATUS_ONLY)


def user_create(
    *,
    username: str,
    password: str | None,
    organization: Organization | None,
    role: str,
    name: str = "",
    email: str = "",
    is_staff: bool = False,
    actor: Actor | None,
) -> User:
    """Create a user attached to ``organization`` with ``role``.

    The password must pass ``AUTH_PASSWORD_VALIDATORS``; None leaves the
    account without a usable password (to be set by a reset).
    """
    with transaction.atomic():
        _check_manager(actor, organization)
        if is_staff:
            _check_admin_status(actor)
        user = User(username=username, name=name, email=email, organization=organization, role=role, is_staff=is_staff)
        if password is None:
            user.set_unusable_password()
        else:
            validate_password(password, user)
            user.set_password(password)
        user.full_clean()
        user.save()
        audit_log(actor=actor, action="user.created", obj=user, before=None, after=_user_snapshot(user))
    return user


def _change(user: User, values: dict[str, Any], *, action: str, actor: Actor | None) -> User:
    with transaction.atomic():
        if actor is not None:
            access_user(actor, user.pk)
        current = User.objects.select_for_update().get(pk=user.pk)
        before = _user_snapshot(current)
        changed = [name for name, value in values.items() if getattr(current, name) != value]
        if not changed:
            return current
        if "organization" in changed:
            _check_manager(actor, values["organization"])
        if {"is_staff", "is_superuser"} & set(changed):
            _check_admin_status(actor)
        for name in changed:
            setattr(current, name, values[name])
        current.full_clean(exclude=["password"])
        current.save(update_fields=changed)
        after = _user_snapshot(current)
        keys = [_attname(name) for name in changed]
        audit_log(
            actor=actor,
            action=action,
            obj=current,
            before={key: before[key] for key in keys},
            after={key: after[key] for key in keys},
        )
    return current


def _attname(name: str) -> str:
    return str(getattr(User._meta.get_field(name), "attname", name))


def user_update(
    *,
    user: User,
    actor: Actor | None,
    name: str | None = None,
    email: str | None = None,
    is_active: bool | None = None,
) -> User:
    """Change a user's name or e-mail, or (de)activate the account; None leaves a value unchanged.

    Deactivate (``is_active=False``) rather than delete a user: audit entries
    name their actors.
    """
    values = {"name": name, "email": email, "is_active": is_active}
    return _change(
        user, {key: value for key, value in values.items() if value is not None}, action="user.updated", actor=actor
    )


def user_change_role(
    *,
    user: User,
    role: str,
    organization: Organization | None,
    actor: Actor | None,
    is_staff: bool | None = None,
    is_superuser: bool | None = None,
) -> User:
    """Change what a user may do: the role at a node, and admin or superuser status.

    Role and node go together, as a user has one role at one node: pass the
    user's current organization to change the role alone. ``is_staff`` and
    ``is_superuser`` left at None are unchanged. The new combination is
    checked as a whole (only a superuser may have no node).
    """
    values: dict[str, Any] = {"role": role, "organization": organization}
    if is_staff is not None:
        values["is_staff"] = is_staff
    if is_superuser is not None:
        values["is_superuser"] = is_superuser
    return _change(user, values, action="user.role_changed", actor=actor)


def _check_own_device(actor: Actor, user_id: int) -> None:
    if not (actor.is_authenticated and actor.is_active and actor.pk == user_id):
        raise ActionForbidden(OWN_DEVICE_ONLY)


def totp_device_start(*, user: User, actor: Actor) -> TOTPDevice:
    """The user's pending (unconfirmed) TOTP device, created with a fresh secret if there is none.

    Only the account itself enrols its second factor: the secret is shown to whoever starts it.
    """
    with transaction.atomic():
        _check_own_device(actor, user.pk)
        device = TOTPDevice.objects.filter(user=user, confirmed=False).order_by("pk").first()
        if device is None:
            device = TOTPDevice.objects.create(user=user, name="验证器", confirmed=False)
    return device


def totp_device_confirm(*, device: TOTPDevice, actor: Actor) -> None:
    """Confirm a user's TOTP device (second factor) once the user has entered a valid token from it.

    Other devices of the user, confirmed or not, are removed: one
    authenticator per account, so that a lost phone is replaced, not added to.
    """
    with transaction.atomic():
        _check_own_device(actor, device.user_id)
        owner = User.objects.select_for_update().get(pk=device.user_id)
        TOTPDevice.objects.filter(user=owner).exclude(pk=device.pk).delete()
        device.confirmed = True
        device.save(update_fields=["confirmed"])
        audit_log(
            actor=actor, action="user.second_factor_enrolled", obj=owner, before=None, after={"device": device.name}
        )


def user_unlock(*, user: User, actor: Actor) -> int:
    """Lift the login lockout of an account: its failed logins, from every client address, are forgotten.

    For whoever manages the account (``access_user``: 403 for a role that
    manages none, 404 outside the actor's subtree). An account with no
    recent failed login is refused (``ValidationError``): there is nothing to
    lift. Returns how many recent failures were forgotten; the audit entry
    says how many and for how many more minutes the account was locked.
    A client address locked for its own ceiling stays locked: that lock is
    not the account's.
    """
    with transaction.atomic():
        account = access_user(actor, user.pk)
        now = timezone.now()
        failures = recent_failures(account.username, now=now)
        if not failures:
            raise ValidationError(f"账户“{account.username}”没有被锁定，也没有近期的登录失败记录", code="not_locked")
        minutes = account_locks([account.username], now=now).get(account.username, 0)
        reset_login_failures(username=account.username)
        audit_log(
            actor=actor,
            action="user.unlocked",
            obj=account,
            before={"登录失败次数": failures, "剩余锁定分钟": minutes},
            after={"登录失败次数": 0, "剩余锁定分钟": 0},
        )
    return failures
