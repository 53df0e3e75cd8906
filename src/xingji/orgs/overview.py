"""What the pages show about organizations: election status, the tree with subtree totals, what is due.

Two kinds of function:

* over organizations already loaded (``selectors.organization_list`` joins
  the election and annotates ``member_count``): ``tree_rows``, ``totals``,
  ``type_counts``, ``due_rows`` — for a page that shows every one of them
  (an organization's own page, a filtered list);
* over a queryset, computed in SQL (filter, COUNT, GROUP BY), for the pages
  that show a few lines over a subtree of any size (the home page, the tree
  page): ``subtree_totals``, ``subtree_type_counts``, ``level_rows`` (one
  level of the tree, with each row's subtree totals), and
  ``election_conditions``, the election rule (``election_state``) turned
  into a range of the due date the database keeps for each organization.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, timedelta

from django.db.models import Count, Q, QuerySet, Sum, Value
from django.db.models.functions import Coalesce, Substr

from xingji.orgs.models import Election, Organization, OrganizationType
from xingji.orgs.services import BRANCH_TYPES

#: An election falling due within this many days is shown as coming due (换届提醒).
DUE_SOON_DAYS = 90

#: The members of a set of organizations: the sum of their own counts (``kept``), 0 for none.
MEMBERS = Coalesce(Sum("own_members"), Value(0))


@dataclass(frozen=True)
class ElectionState:
    """Where an organization stands with its election (换届).

    ``code``: ``missing`` (no record), ``ok``, ``due_soon`` (within
    ``DUE_SOON_DAYS``), ``overdue``. ``days``: days left until the due date,
    or days overdue.
    """

    code: str
    label: str
    due_date: date | None = None
    days: int = 0
    excused: bool = False

    @property
    def needs_attention(self) -> bool:
        return self.code in {"due_soon", "overdue"}


def election_state(election: Election | None, today: date) -> ElectionState:
    if election is None:
        return ElectionState("missing", "未录入换届信息")
    due = election.due_date
    if election.is_overdue(today):
        days = election.overdue_days(today)
        excused = election.is_excused
        label = f"逾期 {days} 天" + ("（延期已批准）" if excused else "")
        return ElectionState("overdue", label, due, days, excused)
    left = (due - today).days
    if left <= DUE_SOON_DAYS:
        return ElectionState("due_soon", f"{left} 天后到期", due, left)
    return ElectionState("ok", "任期内", due, left)


def election_of(organization: Organization) -> Election | None:
    """The organization's election record, or None (works on a joined, absent relation too)."""
    return getattr(organization, "election", None)


@dataclass
class TreeRow:
    organization: Organization
    level: int
    members: int
    subtree_members: int = 0
    subtree_organizations: int = 0
    election: ElectionState = field(default_factory=lambda: ElectionState("missing", "未录入换届信息"))

    @property
    def is_branch(self) -> bool:
        return self.organization.org_type in BRANCH_TYPES


@dataclass(frozen=True)
class Totals:
    organizations: int
    branches: int
    members: int
    overdue: int
    due_soon: int


def tree_rows(organizations: Iterable[Organization], today: date) -> list[TreeRow]:
    """One row per organization (in the order given: tree order), with its subtree's totals.

    Each organization needs ``member_count``; ``level`` counts from the
    shallowest organization given (0).
    """
    organizations = list(organizations)
    if not organizations:
        return []
    top = min(organization.depth for organization in organizations)
    steplen = Organization.steplen
    rows = [
        TreeRow(
            organization=organization,
            level=organization.depth - top,
            members=organization.member_count,
            election=election_state(election_of(organization), today),
        )
        for organization in organizations
    ]
    by_path = {row.organization.path: row for row in rows}
    for row in rows:
        path = row.organization.path
        for end in range(steplen, len(path) + 1, steplen):
            ancestor = by_path.get(path[:end])
            if ancestor is not None:
                ancestor.subtree_members += row.members
                ancestor.subtree_organizations += 1
    return rows


