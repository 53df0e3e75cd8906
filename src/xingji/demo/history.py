"""The demo's star ledger before the platform: last year's rating, imported as history (历史星级台账).

An office that starts using the platform already keeps a ledger; the demo
imports one through ``xingji.campaigns.ledger_import`` (as the office, one
audit entry per line), so that this year's campaign opens with every
evaluation's previous level and the supervision has rated branches to
re-check. Every branch founded by then is rated on 28 December of last year
by the working committee — some five-star, most three or four stars, a few
one-star — except a few left unrated (and the 临时党支部, never rated).
Drawn from the seed: the same seed gives the same ledger.
"""

from __future__ import annotations

import random
from datetime import date

from xingji.accounts.models import Role, User
from xingji.campaigns.ledger_import import LedgerRow, ledger_rows_import
from xingji.campaigns.models import StarLedgerEntry
from xingji.orgs.models import Organization, OrganizationType
from xingji.orgs.services import BRANCH_TYPES


def history_date(today: date) -> date:
    return date(today.year - 1, 12, 28)


def draw_levels(count: int, rng: random.Random) -> list[int | None]:
    """``count`` levels (None: unrated) in a shuffled order: a few of each end, most in the middle."""
    if count == 0:
        return []
    five = max(1, round(count * 0.15))
    one = max(1, round(count * 0.06)) if count >= 4 else 0
    unrated = max(1, round(count * 0.05)) if count >= 6 else 0
    rest = max(count - five - one - unrated, 0)
    levels: list[int | None] = [5] * five + [1] * one + [None] * unrated
    levels += rng.choices([4, 3, 2], weights=[45, 45, 10], k=rest)
    levels = levels[:count]
    rng.shuffle(levels)
    return levels


def load_demo_history(*, root: Organization, today: date, seed: int) -> int:
    """Import last year's ledger of the demo's branches, unless the tree has ledger lines; return the lines written."""
    subtree = Organization.objects.filter(path__startswith=root.path)
    if StarLedgerEntry.objects.filter(organization__in=subtree).exists():
        return 0
    office = (
        User.objects.filter(organization=root, role=Role.COMMITTEE_OFFICE, is_superuser=False)
        .order_by("username")
        .first()
    )
    if office is None:
        return 0
    effective_on = history_date(today)
    branches = [
        branch
        for branch in subtree.filter(org_type__in=BRANCH_TYPES, is_active=True).order_by("path")
        if branch.org_type != OrganizationType.TEMPORARY_BRANCH
        and (branch.founded is None or branch.founded <= effective_on)
    ]
    rng = random.Random(seed + 11)
    rows = [
        LedgerRow(
            organization=branch,
            level=level,
            effective_on=effective_on,
            approving_body=root.name,
            reason=f"{effective_on.year}年度星级评定",
        )
        for branch, level in zip(branches, draw_levels(len(branches), rng), strict=True)
        if level is not None
    ]
    if not rows:
        return 0
    return len(ledger_rows_import(rows=rows, actor=office, today=today))
