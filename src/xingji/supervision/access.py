"""Who sees and who may act on re-checks, changes of level, focus guides and supervision visits.

Visibility follows ``xingji.accounts.access``: a re-check or a change of
level is visible when its organization is in the user's subtree; a visit
when one of its organizations is (and the user sees only those). Outside, or
missing: ``Http404``, the same answer either way.

Who may act (the services check it again under their lock):

* a superior — a reviewer (机关党委/总支) or the committee office above the
  organization, never the organization itself: re-checks, proposing a change
  of level, assigning a focus guide, supervision visits and the criticism
  notices and items they produce;
* the committee office above the organization (工委会 through its office):
  approving or rejecting a change of level;
* an inspection group (督导组, the inspector role) over the organization:
  supervision visits and the criticism notices and items they produce
  (DESIGN.md: it "records criticism notices"); otherwise it reads only;
* a superuser: everything; a branch secretary: reading its own.
"""

from __future__ import annotations

from django.db.models import QuerySet

from xingji.accounts import access as accounts_access
from xingji.accounts.access import (
    SUPERIOR_ROLES,
    access_organization,
    get_or_404,
    is_active_user,
    visible_organizations,
)
from xingji.accounts.models import Role, User
from xingji.common.errors import ActionForbidden
from xingji.orgs.models import Organization
from xingji.supervision.models import InspectionVisit, LevelChange, Recheck


def is_superior_of(user: User, organization: Organization) -> bool:
    """A reviewer or the office above the organization (not the organization's own user)."""
    return accounts_access.is_superior_of(user, organization.pk)


def is_committee_office_for(user: User, organization: Organization) -> bool:
    """The committee office at an ancestor of the organization: it records the committee's decisions."""
    if not is_active_user(user):
        return False
    if user.is_superuser:
        return True
    return (
        user.role == Role.COMMITTEE_OFFICE
        and user.organization_id != organization.pk
        and visible_organizations(user).filter(pk=organization.pk).exists()
    )


def can_record(user: User) -> bool:
    """Whether the user's role records re-checks and visits at all (for showing the buttons)."""
    return is_active_user(user) and (user.is_superuser or user.role in SUPERIOR_ROLES)


def is_inspector_of(user: User, organization: Organization) -> bool:
    """An inspection group (督导组) whose node holds the organization (not the organization's own user)."""
    return accounts_access.is_inspector_of(user, organization.pk)


def can_record_visits(user: User) -> bool:
    """Whether the user's role records supervision visits at all (for showing the buttons)."""
    return can_record(user) or (is_active_user(user) and user.role == Role.INSPECTOR)


def can_decide(user: User) -> bool:
    return is_active_user(user) and (user.is_superuser or user.role == Role.COMMITTEE_OFFICE)


def require_superior(user: User, organization: Organization) -> None:
    """404 outside the subtree, 403 for the inspector, 403 for a role that is not the superior."""
    access_organization(user, organization.pk, write=True)
    if not is_superior_of(user, organization):
        raise ActionForbidden(f"只有“{organization.name}”的上级党组织可以进行这项操作")


def require_inspecting(user: User, organization: Organization) -> None:
    """A visit's organization: a superior or the inspection group over it; 404 outside the subtree."""
    access_organization(user, organization.pk)
    if not (is_superior_of(user, organization) or is_inspector_of(user, organization)):
        raise ActionForbidden(f"只有“{organization.name}”的上级党组织或督导组可以登记督导")


def require_committee_office(user: User, organization: Organization) -> None:
    access_organization(user, organization.pk, write=True)
    if not is_committee_office_for(user, organization):
        raise ActionForbidden("只有市直工委组织部可以录入工委会的决定")


def visible_rechecks(user: User) -> QuerySet[Recheck]:
    return Recheck.objects.filter(organization__in=visible_organizations(user))


def visible_level_changes(user: User) -> QuerySet[LevelChange]:
    return LevelChange.objects.filter(organization__in=visible_organizations(user))


def visible_visits(user: User) -> QuerySet[InspectionVisit]:
    matching = InspectionVisit.objects.filter(organizations__in=visible_organizations(user)).values("pk")
    return InspectionVisit.objects.filter(pk__in=matching)


def access_recheck(user: User, recheck_id: object) -> Recheck:
    return get_or_404(visible_rechecks(user).select_related("organization", "recorded_by"), recheck_id)


def access_level_change(user: User, change_id: object) -> LevelChange:
    return get_or_404(
        visible_level_changes(user).select_related(
            "organization", "recheck", "proposed_by", "decided_by", "ledger_entry"
        ),
        change_id,
    )


def access_visit(user: User, visit_id: object) -> InspectionVisit:
    return get_or_404(visible_visits(user).select_related("recorded_by"), visit_id)
