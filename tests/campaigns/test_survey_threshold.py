"""The survey's participation threshold is the scheme's ``[survey] min_participation``, not a fixed 80 %.

A campaign on a scheme asking two thirds (0.6667): seven members of ten make
a valid survey that the superior may evaluate on; six do not, and every
message names the scheme's 66.7 %.
"""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import pytest
from django.urls import reverse

from tests.campaigns.steps import YEAR, evaluation_of, record_survey, self_evaluate, uniform
from xingji.campaigns import services
from xingji.campaigns.models import Campaign, EvaluationState
from xingji.common.errors import TransitionRefused
from xingji.rules.scheme import load_scheme

TWO_THIRDS = "0.6667"


def two_thirds_scheme() -> str:
    text = Path(load_scheme("anyang-2017").path).read_text(encoding="utf-8")
    assert "min_participation = 0.8\n" in text
    return text.replace("min_participation = 0.8\n", f"min_participation = {TWO_THIRDS}\n")


@pytest.fixture
def campaign(tree, office_user) -> Campaign:
    created = services.campaign_create(
        root=tree.root,
        year=YEAR,
        kind="mid_year",
        scheme_text=two_thirds_scheme(),
        scheme_filename="two-thirds.toml",
        actor=office_user,
    )
    return services.campaign_open(campaign=created, actor=office_user)


def test_the_campaign_reads_the_threshold_from_its_scheme(campaign):
    assert campaign.survey_min_participation == Decimal(TWO_THIRDS)
    assert campaign.survey_min_participation_text == "66.7%"


def test_seventy_percent_is_valid_and_the_superior_may_evaluate(campaign, tree, secretary, reviewer):
    # given a survey where 7 of 10 members took part
    evaluation = evaluation_of(campaign, tree.finance_1)
    self_evaluate(evaluation, secretary)
    evaluation = record_survey(evaluation, secretary, satisfaction="1", members=10, participants=7)

    # then the session is valid and fed the evaluation
    session = evaluation.survey_sessions.get()
    assert (session.valid, session.participation, session.min_participation) == (
        True,
        Decimal("0.7000"),
        Decimal(TWO_THIRDS),
    )
    assert (evaluation.survey_member_count, evaluation.survey_participant_count) == (10, 7)
    assert evaluation.survey_is_valid is True

    # and the superior's evaluation is accepted
    evaluated = services.superior_evaluate(evaluation=evaluation, scores=uniform(8), actor=reviewer)
    assert evaluated.state != EvaluationState.SELF_SUBMITTED
    assert evaluated.level is not None


def test_sixty_percent_is_refused_by_the_survey_and_the_superior_naming_the_schemes_threshold(
    campaign, tree, secretary, reviewer
):
    # given a survey where 6 of 10 members took part
    evaluation = evaluation_of(campaign, tree.finance_1)
    self_evaluate(evaluation, secretary)
    evaluation = record_survey(evaluation, secretary, satisfaction="1", members=10, participants=6)

    # then the session closed invalid and the evaluation kept no figures
    session = evaluation.survey_sessions.get()
    assert (session.valid, session.participation) == (False, Decimal("0.6000"))
    assert evaluation.survey_satisfaction is None

    # and the superior is refused with the scheme's threshold in the message
    with pytest.raises(TransitionRefused) as refusal:
        services.superior_evaluate(evaluation=evaluation, scores=uniform(8), actor=reviewer)
    assert refusal.value.messages == ["参加测评的党员占60.0%，不足66.7%，测评无效，应重新组织测评"]
    evaluation.refresh_from_db()
    assert evaluation.state == EvaluationState.SELF_SUBMITTED


def test_figures_below_the_schemes_threshold_are_refused_by_the_superior(campaign, tree, secretary, reviewer):
    # given figures of 6 of 10 members on the evaluation itself (as an older session would have left them)
    evaluation = evaluation_of(campaign, tree.finance_1)
    self_evaluate(evaluation, secretary)
    type(evaluation).objects.filter(pk=evaluation.pk).update(
        survey_member_count=10, survey_participant_count=6, survey_satisfaction=Decimal("0.9")
    )
    evaluation.refresh_from_db()
    assert evaluation.survey_is_valid is False

    with pytest.raises(TransitionRefused) as refusal:
        services.superior_evaluate(evaluation=evaluation, scores=uniform(8), actor=reviewer)
    assert refusal.value.messages == ["参加测评的党员占60.0%，不足66.7%，测评无效，应重新组织测评"]


def test_the_pages_name_the_schemes_threshold(client, campaign, tree, secretary):
    evaluation = evaluation_of(campaign, tree.finance_1)
    client.force_login(secretary)

    opening = client.get(reverse("surveys:open", args=[evaluation.pk])).content.decode()
    overview = client.get(reverse("surveys:evaluation", args=[evaluation.pk])).content.decode()

    assert "党员总数的66.7%" in opening and "80%" not in opening
    assert "党员总数的66.7%" in overview and "80%" not in overview
