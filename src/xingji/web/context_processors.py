"""The navigation, chosen by the user's role (``web/nav.html``).

Only what the role may open is offered; the views check again, so a link
left out here hides nothing that a typed URL would reveal. No query is made
here: every page pays the same, whatever the user.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.conf import settings
from django.urls import reverse

from xingji.accounts.access import can_manage_users, can_read_audit


@dataclass(frozen=True)
class NavItem:
    label: str
    url: str
    active: bool


def _items(request) -> list[NavItem]:
    user = request.user
    match = getattr(request, "resolver_match", None)
    current = match.view_name if match else ""
    namespace = match.namespace if match else ""

    entries: list[tuple[str, str, bool]] = [("首页", reverse("web:home"), current == "web:home")]
    entries.append(("组织架构", reverse("orgs:tree"), namespace == "orgs" and not current.startswith("orgs:member")))
    if user.organization_id is not None:
        entries.append((
            "党员名册",
            reverse("orgs:member_list", args=[user.organization_id]),
            current.startswith("orgs:member"),
        ))
    entries.append(("证据记录", reverse("records:index"), namespace == "records"))
    entries.append(("评星定级", reverse("campaigns:list"), namespace == "campaigns"))
    if can_read_audit(user):
        entries.append(("审计日志", reverse("audit:entry_list"), namespace == "audit"))
    if can_manage_users(user):
        entries.append(("用户管理", reverse("accounts:user_list"), current.startswith("accounts:user")))
    if user.is_staff:
        entries.append(("后台管理", reverse("admin:index"), False))
    return [NavItem(label, url, active) for label, url, active in entries]


def navigation(request) -> dict:
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {}
    return {"nav_items": _items(request)}


def security(request) -> dict:
    """The security baseline's numbers, for the login and lockout pages' explanations."""
    return {
        "failure_limit": settings.XINGJI_LOGIN_FAILURE_LIMIT,
        "lockout_minutes": settings.XINGJI_LOCKOUT_MINUTES,
        "idle_minutes": settings.XINGJI_IDLE_TIMEOUT_MINUTES,
    }
