"""Marking a plan's milestones done (时间节点完成情况): services by role × plan state, pages, Word, due lines."""

from __future__ import annotations

import io
from datetime import timedelta

import pytest
from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.urls import reverse
from docx import Document

from tests.factories import UserFactory
from tests.ledger.conftest import audit_count, make_plan
from xingji.accounts.models import Role
from xingji.audit.models import AuditEntry
from xingji.common.errors import ActionForbidden, TransitionRefused
from xingji.ledger import services
from xingji.ledger.due import due_items
from xingji.ledger.models import ImprovementPlan, PlanMilestone, PlanState

pytestmark = pytest.mark.django_db


def plan_in(state, organization, author, reviewer, milestones=None):
    plan = make_plan(organization, author, milestones=milestones)
    if state == PlanState.DRAFT:
        return plan
    plan = services.plan_submit(plan=plan, actor=author)
    if state == PlanState.RETURNED:
        return services.plan_return(plan=plan, comment="改", actor=reviewer)
    if state == PlanState.ACKNOWLEDGED:
        return services.plan_acknowledge(plan=plan, actor=reviewer)
    return plan


def written_days_ago(plan, days: int) -> None:
    ImprovementPlan.objects.filter(pk=plan.pk).update(created_at=plan.created_at - timedelta(days=days))


def state_of(milestone):
    milestone.refresh_from_db()
    return milestone.done_on


# --- services ----------------------------------------------------------------------------------


@pytest.mark.parametrize("role", ["secretary", "superuser"])
def test_the_own_organization_marks_done_and_reopens_an_acknowledged_plan_s_milestone(
    request, tree, secretary, reviewer, today, role
):
    actor = request.getfixturevalue(role)
    plan = plan_in(PlanState.ACKNOWLEDGED, tree.finance_1, secretary, reviewer)
    milestone = plan.milestones.get()

    done = services.milestone_mark_done(milestone=milestone, done_on=today, actor=actor)

    assert done.done_on == today and state_of(milestone) == today
    entry = AuditEntry.objects.get(action="plan_milestone.done")
    assert (entry.before["done_on"], entry.after["done_on"]) == (None, today.isoformat())

    services.milestone_reopen(milestone=milestone, actor=actor)

    assert state_of(milestone) is None
    entry = AuditEntry.objects.get(action="plan_milestone.reopened")
    assert (entry.before["done_on"], entry.after["done_on"]) == (today.isoformat(), None)


def test_a_done_date_between_the_plan_s_writing_and_today_is_accepted(tree, secretary, reviewer, today):
    plan = plan_in(PlanState.ACKNOWLEDGED, tree.finance_1, secretary, reviewer)
    written_days_ago(plan, 10)
    milestone = plan.milestones.get()
    services.milestone_mark_done(milestone=milestone, done_on=today - timedelta(days=10), actor=secretary)
    assert state_of(milestone) == today - timedelta(days=10)


@pytest.mark.parametrize("state", [PlanState.DRAFT, PlanState.SUBMITTED, PlanState.RETURNED])
@pytest.mark.parametrize("role", ["secretary", "superuser"])
def test_a_plan_not_yet_acknowledged_is_refused_and_nothing_changes(
    request, tree, secretary, reviewer, today, state, role
):
    plan = plan_in(state, tree.finance_1, secretary, reviewer)
    milestone = plan.milestones.get()
    before = audit_count()

    with pytest.raises(TransitionRefused, match="备案后才能登记"):
        services.milestone_mark_done(milestone=milestone, done_on=today, actor=request.getfixturevalue(role))
    # Even a milestone with a date (set by hand) cannot be reopened before acknowledgement.
    PlanMilestone.objects.filter(pk=milestone.pk).update(done_on=today)
    with pytest.raises(TransitionRefused, match="备案后才能登记"):
        services.milestone_reopen(milestone=milestone, actor=request.getfixturevalue(role))

    assert state_of(milestone) == today and audit_count() == before


@pytest.mark.parametrize(
    ("role", "error"),
    [
        ("reviewer", ActionForbidden),
        ("office_user", ActionForbidden),
        ("inspector", PermissionDenied),
        ("outsider", Http404),
    ],
)
@pytest.mark.parametrize("state", [PlanState.DRAFT, PlanState.SUBMITTED, PlanState.RETURNED, PlanState.ACKNOWLEDGED])
def test_others_are_refused_whatever_the_state_and_nothing_changes(
    request, tree, secretary, reviewer, today, role, error, state
):
    outsider = UserFactory(username="outsider", organization=tree.finance_2, role=Role.BRANCH_SECRETARY)
    actor = outsider if role == "outsider" else request.getfixturevalue(role)
    plan = plan_in(state, tree.finance_1, secretary, reviewer)
    milestone = plan.milestones.get()
    other = plan_in(PlanState.ACKNOWLEDGED, tree.finance_2, outsider, reviewer)
    before = audit_count()

    with pytest.raises(error):
        services.milestone_mark_done(milestone=milestone, done_on=today, actor=actor)
    PlanMilestone.objects.filter(pk=milestone.pk).update(done_on=today)
    with pytest.raises(error):
        services.milestone_reopen(milestone=milestone, actor=actor)

    assert state_of(milestone) == today and audit_count() == before
    if role != "outsider":
        # The own secretary of another branch: outside its subtree.
        with pytest.raises(Http404):
            services.milestone_mark_done(milestone=other.milestones.get(), done_on=today, actor=secretary)


