"""What is due about organizations (``xingji.web.due``): elections (换届) overdue or coming due.

Who sees which lines: every user whose subtree holds the organization — the
branch secretary its own branch, a reviewer or the office their subtree —
and the inspector (督导组) too, as information: an overdue election is what
an inspection follows up, so it is listed for the inspector with a link to
the organization's page instead of the election form it may not change.
A user who may write is also told when the own organization has no election
record at all (not the whole subtree's missing records, which would bury the
list; the tree page shows those).

The rule of what is overdue or coming due is ``xingji.orgs.overview``'s
(``election_state``, ``DUE_SOON_DAYS``), turned into date bounds on the last
election per term length (``election_bounds``), so that SQL filters, counts
and limits: ``due_page`` (the home page, the navigation's counts) reads one
aggregate and at most ``limit`` rows per term length (at most four queries,
whatever the tree's size); ``due_items`` (the full list) reads every line
due in one query.
"""

from __future__ import annotations

from datetime import date

from django.db.models import Count, Q, QuerySet
from django.urls import reverse

from xingji.accounts.access import can_write, visible_organizations
from xingji.common.due import DueItem
from xingji.orgs.models import Organization
from xingji.orgs.overview import election_bounds, election_of, election_state

SECTION = "orgs"


def _active(user) -> QuerySet[Organization]:
    return visible_organizations(user).filter(is_active=True)


def _item(organization: Organization, today: date, writer: bool) -> DueItem:
    state = election_state(election_of(organization), today)
    url = reverse("orgs:election" if writer else "orgs:detail", args=[organization.pk])
    if state.code == "overdue":
        return DueItem(
            SECTION, "换届已逾期", f"{organization.name}：换届{state.label}", url, state.due_date, overdue=True
        )
    return DueItem(SECTION, "换届即将到期", f"{organization.name}：换届 {state.label}", url, state.due_date)


def _missing_item(organization_id: int, name: str) -> DueItem:
    return DueItem(
        SECTION,
        "未录入换届信息",
        f"{name}：请录入上次换届日期和任期",
        reverse("orgs:election", args=[organization_id]),
    )


def _due_condition(today: date) -> Q:
    due = Q(pk__in=[])
    for term, (_, soon_until) in election_bounds(today).items():
        due |= Q(election__term_years=term, election__last_election__lte=soon_until)
    return due


def _sort_key(item: DueItem) -> tuple:
    return (not item.overdue, item.due_on or date.max, item.title)


def due_page(user, today: date, limit: int) -> tuple[list[DueItem], dict[str, int]]:
    """The first ``limit`` lines and their count (``xingji.web.due``): one aggregate, then (when there is
    something to show) at most ``limit`` rows per term length and the own organization's name."""
    if not (user.is_authenticated and user.is_active):
        return [], {}
    writer = can_write(user)
    own_id = user.organization_id if writer else None
    due = _due_condition(today)
    counts = {"due": Count("pk", filter=due)}
    if own_id is not None:
        counts["own_missing"] = Count("pk", filter=Q(pk=own_id, election__isnull=True))
    aggregate = {"own_missing": 0, **_active(user).aggregate(**counts)}
    total = aggregate["due"] + aggregate["own_missing"]
    items: list[DueItem] = []
    if aggregate["due"] and limit > 0:
        for term, (_, soon_until) in election_bounds(today).items():
            rows = (
                _active(user)
                .filter(election__term_years=term, election__last_election__lte=soon_until)
                .select_related("election")
                .order_by("election__last_election", "name", "pk")[:limit]
            )
            items.extend(_item(organization, today, writer) for organization in rows)
        items = sorted(items, key=_sort_key)[:limit]
    if own_id is not None and aggregate["own_missing"] and limit > 0:
        name = Organization.objects.filter(pk=own_id).values_list("name", flat=True).first() or ""
        items = [*items, _missing_item(own_id, name)][:limit]
    return items, ({SECTION: total} if total else {})


def due_items(user, today: date) -> list[DueItem]:
    """Every line (the full list), in one query: the elections due, filtered in SQL, and the own organization."""
    if not (user.is_authenticated and user.is_active):
        return []
    writer = can_write(user)
    own_id = user.organization_id if writer else None
    condition = _due_condition(today)
    if own_id is not None:
        condition |= Q(pk=own_id)
    organizations = _active(user).filter(condition).select_related("election")
    items: list[DueItem] = []
    for organization in organizations:
        election = election_of(organization)
        if election is None:
            if organization.pk == own_id:
                items.append(_missing_item(own_id, organization.name))
        elif election_state(election, today).needs_attention:
            items.append(_item(organization, today, writer))
    return sorted(items, key=_sort_key)
