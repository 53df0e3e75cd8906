"""Every change of a survey: open a session, change its anonymity settings, issue codes, cast a ballot, close.

The session services follow ``xingji.campaigns.services``: keyword-only
arguments, one transaction, the rows locked (evaluation, then session), the
actor's role and subtree checked, the audit entry last. A refusal raises
``TransitionRefused`` or ``ActionForbidden`` (or ``Http404`` outside the
actor's subtree) and changes nothing.

A ballot is cast without login (``ballot_cast``): its one transaction marks
the code used — ``UPDATE … SET used = true WHERE digest = ? AND NOT used AND
expires_at > now``, one row for the winner, none for anyone else — and
inserts the ballot, which carries no trace of the code. Nothing is audited
per ballot: an entry naming the code next to the ballot would undo the
separation of the two tables; the counts are audited when the session closes.
"""

from __future__ import annotations

import secrets
import uuid
from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from decimal import ROUND_HALF_UP, Decimal
from functools import cache, lru_cache
from typing import Any

from django.db import InterfaceError, OperationalError, connection, transaction
from django.db.models import Field
from django.utils import timezone

from xingji.accounts.access import SELF_ROLES, access_organization
from xingji.accounts.models import Actor
from xingji.audit.services import audit_log
from xingji.campaigns import services as campaign_services
from xingji.campaigns.access import is_superior_of
from xingji.campaigns.models import Evaluation
from xingji.campaigns.workflow import check_campaign, check_evaluation
from xingji.common.errors import ActionForbidden, TransitionRefused
from xingji.orgs.models import Member, MemberStatus
from xingji.surveys import codes
from xingji.surveys.models import Ballot, SessionState, SurveySession, SurveyToken, TokenKind

FOUR_PLACES = Decimal("0.0001")
#: At most this many codes of one kind in one issue (a printed batch).
MAX_TOKENS_PER_ISSUE = 1000
COMMENT_MAX_LENGTH = 500


# --- who may act -----------------------------------------------------------------------------


def is_own(user: Actor, evaluation: Evaluation) -> bool:
    """The organization's own user (its branch secretary, or the 机关党委/总支 user for its own organization)."""
    if not (user is not None and user.is_authenticated and user.is_active):
        return False
    if user.is_superuser:
        return True
    return user.organization_id == evaluation.organization_id and user.role in SELF_ROLES


def require_own(user: Actor, evaluation: Evaluation) -> None:
    """Opening a session, issuing codes, changing the settings: the organization's own user only."""
    access_organization(user, evaluation.organization_id, write=True)
    if not is_own(user, evaluation):
        raise ActionForbidden("只有本组织的书记可以组织本组织的测评")


def may_close(user: Actor, evaluation: Evaluation) -> bool:
    return is_own(user, evaluation) or is_superior_of(user, evaluation)


def require_may_close(user: Actor, evaluation: Evaluation) -> None:
    """Closing: the organization's own user or a superior (reviewer, office above)."""
    access_organization(user, evaluation.organization_id, write=True)
    if not may_close(user, evaluation):
        raise ActionForbidden("只有本组织的书记或上级党组织可以结束测评")


# --- helpers ---------------------------------------------------------------------------------


def _share(numerator: int, denominator: int) -> Decimal:
    return (Decimal(numerator) / Decimal(denominator)).quantize(FOUR_PLACES, rounding=ROUND_HALF_UP)


def member_count_of(organization_id: int) -> int:
    """The organization's members: full and probationary (正式党员、预备党员)."""
    return Member.objects.filter(
        organization_id=organization_id, status__in=[MemberStatus.FULL, MemberStatus.PROBATIONARY]
    ).count()


