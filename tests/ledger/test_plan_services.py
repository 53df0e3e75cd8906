"""The improvement plan services: each transition × role × state, and refusals that change nothing."""

from __future__ import annotations

from datetime import date

import pytest
from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.utils import timezone

from tests.ledger.conftest import audit_count, make_plan
from xingji.audit.models import AuditEntry
from xingji.campaigns.models import StarLedgerEntry
from xingji.common.errors import ActionForbidden, TransitionRefused
from xingji.ledger import services
from xingji.ledger.models import ImprovementPlan, PlanState
from xingji.ledger.selectors import emphasis_for

pytestmark = pytest.mark.django_db


def rate(organization, level: int, approver) -> None:
    StarLedgerEntry.objects.create(
        organization=organization,
        level=level,
        level_name=f"{level}星级",
        effective_on=date(2025, 12, 31),
        approving_body="市直工委",
        reason="评定",
        approver=approver,
    )


def test_it_creates_a_draft_with_the_current_level_from_the_star_ledger(tree, secretary, office_user):
    rate(tree.finance_1, 3, office_user)

    plan = make_plan(tree.finance_1, secretary, target_level=4)

    assert (plan.state, plan.current_level, plan.target_level) == (PlanState.DRAFT, 3, 4)
    assert [m.description for m in plan.milestones.all()] == ["制定整改清单"]
    entry = AuditEntry.objects.get(action="improvement_plan.created")
    assert entry.after["current_level"] == 3 and len(entry.after["milestones"]) == 1


def test_it_leaves_an_unrated_organization_without_a_level(tree, secretary):
    assert make_plan(tree.finance_1, secretary, target_level=1).current_level is None


def test_it_refuses_a_target_below_the_current_level(tree, secretary, office_user):
    rate(tree.finance_1, 4, office_user)
    before = audit_count()

    with pytest.raises(TransitionRefused) as refused:
        make_plan(tree.finance_1, secretary, target_level=3)

    assert refused.value.message_dict == {"target_level": ["目标星级不能低于现有星级（4星级）"]}
    assert ImprovementPlan.objects.count() == 0 and audit_count() == before


def test_it_refuses_a_second_plan_for_the_year_with_a_clear_message(tree, secretary):
    make_plan(tree.finance_1, secretary)
    before = audit_count()

    with pytest.raises(TransitionRefused, match="已有晋位争星方案"):
        make_plan(tree.finance_1, secretary)

    assert ImprovementPlan.objects.count() == 1 and audit_count() == before


@pytest.mark.parametrize("role", ["reviewer", "office_user"])
def test_it_refuses_a_plan_written_by_the_superior(request, tree, role):
    with pytest.raises(ActionForbidden):
        make_plan(tree.finance_1, request.getfixturevalue(role))
    assert ImprovementPlan.objects.count() == 0


def test_it_refuses_the_inspector_and_another_branch(tree, secretary, inspector):
    with pytest.raises(PermissionDenied):
        make_plan(tree.finance_1, inspector)
    with pytest.raises(Http404):
        make_plan(tree.finance_2, secretary)
    assert ImprovementPlan.objects.count() == 0


def test_it_walks_a_plan_through_return_and_acknowledgement(tree, secretary, reviewer):
    plan = make_plan(tree.finance_1, secretary)

    plan = services.plan_submit(plan=plan, actor=secretary)
    assert plan.state == PlanState.SUBMITTED and plan.submitted_by == secretary
    plan = services.plan_return(plan=plan, comment="措施不具体", actor=reviewer)
    assert (plan.state, plan.review_comment) == (PlanState.RETURNED, "措施不具体")
    today = timezone.localdate()
    plan = services.plan_update(
        plan=plan,
        target_level=3,
        measures="每月一次主题党日",
        responsible="李四",
        milestones=[(today, "第一步"), (today, "第二步")],
        actor=secretary,
    )
    assert plan.milestones.count() == 2
    plan = services.plan_submit(plan=plan, actor=secretary)
    plan = services.plan_acknowledge(plan=plan, actor=reviewer)
    assert plan.state == PlanState.ACKNOWLEDGED and plan.reviewed_by == reviewer
    actions = list(
        AuditEntry.objects.filter(action__startswith="improvement_plan").order_by("id").values_list("action", flat=True)
    )
    assert actions == [
        "improvement_plan.created",
        "improvement_plan.submitted",
        "improvement_plan.returned",
        "improvement_plan.updated",
        "improvement_plan.submitted",
        "improvement_plan.acknowledged",
    ]


