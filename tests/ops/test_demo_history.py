"""The demo's star ledger before the platform (历史星级台账): imported as history before the campaign opens."""

from __future__ import annotations

import random
from collections import Counter
from datetime import date

import pytest

from xingji.audit.models import AuditEntry
from xingji.campaigns.models import Evaluation, StarLedgerEntry
from xingji.demo.data import SMALL, demo_root, load_demo
from xingji.demo.history import draw_levels, load_demo_history
from xingji.orgs.models import Organization
from xingji.orgs.services import BRANCH_TYPES
from xingji.supervision.models import LevelChange

TODAY = date(2026, 11, 25)


def test_the_drawn_ledger_is_a_spread_and_follows_the_seed():
    levels = draw_levels(73, random.Random(2028))
    counts = Counter(levels)
    assert counts[5] >= 5 and counts[1] >= 2 and counts[None] >= 2
    assert counts[3] + counts[4] > len(levels) / 2
    assert draw_levels(73, random.Random(2028)) == levels
    assert draw_levels(11, random.Random(7)).count(None) == 1


@pytest.mark.django_db
def test_the_demo_imports_last_years_ledger_before_the_campaign():
    load_demo(size=SMALL, today=TODAY)
    root = demo_root()

    imported = StarLedgerEntry.objects.filter(reason__startswith="历史台账导入：")
    assert imported.exists()
    assert set(imported.values_list("effective_on", "approving_body", "reason", "campaign", "previous_level")) == {
        (date(2025, 12, 28), root.name, "历史台账导入：2025年度星级评定", None, None)
    }
    assert set(imported.values_list("organization__org_type", flat=True)) <= set(BRANCH_TYPES)
    audits = AuditEntry.objects.filter(action="star_ledger.imported")
    assert audits.count() == audits.filter(actor__username="office").count() == imported.count()
    levels = Counter(imported.values_list("level", flat=True))
    assert levels[5] >= 1 and levels[1] >= 1 and levels[3] + levels[4] >= imported.count() / 2
    branches = Organization.objects.filter(path__startswith=root.path, org_type__in=BRANCH_TYPES)
    assert branches.exclude(star_ledger_entries__isnull=False).exists(), "a few branches stay unrated"
    # the campaign opened afterwards: every evaluation knows last year's level
    evaluations = Evaluation.objects.filter(organization__star_ledger_entries__in=imported).distinct()
    assert evaluations.count() == imported.count()
    for evaluation in evaluations:
        line = imported.get(organization=evaluation.organization)
        assert evaluation.previous_level == line.level
    # the supervision now finds a rated branch and the committee downgrades it one level
    change = LevelChange.objects.get(state="approved")
    entry = change.ledger_entry
    assert entry.level == entry.previous_level - 1
    assert entry.previous_level == imported.get(organization=change.organization).level

    # loaded again, nothing more is imported
    lines = StarLedgerEntry.objects.count()
    assert load_demo_history(root=root, today=TODAY, seed=1) == 0
    load_demo(size=SMALL, today=TODAY)
    assert StarLedgerEntry.objects.count() == lines
