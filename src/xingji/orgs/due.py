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
(``election_state``, ``due_rows``, ``DUE_SOON_DAYS``): one query loads the
active organizations whose election can fall due within the window (last
election at least three years — the shortest term — before its end), with
their election joined.
"""

from __future__ import annotations

from datetime import date, timedelta

from django.db.models import Q
from django.urls import reverse

from xingji.accounts.access import can_write, visible_organizations
from xingji.common.due import DueItem
from xingji.orgs.models import TermLength, add_years
from xingji.orgs.overview import DUE_SOON_DAYS, TreeRow, due_rows, election_of, election_state

SECTION = "orgs"


def due_items(user, today: date) -> list[DueItem]:
    if not (user.is_authenticated and user.is_active):
        return []
    writer = can_write(user)
    shortest_term = min(TermLength.values)
    cutoff = add_years(today + timedelta(days=DUE_SOON_DAYS), -shortest_term)
    condition = Q(election__last_election__lte=cutoff)
    own_id = user.organization_id if writer else None
    if own_id is not None:
        condition |= Q(pk=own_id)
    organizations = visible_organizations(user).filter(condition, is_active=True).select_related("election")
    rows = [
        TreeRow(
            organization=organization, level=0, members=0, election=election_state(election_of(organization), today)
        )
        for organization in organizations
    ]
    items = []
    for row in due_rows(rows):
        organization, state = row.organization, row.election
        url = reverse("orgs:election" if writer else "orgs:detail", args=[organization.pk])
        if state.code == "overdue":
            items.append(
                DueItem(
                    SECTION, "换届已逾期", f"{organization.name}：换届{state.label}", url, state.due_date, overdue=True
                )
            )
        else:
            items.append(
                DueItem(SECTION, "换届即将到期", f"{organization.name}：换届 {state.label}", url, state.due_date)
            )
    for row in rows:
        if row.organization.pk == own_id and row.election.code == "missing":
            items.append(
                DueItem(
                    SECTION,
                    "未录入换届信息",
                    f"{row.organization.name}：请录入上次换届日期和任期",
                    reverse("orgs:election", args=[own_id]),
                )
            )
    return items