def questions_of(evaluation: Evaluation) -> dict[str, Any]:
    """The ballot's questions from the campaign's scheme, kept on the session as plain JSON."""
    scheme = evaluation.campaign.scheme
    survey = scheme.survey
    criteria = scheme.criteria_for(evaluation.organization.category) if survey.ask_criteria else []
    return {
        "options": [
            {"code": option.code, "label": option.label, "weight": str(option.weight)} for option in survey.options
        ],
        "satisfied": sorted(survey.satisfied),
        "ask_criteria": survey.ask_criteria,
        "min_participation": str(survey.min_participation),
        "criteria": [{"code": criterion.code, "name": criterion.name} for criterion in criteria],
    }


def _end_of(day: date) -> datetime:
    return timezone.make_aware(datetime.combine(day + timedelta(days=1), time(0)))


def _lock_evaluation(evaluation: Evaluation) -> Evaluation:
    return (
        Evaluation.objects.select_for_update(of=("self",))
        .select_related("campaign", "organization")
        .get(pk=evaluation.pk)
    )


def _lock_session(session: SurveySession) -> tuple[Evaluation, SurveySession]:
    evaluation = _lock_evaluation(session.evaluation)
    current = SurveySession.objects.select_for_update(of=("self",)).get(pk=session.pk)
    current.evaluation = evaluation
    return evaluation, current


def _settings(session: SurveySession) -> dict[str, bool]:
    return {"public_tokens_allowed": session.public_tokens_allowed, "comments_collected": session.comments_collected}


def _check_open(session: SurveySession) -> None:
    if session.state != SessionState.OPEN:
        raise TransitionRefused("本次测评已结束", code="closed")


# --- sessions --------------------------------------------------------------------------------


def session_open(
    *,
    evaluation: Evaluation,
    meeting_on: date,
    expires_on: date,
    public_tokens_allowed: bool = True,
    comments_collected: bool = True,
    actor: Actor,
) -> SurveySession:
    """Open a survey session (测评会): questions from the scheme, codes valid through ``expires_on``."""
    with transaction.atomic():
        current = _lock_evaluation(evaluation)
        require_own(actor, current)
        check_campaign("evaluate", current.campaign)
        check_evaluation("survey_record", current)
        if SurveySession.objects.filter(evaluation=current, state=SessionState.OPEN).exists():
            raise TransitionRefused("本组织已有进行中的测评，请先结束它", code="open_session")
        today = timezone.localdate()
        if expires_on < meeting_on:
            raise TransitionRefused("测评码失效日期不能早于测评会日期", code="expires_on")
        if expires_on < today:
            raise TransitionRefused("测评码失效日期不能早于今天", code="expires_on")
        session = SurveySession.objects.create(
            evaluation=current,
            meeting_on=meeting_on,
            expires_at=_end_of(expires_on),
            questions=questions_of(current),
            public_tokens_allowed=bool(public_tokens_allowed),
            comments_collected=bool(comments_collected),
            member_count=member_count_of(current.organization_id),
            opened_by=actor,
        )
        audit_log(
            actor=actor,
            action="survey.opened",
            obj=session,
            before=None,
            after={
                "evaluation_id": current.pk,
                "meeting_on": meeting_on.isoformat(),
                "expires_at": session.expires_at.isoformat(),
                "member_count": session.member_count,
                **_settings(session),
            },
        )
    return session


def session_settings_change(
    *,
    session: SurveySession,
    public_tokens_allowed: bool,
    comments_collected: bool,
    actor: Actor,
) -> SurveySession:
    """Change the anonymity settings (匿名设置), until the first ballot exists.

    Turning the public codes off removes the unused ones already issued.
    """
    with transaction.atomic():
        evaluation, current = _lock_session(session)
        require_own(actor, evaluation)
        _check_open(current)
        if current.ballots.exists():
            raise TransitionRefused("已有测评票，匿名设置已锁定，不能再修改", code="locked")
        before = _settings(current)
        current.public_tokens_allowed = bool(public_tokens_allowed)
        current.comments_collected = bool(comments_collected)
        after = _settings(current)
        if before == after:
            return current
        removed = 0
        if not current.public_tokens_allowed:
            removed, _ = current.tokens.filter(kind=TokenKind.PUBLIC, used=False).delete()
        current.save(update_fields=["public_tokens_allowed", "comments_collected"])
        audit_log(
            actor=actor,
            action="survey.settings_changed",
            obj=current,
            before=before,
            after={**after, "public_tokens_removed": removed},
        )
    return current


