"""The demo's organizational life: a year of meetings for every branch, with gaps, attendance and audit entries."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from tests.factories import MemberFactory
from xingji.audit.models import AuditEntry
from xingji.branchwork import selectors
from xingji.branchwork.models import Appraisal, AppraisalFollowUp, AppraisalGrade, Attendance, Meeting, UnitAttendance
from xingji.demo.branchwork import load_demo_appraisals, load_demo_branchwork, load_demo_convened
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


def test_the_demo_working_committee_convenes_its_units_and_an_absence_becomes_the_units_record(tree, office_user):
    today = timezone.localdate()

    assert load_demo_convened(root=tree.root, today=today, seed=7) == 2

    meetings = list(Meeting.objects.filter(organization=tree.root).order_by("held_on"))
    assert [meeting.kind for meeting in meetings] == ["work_meeting", "training"]
    assert all(meeting.created_by == office_user and meeting.held_on < today for meeting in meetings)
    units = {tree.finance.pk, tree.education.pk}
    for meeting in meetings:
        assert set(meeting.unit_attendances.values_list("organization_id", flat=True)) == units
    work, training = meetings
    [absent] = work.unit_attendances.filter(status="absent")
    # the absence is the unit's evidence record, read by the rating; a leave an excused one with its reason
    assert absent.absence is not None
    assert (absent.absence.organization_id, absent.absence.is_excused) == (absent.organization_id, False)
    assert not training.unit_attendances.filter(status="absent").exists()
    leaves = UnitAttendance.objects.filter(status="leave")
    assert leaves.count() == 2 and all(leave.reason and leave.absence.is_excused for leave in leaves)
    assert AuditEntry.objects.filter(action="meeting.recorded", actor=office_user).count() == 2
    # a second load writes nothing
    assert load_demo_convened(root=tree.root, today=today, seed=7) == 0
    assert Meeting.objects.filter(organization=tree.root).count() == 2


def test_the_demo_convenes_nothing_without_an_office_account(tree):
    assert load_demo_convened(root=tree.root, today=timezone.localdate(), seed=7) == 0
    assert not Meeting.objects.exists()
