"""Twenty submissions of one code at the same moment: exactly one ballot (PostgreSQL)."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.db import connection
from django.utils import timezone

from tests.campaigns.test_concurrency import at_once
from tests.surveys.conftest import MEETING, answers
from xingji.surveys import services
from xingji.surveys.models import Ballot, SurveyToken

pytestmark = pytest.mark.skipif(connection.vendor != "postgresql", reason="row locks need PostgreSQL")


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("guessed", [False, True], ids=["in a transaction", "in one statement"])
def test_it_counts_one_ballot_for_twenty_simultaneous_submissions_of_one_code(evaluation, secretary, guessed):
    # given an open session with one member code (and, for the one-statement path, the session guessed
    # from the voter's questions page, as after any earlier ballot of the meeting)
    session = services.session_open(
        evaluation=evaluation, meeting_on=MEETING, expires_on=timezone.localdate() + timedelta(days=1), actor=secretary
    )
    code = services.tokens_issue(session=session, member_tokens=1, public_tokens=0, actor=secretary).codes[0][1]
    data = answers(session=session)
    if guessed:
        services.ballot_session(code)

    # when twenty threads submit it at once (two tabs, double taps, retries)
    outcomes = at_once(*[lambda: services.ballot_cast(code=code, data=data) for _ in range(20)])

    # then exactly one ballot exists, its receipt went to the one winner, and the others were told it counted
    receipts = [outcome for outcome in outcomes if isinstance(outcome, str)]
    refusals = [outcome for outcome in outcomes if isinstance(outcome, services.BallotRefused)]
    assert len(receipts) == 1 and len(refusals) == 19
    assert {refusal.message for refusal in refusals} == {"该测评码已使用，您的测评票已计入"}
    assert list(Ballot.objects.values_list("receipt", flat=True)) == receipts
    assert SurveyToken.objects.get().used is True
