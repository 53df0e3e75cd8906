"""What one ballot costs the database: the statements it needs and nothing else (middleware included)."""

from __future__ import annotations

import pytest
from django.db import connection
from django.urls import reverse

from tests.surveys.conftest import answers
from xingji.surveys import services
from xingji.surveys.models import Ballot, SurveyToken


def statements(context) -> list[str]:
    return [query["sql"].split(None, 1)[0].upper() for query in context.captured_queries]


def voter(client) -> None:
    """A phone that opened the ballot page (with the CSRF check of the other pages on)."""
    client.handler.enforce_csrf_checks = True
    client.get(reverse("ballot:start"))


def test_a_ballot_is_one_update_and_one_insert(client, session, secretary, django_assert_num_queries):
    issued = [
        code
        for _, code in services.tokens_issue(session=session, member_tokens=0, public_tokens=3, actor=secretary).codes
    ]
    voter(client)
    data = {**answers(session=session), "comment": "好"}

    # the first ballot of a session in a process: the code's update returns its session and the settings, the
    # questions are read (and kept), the ballot inserted, in a transaction (a savepoint here, inside the test's)
    with django_assert_num_queries(5) as first:
        page = client.post(reverse("ballot:submit"), {"code": issued[0], **data})
    assert "回执码" in page.content.decode()
    assert statements(first) == ["SAVEPOINT", "UPDATE", "SELECT", "INSERT", "RELEASE"]

    # every later one of that session: on PostgreSQL one statement (the code's update and the ballot's insert in
    # one WITH), elsewhere the update and the insert in a transaction; no query from sessions, auth, OTP or axes
    later_statements = ["WITH"] if connection.vendor == "postgresql" else ["SAVEPOINT", "UPDATE", "INSERT", "RELEASE"]
    for code in issued[1:]:
        with django_assert_num_queries(len(later_statements)) as later:
            page = client.post(reverse("ballot:submit"), {"code": code, **data})
        assert "回执码" in page.content.decode()
        assert statements(later) == later_statements
    assert Ballot.objects.count() == 3 and not SurveyToken.objects.filter(used=False).exists()
    assert {ballot.answers["comment"] for ballot in Ballot.objects.all()} == {"好"}


def test_a_refused_code_costs_one_more_read(client, session, secretary, django_assert_num_queries):
    code = services.tokens_issue(session=session, member_tokens=1, public_tokens=0, actor=secretary).codes[0][1]
    services.ballot_cast(code=code, data=answers(session=session))
    voter(client)
    with django_assert_num_queries(2 if connection.vendor == "postgresql" else 4) as refused:
        page = client.post(reverse("ballot:submit"), {"code": code, **answers(session=session)})
    assert "该测评码已使用，您的测评票已计入" in page.content.decode()
    # the statement changes nothing; why (unknown, used, expired, closed) is read after it
    if connection.vendor == "postgresql":
        assert statements(refused) == ["WITH", "SELECT"]
    else:
        assert statements(refused) == ["SAVEPOINT", "UPDATE", "RELEASE", "SELECT"]
    assert Ballot.objects.count() == 1 and SurveyToken.objects.get().used is True


def test_the_setting_on_comments_is_read_with_each_ballot_not_kept(session, secretary):
    # an invalid ballot reads (and keeps) the session's questions, and leaves the settings open
    code = services.tokens_issue(session=session, member_tokens=1, public_tokens=0, actor=secretary).codes[0][1]
    with pytest.raises(services.BallotInvalid):
        services.ballot_cast(code=code, data=answers(session=session, comment="张三说的") | {"overall": ""})
    assert not Ballot.objects.exists() and SurveyToken.objects.get().used is False
    # the secretary stops collecting comments before the first ballot: the next ballot drops its comment
    services.session_settings_change(
        session=session, public_tokens_allowed=True, comments_collected=False, actor=secretary
    )
    services.ballot_cast(code=code, data=answers(session=session, comment="张三说的"))
    assert "comment" not in Ballot.objects.get().answers


def test_the_kept_questions_belong_to_the_session_not_to_its_number(session):
    # a number used again (a test database, a restored copy) does not find another session's questions
    kept = services.ballot_form(session.pk, str(session.public_id))
    assert services.ballot_form(session.pk, "another-session") is not kept
    assert kept.options == {option["code"] for option in session.questions["options"]}
    assert [code for code, _ in kept.criteria] == [c["code"] for c in session.questions["criteria"]]


def test_the_ballot_sets_no_cookie_and_needs_no_token(client, session, secretary):
    # no session, no CSRF cookie: nothing in the phone's browser ties two requests together
    code = services.tokens_issue(session=session, member_tokens=1, public_tokens=0, actor=secretary).codes[0][1]
    client.handler.enforce_csrf_checks = True
    start = client.get(reverse("ballot:start"))
    questions = client.post(reverse("ballot:start"), {"code": code})
    receipt = client.post(reverse("ballot:submit"), {"code": code, **answers(session=session)})
    assert "回执码" in receipt.content.decode()
    for response in (start, questions, receipt):
        assert response.cookies == {} and "csrfmiddlewaretoken" not in response.content.decode()
        assert "no-store" in response["Cache-Control"]
    assert client.cookies == {}
