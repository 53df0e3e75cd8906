"""Every supervision service that writes checks its actor itself: a refusal changes nothing and logs nothing.

Two actors who may not act on 财政局第一支部: the reviewer of the sibling 机关党委 (教育局), for whom
the branch lies outside the subtree — answered as if it did not exist —, and the inspection group
over 财政局, which reads only (it records supervision visits, and nothing else).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pytest
from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.utils import timezone

from tests.factories import UserFactory
from tests.supervision.conftest import item_row
from xingji.accounts.access import NOT_FOUND
from xingji.accounts.models import Role, User
from xingji.audit.models import AuditEntry
from xingji.campaigns.models import StarLedgerEntry
from xingji.ledger.models import RectificationItem
from xingji.records.models import CriticismNotice
from xingji.supervision import services
from xingji.supervision.models import FocusGuide, InspectionVisit, LevelChange, Recheck

pytestmark = pytest.mark.django_db


@dataclass(frozen=True)
class Givens:
    tree: Any
    reviewer: User


@dataclass(frozen=True)
class Case:
    """``given`` builds what the service acts on (as the allowed users); ``when`` calls it as ``actor``."""

    given: Callable[[Givens], Any]
    when: Callable[[Any, User, Givens], Any]


def branch(givens: Givens) -> Any:
    return givens.tree.finance_1


def recheck(givens: Givens) -> Recheck:
    return services.recheck_record(
        organization=givens.tree.finance_1,
        checked_on=timezone.localdate(),
        method="site",
        findings="组织生活不规范",
        actor=givens.reviewer,
    )


def proposed(givens: Givens) -> LevelChange:
    return services.level_change_propose(
        organization=givens.tree.finance_1, to_level=1, reason="问题较多", actor=givens.reviewer
    )


def record_recheck(organization: Any, actor: User) -> Recheck:
    return services.recheck_record(
        organization=organization,
        checked_on=timezone.localdate(),
        method="site",
        findings="组织生活不规范",
        items=[item_row()],
        actor=actor,
    )


def record_visit(organization: Any, actor: User) -> InspectionVisit:
    return services.visit_record(
        organizations=[organization],
        visited_on=timezone.localdate(),
        method="research",
        group_members="赵部长",
        findings="活动开展不积极",
        items=[item_row(organization=organization)],
        actor=actor,
    )


CASES = {
    "recheck_record": Case(branch, lambda organization, actor, _: record_recheck(organization, actor)),
    "recheck_items_open": Case(
        recheck, lambda recheck, actor, _: services.recheck_items_open(recheck=recheck, items=[item_row()], actor=actor)
    ),
    "level_change_propose": Case(
        branch,
        lambda organization, actor, _: services.level_change_propose(
            organization=organization, to_level=1, reason="问题较多", actor=actor
        ),
    ),
    "level_change_approve": Case(
        proposed,
        lambda change, actor, _: services.level_change_approve(
            change=change, meeting_on=timezone.localdate(), minutes_number="工委会纪要〔2026〕5号", actor=actor
        ),
    ),
    "level_change_reject": Case(
        proposed, lambda change, actor, _: services.level_change_reject(change=change, comment="不同意", actor=actor)
    ),
    "level_change_withdraw": Case(
        proposed, lambda change, actor, _: services.level_change_withdraw(change=change, actor=actor)
    ),
    "focus_guide_assign": Case(
        branch,
        lambda organization, actor, _: services.focus_guide_assign(
            organization=organization, name="王指导", actor=actor
        ),
    ),
    "visit_record": Case(branch, lambda organization, actor, _: record_visit(organization, actor)),
}

#: An inspection group records visits: of the services above, every other one refuses it.
INSPECTOR_REFUSED = [name for name in CASES if name != "visit_record"]


def supervision_state() -> tuple[list[dict[str, Any]], ...]:
    """Every row the supervision services may write (directly or through the ledger and records), and the audit."""
    models = (
        Recheck,
        LevelChange,
        FocusGuide,
        InspectionVisit,
        RectificationItem,
        CriticismNotice,
        StarLedgerEntry,
        AuditEntry,
    )
    return tuple(list(model.objects.order_by("pk").values()) for model in models)


@pytest.fixture
def givens(tree, reviewer) -> Givens:
    return Givens(tree=tree, reviewer=reviewer)


@pytest.fixture
def sibling_reviewer(tree) -> User:
    """The reviewer of the 机关党委 next to 财政局's: 财政局第一支部 is outside its subtree."""
    return UserFactory(username="education-reviewer", organization=tree.education, role=Role.REVIEWER)


@pytest.mark.parametrize("name", CASES)
def test_it_answers_an_actor_of_another_subtree_as_if_nothing_were_there(givens, sibling_reviewer, name):
    # given what the service acts on, made by the branch's superiors
    case = CASES[name]
    target = case.given(givens)
    before = supervision_state()

    # when the sibling 机关党委's reviewer calls the service
    with pytest.raises(Http404, match=NOT_FOUND):
        case.when(target, sibling_reviewer, givens)

    # then nothing was written, not even an audit entry
    assert supervision_state() == before


@pytest.mark.parametrize("name", INSPECTOR_REFUSED)
def test_it_refuses_the_read_only_inspector(givens, inspector, name):
    # given what the service acts on
    case = CASES[name]
    target = case.given(givens)
    before = supervision_state()

    # when the inspection group over 财政局 calls the service
    with pytest.raises(PermissionDenied):
        case.when(target, inspector, givens)

    # then nothing was written
    assert supervision_state() == before
