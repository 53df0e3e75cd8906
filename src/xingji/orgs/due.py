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
(``election_state``, ``DUE_SOON_DAYS``), turned into a range of the due date
the database keeps for each organization (``due_condition``), so that SQL
filters, counts and limits off one index: ``due_page`` (the home page, the
navigation's counts) reads one aggregate and at most ``limit`` rows (at most
three queries, whatever the tree's size); ``due_items`` (the full list) reads
every line due in one query.
"""

from __future__ import annotations

from datetime import date

from django.db.models import Q, QuerySet
from django.urls import reverse

from xingji.accounts.access import can_write, visible_organizations
from xingji.common.due import DueItem
from xingji.orgs.models import Organization
from xingji.orgs.overview import due_condition, election_of, election_state

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


def _sort_key(item: DueItem) -> tuple:
    return (not item.overdue, item.due_on or date.max, item.title)


def due_page(user, today: date, limit: int) -> tuple[list[DueItem], dict[str, int]]:
    """The first ``limit`` lines and their count (``xingji.web.due``): the count of the elections due (off the
    due-date index), the own organization's name if it has no election record, then (when there is something
    to show) at most ``limit`` rows."""
    if not (user.is_authenticated and user.is_active):
        return [], {}
    writer = can_write(user)
    own_id = user.organization_id if writer else None
    due = _active(user).filter(due_condition(today))
    count = due.order_by().count()
    missing = None
    if own_id is not None:
        missing = _active(user).filter(pk=own_id, election__isnull=True).values_list("name", flat=True).first()
    total = count + (missing is not None)
    items: list[DueItem] = []
    if count and limit > 0:
        rows = due.select_related("election").order_by("election_due_on", "name", "pk")[:limit]
        items = sorted((_item(organization, today, writer) for organization in rows), key=_sort_key)
    if own_id is not None and missing is not None and limit > 0:
        items = [*items, _missing_item(own_id, missing)][:limit]
    return items, ({SECTION: total} if total else {})


def due_items(user, today: date) -> list[DueItem]:
    """Every line (the full list), in one query: the elections due, filtered in SQL, and the own organization."""
    if not (user.is_authenticated and user.is_active):
        return []
    writer = can_write(user)
    own_id = user.organization_id if writer else None
    condition = due_condition(today)
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
