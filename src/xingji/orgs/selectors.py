"""Reading organizations, members and elections, scoped to what a user may see.

Every selector takes the requesting ``user`` and starts from
``xingji.accounts.access``, so a page built on them cannot show anything
outside the user's subtree. Each returns a queryset with its related objects
already joined: a list page issues a fixed number of queries whatever its
length.

The history selectors (``parent_on``, ``subtree_on``) answer how the tree
stood on a past day and take no user: a campaign asks them for its scope.
"""

from __future__ import annotations

from datetime import date

from django.db.models import F, Q, QuerySet

from xingji.accounts.access import visible_elections, visible_members, visible_organizations
from xingji.accounts.models import User
from xingji.orgs.models import (
    Election,
    ElectionTerm,
    LeadershipPosition,
    Member,
    Organization,
    OrganizationMove,
    OrganizationName,
)
from xingji.orgs.services import BRANCH_TYPES

LEADERSHIP_ORDER: list[str] = [
    LeadershipPosition.SECRETARY,
    LeadershipPosition.DEPUTY_SECRETARY,
    LeadershipPosition.COMMITTEE_MEMBER,
]


def organization_list(
    *,
    user: User,
    search: str = "",
    org_type: str = "",
    category: str = "",
    is_active: bool | None = None,
    under: Organization | None = None,
) -> QuerySet[Organization]:
    """The user's organizations in tree order (depth-first), each with ``member_count``.

    ``under`` narrows to that organization's subtree; ``search`` matches the
    name or the code. ``organization.election`` is joined (absent: no record).
    """
    organizations = visible_organizations(user)
    if under is not None:
        organizations = organizations.filter(path__startswith=under.path)
    if search:
        organizations = organizations.filter(Q(name__icontains=search) | Q(code__icontains=search))
    if org_type:
        organizations = organizations.filter(org_type=org_type)
    if category:
        organizations = organizations.filter(category=category)
    if is_active is not None:
        organizations = organizations.filter(is_active=is_active)
    listed: QuerySet[Organization] = (
        organizations.select_related("election").annotate(member_count=F("own_members")).order_by("path")
    )
    return listed


def organization_children(*, user: User, organization: Organization) -> QuerySet[Organization]:
    """The direct children the user can see, in tree order."""
    return (
        visible_organizations(user)
        .filter(path__startswith=organization.path, depth=organization.depth + 1)
        .order_by("path")
    )


def organization_ancestors(*, user: User, organization: Organization) -> QuerySet[Organization]:
    """The ancestors the user can see, root first (for breadcrumbs)."""
    steplen = Organization.steplen
    paths = [organization.path[:end] for end in range(steplen, len(organization.path), steplen)]
    return visible_organizations(user).filter(path__in=paths).order_by("depth")


def move_targets(*, user: User, organization: Organization) -> QuerySet[Organization]:
    """The new parents the user can move the organization under, in tree order.

    The active, non-branch organizations the user can see, outside the
    organization's own subtree (what ``services.check_move`` accepts), less
    the current parent, where a move would change nothing. The move form
    offers exactly these, and the move page is offered only when there is one.
    """
    targets = (
        visible_organizations(user)
        .exclude(path__startswith=organization.path)
        .exclude(org_type__in=BRANCH_TYPES)
        .filter(is_active=True)
    )
    if organization.depth > 1:
        targets = targets.exclude(path=organization.path[: -Organization.steplen])
    return targets.order_by("path")


def merge_targets(*, user: User, organization: Organization) -> QuerySet[Organization]:
    """The organizations the user can merge this one into, in tree order (what ``services.check_merge``
    accepts): active, visible, outside its own subtree, and no branch when it has sub-organizations."""
    targets = visible_organizations(user).exclude(path__startswith=organization.path).filter(is_active=True)
    if organization.numchild:
        targets = targets.exclude(org_type__in=BRANCH_TYPES)
    return targets.order_by("path")


def member_list(
    *,
    user: User,
    organization: Organization | None = None,
    include_descendants: bool = False,
    search: str = "",
    status: str = "",
    leaders_only: bool = False,
) -> QuerySet[Member]:
    """The user's members, by organization (tree order), with ``member.organization`` joined."""
    members = visible_members(user)
    if organization is not None:
        if include_descendants:
            members = members.filter(organization__path__startswith=organization.path)
        else:
            members = members.filter(organization=organization)
    if search:
        members = members.filter(name__icontains=search)
    if status:
        members = members.filter(status=status)
    if leaders_only:
        members = members.exclude(leadership_position=LeadershipPosition.NONE)
    return members.select_related("organization").order_by("organization__path", "id")


def leadership_team(*, user: User, organization: Organization) -> list[Member]:
    """The organization's leadership team (班子): secretary, deputies, committee members."""
    members = member_list(user=user, organization=organization, leaders_only=True)
    return sorted(members, key=lambda member: (LEADERSHIP_ORDER.index(member.leadership_position), member.pk))


