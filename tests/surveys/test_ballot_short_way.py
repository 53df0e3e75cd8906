"""The ballot's short ways: one statement on a guessed session, no health check first, a lean middleware chain."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.db import connection, connections
from django.urls import reverse
from django.utils import timezone

from tests.campaigns.steps import evaluation_of
from tests.surveys.conftest import MEETING, answers
from xingji.surveys import services
from xingji.surveys.models import Ballot, SurveyToken

on_postgresql = pytest.mark.skipif(connection.vendor != "postgresql", reason="one statement is PostgreSQL's WITH")

SECURITY_HEADERS = ("X-Frame-Options", "X-Content-Type-Options", "Referrer-Policy", "Cross-Origin-Opener-Policy")


def issue(session, actor, count: int = 1) -> list[str]:
    return [
        code
        for _, code in services.tokens_issue(session=session, member_tokens=0, public_tokens=count, actor=actor).codes
    ]


def test_a_code_of_another_session_than_the_last_ballots_is_cast_in_its_own(
    campaign, tree, session, secretary, superuser
):
    # given a ballot cast in FIN-1's session (the process now guesses that session) and FIN-2's session open
    services.ballot_cast(code=issue(session, secretary)[0], data=answers(session=session))
    other = services.session_open(
        evaluation=evaluation_of(campaign, tree.finance_2),
        meeting_on=MEETING,
        expires_on=timezone.localdate() + timedelta(days=3),
        comments_collected=False,
        actor=superuser,
    )
    code = issue(other, superuser)[0]

    # when a code of FIN-2 is cast
    receipt = services.ballot_cast(code=code, data=answers(session=other, comment="不应保存"))

    # then its ballot is FIN-2's, cleaned with FIN-2's settings (no comment), and FIN-1 has only its own
    ballot = Ballot.objects.get(receipt=receipt)
    assert ballot.session_id == other.pk and "comment" not in ballot.answers
    assert Ballot.objects.filter(session=session).count() == 1
    assert SurveyToken.objects.get(session=other).used is True


def test_a_comment_setting_changed_after_the_guess_is_the_one_applied(client, session, secretary):
    # given a voter who opened the questions (the process guesses the session, comments collected)
    code = issue(session, secretary)[0]
    client.post(reverse("ballot:start"), {"code": code})
    # and the secretary who then stops collecting comments, before the first ballot
    services.session_settings_change(
        session=session, public_tokens_allowed=True, comments_collected=False, actor=secretary
    )

    # when the voter submits a comment
    page = client.post(reverse("ballot:submit"), {"code": code, **answers(session=session, comment="张三说的")})

    # then the ballot counts, without the comment
    assert "回执码" in page.content.decode()
    assert "comment" not in Ballot.objects.get().answers


@on_postgresql
def test_a_used_code_is_refused_by_the_single_statement_and_nothing_is_written(session, secretary):
    # given a code already cast (the process guesses its session)
    code = issue(session, secretary)[0]
    first = services.ballot_cast(code=code, data=answers(session=session))

    # when it is cast again on the one-statement path
    with pytest.raises(services.BallotRefused) as refusal:
        services.ballot_cast(code=code, data=answers(session=session))

    # then it is refused as used and the first ballot stays the only one
    assert refusal.value.reason == "used"
    assert list(Ballot.objects.values_list("receipt", flat=True)) == [first]
    assert SurveyToken.objects.get().used is True


@on_postgresql
@pytest.mark.django_db(transaction=True)
def test_a_connection_dropped_while_idle_is_replaced_and_the_ballot_counts_once(evaluation, secretary):
    # given a ballot cast (its session guessed from now on), then the connection killed by the server while idle
    session = services.session_open(
        evaluation=evaluation, meeting_on=MEETING, expires_on=timezone.localdate() + timedelta(days=1), actor=secretary
    )
    first, second = issue(session, secretary, 2)
    services.ballot_cast(code=first, data=answers(session=session))
    dropped = connection.connection.info.backend_pid
    killer = connections.create_connection("default")
    try:
        with killer.cursor() as cursor:
            cursor.execute("SELECT pg_terminate_backend(%s, 10000)", [dropped])  # waits until it is gone
    finally:
        killer.close()
    # as at the start of a request: the health check is due (close_old_connections)
    connection.health_check_done = False

    # when the next ballot is cast, its statement run without the health check
    receipt = services.ballot_cast(code=second, data=answers(session=session))

    # then it ran again on a new connection: one ballot for each code
    assert connection.connection.info.backend_pid != dropped
    assert Ballot.objects.filter(session=session).count() == 2 and Ballot.objects.filter(receipt=receipt).exists()
    assert not SurveyToken.objects.filter(session=session, used=False).exists()


def test_the_ballot_pages_skip_sessions_users_and_messages_but_keep_the_security_headers(client, session, secretary):
    code = issue(session, secretary)[0]
    login = client.get(reverse("accounts:login"))

    pages = [
        client.get(reverse("ballot:start")),
        client.post(reverse("ballot:start"), {"code": code}),
        client.post(reverse("ballot:submit"), {"code": code, **answers(session=session)}),
    ]

    assert "回执码" in pages[-1].content.decode()
    for page in pages:
        assert not hasattr(page.wsgi_request, "session") and not hasattr(page.wsgi_request, "user")
        assert {name: page.get(name) for name in SECURITY_HEADERS} == {name: login[name] for name in SECURITY_HEADERS}
        assert page["X-Frame-Options"] == "DENY"
    # any other page takes the whole way
    assert hasattr(login.wsgi_request, "session") and hasattr(login.wsgi_request, "user")


def test_a_ballot_page_asked_for_under_a_foreign_host_name_is_refused(client, session, secretary):
    code = issue(session, secretary)[0]

    page = client.post(reverse("ballot:submit"), {"code": code, **answers(session=session)}, HTTP_HOST="evil.example")

    assert page.status_code == 400
    assert not Ballot.objects.exists() and SurveyToken.objects.get().used is False