@dataclass(frozen=True)
class IssuedCodes:
    """The codes of one issue, in random order: the only moment they exist in plain text."""

    session: SurveySession
    codes: list[tuple[str, str]]  # (kind, code)
    replaced: int


def tokens_issue(
    *,
    session: SurveySession,
    member_tokens: int,
    public_tokens: int,
    replace_unused: bool = False,
    actor: Actor,
) -> IssuedCodes:
    """Issue new codes; with ``replace_unused``, the unused codes already issued stop working first (reprint).

    Member codes are at most the organization's members (full and
    probationary) counted now, used codes included.
    """
    for value, label in ((member_tokens, "党员测评码数量"), (public_tokens, "群众测评码数量")):
        if isinstance(value, bool) or not isinstance(value, int) or value < 0:
            raise TransitionRefused(f"{label}应为不小于0的整数", code="count")
        if value > MAX_TOKENS_PER_ISSUE:
            raise TransitionRefused(f"{label}一次最多{MAX_TOKENS_PER_ISSUE}个", code="count")
    if member_tokens + public_tokens == 0:
        raise TransitionRefused("请至少发放一个测评码", code="count")
    with transaction.atomic():
        evaluation, current = _lock_session(session)
        require_own(actor, evaluation)
        _check_open(current)
        if timezone.now() >= current.expires_at:
            raise TransitionRefused("本次测评的测评码已过失效时间，请结束后重新组织测评", code="expired")
        if public_tokens and not current.public_tokens_allowed:
            raise TransitionRefused("本次测评不发放群众测评码（见匿名设置）", code="public")
        replaced = 0
        if replace_unused:
            replaced, _ = current.tokens.filter(used=False).delete()
        current.member_count = member_count_of(evaluation.organization_id)
        existing = current.tokens.filter(kind=TokenKind.MEMBER).count()
        if existing + member_tokens > current.member_count:
            raise TransitionRefused(
                f"党员测评码最多{current.member_count}个（本组织党员数），已发放{existing}个，"
                f"本次最多再发放{max(current.member_count - existing, 0)}个",
                code="member_limit",
            )
        issued = [(TokenKind.MEMBER.value, codes.new_code()) for _ in range(member_tokens)]
        issued += [(TokenKind.PUBLIC.value, codes.new_code()) for _ in range(public_tokens)]
        secrets.SystemRandom().shuffle(issued)
        SurveyToken.objects.bulk_create(
            [
                SurveyToken(session=current, kind=kind, digest=codes.digest(code), expires_at=current.expires_at)
                for kind, code in issued
            ]
        )
        current.save(update_fields=["member_count"])
        audit_log(
            actor=actor,
            action="survey.tokens_issued",
            obj=current,
            before=None,
            after={
                "member": member_tokens,
                "public": public_tokens,
                "replaced_unused": replaced,
                "member_count": current.member_count,
            },
        )
    return IssuedCodes(session=current, codes=issued, replaced=replaced)


# --- results ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class Results:
    ballot_count: int
    satisfaction: Decimal | None
    score: Decimal | None
    distributions: dict[str, Any]