def election_list(*, user: User, organization: Organization | None = None) -> QuerySet[Election]:
    """The user's election records, with ``election.organization`` joined, in tree order."""
    elections = visible_elections(user)
    if organization is not None:
        elections = elections.filter(organization__path__startswith=organization.path)
    return elections.select_related("organization").order_by("organization__path")


def elections_overdue(*, user: User, on: date) -> list[Election]:
    """The elections overdue on ``on``, longest overdue first.

    The due date depends on the term, so it is computed in Python over the
    elections at least three years old (the shortest term).
    """
    try:
        cutoff = on.replace(year=on.year - 3)
    except ValueError:  # 29 February
        cutoff = on.replace(year=on.year - 3, day=28)
    candidates = election_list(user=user).filter(last_election__lte=cutoff)
    overdue = [election for election in candidates if election.is_overdue(on)]
    return sorted(overdue, key=lambda election: (-election.overdue_days(on), election.organization.path))


# --- history ---------------------------------------------------------------------------


def _parent_id_now(path: str, ids_by_path: dict[str, int]) -> int | None:
    return ids_by_path.get(path[: -Organization.steplen]) if len(path) > Organization.steplen else None


def _parents_then(day: date) -> dict[int, int | None]:
    """The parent on ``day`` of each organization moved after ``day``: the origin of its first later move.

    A move dated ``day`` itself has happened by then (the tree "on" a day is the tree at its end), so only
    moves dated after it are undone.
    """
    parents: dict[int, int | None] = {}
    later = OrganizationMove.objects.filter(moved_on__gt=day).order_by("moved_on", "id")
    for organization_id, from_parent_id in later.values_list("organization_id", "from_parent_id"):
        parents.setdefault(organization_id, from_parent_id)
    return parents


def parent_on(organization: Organization, day: date) -> Organization | None:
    """The organization's parent as the tree stood on ``day`` (None: it was at the top).

    Today's parent, unless the organization moved after ``day``: then the parent it left by its first
    move after ``day``. A move dated ``day`` counts as done on that day.
    """
    first_later = (
        OrganizationMove.objects.filter(organization=organization, moved_on__gt=day)
        .select_related("from_parent")
        .order_by("moved_on", "id")
        .first()
    )
    if first_later is not None:
        return first_later.from_parent
    parent: Organization | None = Organization.objects.get_parent(organization)
    return parent


def subtree_on(root: Organization, day: date) -> QuerySet[Organization]:
    """The organizations under ``root`` (``root`` included) as the tree stood on ``day``, in today's tree order.

    Read from today's tree with the moves after ``day`` undone: without such moves, one path query;
    with some, the parents of all organizations (one query of ids and paths) walked from ``root``.
    Organizations are not filtered by state or founding date: the caller decides which take part.
    """
    moved = _parents_then(day)
    if not moved:
        unchanged: QuerySet[Organization] = Organization.objects.filter(path__startswith=root.path).order_by("path")
        return unchanged
    rows = list(Organization.objects.values_list("pk", "path"))
    ids_by_path = {path: pk for pk, path in rows}
    children: dict[int | None, list[int]] = {}
    for pk, path in rows:
        parent_id = moved[pk] if pk in moved else _parent_id_now(path, ids_by_path)
        children.setdefault(parent_id, []).append(pk)
    found = {root.pk}
    waiting = [root.pk]
    while waiting:
        for child_id in children.get(waiting.pop(), []):
            if child_id not in found:
                found.add(child_id)
                waiting.append(child_id)
    then: QuerySet[Organization] = Organization.objects.filter(pk__in=found).order_by("path")
    return then


def organization_moves(*, organization: Organization) -> QuerySet[OrganizationMove]:
    """The organization's recorded moves, newest first, with both parents joined."""
    return (
        OrganizationMove.objects.filter(organization=organization)
        .select_related("from_parent", "to_parent")
        .order_by("-moved_on", "-id")
    )


def former_names(*, organization: Organization) -> QuerySet[OrganizationName]:
    """The organization's former names (曾用名), the latest given up first."""
    return OrganizationName.objects.filter(organization=organization).order_by("-until", "-id")


def election_terms(*, organization: Organization) -> QuerySet[ElectionTerm]:
    """The organization's election history (换届记录), newest first."""
    return ElectionTerm.objects.filter(organization=organization).order_by("-elected_on", "-id")


def merged_organizations(*, user: User, organization: Organization) -> list[tuple[Organization, bool]]:
    """The organizations merged into this one (合并前), the latest merged first, each with whether the user
    can open it (its page, its star ledger): a merge across subtrees leaves the source where it was, so a
    user of ``organization`` may see only its name and date."""
    merged = list(Organization.objects.filter(merged_into=organization).order_by("-ended_on", "path"))
    visible = set(visible_organizations(user).filter(merged_into=organization).values_list("pk", flat=True))
    return [(source, source.pk in visible) for source in merged]