def totals(rows: Iterable[TreeRow]) -> Totals:
    rows = list(rows)
    return Totals(
        organizations=len(rows),
        branches=sum(1 for row in rows if row.is_branch),
        members=sum(row.members for row in rows),
        # A dissolved or merged organization holds no election: not due, whatever its last record says.
        overdue=sum(1 for row in rows if row.election.code == "overdue" and row.organization.is_active),
        due_soon=sum(1 for row in rows if row.election.code == "due_soon" and row.organization.is_active),
    )


@dataclass(frozen=True)
class TypeCount:
    """How many organizations of one type, and their own members."""

    org_type: str
    label: str
    organizations: int
    members: int


def type_counts(rows: Iterable[TreeRow]) -> list[TypeCount]:
    """The organizations by type (党委, 党总支, 党支部…), in the types' order; types with none are left out."""
    counts: dict[str, list[int]] = {}
    for row in rows:
        count = counts.setdefault(row.organization.org_type, [0, 0])
        count[0] += 1
        count[1] += row.members
    return [
        TypeCount(org_type, label, *counts[org_type])
        for org_type, label in OrganizationType.choices
        if org_type in counts
    ]


def due_rows(rows: Iterable[TreeRow]) -> list[TreeRow]:
    """Active organizations whose election is overdue (longest first) or coming due (soonest first)."""
    urgent = [row for row in rows if row.election.needs_attention and row.organization.is_active]
    return sorted(
        urgent,
        key=lambda row: (
            row.election.code != "overdue",
            -row.election.days if row.election.code == "overdue" else row.election.days,
        ),
    )


# --- in SQL, over a queryset -----------------------------------------------------------------


def election_conditions(today: date) -> tuple[Q, Q]:
    """(overdue, due soon) on ``today`` as conditions on organizations, on the due date the database keeps
    (``Organization.election_due_on``, ``kept``): ``election_state`` as a range of one indexed column."""
    soon_until = today + timedelta(days=DUE_SOON_DAYS)
    return Q(election_due_on__lt=today), Q(election_due_on__gte=today, election_due_on__lte=soon_until)


def due_condition(today: date) -> Q:
    """Overdue or coming due on ``today`` (``election_conditions`` together): one range of the due date."""
    return Q(election_due_on__lte=today + timedelta(days=DUE_SOON_DAYS))


def subtree_totals(
    organizations: QuerySet[Organization], today: date, type_counts: list[TypeCount] | None = None
) -> Totals:
    """``totals`` of the organizations in SQL: their numbers and members from ``subtree_type_counts`` (one
    grouped query, or the ``type_counts`` the caller has already), the elections due from one count over the
    due-date index (``election_conditions``)."""
    if type_counts is None:
        type_counts = subtree_type_counts(organizations)
    overdue, soon = election_conditions(today)
    due = (
        organizations.filter(due_condition(today), is_active=True)
        .order_by()
        .aggregate(overdue=Count("pk", filter=overdue), due_soon=Count("pk", filter=soon))
    )
    return Totals(
        organizations=sum(count.organizations for count in type_counts),
        branches=sum(count.organizations for count in type_counts if count.org_type in BRANCH_TYPES),
        members=sum(count.members for count in type_counts),
        **due,
    )


def subtree_type_counts(organizations: QuerySet[Organization]) -> list[TypeCount]:
    """``type_counts`` of the organizations, in one grouped query."""
    by_type = {
        org_type: (count, members)
        for org_type, count, members in organizations.order_by()
        .values_list("org_type")
        .annotate(n=Count("pk"), members=MEMBERS)
        .values_list("org_type", "n", "members")
    }
    return [
        TypeCount(org_type, label, *by_type[org_type])
        for org_type, label in OrganizationType.choices
        if org_type in by_type
    ]


