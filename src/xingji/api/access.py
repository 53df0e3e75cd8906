"""Who manages API clients: the committee office (within its subtree) and administrators.

The same people who manage accounts (``accounts.access.can_manage_users``),
since a client is an account of its own. A client outside the manager's
subtree, or missing: 404.
"""

from __future__ import annotations

from django.db.models import QuerySet

from xingji.accounts.access import can_manage_users, get_or_404, visible_organizations
from xingji.accounts.models import User
from xingji.api.models import ApiClient
from xingji.common.errors import ActionForbidden

MANAGERS_ONLY = "只有市直工委组织部和系统管理员可以管理接口客户端"


def can_manage_api_clients(user: User) -> bool:
    return can_manage_users(user)


def visible_api_clients(user: User) -> QuerySet[ApiClient]:
    if not can_manage_api_clients(user):
        return ApiClient.objects.none()
    return ApiClient.objects.filter(organization__in=visible_organizations(user))


def access_api_client(user: User, client_id: object) -> ApiClient:
    """A client the user manages: 403 for a user who manages none, 404 outside the subtree (or missing)."""
    if not can_manage_api_clients(user):
        raise ActionForbidden(MANAGERS_ONLY)
    client: ApiClient = get_or_404(visible_api_clients(user).select_related("organization", "user"), client_id)
    return client
