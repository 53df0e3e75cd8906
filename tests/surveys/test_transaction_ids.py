"""PostgreSQL stamps a row with the transaction that wrote it (``xmin``): a ballot and its code's row share one.

Casting writes both in one transaction, so until something rewrites the code
rows a database administrator could pair each ballot with its code. Closing
the session rewrites every used code row in the closing transaction: the
live code rows then all carry the closing one, and no ballot shares it.
"""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.db import connection
from django.utils import timezone

from tests.surveys.conftest import MEETING, answers
from xingji.surveys import services

pytestmark = pytest.mark.skipif(connection.vendor != "postgresql", reason="xmin is PostgreSQL's")


def stamps(table: str, session) -> set[str]:
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT xmin::text FROM {table} WHERE session_id = %s", [session.pk])  # noqa: S608
        return {row[0] for row in cursor.fetchall()}


@pytest.mark.django_db(transaction=True)
def test_closing_leaves_no_code_row_sharing_a_transaction_with_a_ballot(evaluation, secretary):
    # given three ballots cast, each in its own transaction
    session = services.session_open(
        evaluation=evaluation, meeting_on=MEETING, expires_on=timezone.localdate() + timedelta(days=1), actor=secretary
    )
    issued = services.tokens_issue(session=session, member_tokens=3, public_tokens=0, actor=secretary)
    for _, code in issued.codes:
        services.ballot_cast(code=code, data=answers(session=session))
    ballots = stamps("surveys_ballot", session)
    assert len(ballots) == 3 and ballots <= stamps("surveys_surveytoken", session)  # the pairing exists

    # when the session is closed
    services.session_close(session=session, actor=secretary)

    # then the code rows carry the closing transaction only, which no ballot row carries
    codes = stamps("surveys_surveytoken", session)
    assert len(codes) == 1 and not codes & stamps("surveys_ballot", session)
