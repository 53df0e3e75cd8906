"""Creating and revoking API clients, authenticating their tokens, recording their use.

A token is ``xj_<prefix>_<secret>``: the prefix (8 characters) finds the row,
the secret carries 256 bits from ``secrets``; only the SHA-256 of the whole
token is stored, and the token is returned once, by ``api_client_create``.
Creating and revoking are audited (``api_client.created``,
``api_client.revoked``); each request is recorded in ``ApiRequestLog``.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from django.db import transaction
from django.utils import timezone

from xingji.accounts.access import access_organization
from xingji.accounts.models import Actor, Role
from xingji.accounts.services import user_create, user_update
from xingji.api import scopes as scope_codes
from xingji.api.access import MANAGERS_ONLY, access_api_client, can_manage_api_clients
from xingji.api.models import ApiClient, ApiRequestLog
from xingji.audit.services import audit_log, snapshot
from xingji.common.errors import ActionForbidden, TransitionRefused
from xingji.orgs.models import Organization

TOKEN_START = "xj_"
PREFIX_LENGTH = 8
#: The longest a token may live: a year (a client is renewed by creating a new one).
MAX_LIFETIME = timedelta(days=366)
CLIENT_AUDIT_FIELDS = ("name", "organization", "user", "scopes", "token_prefix", "expires_at", "revoked_at")
#: ``last_used_at`` is written at most this often, not on every request.
LAST_USED_PRECISION = timedelta(minutes=1)


def token_digest(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def _new_token() -> tuple[str, str]:
    prefix = secrets.token_hex(PREFIX_LENGTH // 2)
    return prefix, f"{TOKEN_START}{prefix}_{secrets.token_urlsafe(32)}"


@dataclass(frozen=True)
class CreatedClient:
    client: ApiClient
    #: The token in clear: shown once, never stored.
    token: str


def _check_values(*, name: str, scopes: list[str], expires_at: datetime, role: str) -> str:
    name = (name or "").strip()
    errors: dict[str, list[str]] = {}
    if not name:
        errors["name"] = ["请填写名称"]
    elif len(name) > 100:
        errors["name"] = ["名称不能超过100字"]
    unknown = sorted(set(scopes) - scope_codes.ALL)
    if not scopes:
        errors["scopes"] = ["请至少选择一项权限"]
    elif unknown:
        errors["scopes"] = [f"未知的权限：{'、'.join(unknown)}"]
    now = timezone.now()
    if expires_at <= now:
        errors["expires_at"] = ["失效时间应晚于现在"]
    elif expires_at > now + MAX_LIFETIME:
        errors["expires_at"] = ["有效期不能超过一年"]
    if role not in Role.values:
        errors["role"] = ["请选择角色"]
    if errors:
        raise TransitionRefused(errors)
    return name


def api_client_create(
    *,
    name: str,
    organization: Organization,
    scopes: list[str],
    expires_at: datetime,
    actor: Actor,
    role: str = Role.INSPECTOR,
) -> CreatedClient:
    """Create a client for ``organization``'s subtree and its service account; return it with its token.

    A client without a write scope acts as an inspector (督导组: read only),
    whatever ``role`` says; one with write scopes acts with ``role`` at its node.
    """
    with transaction.atomic():
        if not can_manage_api_clients(actor):
            raise ActionForbidden(MANAGERS_ONLY)
        access_organization(actor, organization.pk, write=True)
        scopes = sorted(set(scopes))
        if not any(code.endswith(":write") for code in scopes):
            role = Role.INSPECTOR
        name = _check_values(name=name, scopes=scopes, expires_at=expires_at, role=role)
        prefix, token = _new_token()
        while ApiClient.objects.filter(token_prefix=prefix).exists():  # pragma: no cover (one in 4 billion)
            prefix, token = _new_token()
        account = user_create(
            username=f"api-{prefix}",
            password=None,
            organization=organization,
            role=role,
            name=f"接口：{name}"[:50],
            actor=actor,
        )
        client = ApiClient.objects.create(
            name=name,
            organization=organization,
            user=account,
            scopes=scopes,
            token_prefix=prefix,
            token_hash=token_digest(token),
            expires_at=expires_at,
            created_by=actor,
        )
        audit_log(
            actor=actor,
            action="api_client.created",
            obj=client,
            before=None,
            after=snapshot(client, CLIENT_AUDIT_FIELDS),
        )
    return CreatedClient(client=client, token=token)


def api_client_revoke(*, client: ApiClient, actor: Actor) -> ApiClient:
    """Revoke the client's token at once and deactivate its account; a revoked client stays revoked."""
    with transaction.atomic():
        access_api_client(actor, client.pk)
        current = ApiClient.objects.select_for_update().get(pk=client.pk)
        if current.revoked_at is not None:
            raise TransitionRefused("该接口客户端已撤销")
        before = snapshot(current, CLIENT_AUDIT_FIELDS)
        current.revoked_at = timezone.now()
        current.revoked_by = actor
        current.save(update_fields=["revoked_at", "revoked_by"])
        user_update(user=current.user, is_active=False, actor=actor)
        audit_log(
            actor=actor,
            action="api_client.revoked",
            obj=current,
            before=before,
            after=snapshot(current, CLIENT_AUDIT_FIELDS),
        )
    return current


class TokenRefused(Exception):
    """The token is missing, malformed, unknown, expired or revoked; ``code`` says which."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message


def api_client_authenticate(token: str) -> ApiClient:
    """The client whose token this is, if it may be used now; ``TokenRefused`` otherwise."""
    parts = token.split("_") if token.startswith(TOKEN_START) else []
    if len(parts) < 3 or len(parts[1]) != PREFIX_LENGTH:
        raise TokenRefused("token_invalid", "令牌格式不正确")
    client = ApiClient.objects.select_related("user", "organization").filter(token_prefix=parts[1]).first()
    if client is None or not hmac.compare_digest(client.token_hash, token_digest(token)):
        raise TokenRefused("token_invalid", "令牌无效")
    now = timezone.now()
    if client.revoked_at is not None:
        raise TokenRefused("token_revoked", "令牌已撤销")
    if client.expires_at <= now:
        raise TokenRefused("token_expired", "令牌已过期")
    if not client.user.is_active:
        raise TokenRefused("token_revoked", "接口账户已停用")
    if client.last_used_at is None or now - client.last_used_at >= LAST_USED_PRECISION:
        ApiClient.objects.filter(pk=client.pk).update(last_used_at=now)
        client.last_used_at = now
    return client


def api_request_record(*, client: ApiClient, method: str, path: str, status: int) -> ApiRequestLog:
    """One line of the client's use: when, what and the answer (no query string, no body)."""
    return ApiRequestLog.objects.create(client=client, method=method[:8], path=path[:300], status=status)


def client_snapshot(client: ApiClient) -> dict[str, Any]:
    return snapshot(client, CLIENT_AUDIT_FIELDS)
