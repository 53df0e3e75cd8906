"""The demo's dues: a year for every branch, arrears in each, a six-month case in some, written once."""

from __future__ import annotations

from datetime import date

import pytest

from tests.factories import MemberFactory
from xingji.demo.dues import load_demo_dues
from xingji.dues.models import DuesAccount
from xingji.dues.selectors import member_dues
from xingji.orgs.models import Member

pytestmark = pytest.mark.django_db
TODAY = date(2026, 8, 15)


def test_every_branch_gets_a_year_of_dues_with_arrears(tree):
    branches = [tree.finance_1, tree.finance_2, tree.education_1]
    for branch in branches:
        MemberFactory.create_batch(4, organization=branch)
    counts = load_demo_dues(root=tree.root, today=TODAY, seed=1)
    assert counts["accounts"] == 12
    rows = member_dues(Member.objects.all(), today=TODAY, year=2026)
    for branch in branches:
        own = [row for row in rows if row.member.organization_id == branch.pk]
        assert any(row.unpaid for row in own), branch.code
        assert all(row.account.since == date(2025, 8, 1) for row in own)
    assert any(row.flagged for row in rows)
    assert load_demo_dues(root=tree.root, today=TODAY, seed=1) == {}
    assert DuesAccount.objects.count() == 12
