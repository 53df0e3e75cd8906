"""Survey sessions, codes, ballots and closing: every transition, permission and refusal."""

from __future__ import annotations

import hashlib
from datetime import timedelta
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.utils import timezone

from tests.campaigns.steps import actions, audit_count, self_evaluate, uniform
from tests.factories import MemberFactory
from tests.surveys.conftest import MEETING, answers
from xingji.campaigns import services as campaign_services
from xingji.campaigns.models import Evaluation
from xingji.common.errors import ActionForbidden, TransitionRefused
from xingji.surveys import codes, services
from xingji.surveys.models import Ballot, SessionState, SurveySession, SurveyToken, TokenKind


def issue(session, actor, member=10, public=0, **options):
    return services.tokens_issue(session=session, member_tokens=member, public_tokens=public, actor=actor, **options)


def codes_of(issued, kind=None):
    return [code for token_kind, code in issued.codes if kind is None or token_kind == kind]


def state_of(session) -> tuple:
    session.refresh_from_db()
    return (
        session.state,
        session.public_tokens_allowed,
        session.comments_collected,
        session.tokens.count(),
        session.tokens.filter(used=True).count(),
        session.ballots.count(),
        audit_count(),
    )


# --- opening -------------------------------------------------------------------------------------


def test_it_opens_a_session_with_the_schemes_questions(evaluation, secretary):
    expires_on = timezone.localdate() + timedelta(days=2)
    session = services.session_open(evaluation=evaluation, meeting_on=MEETING, expires_on=expires_on, actor=secretary)
    assert session.state == SessionState.OPEN
    assert session.member_count == 10
    assert session.expires_on == expires_on
    assert [o["label"] for o in session.questions["options"]] == ["满意", "基本满意", "不满意"]
    assert [c["code"] for c in session.questions["criteria"]] == [str(n) for n in range(1, 11)]
    assert session.questions["min_participation"] == "0.8"
    assert actions("survey.") == ["survey.opened"]


def test_it_refuses_to_open_a_session_to_anyone_but_the_organizations_own_user(
    evaluation, reviewer, office_user, inspector, edu_reviewer
):
    before = (SurveySession.objects.count(), audit_count())
    expires_on = timezone.localdate()
    for user, error, message in [
        (reviewer, ActionForbidden, "只有本组织的书记可以组织本组织的测评"),
        (office_user, ActionForbidden, "只有本组织的书记可以组织本组织的测评"),
        (inspector, PermissionDenied, "当前角色只能查看，不能修改"),
    ]:
        with pytest.raises(error) as refusal:
            services.session_open(evaluation=evaluation, meeting_on=MEETING, expires_on=expires_on, actor=user)
        assert str(refusal.value) == message
    with pytest.raises(Http404):
        services.session_open(evaluation=evaluation, meeting_on=MEETING, expires_on=expires_on, actor=edu_reviewer)
    assert (SurveySession.objects.count(), audit_count()) == before


def test_it_refuses_a_second_open_session_and_wrong_dates(session, evaluation, secretary):
    before = (SurveySession.objects.count(), audit_count())
    today = timezone.localdate()
    with pytest.raises(TransitionRefused) as refusal:
        services.session_open(evaluation=evaluation, meeting_on=MEETING, expires_on=today, actor=secretary)
    assert refusal.value.messages == ["本组织已有进行中的测评，请先结束它"]
    services.session_close(session=session, actor=secretary)
    before = (SurveySession.objects.count(), audit_count())
    for meeting_on, expires_on, message in [
        (today, today - timedelta(days=1), "测评码失效日期不能早于测评会日期"),
        (today - timedelta(days=9), today - timedelta(days=1), "测评码失效日期不能早于今天"),
    ]:
        with pytest.raises(TransitionRefused) as refusal:
            services.session_open(evaluation=evaluation, meeting_on=meeting_on, expires_on=expires_on, actor=secretary)
        assert refusal.value.messages == [message]
    assert (SurveySession.objects.count(), audit_count()) == before


def test_it_refuses_a_session_once_the_superior_has_evaluated(campaign, tree, secretary, reviewer):
    from tests.campaigns.steps import evaluate, evaluation_of

    evaluation = evaluate(evaluation_of(campaign, tree.finance_1), secretary, reviewer, score=8)
    before = (SurveySession.objects.count(), audit_count())
    with pytest.raises(TransitionRefused) as refusal:
        services.session_open(
            evaluation=evaluation, meeting_on=MEETING, expires_on=timezone.localdate(), actor=secretary
        )
    assert refusal.value.messages == ["“财政局第一支部”的评定当前状态为“已考评”，不能录入测评结果"]
    assert (SurveySession.objects.count(), audit_count()) == before