def test_it_refuses_submitting_without_milestones(tree, secretary):
    plan = make_plan(tree.finance_1, secretary, milestones=[])
    before = audit_count()
    with pytest.raises(TransitionRefused, match="时间节点"):
        services.plan_submit(plan=plan, actor=secretary)
    plan.refresh_from_db()
    assert plan.state == PlanState.DRAFT and audit_count() == before


@pytest.mark.parametrize("state", [PlanState.SUBMITTED, PlanState.ACKNOWLEDGED])
def test_it_refuses_editing_and_submitting_outside_draft_or_returned(tree, secretary, reviewer, state):
    plan = services.plan_submit(plan=make_plan(tree.finance_1, secretary), actor=secretary)
    if state == PlanState.ACKNOWLEDGED:
        plan = services.plan_acknowledge(plan=plan, actor=reviewer)
    before = audit_count()

    with pytest.raises(TransitionRefused):
        services.plan_update(plan=plan, target_level=5, measures="x", responsible="y", milestones=[], actor=secretary)
    with pytest.raises(TransitionRefused):
        services.plan_submit(plan=plan, actor=secretary)

    plan.refresh_from_db()
    assert plan.state == state and plan.target_level == 3 and plan.milestones.count() == 1
    assert audit_count() == before


@pytest.mark.parametrize("state", [PlanState.DRAFT, PlanState.RETURNED, PlanState.ACKNOWLEDGED])
def test_it_refuses_acknowledging_or_returning_a_plan_not_submitted(tree, secretary, reviewer, state):
    plan = make_plan(tree.finance_1, secretary)
    if state != PlanState.DRAFT:
        plan = services.plan_submit(plan=plan, actor=secretary)
        plan = (
            services.plan_return(plan=plan, comment="改", actor=reviewer)
            if state == PlanState.RETURNED
            else services.plan_acknowledge(plan=plan, actor=reviewer)
        )
    before = audit_count()

    with pytest.raises(TransitionRefused):
        services.plan_acknowledge(plan=plan, actor=reviewer)
    with pytest.raises(TransitionRefused):
        services.plan_return(plan=plan, comment="改", actor=reviewer)

    plan.refresh_from_db()
    assert plan.state == state and audit_count() == before


@pytest.mark.parametrize("role", ["secretary", "inspector"])
def test_it_refuses_acknowledgement_by_the_organization_or_the_inspector(request, tree, secretary, role):
    plan = services.plan_submit(plan=make_plan(tree.finance_1, secretary), actor=secretary)
    before = audit_count()
    with pytest.raises(PermissionDenied):
        services.plan_acknowledge(plan=plan, actor=request.getfixturevalue(role))
    plan.refresh_from_db()
    assert plan.state == PlanState.SUBMITTED and audit_count() == before


def test_it_refuses_a_return_without_a_comment(tree, secretary, office_user):
    plan = services.plan_submit(plan=make_plan(tree.finance_1, secretary), actor=secretary)
    with pytest.raises(TransitionRefused, match="意见"):
        services.plan_return(plan=plan, comment=" ", actor=office_user)
    plan.refresh_from_db()
    assert plan.state == PlanState.SUBMITTED


@pytest.mark.parametrize(
    ("level", "emphasis"),
    [
        (5, "巩固提高、打造示范品牌"),
        (4, "查漏补缺、比学赶超"),
        (2, "查漏补缺、比学赶超"),
        (1, "集中整顿"),
        (0, "集中整顿"),
        (None, "集中整顿"),
    ],
)
def test_it_states_the_emphasis_by_level(level, emphasis):
    assert emphasis_for(level) == emphasis
