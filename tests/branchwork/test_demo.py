"""The demo's organizational life: a year of meetings for every branch, with gaps, attendance and audit entries."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from tests.factories import MemberFactory
from xingji.audit.models import AuditEntry
from xingji.branchwork import selectors
from xingji.branchwork.models import Appraisal, AppraisalFollowUp, AppraisalGrade, Attendance, Meeting
from xingji.demo.branchwork import load_demo_appraisals, load_demo_branchwork
from xingji.ledger.models import RectificationItem

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


def test_the_demo_gives_every_branch_last_years_appraisal_with_a_few_follow_ups(tree, office_user):
    for branch in (tree.finance_1, tree.finance_2, tree.education_1):
        for _ in range(5):
            MemberFactory(organization=branch)
    today = timezone.localdate()
    branches = [tree.finance_1, tree.finance_2, tree.education_1]

    found = load_demo_appraisals(root=tree.root, today=today, seed=7)

    assert found["appraisals"] == Appraisal.objects.filter(year=today.year - 1).count() == 3
    assert found["grades"] == AppraisalGrade.objects.count() > 0
    summaries = selectors.appraisal_summaries(branches, year=today.year - 1)
    assert all(summary.graded_count >= 1 for summary in summaries)
    assert AuditEntry.objects.filter(action="appraisal.recorded").count() == 3
    # a few 不合格 members, each followed up on the ledger
    assert found["follow_ups"] == AppraisalFollowUp.objects.count() == RectificationItem.objects.count() > 0
    assert all(
        follow_up.grade.grade == "unqualified"
        and follow_up.item.organization_id == follow_up.grade.appraisal.organization_id
        for follow_up in AppraisalFollowUp.objects.select_related("grade__appraisal", "item")
    )
    # and a second load writes nothing
    assert load_demo_appraisals(root=tree.root, today=today, seed=7)["appraisals"] == 0
    assert Appraisal.objects.count() == 3
