"""The navigation, chosen by the user's role (``web/nav.html``), with the counts of what is due.

Only what the role may open is offered; the views check again, so a link
left out here hides nothing that a typed URL would reveal. Each entry names
its section (the URL namespace of its app): the entry shows that section's
number of due lines (``xingji.web.due``), and the total is shown by the user
menu. The counts come from the cache (one query; see ``xingji.web.due`` for
why and for how long), or from the page itself when it has just computed
them (``request.due_counts``, set by the home page and the full list).
"""

from __future__ import annotations

from dataclasses import dataclass

from django.conf import settings
from django.urls import reverse
from django.utils import timezone

from xingji.accounts.access import can_manage_users, can_read_audit, is_administrator
from xingji.accounts.models import Role
from xingji.api.access import can_manage_api_clients
from xingji.web.due import due_counts, due_total


@dataclass(frozen=True)
class NavItem:
    label: str
    url: str
    active: bool
    #: The section of ``xingji.web.due`` this entry counts ("" for none), and its number of due lines.
    section: str = ""
    count: int = 0


def _items(request) -> list[NavItem]:
    """The entries (label, URL, whether it is the current page, the due section it counts)."""
    user = request.user
    match = getattr(request, "resolver_match", None)
    current = match.view_name if match else ""
    namespace = match.namespace if match else ""

    items = [NavItem("首页", reverse("web:home"), current == "web:home")]
    organizations_active = namespace == "orgs" and not current.startswith("orgs:member")
    items.append(NavItem("组织架构", reverse("orgs:tree"), organizations_active, section="orgs"))
    if user.organization_id is not None:
        items.append(
            NavItem(
                "党员名册",
                reverse("orgs:member_list", args=[user.organization_id]),
                current.startswith("orgs:member"),
            )
        )
    items.append(NavItem("证据记录", reverse("records:index"), namespace == "records", section="records"))
    items.append(NavItem("评星定级", reverse("campaigns:list"), namespace == "campaigns", section="campaigns"))
    items.append(
        NavItem(
            "整改台账",
            reverse("ledger:item_list"),
            namespace == "ledger" and not current.startswith("ledger:plan"),
            section="ledger",
        )
    )
    items.append(NavItem("晋位争星", reverse("ledger:plan_list"), current.startswith("ledger:plan")))
    items.append(NavItem("组织生活", reverse("branchwork:overview"), namespace == "branchwork", section="branchwork"))
    if user.is_superuser or user.role != Role.BRANCH_SECRETARY:
        # Re-checks, visits and the focus list look at the organizations below the user's node.
        items.append(
            NavItem("复检督导", reverse("supervision:focus_list"), namespace == "supervision", section="supervision")
        )
    items.append(NavItem("结果运用", reverse("reports:index"), namespace == "reports", section="reports"))
    items.append(NavItem("党费", reverse("dues:index"), namespace == "dues", section="dues"))
    if can_read_audit(user):
        items.append(NavItem("审计日志", reverse("audit:entry_list"), namespace == "audit"))
    if can_manage_users(user):
        items.append(NavItem("用户管理", reverse("accounts:user_list"), current.startswith("accounts:user")))
    if can_manage_api_clients(user):
        items.append(NavItem("数据接口", reverse("api_clients:client_list"), namespace == "api_clients"))
    if is_administrator(user):
        items.append(NavItem("后台管理", reverse("admin:index"), False))
    return items


def navigation(request) -> dict:
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {}
    counts = getattr(request, "due_counts", None)
    if counts is None:
        counts = due_counts(user, timezone.localdate())
    items = [
        NavItem(item.label, item.url, item.active, item.section, counts.get(item.section, 0) if item.section else 0)
        for item in _items(request)
    ]
    return {"nav_items": items, "due_total": due_total(counts)}


def security(request) -> dict:
    """The security baseline's numbers, for the login and lockout pages' explanations."""
    return {
        "failure_limit": settings.XINGJI_LOGIN_FAILURE_LIMIT,
        "lockout_minutes": settings.XINGJI_LOCKOUT_MINUTES,
        "idle_minutes": settings.XINGJI_IDLE_TIMEOUT_MINUTES,
    }
