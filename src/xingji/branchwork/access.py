"""Who sees and who records a branch's meetings.

Visibility follows ``xingji.accounts.access``: the meetings of the branches
in the user's subtree; outside, or missing, ``Http404`` with one message.

Who records (adds, changes, attaches files to) a branch's meetings: the
branch's own writing user (支部书记), a superior of the branch (the
reviewer or the committee office above it) and a superuser. The inspection
group (督导组) reads only (403). Only branches (党支部, 联合党支部, 临时党支部)
hold these meetings. The services check again, inside their transaction.

A superior organization (any organization that is no branch: 机关党委,
党总支, 市直工委) records the meetings it convenes for its subordinate
organizations (``models.CONVENED_KINDS``): its own writing user of a superior
role (``SUPERIOR_ROLES``), a superior of it and a superuser
(``may_convene``); its page of those meetings is ``access_convener``'s.
"""

from __future__ import annotations

from django.db.models import QuerySet
from django.http import Http404

from xingji.accounts.access import (
    SELF_ROLES,
    SUPERIOR_ROLES,
    access_organization,
    can_write,
    get_or_404,
    is_active_user,
    is_superior_of,
    visible_organizations,
)
from xingji.accounts.models import User
from xingji.branchwork.models import Meeting
from xingji.common.errors import ActionForbidden
from xingji.orgs.models import Organization
from xingji.orgs.services import BRANCH_TYPES

NOT_RECORDER = "只有本支部书记或上级党组织可以登记该支部的组织生活会议"
NOT_A_BRANCH = "只有党支部（含联合党支部、临时党支部）登记组织生活会议"
NOT_CONVENER = "只有本级党组织或其上级党组织可以登记本级召集下级组织参加的会议"
A_BRANCH = "党支部没有下级组织，不登记召集下级组织参加的会议"


def visible_meetings(user: User) -> QuerySet[Meeting]:
    return Meeting.objects.filter(organization__in=visible_organizations(user))


def access_meeting(user: User, meeting_id: object) -> Meeting:
    """A meeting of a branch in the user's subtree (404 otherwise)."""
    meeting: Meeting = get_or_404(visible_meetings(user).select_related("organization", "created_by"), meeting_id)
    return meeting


def access_branch(user: User, organization_id: object) -> Organization:
    """A branch in the user's subtree: 404 outside it and for an organization that is no branch."""
    organization = access_organization(user, organization_id)
    if organization.org_type not in BRANCH_TYPES:
        raise Http404(NOT_A_BRANCH)
    return organization


def is_own(user: User, organization_id: int) -> bool:
    """The branch's own user (支部书记, or a self role attached to it)."""
    return bool(
        is_active_user(user)
        and not user.is_superuser
        and user.organization_id == organization_id
        and user.role in SELF_ROLES
    )


def may_record(user: User, organization: Organization) -> bool:
    """Whether the user may record meetings of the organization (see the module's text)."""
    if not (can_write(user) and organization.org_type in BRANCH_TYPES):
        return False
    return user.is_superuser or is_own(user, organization.pk) or is_superior_of(user, organization.pk)


def require_record(user: User, organization: Organization) -> None:
    """404 outside the subtree, 403 for a read-only role or a user who may not record the branch's meetings."""
    access_organization(user, organization.pk, write=True)
    if organization.org_type not in BRANCH_TYPES:
        raise ActionForbidden(NOT_A_BRANCH)
    if not may_record(user, organization):
        raise ActionForbidden(NOT_RECORDER)


NOT_APPRAISER = "只有本支部书记或上级党组织可以登记该支部的民主评议党员"


def require_appraise(user: User, organization: Organization) -> None:
    """Who records the branch's appraisal: the same users who record its meetings (403 for the others)."""
    access_organization(user, organization.pk, write=True)
    if organization.org_type not in BRANCH_TYPES:
        raise ActionForbidden(NOT_A_BRANCH)
    if not may_record(user, organization):
        raise ActionForbidden(NOT_APPRAISER)


# --- meetings a superior convenes for its subordinate organizations ---------------------------------


def is_convener(organization: Organization) -> bool:
    """Whether the organization convenes meetings of its subordinates: any organization that is no branch."""
    return organization.org_type not in BRANCH_TYPES


def access_convener(user: User, organization_id: object) -> Organization:
    """An organization of the user's subtree that is no branch (404 otherwise, as for a missing one)."""
    organization = access_organization(user, organization_id)
    if not is_convener(organization):
        raise Http404(A_BRANCH)
    return organization


def may_convene(user: User, organization: Organization) -> bool:
    """Whether the user records the meetings the organization convenes (see the module's text)."""
    if not (can_write(user) and is_convener(organization)):
        return False
    if user.is_superuser:
        return True
    own = is_active_user(user) and user.organization_id == organization.pk and user.role in SUPERIOR_ROLES
    return own or is_superior_of(user, organization.pk)


def require_convene(user: User, organization: Organization) -> None:
    """404 outside the subtree, 403 for a branch, a read-only role or a user who may not record them."""
    access_organization(user, organization.pk, write=True)
    if not is_convener(organization):
        raise ActionForbidden(A_BRANCH)
    if not may_convene(user, organization):
        raise ActionForbidden(NOT_CONVENER)


def may_change_meeting(user: User, meeting: Meeting) -> bool:
    """Whether the user changes or deletes the meeting: whoever records its organization's meetings of its kind."""
    if is_convener(meeting.organization):
        return may_convene(user, meeting.organization)
    return may_record(user, meeting.organization)


def require_change_meeting(user: User, meeting: Meeting) -> None:
    if is_convener(meeting.organization):
        require_convene(user, meeting.organization)
    else:
        require_record(user, meeting.organization)