def compute_results(questions: dict[str, Any], answers: list[dict[str, Any]]) -> Results:
    """Satisfaction (share of satisfied overall ratings), the weighted score and the distribution of each question."""
    options = [option["code"] for option in questions["options"]]
    weights = {option["code"]: Decimal(option["weight"]) for option in questions["options"]}
    satisfied = set(questions["satisfied"])
    overall = Counter(answer.get("overall") for answer in answers)
    criteria = {
        criterion["code"]: Counter(answer.get("criteria", {}).get(criterion["code"]) for answer in answers)
        for criterion in questions.get("criteria", [])
    }
    distributions = {
        "overall": {code: overall.get(code, 0) for code in options},
        "criteria": {code: {option: counts.get(option, 0) for option in options} for code, counts in criteria.items()},
    }
    count = len(answers)
    if not count:
        return Results(0, None, None, distributions)
    satisfied_count = sum(overall.get(code, 0) for code in satisfied)
    total = sum((weights[code] * overall.get(code, 0) for code in options), Decimal(0))
    score = (total / count).quantize(FOUR_PLACES, rounding=ROUND_HALF_UP)
    return Results(count, _share(satisfied_count, count), score, distributions)


def live_counter(session: SurveySession) -> dict[str, Any]:
    """Participation so far, without any answer: used member codes against the members and the threshold."""
    used = session.tokens.filter(kind=TokenKind.MEMBER, used=True).count()
    members = session.member_count
    share = _share(used, members) if members else Decimal(0)
    return {
        "used": used,
        "members": members,
        "participation": share,
        "percent": float(share * 100),
        "threshold": session.min_participation,
        "threshold_percent": float(session.min_participation * 100),
        "reached": bool(members) and share >= session.min_participation,
    }


def session_close(*, session: SurveySession, actor: Actor) -> SurveySession:
    """Close the session: codes stop working, results freeze; a valid survey feeds the evaluation.

    Valid: member codes used / members ≥ the scheme's threshold (``[survey] min_participation``, 80 % by default).
    Below, the session is closed as invalid and the evaluation keeps what it
    had: a new session can be opened.
    """
    with transaction.atomic():
        evaluation, current = _lock_session(session)
        require_may_close(actor, evaluation)
        _check_open(current)
        now = timezone.now()
        # Unused codes expire now; a ballot in flight holds its code's row and commits first.
        current.tokens.filter(used=False, expires_at__gt=now).update(expires_at=now)
        # A ballot and its code's row were written in one transaction, which PostgreSQL stamps on both rows
        # (xmin): rewriting the used codes here stamps them all with this one, so no row pairs a ballot
        # with its code any more (the old row versions go with the next vacuum).
        current.tokens.filter(used=True).update(used=True)
        member_used = current.tokens.filter(kind=TokenKind.MEMBER, used=True).count()
        results = compute_results(current.questions, list(current.ballots.values_list("answers", flat=True)))
        participation = _share(member_used, current.member_count) if current.member_count else Decimal(0)
        # A survey without a ballot has no satisfaction to record, whatever the codes say.
        valid = (
            results.satisfaction is not None
            and bool(current.member_count)
            and participation >= current.min_participation
        )
        current.state = SessionState.CLOSED
        current.closed_by = actor
        current.closed_at = now
        current.ballot_count = results.ballot_count
        current.member_participant_count = member_used
        current.participation = participation
        current.satisfaction = results.satisfaction
        current.score = results.score
        current.valid = valid
        current.distributions = results.distributions
        current.save()
        if valid and results.satisfaction is not None:
            campaign_services.survey_figures_record(
                evaluation=evaluation,
                member_count=current.member_count,
                participant_count=member_used,
                satisfaction=results.satisfaction,
                meeting_on=current.meeting_on,
                score=results.score,
                actor=actor,
            )
        audit_log(
            actor=actor,
            action="survey.closed",
            obj=current,
            before={"state": SessionState.OPEN},
            after={
                "state": SessionState.CLOSED,
                "ballot_count": results.ballot_count,
                "member_count": current.member_count,
                "member_participant_count": member_used,
                "participation": str(participation),
                "satisfaction": str(results.satisfaction) if results.satisfaction is not None else None,
                "score": str(results.score) if results.score is not None else None,
                "valid": valid,
                "fed_evaluation": valid,
            },
        )
    return current


def ballots_shuffled(session: SurveySession) -> list[Ballot]:
    """The session's ballots in random order (an export must not follow the order of casting)."""
    ballots = list(Ballot.objects.filter(session=session))
    secrets.SystemRandom().shuffle(ballots)
    return ballots


