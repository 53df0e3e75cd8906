"""The demo's party dues (党费): a year of payments with arrears in every branch.

Every member of every branch of the demo tree gets a dues account (离退休
branches: pensions; 村 branches: farmers at a fixed amount; others: pay in every
bracket, a few students or unemployed) whose first month is twelve months
before the last due month, and the year's payments, written with
``bulk_create`` (thousands of rows; the demo writes no audit entry for them,
as for the other bulk demo data). In each branch one member is one to four
months behind; in every third branch another has paid nothing for six months
or more (the branch's due item). Nothing is written when the demo tree already
has dues accounts.
"""

from __future__ import annotations

import random
from datetime import date
from decimal import Decimal

from xingji.dues.models import DuesAccount, DuesCategory, DuesPayment
from xingji.dues.selectors import computed_amount, last_due_month, months, previous_month
from xingji.orgs.models import Member, Organization, OrganizationCategory
from xingji.orgs.services import BRANCH_TYPES

#: Monthly post-tax pay of staff members: one in each bracket's range, edges included.
PAY = (2800, 3000, 3600, 4200, 4800, 5000, 5600, 6500, 7800, 9200, 10000, 12500)
PENSIONS = (3200, 4100, 4800, 5000, 5600, 6800)


def _account(rng: random.Random, member: Member, category: str, since: date) -> DuesAccount:
    if category == DuesCategory.RETIRED:
        return DuesAccount(member=member, category=category, base=Decimal(rng.choice(PENSIONS)), since=since)
    if category == DuesCategory.FARMER:
        chosen = rng.choice((None, Decimal("0.50"), Decimal("1.00")))
        return DuesAccount(member=member, category=category, base=Decimal(0), chosen_amount=chosen, since=since)
    if rng.random() < 0.03:
        return DuesAccount(member=member, category=DuesCategory.MINIMAL, base=Decimal(0), since=since)
    base = Decimal(rng.choice(PAY)) + Decimal(rng.randrange(0, 100)) if rng.random() < 0.5 else Decimal(rng.choice(PAY))
    return DuesAccount(member=member, category=DuesCategory.EMPLOYED, base=base, since=since)


def _category(organization: Organization) -> str:
    if "离退休" in organization.name:
        return DuesCategory.RETIRED
    if organization.category == OrganizationCategory.VILLAGE:
        return DuesCategory.FARMER
    return DuesCategory.EMPLOYED


def load_demo_dues(*, root: Organization, today: date, seed: int) -> dict[str, int]:
    """A year of dues for every branch under ``root``; the counts written (empty when already there)."""
    subtree = Organization.objects.filter(path__startswith=root.path)
    if DuesAccount.objects.filter(member__organization__in=subtree).exists():
        return {}
    rng = random.Random(seed + 11)
    last = last_due_month(today)
    first = last
    for _ in range(11):
        first = previous_month(first)
    due = months(first, last)
    branches = list(subtree.filter(org_type__in=BRANCH_TYPES).order_by("path"))
    members: dict[int, list[Member]] = {}
    for member in Member.objects.filter(organization__in=branches).order_by("pk"):
        members.setdefault(member.organization_id, []).append(member)
    accounts: list[DuesAccount] = []
    payments: list[DuesPayment] = []
    for position, branch in enumerate(branches):
        listed = members.get(branch.pk, [])
        behind = {listed[-1].pk: rng.randint(1, 4)} if listed else {}
        if position % 3 == 0 and len(listed) > 2:
            behind[listed[-2].pk] = rng.randint(6, 8)
        for member in listed:
            account = _account(rng, member, _category(branch), first)
            accounts.append(account)
            amount = computed_amount(account) or Decimal("0.20")
            paid = due[: len(due) - behind.get(member.pk, 0)]
            payments.extend(
                DuesPayment(
                    member=member,
                    month=month,
                    amount=amount,
                    paid_on=min(today, month.replace(day=rng.randint(5, 25))),
                    recorded_by=None,
                )
                for month in paid
            )
    DuesAccount.objects.bulk_create(accounts, batch_size=1000)
    DuesPayment.objects.bulk_create(payments, batch_size=2000)
    return {"accounts": len(accounts), "payments": len(payments)}