# --- codes ----------------------------------------------------------------------------------------


def test_it_issues_random_codes_stored_only_as_digests(session, secretary):
    issued = issue(session, secretary, member=10, public=5)
    assert sorted(kind for kind, _ in issued.codes) == ["member"] * 10 + ["public"] * 5
    stored = set(SurveyToken.objects.filter(session=session).values_list("digest", flat=True))
    assert stored == {hashlib.sha256(code.encode()).hexdigest() for code in codes_of(issued)}
    assert all(codes.looks_valid(code) and len(code) == 13 for code in codes_of(issued))
    assert not SurveyToken.objects.filter(digest__in=codes_of(issued)).exists()
    assert actions("survey.") == ["survey.opened", "survey.tokens_issued"]


def test_it_codes_carry_65_random_bits_and_forgive_typing():
    assert codes.CODE_LENGTH * 5 >= 64
    code = "0123456789ABC"
    assert codes.digest(code) == codes.digest("o123-4567-89abc")
    assert codes.digest("1ILO") == codes.digest("1110")
    assert codes.grouped(code) == "0123-4567-89ABC"
    assert len({codes.new_code() for _ in range(1000)}) == 1000


def test_it_refuses_more_member_codes_than_members(session, secretary):
    issue(session, secretary, member=8)
    before = state_of(session)
    with pytest.raises(TransitionRefused) as refusal:
        issue(session, secretary, member=3)
    assert refusal.value.messages == ["党员测评码最多10个（本组织党员数），已发放8个，本次最多再发放2个"]
    assert state_of(session) == before


def test_it_counts_members_again_at_each_issue(session, secretary, tree):
    MemberFactory(organization=tree.finance_1)
    issue(session, secretary, member=11)
    session.refresh_from_db()
    assert session.member_count == 11


def test_it_refuses_public_codes_when_the_settings_say_none(session, secretary):
    services.session_settings_change(
        session=session, public_tokens_allowed=False, comments_collected=True, actor=secretary
    )
    before = state_of(session)
    with pytest.raises(TransitionRefused) as refusal:
        issue(session, secretary, member=1, public=1)
    assert refusal.value.messages == ["本次测评不发放群众测评码（见匿名设置）"]
    assert state_of(session) == before


def test_it_reissues_by_voiding_unused_codes(session, secretary):
    first = issue(session, secretary, member=10)
    used_code, lost_code = codes_of(first)[:2]
    services.ballot_cast(code=used_code, data=answers(session=session))
    second = issue(session, secretary, member=9, replace_unused=True)
    assert second.replaced == 9
    with pytest.raises(services.BallotRefused) as refusal:
        services.ballot_session(lost_code)
    assert refusal.value.reason == "unknown"
    assert session.tokens.count() == 10
    assert session.tokens.filter(used=True).count() == 1


def test_it_refuses_issuing_to_another_user(session, reviewer, inspector):
    before = state_of(session)
    with pytest.raises(ActionForbidden):
        issue(session, reviewer, member=1)
    with pytest.raises(PermissionDenied):
        issue(session, inspector, member=1)
    assert state_of(session) == before


# --- ballots --------------------------------------------------------------------------------------


def test_it_casts_one_ballot_per_code_with_a_receipt(session, secretary):
    code = codes_of(issue(session, secretary, member=2))[0]
    audit_before = audit_count()
    receipt = services.ballot_cast(code=code, data=answers("basically_satisfied", session=session, comment="好"))
    ballot = Ballot.objects.get()
    assert ballot.receipt == receipt and len(receipt) == 10
    assert ballot.cast_on == timezone.localdate()
    assert ballot.answers["overall"] == "basically_satisfied" and ballot.answers["comment"] == "好"
    assert SurveyToken.objects.get(digest=codes.digest(code)).used is True
    # nothing is audited per ballot
    assert audit_count() == audit_before
    with pytest.raises(services.BallotRefused) as refusal:
        services.ballot_cast(code=code, data=answers(session=session))
    assert refusal.value.message == "该测评码已使用，您的测评票已计入"
    assert Ballot.objects.count() == 1