def receipts_sorted(session: SurveySession) -> list[str]:
    """The receipt codes of a closed session, sorted (not in the order of casting)."""
    return sorted(Ballot.objects.filter(session=session).values_list("receipt", flat=True))


# --- the ballot ------------------------------------------------------------------------------


class BallotRefused(Exception):
    """A code that cannot vote, with the page's message."""

    MESSAGES = {
        "unknown": "测评码无效，请核对测评票上的测评码后重新输入",
        "used": "该测评码已使用，您的测评票已计入",
        "expired": "该测评码已过期，不能再投票",
        "closed": "本次测评已结束，不能再投票",
    }

    def __init__(self, reason: str) -> None:
        self.reason = reason
        self.message = self.MESSAGES[reason]
        super().__init__(self.message)


class BallotInvalid(Exception):
    """Answers that do not fit the questions: field name → message."""

    def __init__(self, errors: dict[str, str]) -> None:
        self.errors = errors
        super().__init__("；".join(errors.values()))


def _refusal(token: SurveyToken | None) -> BallotRefused:
    if token is None:
        return BallotRefused("unknown")
    if token.used:
        return BallotRefused("used")
    if token.session.state != SessionState.OPEN:
        return BallotRefused("closed")
    return BallotRefused("expired")


def _usable_token(digest: str) -> SurveyToken:
    """The code's row, with its session, if the code may still vote; ``BallotRefused`` otherwise."""
    token = SurveyToken.objects.select_related("session").filter(digest=digest).first()
    if token is None or token.used or token.expires_at <= timezone.now():
        raise _refusal(token)
    return token


def ballot_session(code: str) -> SurveySession:
    """The session a code may still vote in; ``BallotRefused`` otherwise."""
    if not codes.looks_valid(code):
        raise _refusal(None)
    session = _usable_token(codes.digest(code)).session
    _remember(session.pk, str(session.public_id), session.comments_collected, BallotForm.of(session.questions))
    return session


@dataclass(frozen=True)
class BallotForm:
    """What a ballot is checked against: the session's option codes and criteria (code, name)."""

    options: frozenset[str]
    criteria: tuple[tuple[str, str], ...]

    @classmethod
    def of(cls, questions: dict[str, Any]) -> BallotForm:
        return cls(
            options=frozenset(option["code"] for option in questions["options"]),
            criteria=tuple((criterion["code"], criterion["name"]) for criterion in questions.get("criteria", [])),
        )


@lru_cache(maxsize=256)
def ballot_form(session_id: int, public_id: str) -> BallotForm:
    """The session's ballot form, kept per process: a session's questions never change once it is open.

    Keyed by the session's number and its random public id as well, so that
    a number used again (a test database, a restored copy) cannot find
    another session's questions. ``comments_collected`` is not here: it can
    change until the first ballot, so each ballot reads it in its update.
    """
    questions = SurveySession.objects.filter(pk=session_id).values_list("questions", flat=True).get()
    return BallotForm.of(questions)


def _clean(form: BallotForm, comments_collected: bool, data: Mapping[str, Any]) -> dict[str, Any]:
    errors: dict[str, str] = {}
    overall = (data.get("overall") or "").strip()
    if overall not in form.options:
        errors["overall"] = "请选择总体评价"
    criteria = {}
    for code, name in form.criteria:
        field = f"criterion_{code}"
        value = (data.get(field) or "").strip()
        if value not in form.options:
            errors[field] = f"请评价“{name}”"
        criteria[code] = value
    answers: dict[str, Any] = {"overall": overall, "criteria": criteria}
    if comments_collected:
        comment = (data.get("comment") or "").strip()
        if len(comment) > COMMENT_MAX_LENGTH:
            errors["comment"] = f"意见建议不能超过{COMMENT_MAX_LENGTH}字"
        answers["comment"] = comment
    if errors:
        raise BallotInvalid(errors)
    return answers


