"""What is due on the dues (see ``xingji.web.due``): members six months unpaid in a row, in two queries.

For the own users of organizations (支部书记, 机关党委/总支): each member of
their subtree with an account whose last ``FLAG_MONTHS`` due months are all
unpaid — the rule's 自行脱党 threshold, listed for the branch to decide; the
member's status is never changed here.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import date

from django.urls import reverse

from xingji.accounts.access import SELF_ROLES, visible_members
from xingji.common.due import DueItem
from xingji.dues.models import DuesAccount, DuesPayment
from xingji.dues.selectors import FLAG_MONTHS, last_due_month, months, previous_month

SECTION = "dues"


def due_items(user, today: date) -> list[DueItem]:
    if not (user.is_superuser or user.role in SELF_ROLES):
        return []
    last = last_due_month(today)
    first = last
    for _ in range(FLAG_MONTHS - 1):
        first = previous_month(first)
    window = months(first, last)
    # Only accounts whose dues were due for the whole window can be six months behind.
    accounts = list(
        DuesAccount.objects.filter(member__in=visible_members(user), since__lte=first)
        .values("member_id", "member__name", "member__organization__name")
        .order_by("member__organization__path", "member__name")
    )
    paid: dict[int, set[date]] = defaultdict(set)
    for member_id, month in DuesPayment.objects.filter(
        member__in=visible_members(user), month__gte=first, month__lte=last
    ).values_list("member_id", "month"):
        paid[member_id].add(month)
    return [
        DueItem(
            SECTION,
            f"党员连续{FLAG_MONTHS}个月未交党费",
            f"{account['member__organization__name']}：{account['member__name']}",
            reverse("dues:member", args=[account["member_id"]]),
            due_on=last,
            overdue=True,
        )
        for account in accounts
        if not any(month in paid[account["member_id"]] for month in window)
    ]
