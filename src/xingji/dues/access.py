"""Who sees and who may act on the dues (党费).

Visibility follows ``xingji.accounts.access``: the members of the
organizations in the user's subtree; outside, or missing, ``Http404``.

Who may act (the services check it again inside their transaction):

* any writing role whose subtree holds the member: the base and category,
  the monthly payments (a form or the bank's sheet);
* the member's own branch (its 支部书记, or the own user of the organization
  the member belongs to): proposing a hardship reduction;
* a superior of that organization (a reviewer or the committee office above
  it, never the branch itself): approving or refusing the reduction;
* a superuser: everything; an inspector (督导组): reading only (403 on writes).
"""

from __future__ import annotations

from django.db.models import QuerySet

from xingji.accounts.access import (
    SELF_ROLES,
    access_member,
    get_or_404,
    is_active_user,
    is_superior_of,
    visible_members,
)
from xingji.accounts.models import User
from xingji.common.errors import ActionForbidden
from xingji.dues.models import DuesReduction
from xingji.orgs.models import Member


def visible_reductions(user: User) -> QuerySet[DuesReduction]:
    return DuesReduction.objects.filter(member__in=visible_members(user))


def access_reduction(user: User, reduction_id: object) -> DuesReduction:
    """A reduction of a member in the user's subtree (404 otherwise)."""
    reduction: DuesReduction = get_or_404(
        visible_reductions(user).select_related("member__organization", "proposed_by", "decided_by"), reduction_id
    )
    return reduction


def is_own(user: User, organization_id: int) -> bool:
    """The organization's own user (or a superuser)."""
    if not is_active_user(user):
        return False
    if user.is_superuser:
        return True
    return user.organization_id == organization_id and user.role in SELF_ROLES


def may_propose(user: User, member: Member) -> bool:
    return is_own(user, member.organization_id)


def may_decide(user: User, member: Member) -> bool:
    return is_superior_of(user, member.organization_id)


def require_propose(user: User, member: Member) -> None:
    access_member(user, member.pk, write=True)
    if not may_propose(user, member):
        raise ActionForbidden("党费减免由党员所在支部提出")


def require_decide(user: User, member: Member) -> None:
    access_member(user, member.pk, write=True)
    if not may_decide(user, member):
        raise ActionForbidden("党费减免由上一级党组织审批，本支部不能自行批准")