def clean_answers(session: SurveySession, data: Mapping[str, Any]) -> dict[str, Any]:
    """The answers of a posted form (``overall``, ``criterion_<code>``, ``comment``), checked against the questions."""
    return _clean(BallotForm.of(session.questions), session.comments_collected, data)


_BALLOT_FIELDS = ("id", "session", "answers", "cast_on", "receipt")


def _ballot_fields() -> list[Field[Any, Any]]:
    by_name = {field.name: field for field in Ballot._meta.concrete_fields}
    return [by_name[name] for name in _BALLOT_FIELDS]


@dataclass(frozen=True)
class SessionGuess:
    """The session of the last ballot in this process, the likely one of the next (a meeting votes at once)."""

    session_id: int
    public_id: str
    comments_collected: bool
    form: BallotForm


#: Per process; only a guess, checked by the statement that relies on it (``_guessed_ballot_sql``).
_last_session: SessionGuess | None = None


def _remember(session_id: int, public_id: str, comments_collected: bool, form: BallotForm) -> None:
    global _last_session
    _last_session = SessionGuess(session_id, public_id, bool(comments_collected), form)


def ballot_guess_forget() -> None:
    """Forget the session of the last ballot (for tests that count statements)."""
    global _last_session
    _last_session = None


@cache
def _ballot_sql() -> tuple[str, str]:
    """The two statements of a ballot: redeem the code (returning what the ballot needs), insert the ballot."""
    token, session, ballot = (model._meta.db_table for model in (SurveyToken, SurveySession, Ballot))
    of_session = f"(SELECT {{}} FROM {session} WHERE {session}.id = {token}.session_id)"
    redeem = (
        f"UPDATE {token} SET used = %s WHERE digest = %s AND NOT used AND expires_at > %s "
        f"RETURNING session_id, {of_session.format('public_id')}, {of_session.format('comments_collected')}"
    )
    columns = ", ".join(field.column for field in _ballot_fields())
    insert = f"INSERT INTO {ballot} ({columns}) VALUES ({', '.join(['%s'] * len(_BALLOT_FIELDS))})"
    return redeem, insert


@cache
def _guessed_ballot_sql() -> str:
    """A ballot in one statement (PostgreSQL): redeem the code if it belongs to the guessed session, insert the ballot.

    The guess is part of the update's condition — the session's number, its
    public id and the ``comments_collected`` the answers were cleaned with —
    so that answers checked against another session's questions, or against a
    setting changed since, are never stored: the update then changes nothing,
    nor does the insert, which takes its rows from the update's.
    """
    token, session, ballot = (model._meta.db_table for model in (SurveyToken, SurveySession, Ballot))
    columns = ", ".join(field.column for field in _ballot_fields())
    return (
        f"WITH redeemed AS (UPDATE {token} SET used = %s WHERE digest = %s AND NOT used AND expires_at > %s "
        f"AND session_id = %s AND EXISTS (SELECT 1 FROM {session} WHERE {session}.id = %s "
        f"AND {session}.public_id = %s AND {session}.comments_collected = %s) RETURNING session_id) "
        f"INSERT INTO {ballot} ({columns}) SELECT %s, session_id, %s, %s, %s FROM redeemed RETURNING session_id"
    )


def _prepared(values: tuple[Any, ...]) -> list[Any]:
    """A ballot's values as its fields prepare them for the database (as the ORM would)."""
    return [field.get_db_prep_save(value, connection) for field, value in zip(_ballot_fields(), values, strict=True)]


