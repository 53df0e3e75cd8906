"""The demo's organizational life: a year of meetings for every branch, with gaps, attendance and audit entries."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from tests.factories import MemberFactory
from xingji.audit.models import AuditEntry
from xingji.branchwork import selectors
from xingji.branchwork.models import Attendance, Meeting
from xingji.demo.branchwork import load_demo_branchwork

pytestmark = pytest.mark.django_db


def test_the_demo_gives_every_branch_a_year_of_meetings_with_gaps_once(tree):
    for branch in (tree.finance_1, tree.finance_2, tree.education_1):
        for _ in range(4):
            MemberFactory(organization=branch)
    today = timezone.localdate()

    created = load_demo_branchwork(root=tree.root, today=today, seed=7)

    branches = [tree.finance_1, tree.finance_2, tree.education_1]
    assert created == Meeting.objects.count() > 0
    assert set(Meeting.objects.values_list("organization_id", flat=True)) == {branch.pk for branch in branches}
    assert not Meeting.objects.filter(held_on__gte=today).exists()
    assert not Meeting.objects.filter(held_on__lt=today - timedelta(days=365)).exists()
    assert set(Attendance.objects.values_list("status", flat=True)) <= {"present", "leave", "absent"}
    assert Attendance.objects.filter(status="leave", reason="").count() == 0
    assert AuditEntry.objects.filter(action="meeting.recorded").count() == created
    # gaps to catch: some ended period is missing somewhere, and most periods are held
    found = selectors.compliance_of(branches, year=today.year, today=today)
    missing = sum(compliance.missing_count for compliance in found)
    owed = sum(summary.owed for compliance in found for summary in compliance.kinds)
    assert 0 < missing < owed / 2
    # and a second load writes nothing
    assert load_demo_branchwork(root=tree.root, today=today, seed=7) == 0
    assert Meeting.objects.count() == created
