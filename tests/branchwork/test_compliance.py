"""Compliance computed from the meetings held, the to-do items before a period closes, the overview's filter."""

from __future__ import annotations

from datetime import date

import pytest

from tests.factories import OrganizationFactory, UserFactory
from xingji.accounts.models import Role
from xingji.branchwork import due, selectors
from xingji.branchwork.models import BRANCH_KINDS, CONVENED_KINDS, Meeting, MeetingKind
from xingji.rules.frequencies import KINDS

pytestmark = pytest.mark.django_db

MAY_20 = date(2026, 5, 20)


def held(organization, kind, day):
    return Meeting.objects.create(
        organization=organization, kind=kind, held_on=day, place="会议室", host="张伟", topic="议题"
    )


@pytest.fixture
def spring(tree):
    """财政局第一支部 held April's monthly meetings, May's committee and the first quarter's; 第二支部 held nothing."""
    for kind, day in [
        ("committee", date(2026, 4, 10)),
        ("committee", date(2026, 5, 3)),
        ("theme_day", date(2026, 4, 15)),
        ("group_meeting", date(2026, 4, 20)),
        ("party_congress", date(2026, 3, 1)),
        ("party_lecture", date(2026, 2, 1)),
    ]:
        held(tree.finance_1, kind, day)


def test_the_kinds_of_the_frequency_rules_are_the_models_branch_kinds():
    assert list(KINDS) == [kind.value for kind in BRANCH_KINDS]
    assert [kind for kind in MeetingKind if kind not in BRANCH_KINDS] == list(CONVENED_KINDS)


def test_a_branchs_year_is_computed_from_its_meetings_in_one_query(tree, spring, django_assert_num_queries):
    with django_assert_num_queries(1):
        compliance = selectors.branch_compliance(organization=tree.finance_1, year=2026, today=MAY_20)
    by_kind = {summary.kind: summary for summary in compliance.kinds}
    committee = by_kind["committee"]
    assert (committee.owed, committee.held) == (4, 1)
    assert [status.span.label for status in committee.missing] == ["2026年1月", "2026年2月", "2026年3月"]
    assert committee.current.held == 1
    assert [status.span.label for status in by_kind["party_congress"].missing] == []
    assert by_kind["life_meeting"].current.pending


def test_the_pending_kinds_are_those_without_a_meeting_this_period(tree, spring):
    compliance = selectors.branch_compliance(organization=tree.finance_1, year=2026, today=MAY_20)
    assert [summary.kind for summary in compliance.pending] == [
        "party_congress",
        "group_meeting",
        "party_lecture",
        "theme_day",
        "life_meeting",
        "appraisal",
    ]


def test_a_branch_founded_in_march_owes_from_april(tree):
    young = OrganizationFactory(name="新建支部", code="NEW-1", parent=tree.finance, founded=date(2026, 3, 15))
    compliance = selectors.branch_compliance(organization=young, year=2026, today=date(2026, 7, 1))
    by_kind = {summary.kind: summary for summary in compliance.kinds}
    assert [status.span.label for status in by_kind["committee"].missing] == ["2026年4月", "2026年5月", "2026年6月"]
    assert [status.span.label for status in by_kind["party_congress"].missing] == ["2026年第2季度"]
    assert by_kind["life_meeting"].current.owed is False


def test_several_branches_cost_one_query(tree, spring, django_assert_num_queries):
    branches = [tree.finance_1, tree.finance_2, tree.education_1]
    with django_assert_num_queries(1):
        found = selectors.compliance_of(branches, year=2026, today=MAY_20)
    assert [compliance.missing_count for compliance in found] == [3 * 3, 4 * 3 + 2, 4 * 3 + 2]


def test_the_branches_under_a_user_are_its_subtrees_branches(tree, reviewer, secretary, office_user):
    assert [o.code for o in selectors.branches_under(user=reviewer)] == ["FIN-1", "FIN-2"]
    assert [o.code for o in selectors.branches_under(user=secretary)] == ["FIN-1"]
    assert [o.code for o in selectors.branches_under(user=office_user, search="教育")] == ["EDU-1"]


def test_the_secretary_is_reminded_of_what_this_month_still_lacks_near_its_end(tree, spring, secretary):
    items = due.due_items(secretary, MAY_20)
    assert [(item.kind, item.title, item.due_on, item.overdue) for item in items] == [
        ("组织生活临近期限", "财政局第一支部：2026年5月尚未召开党小组会", date(2026, 5, 31), False),
        ("组织生活临近期限", "财政局第一支部：2026年5月尚未召开主题党日", date(2026, 5, 31), False),
    ]
    assert items[0].url == f"/branchwork/branches/{tree.finance_1.pk}/meetings/new/?kind=group_meeting"
    # three weeks before the month ends, nothing is due yet
    assert due.due_items(secretary, date(2026, 5, 10)) == []


def test_the_secretary_is_told_of_the_last_period_missed(tree, secretary):
    held(tree.finance_1, "committee", date(2026, 5, 3))
    items = due.due_items(secretary, date(2026, 5, 10))
    assert [(item.kind, item.title, item.overdue) for item in items] == [
        ("组织生活未按期召开", "财政局第一支部：2026年第1季度未召开支部党员大会", True),
        ("组织生活未按期召开", "财政局第一支部：2026年4月未召开支部委员会", True),
        ("组织生活未按期召开", "财政局第一支部：2026年4月未召开党小组会", True),
        ("组织生活未按期召开", "财政局第一支部：2026年第1季度未召开党课", True),
        ("组织生活未按期召开", "财政局第一支部：2026年4月未召开主题党日", True),
    ]


def test_a_superior_sees_one_line_per_kind_for_the_branches_below(
    tree, spring, reviewer, django_assert_max_num_queries
):
    with django_assert_max_num_queries(3):
        items = due.due_items(reviewer, MAY_20)
    assert [(item.title, item.url) for item in items] == [
        ("1 个支部2026年5月尚未召开支部委员会", "/branchwork/?pending=committee"),
        ("2 个支部2026年5月尚未召开党小组会", "/branchwork/?pending=group_meeting"),
        ("2 个支部2026年5月尚未召开主题党日", "/branchwork/?pending=theme_day"),
    ]


def test_the_inspector_and_a_committee_user_of_no_branch_get_no_own_items(tree, inspector):
    assert due.due_items(inspector, MAY_20) == []
    committee_secretary = UserFactory(organization=tree.finance, role=Role.BRANCH_SECRETARY)
    assert due.due_items(committee_secretary, MAY_20) == []
