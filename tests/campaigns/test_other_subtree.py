"""Every service that changes an evaluation checks its actor itself: a reviewer of another 机关党委 is refused.

The reviewer of 教育局机关党总支 (EDU) calls each service on an evaluation of
财政局第一支部 (FIN-1), outside its subtree, directly (no view in between):
it is told "not found" (``Http404``) or "forbidden", and nothing is written —
state, scores and the audit log stay as they were.
"""

from __future__ import annotations

from datetime import date, timedelta
from io import BytesIO

import pytest
from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.utils import timezone

from tests.campaigns.steps import YEAR, evaluation_of, force_state, self_evaluate, snapshot, uniform
from tests.factories import MemberFactory
from xingji.campaigns import services
from xingji.campaigns.models import EvaluationState
from xingji.surveys import services as survey_services
from xingji.surveys.models import SurveySession

REFUSED = (Http404, PermissionDenied)


@pytest.fixture
def evaluation(campaign, tree):
    return evaluation_of(campaign, tree.finance_1)


def session_state(session: SurveySession) -> tuple:
    session.refresh_from_db()
    return (session.state, session.public_tokens_allowed, session.comments_collected, session.tokens.count())


def test_it_refuses_the_self_evaluation_services_to_a_reviewer_of_another_subtree(evaluation, edu_reviewer):
    before = snapshot(evaluation)

    with pytest.raises(REFUSED):
        services.self_evaluation_save_draft(
            evaluation=evaluation, scores=uniform(9), claimed_level=4, actor=edu_reviewer
        )
    with pytest.raises(REFUSED):
        services.self_evaluation_submit(evaluation=evaluation, actor=edu_reviewer)
    with pytest.raises(REFUSED):
        services.criterion_attachment_add(
            evaluation=evaluation,
            criterion_code="1",
            upload=BytesIO(b"%PDF-1.4\n"),
            name="材料.pdf",
            size=9,
            actor=edu_reviewer,
        )

    assert snapshot(evaluation) == before


def test_it_refuses_the_superiors_services_to_a_reviewer_of_another_subtree(evaluation, secretary, edu_reviewer):
    self_evaluate(evaluation, secretary)
    before = snapshot(evaluation)

    with pytest.raises(REFUSED):
        services.self_evaluation_return(evaluation=evaluation, reason="请补充", actor=edu_reviewer)
    with pytest.raises(REFUSED):
        services.superior_evaluate(evaluation=evaluation, scores=uniform(8), actor=edu_reviewer)
    with pytest.raises(REFUSED):
        services.survey_figures_record(
            evaluation=evaluation,
            member_count=10,
            participant_count=9,
            satisfaction="0.9",
            meeting_on=date(YEAR, 5, 20),
            actor=edu_reviewer,
        )

    assert snapshot(evaluation) == before


def test_it_refuses_the_offices_services_on_an_evaluation_to_a_reviewer_of_another_subtree(
    evaluation, tree, edu_reviewer
):
    force_state(evaluation, EvaluationState.REVIEW_PENDING)
    direct = evaluation_of(evaluation.campaign, tree.finance)
    before = snapshot(evaluation), snapshot(direct)

    with pytest.raises(REFUSED):
        services.five_star_review_approve(evaluation=evaluation, actor=edu_reviewer)
    with pytest.raises(REFUSED):
        services.five_star_review_return(evaluation=evaluation, reason="不同意", actor=edu_reviewer)
    with pytest.raises(REFUSED):
        services.direct_check_record(evaluation=direct, method="spot", finding="属实", actor=edu_reviewer)

    assert (snapshot(evaluation), snapshot(direct)) == before


def test_it_refuses_the_survey_services_to_a_reviewer_of_another_subtree(evaluation, tree, secretary, edu_reviewer):
    for _ in range(10):
        MemberFactory(organization=tree.finance_1)
    before = snapshot(evaluation)

    with pytest.raises(REFUSED):
        survey_services.session_open(
            evaluation=evaluation,
            meeting_on=date(YEAR, 5, 20),
            expires_on=timezone.localdate() + timedelta(days=3),
            actor=edu_reviewer,
        )
    assert not SurveySession.objects.exists()
    assert snapshot(evaluation) == before

    session = survey_services.session_open(
        evaluation=evaluation,
        meeting_on=date(YEAR, 5, 20),
        expires_on=timezone.localdate() + timedelta(days=3),
        actor=secretary,
    )
    before, state = snapshot(evaluation), session_state(session)
    with pytest.raises(REFUSED):
        survey_services.tokens_issue(session=session, member_tokens=10, public_tokens=0, actor=edu_reviewer)
    with pytest.raises(REFUSED):
        survey_services.session_settings_change(
            session=session, public_tokens_allowed=False, comments_collected=False, actor=edu_reviewer
        )
    with pytest.raises(REFUSED):
        survey_services.session_close(session=session, actor=edu_reviewer)

    assert session_state(session) == state
    assert snapshot(evaluation) == before