def level_rows(
    organizations: Iterable[Organization],
    scope: QuerySet[Organization],
    today: date,
    level: int = 0,
    known: Totals | None = None,
) -> list[TreeRow]:
    """Rows for a few organizations of one level (a page of them), each with its subtree's totals within
    ``scope`` (what the user may see), in two queries whatever the subtrees' size.

    ``known``: the totals of the one organization given, already counted (``subtree_totals`` over its
    subtree within ``scope``), so that no query is needed.

    Each organization needs ``member_count`` (``selectors.organization_list``). The subtrees' totals are
    grouped in SQL by the path prefix of the level's depth, so only as many rows as organizations shown
    come back.
    """
    organizations = list(organizations)
    rows = [
        TreeRow(
            organization=organization,
            level=level,
            members=organization.member_count,
            election=election_state(election_of(organization), today),
        )
        for organization in organizations
    ]
    if not rows:
        return rows
    if known is not None and len(rows) == 1:
        rows[0].subtree_organizations, rows[0].subtree_members = known.organizations, known.members
        return rows
    by_path = {row.organization.path: row for row in rows}
    lengths = {len(path) for path in by_path}
    condition = Q(pk__in=[])
    for path in by_path:
        condition |= Q(path__startswith=path)
    for length in lengths:
        grouped = (
            scope.filter(condition)
            .order_by()
            .annotate(prefix=Substr("path", 1, length))
            .values_list("prefix")
            .annotate(n=Count("pk"), members=MEMBERS)
            .values_list("prefix", "n", "members")
        )
        for prefix, count, members in grouped:
            if prefix in by_path:
                by_path[prefix].subtree_organizations, by_path[prefix].subtree_members = count, members
    return rows


@dataclass
class LevelPage:
    """Organizations of one level under a parent, a page of them (``rows``), and how many there are."""

    rows: list[TreeRow]
    count: int


def top_organizations(organizations: QuerySet[Organization], user) -> QuerySet[Organization]:
    """The top of what the user sees: the own node, or for a user attached to none (a superuser) the roots."""
    if user.organization_id is not None and not user.is_superuser:
        return organizations.filter(pk=user.organization_id)
    return organizations.filter(depth=1)


def children_of(organizations: QuerySet[Organization], parent: Organization) -> QuerySet[Organization]:
    """The parent's direct children among ``organizations`` (keeps their order)."""
    return organizations.filter(path__startswith=parent.path, depth=parent.depth + 1)


def subtree_due_rows(organizations: QuerySet[Organization], today: date, limit: int) -> tuple[list[TreeRow], int]:
    """``due_rows`` over a queryset, in SQL: the first ``limit`` active organizations whose election is overdue
    (longest first) or coming due (soonest first), ties in tree order, and how many there are.

    Both in the order of the due date (an overdue one is due before today): one count and one page read off
    the due-date index, whatever the subtree's size.
    """
    due = organizations.filter(due_condition(today), is_active=True).order_by()
    count = due.count()
    found = list(due.select_related("election").order_by("election_due_on", "path")[:limit]) if count else []
    rows = [
        TreeRow(
            organization=organization, level=0, members=0, election=election_state(election_of(organization), today)
        )
        for organization in found
    ]
    return rows, count


def family_rows(
    parent: Organization, children: Iterable[Organization], scope: QuerySet[Organization], today: date
) -> tuple[TreeRow, list[TreeRow]]:
    """The parent's row (level 0) and its children's (a page of them, level 1), each with its subtree's
    totals within ``scope``, in two queries grouped by the children's path prefix over the parent's subtree:
    one row per child (and one for the parent itself) comes back, and the parent's totals are their sums.

    ``parent`` and each child need ``member_count`` (``selectors.organization_list``).
    """
    length = len(parent.path) + Organization.steplen
    grouped = (
        scope.filter(path__startswith=parent.path)
        .order_by()
        .annotate(prefix=Substr("path", 1, length))
        .values("prefix")
        .annotate(n=Count("pk"), members=MEMBERS)
    )
    organizations, members = {}, {}
    for group in grouped:
        organizations[group["prefix"]], members[group["prefix"]] = group["n"], group["members"]

    def row(organization: Organization, level: int, subtree_organizations: int, subtree_members: int) -> TreeRow:
        return TreeRow(
            organization=organization,
            level=level,
            members=organization.member_count,
            subtree_members=subtree_members,
            subtree_organizations=subtree_organizations,
            election=election_state(election_of(organization), today),
        )

    own = row(parent, 0, sum(organizations.values()), sum(members.values()))
    rows = [row(child, 1, organizations.get(child.path, 0), members.get(child.path, 0)) for child in children]
    return own, rows