def _execute_reconnecting(sql: str, params: list[Any]) -> bool:
    """One statement on its own (autocommit), without the connection's health check first: whether it returned a row.

    The health check (``CONN_HEALTH_CHECKS``) costs a round trip per request.
    Here a connection that dropped while idle shows up as this statement's
    error instead, and the statement runs again, once, on a new connection.
    That is safe for a ballot: had the first one been committed before its
    answer was lost, the second finds the code used and changes nothing.
    """
    if connection.in_atomic_block:
        # Inside a caller's transaction: the connection is in use already, and a statement cannot be replayed alone.
        with connection.cursor() as cursor:
            cursor.execute(sql, params)
            return cursor.fetchone() is not None
    connection.health_check_done = True  # type: ignore[attr-defined]  # Django sets it, the stubs omit it
    try:
        with connection.cursor() as cursor:
            cursor.execute(sql, params)
            return cursor.fetchone() is not None
    except (OperationalError, InterfaceError):
        if connection.connection is not None and connection.is_usable():
            raise
        connection.close()
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.fetchone() is not None


def _cast_guessed(digest: str, guess: SessionGuess, answers: dict[str, Any]) -> str | None:
    """The ballot in one statement if the code is usable in the guessed session; None if it changed nothing."""
    receipt = codes.new_receipt()
    public_id = SurveySession._meta.get_field("public_id").get_db_prep_value(guess.public_id, connection)
    ballot = _prepared((uuid.uuid4(), guess.session_id, answers, timezone.localdate(), receipt))
    params = [True, digest, timezone.now(), guess.session_id, guess.session_id, public_id, guess.comments_collected]
    params += [ballot[0], *ballot[2:]]
    return receipt if _execute_reconnecting(_guessed_ballot_sql(), params) else None


def _cast_in_transaction(digest: str, data: Mapping[str, Any]) -> str | None:
    """The ballot in a transaction of two statements: redeem the code, learning its session, then insert."""
    redeem, insert = _ballot_sql()
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(redeem, [True, digest, timezone.now()])
        won = cursor.fetchone()
        if won is None:
            return None
        session_id, public_id, comments_collected = won
        form = ballot_form(session_id, str(public_id))
        _remember(session_id, str(public_id), comments_collected, form)
        # Invalid answers raise here and roll the code back to unused.
        answers = _clean(form, bool(comments_collected), data)
        receipt = codes.new_receipt()
        cursor.execute(insert, _prepared((uuid.uuid4(), session_id, answers, timezone.localdate(), receipt)))
    return receipt


def ballot_cast(*, code: str, data: Mapping[str, Any]) -> str:
    """Cast one ballot with a code; its receipt code. ``BallotRefused`` or ``BallotInvalid`` otherwise.

    Two submissions of one code (two tabs, a double tap, a retry) race on the
    code's row: one update changes it, the other finds it used and is told
    that the ballot was already counted.

    On PostgreSQL a ballot is one statement when its code belongs to the
    session of the last ballot cast (or questions shown) by this process, the
    guess that the process keeps with that session's questions: the answers
    are checked against them, then the code's update and the ballot's insert
    run as one ``WITH … INSERT``, its own transaction, one round trip without
    the connection's health check before it (``_guessed_ballot_sql``,
    ``_execute_reconnecting``). Otherwise — the first ballot of a session in a
    process, SQLite, a guess that missed — two statements in a transaction:
    the update, which returns the code's session and its
    ``comments_collected``, then the insert. The insert is written out rather
    than ``Ballot.objects.create``: the model has no signal, no ``save`` of
    its own, and every value is prepared by its field as the ORM would.
    """
    if not codes.looks_valid(code):
        raise BallotRefused("unknown")
    digest = codes.digest(code)
    guess = _last_session
    if guess is not None and connection.vendor == "postgresql":
        try:
            answers = _clean(guess.form, guess.comments_collected, data)
        except BallotInvalid:
            pass  # against another session's questions perhaps: the transaction tells
        else:
            receipt = _cast_guessed(digest, guess, answers)
            if receipt is not None:
                return receipt
            # Changed nothing: a code refused (read why), or one of another session.
            _usable_token(digest)
    receipt = _cast_in_transaction(digest, data)
    if receipt is None:
        # Changed nothing: why, read after the transaction.
        raise _refusal(SurveyToken.objects.select_related("session").filter(digest=digest).first())
    return receipt
