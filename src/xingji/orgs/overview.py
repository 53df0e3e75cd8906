"""What the pages show about organizations: election status, the tree with subtree totals, what is due.

Pure functions over organizations already loaded (``selectors.organization_list``
joins the election and annotates ``member_count``), so a page over the whole
tree costs one query whatever its size.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date

from xingji.orgs.models import Election, Organization, OrganizationType
from xingji.orgs.services import BRANCH_TYPES

#: An election falling due within this many days is shown as coming due (换届提醒).
DUE_SOON_DAYS = 90


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
        overdue=sum(1 for row in rows if row.election.code == "overdue"),
        due_soon=sum(1 for row in rows if row.election.code == "due_soon"),
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
