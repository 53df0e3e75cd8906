"""Every ledger service that writes checks its actor itself: a refusal changes nothing and logs nothing.

Two actors who may not act on 财政局第一支部's plan and ledger: the reviewer of the sibling 机关党委
(教育局), for whom the branch lies outside the subtree — answered as if it did not exist —, and the
read-only inspection group over 财政局.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import pytest
from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.utils import timezone

from tests.factories import UserFactory
from tests.ledger.conftest import closing_item, make_plan, open_item, pdf_upload
from xingji.accounts.access import NOT_FOUND
from xingji.accounts.models import Role, User
from xingji.audit.models import AuditEntry
from xingji.ledger import services
from xingji.ledger.models import ImprovementPlan, ItemSource, ItemState, PlanMilestone, RectificationItem
from xingji.records.models import Attachment

pytestmark = pytest.mark.django_db


@dataclass(frozen=True)
class Givens:
    tree: Any
    secretary: User
    reviewer: User


@dataclass(frozen=True)
class Case:
    """``given`` builds what the service acts on (as the allowed users); ``when`` calls it as ``actor``."""

    given: Callable[[Givens], Any]
    when: Callable[[Any, User, Givens], Any]


def nothing(givens: Givens) -> None:
    return None


def own_item(givens: Givens) -> RectificationItem:
    return open_item(givens.tree.finance_1, givens.secretary)


def item_with_file(givens: Givens) -> tuple[RectificationItem, Attachment]:
    item = own_item(givens)
    upload, name, size = pdf_upload()
    attachment = services.item_attachment_add(item=item, upload=upload, name=name, size=size, actor=givens.secretary)
    return item, attachment


def closing(givens: Givens) -> RectificationItem:
    return closing_item(givens.tree.finance_1, givens.secretary, givens.reviewer)


def draft_plan(givens: Givens) -> ImprovementPlan:
    return make_plan(givens.tree.finance_1, givens.secretary)


def submitted_plan(givens: Givens) -> ImprovementPlan:
    return services.plan_submit(plan=draft_plan(givens), actor=givens.secretary)


def acknowledged_milestone(givens: Givens) -> PlanMilestone:
    plan = services.plan_acknowledge(plan=submitted_plan(givens), actor=givens.reviewer)
    return plan.milestones.get()


def done_milestone(givens: Givens) -> PlanMilestone:
    milestone = acknowledged_milestone(givens)
    return services.milestone_mark_done(milestone=milestone, done_on=timezone.localdate(), actor=givens.secretary)


def import_row(givens: Givens) -> dict[str, Any]:
    return {
        "organization": givens.tree.finance_1,
        "problem": "台账导入的问题",
        "source": ItemSource.SELF,
        "source_note": "",
        "target": "整改到位",
        "measures": "逐项整改",
        "responsible": "张三",
        "deadline": timezone.localdate() + timedelta(days=10),
        "state": ItemState.OPEN,
        "closed_on": None,
    }


def upload_file(item: RectificationItem, actor: User) -> Attachment:
    upload, name, size = pdf_upload()
    return services.item_attachment_add(item=item, upload=upload, name=name, size=size, actor=actor)


CASES = {
    "item_open": Case(nothing, lambda _, actor, givens: open_item(givens.tree.finance_1, actor)),
    "item_update": Case(own_item, lambda item, actor, _: services.item_update(item=item, actor=actor, problem="改")),
    "item_attachment_add": Case(own_item, lambda item, actor, _: upload_file(item, actor)),
    "item_attachment_delete": Case(
        item_with_file,
        lambda given, actor, _: services.item_attachment_delete(item=given[0], attachment=given[1], actor=actor),
    ),
    "item_request_close": Case(
        own_item,
        lambda item, actor, _: services.item_request_close(
            item=item, evidence="已整改", uploads=[pdf_upload()], actor=actor
        ),
    ),
    "item_confirm_close": Case(closing, lambda item, actor, _: services.item_confirm_close(item=item, actor=actor)),
    "item_refuse_close": Case(
        closing, lambda item, actor, _: services.item_refuse_close(item=item, comment="证据不足", actor=actor)
    ),
    "items_import": Case(import_row, lambda row, actor, _: services.items_import(rows=[row], actor=actor)),
    "plan_create": Case(nothing, lambda _, actor, givens: make_plan(givens.tree.finance_1, actor)),
    "plan_update": Case(
        draft_plan,
        lambda plan, actor, _: services.plan_update(
            plan=plan,
            target_level=4,
            measures="改过的措施",
            responsible="李四",
            milestones=[(timezone.localdate(), "改过的节点")],
            actor=actor,
        ),
    ),
    "plan_submit": Case(draft_plan, lambda plan, actor, _: services.plan_submit(plan=plan, actor=actor)),
    "plan_acknowledge": Case(submitted_plan, lambda plan, actor, _: services.plan_acknowledge(plan=plan, actor=actor)),
    "plan_return": Case(
        submitted_plan, lambda plan, actor, _: services.plan_return(plan=plan, comment="请修改", actor=actor)
    ),
    "milestone_mark_done": Case(
        acknowledged_milestone,
        lambda milestone, actor, _: services.milestone_mark_done(
            milestone=milestone, done_on=timezone.localdate(), actor=actor
        ),
    ),
    "milestone_reopen": Case(
        done_milestone, lambda milestone, actor, _: services.milestone_reopen(milestone=milestone, actor=actor)
    ),
}


def ledger_state() -> tuple[list[dict[str, Any]], ...]:
    """Every row the ledger services may write, and the audit chain."""
    return tuple(
        list(model.objects.order_by("pk").values())
        for model in (RectificationItem, ImprovementPlan, PlanMilestone, Attachment, AuditEntry)
    )


@pytest.fixture
def givens(tree, secretary, reviewer) -> Givens:
    return Givens(tree=tree, secretary=secretary, reviewer=reviewer)


@pytest.fixture
def sibling_reviewer(tree) -> User:
    """The reviewer of the 机关党委 next to 财政局's: 财政局第一支部 is outside its subtree."""
    return UserFactory(username="education-reviewer", organization=tree.education, role=Role.REVIEWER)


@pytest.mark.parametrize("name", CASES)
def test_it_answers_an_actor_of_another_subtree_as_if_nothing_were_there(givens, sibling_reviewer, name):
    # given what the service acts on, made by the branch and its superior
    case = CASES[name]
    target = case.given(givens)
    before = ledger_state()

    # when the sibling 机关党委's reviewer calls the service
    with pytest.raises(Http404, match=NOT_FOUND):
        case.when(target, sibling_reviewer, givens)

    # then nothing was written, not even an audit entry
    assert ledger_state() == before


@pytest.mark.parametrize("name", CASES)
def test_it_refuses_the_read_only_inspector(givens, inspector, name):
    # given what the service acts on
    case = CASES[name]
    target = case.given(givens)
    before = ledger_state()

    # when the inspection group over 财政局 calls the service
    with pytest.raises(PermissionDenied):
        case.when(target, inspector, givens)

    # then nothing was written
    assert ledger_state() == before