@pytest.mark.parametrize(
    ("days", "message"),
    [
        (1, "完成日期不能晚于今天"),
        (-1, "完成日期不能早于方案制定日期"),
    ],
)
def test_a_future_date_or_one_before_the_plan_is_refused(tree, secretary, reviewer, today, days, message):
    plan = plan_in(PlanState.ACKNOWLEDGED, tree.finance_1, secretary, reviewer)
    milestone = plan.milestones.get()
    before = audit_count()

    with pytest.raises(TransitionRefused) as refused:
        services.milestone_mark_done(milestone=milestone, done_on=today + timedelta(days=days), actor=secretary)

    assert message in refused.value.message_dict["done_on"][0]
    assert state_of(milestone) is None and audit_count() == before


def test_marking_twice_or_reopening_an_undone_milestone_is_refused(tree, secretary, reviewer, today):
    plan = plan_in(PlanState.ACKNOWLEDGED, tree.finance_1, secretary, reviewer)
    milestone = plan.milestones.get()
    with pytest.raises(TransitionRefused, match="尚未完成"):
        services.milestone_reopen(milestone=milestone, actor=secretary)
    services.milestone_mark_done(milestone=milestone, done_on=today, actor=secretary)
    before = audit_count()

    with pytest.raises(TransitionRefused, match="请先撤销完成"):
        services.milestone_mark_done(milestone=milestone, done_on=today, actor=secretary)

    assert state_of(milestone) == today and audit_count() == before


# --- pages -------------------------------------------------------------------------------------


def test_the_secretary_marks_done_and_undoes_on_the_plan_page(client, tree, secretary, reviewer, today):
    plan = plan_in(
        PlanState.ACKNOWLEDGED,
        tree.finance_1,
        secretary,
        reviewer,
        milestones=[(today - timedelta(days=3), "完成自查"), (today + timedelta(days=30), "整改到位")],
    )
    late, later = plan.milestones.order_by("due_on")
    client.force_login(secretary)
    url = reverse("ledger:plan_detail", args=[plan.pk])

    page = client.get(url)
    html = page.content.decode()
    assert page.context["can_mark"] and html.count("标记完成") == 2 and f'value="{today:%Y-%m-%d}"' in html
    assert [(row["status"], row["overdue"]) for row in page.context["milestones"]] == [
        ("未完成", True),
        ("未完成", False),
    ]
    assert "已逾期" in html

    done = client.post(reverse("ledger:milestone_done", args=[plan.pk, late.pk]), {"done_on": today.isoformat()})
    assert done.status_code == 302 and done["Location"] == url
    page = client.get(url)
    html = page.content.decode()
    assert f"已完成（{today:%Y-%m-%d}）" in html and "已逾期" not in html and "撤销完成" in html
    assert state_of(late) == today and state_of(later) is None

    client.post(reverse("ledger:milestone_reopen", args=[plan.pk, late.pk]))
    assert state_of(late) is None
    assert "已逾期" in client.get(url).content.decode()


def test_a_refused_date_on_the_page_shows_a_message_and_changes_nothing(client, tree, secretary, reviewer, today):
    plan = plan_in(PlanState.ACKNOWLEDGED, tree.finance_1, secretary, reviewer)
    milestone = plan.milestones.get()
    client.force_login(secretary)
    before = audit_count()

    future = client.post(
        reverse("ledger:milestone_done", args=[plan.pk, milestone.pk]),
        {"done_on": (today + timedelta(days=1)).isoformat()},
        follow=True,
    )
    empty = client.post(reverse("ledger:milestone_done", args=[plan.pk, milestone.pk]), {}, follow=True)

    assert "完成日期不能晚于今天" in future.content.decode() and "请填写完成日期" in empty.content.decode()
    assert state_of(milestone) is None and audit_count() == before


