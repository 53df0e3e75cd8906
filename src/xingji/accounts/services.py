"""Creating users and changing what they may do; every change is audited.

As in ``xingji.orgs.services``: one transaction per service, its audit entry
inside it, no permission checks (the caller used ``xingji.accounts.access``),
``ValidationError`` for invalid data, ``actor`` None for the system. Passwords
and their hashes are never recorded in the audit log.
"""

from __future__ import annotations

from typing import Any

from django.contrib.auth.password_validation import validate_password
from django.db import transaction
from django_otp.plugins.otp_totp.models import TOTPDevice

from xingji.accounts.models import User
from xingji.audit.services import audit_log, snapshot
from xingji.orgs.models import Organization

USER_AUDIT_FIELDS = ("username", "name", "email", "organization", "role", "is_active", "is_staff", "is_superuser")


def _user_snapshot(user: User) -> dict[str, Any]:
    return snapshot(user, USER_AUDIT_FIELDS)


def user_create(
    *,
    username: str,
    password: str | None,
    organization: Organization | None,
    role: str,
    name: str = "",
    email: str = "",
    is_staff: bool = False,
    actor,
) -> User:
    """Create a user attached to ``organization`` with ``role``.

    The password must pass ``AUTH_PASSWORD_VALIDATORS``; None leaves the
    account without a usable password (to be set by a reset).
    """
    with transaction.atomic():
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


def _change(user: User, values: dict[str, Any], *, action: str, actor) -> User:
    with transaction.atomic():
        current = User.objects.select_for_update().get(pk=user.pk)
        before = _user_snapshot(current)
        changed = [name for name, value in values.items() if getattr(current, name) != value]
        if not changed:
            return current
        for name in changed:
            setattr(current, name, values[name])
        current.full_clean(exclude=["password"])
        current.save(update_fields=changed)
        after = _user_snapshot(current)
        keys = [User._meta.get_field(name).attname for name in changed]
        audit_log(
            actor=actor,
            action=action,
            obj=current,
            before={key: before[key] for key in keys},
            after={key: after[key] for key in keys},
        )
    return current


def user_update(
    *,
    user: User,
    actor,
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
    actor,
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


def totp_device_start(*, user: User) -> TOTPDevice:
    """The user's pending (unconfirmed) TOTP device, created with a fresh secret if there is none."""
    with transaction.atomic():
        device = TOTPDevice.objects.filter(user=user, confirmed=False).order_by("pk").first()
        if device is None:
            device = TOTPDevice.objects.create(user=user, name="验证器", confirmed=False)
    return device


def totp_device_confirm(*, device, actor) -> None:
    """Confirm a user's TOTP device (second factor) once the user has entered a valid token from it.

    Other devices of the user, confirmed or not, are removed: one
    authenticator per account, so that a lost phone is replaced, not added to.
    """
    with transaction.atomic():
        owner = User.objects.select_for_update().get(pk=device.user_id)
        TOTPDevice.objects.filter(user=owner).exclude(pk=device.pk).delete()
        device.confirmed = True
        device.save(update_fields=["confirmed"])
        audit_log(
            actor=actor, action="user.second_factor_enrolled", obj=owner, before=None, after={"device": device.name}
        )
