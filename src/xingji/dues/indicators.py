"""A branch's dues as the rating reads it: 按时交纳党费比例 (``dues.paid_on_time``) for one year.

The months due are each member's months of the year from the account's first
month (起缴月份) to the last due month on ``today`` (the month before today's:
a month's dues are paid during the month, as ``selectors`` counts arrears); a
month is paid on time when its payment's date (缴纳日期) is no later than the
month's last day. The share is the months paid on time over the months due,
over every member of the branch's roll with a dues account. A member without
an account owes nothing yet; an organization that is not a branch, or whose
members owe nothing in the year, has no figure (None).

Two queries for any number of organizations.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from xingji.dues.models import DuesAccount, DuesPayment
from xingji.dues.selectors import last_due_month, months, next_month
from xingji.orgs.models import Organization
from xingji.orgs.services import BRANCH_TYPES
from xingji.rules.scheme import indicator_share


@dataclass(frozen=True)
class DuesIndicator:
    paid_on_time: Decimal | None
    months_on_time: int
    months_due: int


NOT_A_BRANCH = DuesIndicator(None, 0, 0)


def dues_indicators(organizations: Sequence[Organization], *, year: int, today: date) -> dict[int, DuesIndicator]:
    """Each organization's ``dues.paid_on_time`` for ``year`` judged on ``today``, by its pk."""
    ids = [organization.pk for organization in organizations if organization.org_type in BRANCH_TYPES]
    found = {organization.pk: NOT_A_BRANCH for organization in organizations}
    if not ids:
        return found
    last = min(last_due_month(today), date(year, 12, 1))
    first_of_year = date(year, 1, 1)
    accounts = DuesAccount.objects.filter(member__organization_id__in=ids).values_list(
        "member_id", "member__organization_id", "since"
    )
    on_time: set[tuple[int, date]] = set()
    payments = DuesPayment.objects.filter(member__organization_id__in=ids, month__year=year).values_list(
        "member_id", "month", "paid_on"
    )
    for member_id, month, paid_on in payments:
        if paid_on < next_month(month):
            on_time.add((member_id, month))
    due: dict[int, int] = defaultdict(int)
    kept: dict[int, int] = defaultdict(int)
    for member_id, organization_id, since in accounts:
        for month in months(max(since.replace(day=1), first_of_year), last):
            due[organization_id] += 1
            kept[organization_id] += (member_id, month) in on_time
    for organization_id in ids:
        found[organization_id] = DuesIndicator(
            indicator_share(kept[organization_id], due[organization_id]), kept[organization_id], due[organization_id]
        )
    return found
