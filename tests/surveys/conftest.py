"""Fixtures of the survey tests: the campaign's fixtures, FIN-1 with ten members, a helper to vote."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from django.utils import timezone

from tests.campaigns.conftest import campaign, edu_reviewer, immediate_runner, office_user_2  # noqa: F401
from tests.campaigns.steps import evaluation_of
from tests.factories import MemberFactory
from xingji.campaigns.models import Evaluation
from xingji.surveys import services
from xingji.surveys.models import SurveySession

MEETING = date(2025, 5, 20)


@pytest.fixture(autouse=True)
def no_session_guessed():
    """Each test starts without the session a previous test's ballot left to this process (``ballot_cast``)."""
    services.ballot_guess_forget()
    yield
    services.ballot_guess_forget()


def answers(overall: str = "satisfied", criteria: str | None = None, session=None, **extra) -> dict:
    """A posted ballot: ``overall`` and the same answer on every criterion of the session."""
    data = {"overall": overall, **extra}
    if session is not None:
        for criterion in session.questions["criteria"]:
            data[f"criterion_{criterion['code']}"] = criteria or overall
    return data


@pytest.fixture
def evaluation(campaign, tree) -> Evaluation:  # noqa: F811 - the campaign fixture imported above
    for _ in range(10):
        MemberFactory(organization=tree.finance_1)
    return evaluation_of(campaign, tree.finance_1)


@pytest.fixture
def session(evaluation, secretary) -> SurveySession:
    return services.session_open(
        evaluation=evaluation, meeting_on=MEETING, expires_on=timezone.localdate() + timedelta(days=3), actor=secretary
    )
