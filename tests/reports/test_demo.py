"""The demo loader of the results' use: writes through the services once, then nothing."""

from __future__ import annotations

from datetime import date

from tests.campaigns.steps import audit_count
from xingji.demo.reports import load
from xingji.reports.models import CommendationRecommendation, DemonstrationSite, Plaque, ResultPublication


def test_it_loads_the_results_use_once(tree, office_user, approved):
    made = load(root=tree.root, year=2025, today=date(2026, 1, 5))
    assert made == {"plaques": 2, "sites": 1, "recommendations": 2, "publications": 1}
    assert DemonstrationSite.objects.get().organization == tree.finance_1
    assert (Plaque.objects.count(), CommendationRecommendation.objects.count(), ResultPublication.objects.count()) == (
        2,
        2,
        1,
    )
    before = audit_count()
    assert load(root=tree.root, year=2025, today=date(2026, 1, 5)) == {
        "plaques": 0,
        "sites": 0,
        "recommendations": 0,
        "publications": 0,
    }
    assert audit_count() == before


def test_it_writes_nothing_without_approved_results(tree, office_user):
    before = audit_count()
    assert load(root=tree.root, year=2025, today=date(2026, 1, 5)) is None
    assert audit_count() == before
