"""Every results service that writes checks its actor itself: a refusal changes nothing and logs nothing.

Only the committee office writes here. The reviewer of the sibling 机关党委 (教育局) and the
read-only inspection group are refused for their role, whatever the organization; the office of
another tree is answered, for this tree's organizations, as if they did not exist.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from typing import Any

import pytest
from django.http import Http404

from tests.factories import UserFactory
from xingji.accounts.access import NOT_FOUND
from xingji.accounts.models import Role, User
from xingji.audit.models import AuditEntry
from xingji.common.errors import ActionForbidden, TransitionRefused
from xingji.records.models import Commendation
from xingji.reports import services
from xingji.reports.models import CommendationRecommendation, DemonstrationSite, Plaque, ResultPublication

pytestmark = pytest.mark.django_db

YEAR = 2025


@dataclass(frozen=True)
class Givens:
    tree: Any
    office_user: User


@dataclass(frozen=True)
class Case:
    """``given`` builds what the service acts on (as the office); ``when`` calls it as ``actor``."""

    given: Callable[[Givens], Any]
    when: Callable[[Any, User], Any]


def nothing(givens: Givens) -> None:
    return None


def five_star_branch(givens: Givens) -> Any:
    return givens.tree.finance_1


def finance(givens: Givens) -> Any:
    return givens.tree.finance


def site(givens: Givens) -> DemonstrationSite:
    return services.demonstration_site_choose(
        organization=givens.tree.finance_1, year=YEAR, reason="示范作用突出", actor=givens.office_user
    )


def draft(givens: Givens) -> CommendationRecommendation:
    return services.recommendation_create(
        organization=givens.tree.finance_1, year=YEAR, deeds="服务群众成效显著", actor=givens.office_user
    )


def submitted(givens: Givens) -> CommendationRecommendation:
    recommendation = draft(givens)
    services.recommendations_submit(year=YEAR, actor=givens.office_user)
    return recommendation


def decide(recommendation: CommendationRecommendation, actor: User) -> CommendationRecommendation:
    return services.recommendation_decide(
        recommendation=recommendation,
        adopted=True,
        record_commendation=True,
        commended_on=date(2026, 1, 10),
        issuer="中共安阳市直机关工委",
        actor=actor,
    )


CASES = {
    "plaques_issue": Case(nothing, lambda _, actor: services.plaques_issue(year=YEAR, actor=actor)),
    "demonstration_site_choose": Case(
        five_star_branch,
        lambda organization, actor: services.demonstration_site_choose(
            organization=organization, year=YEAR, reason="示范作用突出", actor=actor
        ),
    ),
    "demonstration_site_revoke": Case(
        site, lambda site, actor: services.demonstration_site_revoke(site=site, reason="受到通报批评", actor=actor)
    ),
    "recommendation_create": Case(
        five_star_branch,
        lambda organization, actor: services.recommendation_create(
            organization=organization, year=YEAR, deeds="事迹", actor=actor
        ),
    ),
    "recommendation_delete": Case(
        draft, lambda recommendation, actor: services.recommendation_delete(recommendation=recommendation, actor=actor)
    ),
    "recommendations_submit": Case(draft, lambda _, actor: services.recommendations_submit(year=YEAR, actor=actor)),
    "recommendation_decide": Case(submitted, decide),
    "results_publish": Case(
        finance,
        lambda root, actor: services.results_publish(root=root, year=YEAR, confirmation="确认发布", actor=actor),
    ),
}

#: The services that act on a year over the actor's own subtree: another tree's office simply finds nothing there.
SUBTREE_WIDE = {"plaques_issue", "recommendations_submit"}


def reports_state() -> tuple[list[dict[str, Any]], ...]:
    """Every row the results services may write (a commendation through the records services), and the audit."""
    models = (Plaque, DemonstrationSite, CommendationRecommendation, ResultPublication, Commendation, AuditEntry)
    return tuple(list(model.objects.order_by("pk").values()) for model in models)


@pytest.fixture
def givens(tree, approved, office_user) -> Givens:
    """The 2025 campaign approved (财政局第一支部 five stars), as every service here needs."""
    return Givens(tree=tree, office_user=office_user)


@pytest.fixture
def sibling_reviewer(tree) -> User:
    """The reviewer of the 机关党委 next to 财政局's."""
    return UserFactory(username="education-reviewer", organization=tree.education, role=Role.REVIEWER)


@pytest.mark.parametrize("name", CASES)
def test_it_refuses_the_reviewer_of_a_sibling_subtree(givens, sibling_reviewer, name):
    # given what the service acts on, made by the office
    case = CASES[name]
    target = case.given(givens)
    before = reports_state()

    # when the sibling 机关党委's reviewer calls the service
    with pytest.raises(ActionForbidden, match=services.OFFICE_ONLY):
        case.when(target, sibling_reviewer)

    # then nothing was written, not even an audit entry
    assert reports_state() == before


@pytest.mark.parametrize("name", CASES)
def test_it_refuses_the_read_only_inspector(givens, inspector, name):
    # given what the service acts on
    case = CASES[name]
    target = case.given(givens)
    before = reports_state()

    # when the inspection group over 财政局 calls the service
    with pytest.raises(ActionForbidden, match=services.OFFICE_ONLY):
        case.when(target, inspector)

    # then nothing was written
    assert reports_state() == before


@pytest.mark.parametrize("name", sorted(set(CASES) - SUBTREE_WIDE))
def test_it_answers_the_office_of_another_tree_as_if_nothing_were_there(givens, other_office, name):
    # given what the service acts on, in this tree
    case = CASES[name]
    target = case.given(givens)
    user, _ = other_office
    before = reports_state()

    # when the office of another tree calls the service on it
    with pytest.raises(Http404, match=NOT_FOUND):
        case.when(target, user)

    # then nothing was written
    assert reports_state() == before


@pytest.mark.parametrize("name", sorted(SUBTREE_WIDE))
def test_the_office_of_another_tree_finds_nothing_of_this_tree_to_act_on(givens, other_office, name):
    # given this tree's five-star branch and its draft recommendation
    case = CASES[name]
    target = case.given(givens)
    user, _ = other_office
    before = reports_state()

    # when the office of another tree issues its plaques or submits its list
    with pytest.raises(TransitionRefused):
        case.when(target, user)

    # then nothing of this tree was touched
    assert reports_state() == before
