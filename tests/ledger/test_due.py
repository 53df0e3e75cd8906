"""What is due on the ledger, for the organization itself and for its superiors, in a fixed number of queries."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from tests.factories import UserFactory
from tests.ledger.conftest import closing_item, make_plan, open_item
from xingji.accounts.models import Role
from xingji.ledger import services
from xingji.ledger.due import due_items
from xingji.ledger.models import ImprovementPlan, ItemState, PlanMilestone, PlanState, RectificationItem
from xingji.ledger.selectors import item_counts

pytestmark = pytest.mark.django_db


def kinds(items) -> list[tuple[str, str]]:
    return sorted((item.kind, item.title) for item in items)


def make_overdue(item, days: int = 3):
    RectificationItem.objects.filter(pk=item.pk).update(deadline=item.deadline - timedelta(days=days + 30))


def test_it_asks_the_secretary_for_this_year_s_plan(tree, secretary, today):
    assert kinds(due_items(secretary, today)) == [("晋位争星方案待制定", f"财政局第一支部{today.year}年晋位争星方案")]
    make_plan(tree.finance_1, secretary)
    assert [item.kind for item in due_items(secretary, today)] == ["晋位争星方案待报送"]


def test_it_tells_the_secretary_of_a_returned_plan_and_then_of_nothing(tree, secretary, reviewer, today):
    plan = services.plan_submit(plan=make_plan(tree.finance_1, secretary), actor=secretary)
    assert due_items(secretary, today) == []
    # The 机关党委's reviewer also has its own plan to write.
    assert [item.kind for item in due_items(reviewer, today)] == ["晋位争星方案待制定", "晋位争星方案待备案"]
    services.plan_return(plan=plan, comment="改", actor=reviewer)
    assert [item.kind for item in due_items(secretary, today)] == ["晋位争星方案已退回待修改"]
    assert [item.kind for item in due_items(reviewer, today)] == ["晋位争星方案待制定"]


def test_it_lists_the_secretary_s_items_near_or_past_their_deadline_and_refused_closings(
    tree, secretary, reviewer, today
):
    services.plan_submit(plan=make_plan(tree.finance_1, secretary), actor=secretary)
    open_item(tree.finance_1, secretary, problem="远期", days=60)
    near = open_item(tree.finance_1, secretary, problem="临近", days=5)
    late = open_item(tree.finance_1, reviewer, problem="逾期", days=1)
    make_overdue(late)
    refused = closing_item(tree.finance_1, secretary, reviewer, problem="被退回", days=90)
    services.item_refuse_close(item=refused, comment="材料不足", actor=reviewer)

    items = due_items(secretary, today)

    assert kinds(items) == [
        ("整改事项临近期限", "财政局第一支部：临近"),
        ("整改事项已逾期", "财政局第一支部：逾期"),
        ("销账申请被退回", "财政局第一支部：被退回"),
    ]
    assert {item.section for item in items} == {"ledger"}
    assert [item.overdue for item in items if item.kind == "整改事项已逾期"] == [True]
    assert near.deadline in [item.due_on for item in items]


def test_it_lists_closing_requests_and_overdue_items_for_the_superiors(tree, secretary, reviewer, office_user, today):
    closing_item(tree.finance_1, secretary, reviewer, problem="待确认")
    late = open_item(tree.education_1, office_user, problem="教育逾期")
    make_overdue(late)

    assert kinds(due_items(reviewer, today)) == [
        ("晋位争星方案待制定", f"财政局机关党委{today.year}年晋位争星方案"),
        ("销账申请待确认", "财政局第一支部：待确认"),
    ]
    assert kinds(due_items(office_user, today)) == [
        ("整改事项已逾期", "教育局第一支部：教育逾期"),
        ("销账申请待确认", "财政局第一支部：待确认"),
    ]


def test_it_gives_the_inspector_nothing_to_do(tree, inspector, secretary, reviewer, today):
    closing_item(tree.finance_1, secretary, reviewer)
    assert due_items(inspector, today) == []


def test_it_counts_items_by_state_overdue_and_near(tree, secretary, reviewer, office_user, today):
    open_item(tree.finance_1, secretary, days=5)
    make_overdue(open_item(tree.finance_2, reviewer))
    item = closing_item(tree.finance_1, secretary, reviewer)
    closed = closing_item(tree.finance_1, secretary, reviewer)
    services.item_confirm_close(item=closed, actor=reviewer)
    assert item.state == ItemState.CLOSING

    assert item_counts(office_user, today) == {"open": 2, "closing": 1, "closed": 1, "overdue": 1, "near": 1}
    assert item_counts(secretary, today) == {"open": 1, "closing": 1, "closed": 1, "overdue": 0, "near": 1}


def queries(function, *args) -> int:
    with CaptureQueriesContext(connection) as captured:
        function(*args)
    return len(captured)


@pytest.mark.parametrize("role", ["secretary", "reviewer", "office_user"])
def test_it_reads_the_same_number_of_queries_whatever_the_data(request, tree, secretary, reviewer, today, role):
    user = request.getfixturevalue(role)
    other_secretary = UserFactory(username="fin-2", organization=tree.finance_2, role=Role.BRANCH_SECRETARY)
    make_plan(tree.finance_1, secretary)
    open_item(tree.finance_1, secretary, days=3)
    small = (queries(due_items, user, today), queries(item_counts, user, today))
    for number in range(10):
        make_overdue(open_item(tree.finance_1, secretary, problem=f"问题{number}", days=2))
        closing_item(tree.finance_2, other_secretary, reviewer, problem=f"待确认{number}")
    # Acknowledged plans of earlier years, of the secretary's and the reviewer's own organizations, with
    # overdue and near milestones (due lines of the organization itself).
    for organization in (tree.finance_1, tree.finance):
        for years_ago in (1, 2):
            plan = ImprovementPlan.objects.create(
                organization=organization,
                year=today.year - years_ago,
                target_level=3,
                measures="加强",
                responsible="张三",
                state=PlanState.ACKNOWLEDGED,
            )
            PlanMilestone.objects.bulk_create(
                [
                    PlanMilestone(plan=plan, due_on=today + timedelta(days=days), description=f"节点{days}")
                    for days in (-20, -1, 3, 10)
                ]
            )
    large = (queries(due_items, user, today), queries(item_counts, user, today))
    if role != "office_user":
        assert "晋位争星节点已逾期" in {item.kind for item in due_items(user, today)}
    assert small == large
    assert small[0] <= 5 and small[1] == 1