def test_the_form_is_offered_only_to_the_own_organization_on_an_acknowledged_plan(
    client, tree, secretary, reviewer, inspector, today
):
    plan = plan_in(PlanState.SUBMITTED, tree.finance_1, secretary, reviewer)
    client.force_login(secretary)
    page = client.get(reverse("ledger:plan_detail", args=[plan.pk]))
    assert not page.context["can_mark"] and "标记完成" not in page.content.decode()
    assert "未完成" in page.content.decode()
    plan = services.plan_acknowledge(plan=plan, actor=reviewer)
    milestone = plan.milestones.get()
    for user in (reviewer, inspector):
        client.force_login(user)
        page = client.get(reverse("ledger:plan_detail", args=[plan.pk]))
        assert not page.context["can_mark"] and "标记完成" not in page.content.decode()
    assert (
        client.post(
            reverse("ledger:milestone_done", args=[plan.pk, milestone.pk]), {"done_on": today.isoformat()}
        ).status_code
        == 403
    )
    client.force_login(reviewer)
    assert (
        client.post(
            reverse("ledger:milestone_done", args=[plan.pk, milestone.pk]), {"done_on": today.isoformat()}
        ).status_code
        == 403
    )
    assert state_of(milestone) is None


def test_a_milestone_of_another_plan_is_404(client, tree, secretary, reviewer, today):
    plan = plan_in(PlanState.ACKNOWLEDGED, tree.finance_1, secretary, reviewer)
    ImprovementPlan.objects.filter(pk=plan.pk).update(year=today.year - 1)
    other = plan_in(PlanState.ACKNOWLEDGED, tree.finance_1, secretary, reviewer)
    client.force_login(secretary)
    url = reverse("ledger:milestone_done", args=[other.pk, plan.milestones.get().pk])
    assert client.post(url, {"done_on": today.isoformat()}).status_code == 404


# --- Word export -------------------------------------------------------------------------------


def test_the_word_export_shows_the_completion(client, tree, secretary, reviewer, today):
    plan = plan_in(
        PlanState.ACKNOWLEDGED,
        tree.finance_1,
        secretary,
        reviewer,
        milestones=[(today, "完成自查"), (today + timedelta(days=30), "整改到位")],
    )
    services.milestone_mark_done(milestone=plan.milestones.get(description="完成自查"), done_on=today, actor=secretary)

    client.force_login(reviewer)
    response = client.get(reverse("ledger:plan_docx", args=[plan.pk]))

    document = Document(io.BytesIO(response.content))
    steps = [[cell.text for cell in row.cells] for row in document.tables[1].rows]
    assert steps == [
        ["序号", "完成时限", "节点任务", "完成情况"],
        ["1", f"{today:%Y-%m-%d}", "完成自查", f"已完成（{today:%Y-%m-%d}）"],
        ["2", f"{today + timedelta(days=30):%Y-%m-%d}", "整改到位", "未完成"],
    ]


# --- due lines ---------------------------------------------------------------------------------


def test_the_secretary_is_told_of_overdue_and_near_milestones_of_acknowledged_plans(
    tree, secretary, reviewer, office_user, today
):
    plan = plan_in(
        PlanState.ACKNOWLEDGED,
        tree.finance_1,
        secretary,
        reviewer,
        milestones=[
            (today - timedelta(days=2), "完成自查"),
            (today + timedelta(days=5), "召开组织生活会"),
            (today + timedelta(days=60), "年底总结"),
            (today - timedelta(days=1), "已经做完"),
        ],
    )
    services.milestone_mark_done(milestone=plan.milestones.get(description="已经做完"), done_on=today, actor=secretary)
    # A submitted plan's milestones are not yet due lines, nor are another branch's.
    plan_in(
        PlanState.SUBMITTED,
        tree.finance_2,
        UserFactory(username="fin2", organization=tree.finance_2, role=Role.BRANCH_SECRETARY),
        reviewer,
        milestones=[(today - timedelta(days=2), "他支部")],
    )

    lines = [(item.kind, item.title, item.due_on, item.overdue, item.url) for item in due_items(secretary, today)]

    url = reverse("ledger:plan_detail", args=[plan.pk])
    name = f"财政局第一支部{today.year}年方案"
    assert lines == [
        ("晋位争星节点已逾期", f"{name}：完成自查", today - timedelta(days=2), True, url),
        ("晋位争星节点临近", f"{name}：召开组织生活会", today + timedelta(days=5), False, url),
    ]
    assert not [
        item
        for item in due_items(reviewer, today) + due_items(office_user, today)
        if item.kind.startswith("晋位争星节点")
    ]


def test_a_submitted_plan_s_milestones_are_not_due_lines(tree, secretary, reviewer, today):
    plan_in(PlanState.SUBMITTED, tree.finance_1, secretary, reviewer, milestones=[(today - timedelta(days=2), "自查")])
    assert due_items(secretary, today) == []