def test_it_refuses_unknown_expired_and_closed_codes(session, secretary):
    issued = codes_of(issue(session, secretary, member=3))
    with pytest.raises(services.BallotRefused) as refusal:
        services.ballot_cast(code="0000-0000-00000", data=answers(session=session))
    assert refusal.value.message == "测评码无效，请核对测评票上的测评码后重新输入"
    with pytest.raises(services.BallotRefused):
        services.ballot_cast(code="not a code", data=answers(session=session))
    SurveyToken.objects.filter(digest=codes.digest(issued[0])).update(expires_at=timezone.now())
    with pytest.raises(services.BallotRefused) as refusal:
        services.ballot_cast(code=issued[0], data=answers(session=session))
    assert refusal.value.message == "该测评码已过期，不能再投票"
    services.session_close(session=session, actor=secretary)
    with pytest.raises(services.BallotRefused) as refusal:
        services.ballot_cast(code=issued[1], data=answers(session=session))
    assert refusal.value.message == "本次测评已结束，不能再投票"
    assert Ballot.objects.count() == 0
    assert SurveyToken.objects.filter(used=True).count() == 0


def test_it_refuses_incomplete_answers_and_keeps_the_code(session, secretary):
    code = codes_of(issue(session, secretary, member=1))[0]
    with pytest.raises(services.BallotInvalid) as refusal:
        services.ballot_cast(code=code, data={"overall": "satisfied", "criterion_1": "great"})
    assert refusal.value.errors["criterion_1"] == "请评价“组织健全”"
    assert refusal.value.errors["criterion_2"] == "请评价“制度完善、落实”"
    assert "overall" not in refusal.value.errors
    with pytest.raises(services.BallotInvalid) as refusal:
        services.ballot_cast(code=code, data=answers(session=session, comment="长" * 501) | {"overall": ""})
    assert refusal.value.errors == {"overall": "请选择总体评价", "comment": "意见建议不能超过500字"}
    assert Ballot.objects.count() == 0
    assert SurveyToken.objects.get().used is False


def test_it_drops_comments_when_the_session_collects_none(session, secretary):
    services.session_settings_change(
        session=session, public_tokens_allowed=True, comments_collected=False, actor=secretary
    )
    code = codes_of(issue(session, secretary, member=1))[0]
    services.ballot_cast(code=code, data=answers(session=session, comment="张三说的"))
    assert "comment" not in Ballot.objects.get().answers


def test_the_ballot_has_no_token_member_address_or_time():
    fields = {field.name for field in Ballot._meta.get_fields()}
    assert fields == {"id", "session", "answers", "cast_on", "receipt"}
    assert Ballot._meta.pk.get_internal_type() == "UUIDField"
    assert Ballot._meta.get_field("cast_on").get_internal_type() == "DateField"
    token_fields = {field.name for field in SurveyToken._meta.get_fields()}
    assert token_fields == {"id", "session", "kind", "digest", "used", "expires_at"}


# --- anonymity settings ---------------------------------------------------------------------------


def test_it_changes_the_anonymity_settings_until_the_first_ballot(session, secretary):
    issued = issue(session, secretary, member=2, public=2)
    services.session_settings_change(
        session=session, public_tokens_allowed=False, comments_collected=False, actor=secretary
    )
    assert session.tokens.filter(kind=TokenKind.PUBLIC).count() == 0
    assert actions("survey.")[-1] == "survey.settings_changed"
    services.ballot_cast(code=codes_of(issued, TokenKind.MEMBER)[0], data=answers(session=session))
    before = state_of(session)
    with pytest.raises(TransitionRefused) as refusal:
        services.session_settings_change(
            session=session, public_tokens_allowed=True, comments_collected=True, actor=secretary
        )
    assert refusal.value.messages == ["已有测评票，匿名设置已锁定，不能再修改"]
    assert state_of(session) == before


# --- closing --------------------------------------------------------------------------------------


def vote(session, issued, member_answers, public_answers=()):
    for code, overall in zip(codes_of(issued, TokenKind.MEMBER), member_answers, strict=False):
        services.ballot_cast(code=code, data=answers(overall, session=session))
    for code, overall in zip(codes_of(issued, TokenKind.PUBLIC), public_answers, strict=False):
        services.ballot_cast(code=code, data=answers(overall, session=session))


def test_it_closes_a_valid_session_and_feeds_the_evaluation(session, evaluation, secretary):
    issued = issue(session, secretary, member=10, public=2)
    vote(session, issued, ["satisfied"] * 6 + ["basically_satisfied"] * 2 + ["unsatisfied"], ["unsatisfied"])
    closed = services.session_close(session=session, actor=secretary)
    assert (closed.state, closed.valid, closed.ballot_count, closed.member_participant_count) == (
        SessionState.CLOSED,
        True,
        10,
        9,
    )
    assert closed.participation == Decimal("0.9000")
    assert closed.satisfaction == Decimal("0.8000")  # 8 of 10 ballots, member and public alike
    assert closed.score == Decimal("0.7400")  # (6·1 + 2·0.7) / 10
    assert closed.distributions["overall"] == {"satisfied": 6, "basically_satisfied": 2, "unsatisfied": 2}
    assert closed.distributions["criteria"]["1"] == {"satisfied": 6, "basically_satisfied": 2, "unsatisfied": 2}
    evaluation.refresh_from_db()
    assert (
        evaluation.survey_member_count,
        evaluation.survey_participant_count,
        evaluation.survey_satisfaction,
        evaluation.survey_score,
        evaluation.survey_meeting_on,
    ) == (10, 9, Decimal("0.8000"), Decimal("0.7400"), MEETING)
    assert actions()[-2:] == ["evaluation.survey_recorded", "survey.closed"]
    assert sorted(services.receipts_sorted(closed)) == sorted(Ballot.objects.values_list("receipt", flat=True))


