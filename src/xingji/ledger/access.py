"""Who sees and who may act on improvement plans and rectification items.

Visibility follows ``xingji.accounts.access``: the plans and items of the
organizations in the user's subtree; outside, or missing, ``Http404``.

Who may act (the services check it again under their lock):

* the organization's own user (支部书记, or the 机关党委/总支 user for its own
  organization): its plan (write, submit), its self-found items (open, edit),
  and the closing request (申请销账) of any of its items;
* a superior (a reviewer or the committee office whose subtree holds the
  organization, never the organization's own users): acknowledging or
  returning plans, opening items of any source, editing them, confirming or
  refusing a closing;
* a superuser: everything; an inspector (督导组): reading only (403 on writes).
"""

from __future__ import annotations

from django.db.models import QuerySet

from xingji.accounts.access import (
    SELF_ROLES,
    access_organization,
    get_or_404,
    is_active_user,
    is_inspector_of,
    is_superior_of,
    visible_organizations,
)
from xingji.accounts.models import User
from xingji.common.errors import ActionForbidden
from xingji.ledger.models import ImprovementPlan, ItemSource, RectificationItem
from xingji.orgs.models import Organization


def visible_plans(user: User) -> QuerySet[ImprovementPlan]:
    return ImprovementPlan.objects.filter(organization__in=visible_organizations(user))


def visible_items(user: User) -> QuerySet[RectificationItem]:
    return RectificationItem.objects.filter(organization__in=visible_organizations(user))


def access_plan(user: User, plan_id: object) -> ImprovementPlan:
    """A plan of an organization in the user's subtree (404 otherwise)."""
    return get_or_404(visible_plans(user).select_related("organization", "submitted_by", "reviewed_by"), plan_id)


def access_item(user: User, item_id: object) -> RectificationItem:
    """An item of an organization in the user's subtree (404 otherwise)."""
    return get_or_404(
        visible_items(user).select_related("organization", "created_by", "close_requested_by", "closed_by"),
        item_id,
    )


# --- who may act ---------------------------------------------------------------------


def is_own(user: User, organization_id: int) -> bool:
    """The organization's own user (or a superuser)."""
    if not is_active_user(user):
        return False
    if user.is_superuser:
        return True
    return user.organization_id == organization_id and user.role in SELF_ROLES


#: A reviewer or the office above the organization (never the organization itself), or a superuser.
is_superior = is_superior_of


def require_own(user: User, organization: Organization, message: str) -> None:
    access_organization(user, organization.pk, write=True)
    if not is_own(user, organization.pk):
        raise ActionForbidden(message)


def require_superior(user: User, organization: Organization, message: str) -> None:
    access_organization(user, organization.pk, write=True)
    if not is_superior(user, organization.pk):
        raise ActionForbidden(message)


#: What an inspection group (督导组) finds on its visits and may put on the ledger.
INSPECTION_SOURCES = frozenset({ItemSource.INSPECTION, ItemSource.CRITICISM})


def may_open_item(user: User, organization: Organization, source: str) -> bool:
    """Superiors open items of any source; an inspection group what its visits found (督导检查, 通报批评);
    the organization itself only the ones it found (自查发现)."""
    if is_superior(user, organization.pk):
        return True
    if source in INSPECTION_SOURCES and is_inspector_of(user, organization.pk):
        return True
    return source == ItemSource.SELF and is_own(user, organization.pk)


def require_open_item(user: User, organization: Organization, source: str) -> None:
    # 404 outside the subtree; the read-only inspector is refused below unless it opens what it found.
    access_organization(user, organization.pk)
    if not may_open_item(user, organization, source):
        if source != ItemSource.SELF and is_own(user, organization.pk):
            raise ActionForbidden(f"本组织只能登记自查发现的问题，“{ItemSource(source).label}”的问题由上级党组织登记")
        raise ActionForbidden("只有本组织或上级党组织可以登记整改事项")


def may_edit_item(user: User, item: RectificationItem) -> bool:
    """Superiors edit any item below them; the organization itself only what it opened (自查, not 上级交办)."""
    if is_superior(user, item.organization_id):
        return True
    return not item.opened_by_superior and item.source == ItemSource.SELF and is_own(user, item.organization_id)


def require_edit_item(user: User, item: RectificationItem) -> None:
    access_organization(user, item.organization_id, write=True)
    if not may_edit_item(user, item):
        if is_own(user, item.organization_id):
            raise ActionForbidden("上级交办的整改事项本组织不能修改，只能申请销账")
        raise ActionForbidden("只有本组织或上级党组织可以修改整改事项")