def test_it_closes_below_80_percent_as_invalid_without_feeding(session, evaluation, secretary, reviewer):
    issued = issue(session, secretary, member=10)
    vote(session, issued, ["satisfied"] * 7)
    closed = services.session_close(session=session, actor=reviewer)
    assert (closed.valid, closed.participation, closed.satisfaction) == (False, Decimal("0.7000"), Decimal(1))
    evaluation.refresh_from_db()
    assert evaluation.survey_satisfaction is None
    assert actions()[-1] == "survey.closed"
    assert "evaluation.survey_recorded" not in actions()
    # and the superior is told why it cannot evaluate yet
    self_evaluate(evaluation, secretary)
    with pytest.raises(TransitionRefused) as refusal:
        campaign_services.superior_evaluate(evaluation=evaluation, scores=uniform(8), actor=reviewer)
    assert refusal.value.messages == ["参加测评的党员占70.0%，不足80%，测评无效，应重新组织测评"]
    # and a new session can be opened
    services.session_open(evaluation=evaluation, meeting_on=MEETING, expires_on=timezone.localdate(), actor=secretary)


def test_it_refuses_closing_to_the_inspector_another_branch_and_twice(session, secretary, inspector, edu_reviewer):
    before = state_of(session)
    with pytest.raises(PermissionDenied):
        services.session_close(session=session, actor=inspector)
    with pytest.raises(Http404):
        services.session_close(session=session, actor=edu_reviewer)
    assert state_of(session) == before
    services.session_close(session=session, actor=secretary)
    before = state_of(session)
    with pytest.raises(TransitionRefused) as refusal:
        services.session_close(session=session, actor=secretary)
    assert refusal.value.messages == ["本次测评已结束"]
    assert state_of(session) == before


def test_a_refused_feed_closes_nothing(session, evaluation, secretary, reviewer):
    issued = issue(session, secretary, member=10)
    vote(session, issued, ["satisfied"] * 10)
    # the evaluation moved on meanwhile (superior evaluated on earlier figures)
    Evaluation.objects.filter(pk=evaluation.pk).update(state="evaluated")
    before = state_of(session)
    with pytest.raises(TransitionRefused):
        services.session_close(session=session, actor=secretary)
    assert state_of(session) == before


def test_it_exports_ballots_in_random_order(session, secretary, client):
    import io

    from openpyxl import load_workbook

    issued = issue(session, secretary, member=10, public=30)
    cast_order = []
    for _kind, code in issued.codes:
        cast_order.append(services.ballot_cast(code=code, data=answers(session=session)))
    services.session_close(session=session, actor=secretary)
    client.force_login(secretary)
    exports = []
    for _ in range(2):
        response = client.get(f"/surveys/sessions/{session.pk}/export/")
        sheet = load_workbook(io.BytesIO(response.content)).active
        exports.append([row[0] for row in sheet.iter_rows(min_row=2, max_row=41, values_only=True)])
    assert sorted(exports[0]) == sorted(cast_order)
    assert exports[0] != cast_order and exports[1] != cast_order
    assert exports[0] != exports[1]
    by_key = list(Ballot.objects.order_by("pk").values_list("receipt", flat=True))
    assert exports[0] != by_key


def test_it_computes_results_with_the_schemes_weights():
    questions = {
        "options": [
            {"code": "a", "label": "好", "weight": "1"},
            {"code": "b", "label": "中", "weight": "0.5"},
            {"code": "c", "label": "差", "weight": "0"},
        ],
        "satisfied": ["a"],
        "criteria": [],
    }
    results = services.compute_results(questions, [{"overall": "a"}, {"overall": "b"}, {"overall": "c"}])
    assert (results.ballot_count, results.satisfaction, results.score) == (3, Decimal("0.3333"), Decimal("0.5000"))
    empty = services.compute_results(questions, [])
    assert (empty.satisfaction, empty.score) == (None, None)
