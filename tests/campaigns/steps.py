"""Steps of the campaign workflow and givens for the campaign tests (imported by the tests and conftest)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal

from django.utils import timezone

from xingji.accounts.models import User
from xingji.audit.models import AuditEntry
from xingji.campaigns import services
from xingji.campaigns.models import Campaign, CriterionScore, Evaluation, EvaluationState, ScorePart

YEAR = 2025
#: The engine's ten criteria of anyang-2017, 10 points each.
CODES = [str(number) for number in range(1, 11)]


def uniform(value, *, comment: str = "") -> dict[str, dict]:
    """The same score for each of the ten criteria: ``uniform(9.5)`` is 95 points in all."""
    return {code: {"score": Decimal(str(value)), "comment": comment} for code in CODES}


def audit_count() -> int:
    return AuditEntry.objects.count()


def actions(prefix: str = "") -> list[str]:
    return list(
        AuditEntry.objects.filter(action__startswith=prefix).order_by("sequence").values_list("action", flat=True)
    )


@dataclass
class Clock:
    """What ``services`` takes for today (the real date is left alone)."""

    today: date

    def advance(self, days: int) -> date:
        self.today += timedelta(days=days)
        return self.today


def evaluation_of(campaign: Campaign, organization) -> Evaluation:
    return Evaluation.objects.select_related("organization", "campaign").get(
        campaign=campaign, organization=organization
    )


def self_evaluate(evaluation: Evaluation, user: User, *, score=9, claimed_level: int = 4) -> Evaluation:
    services.self_evaluation_save_draft(
        evaluation=evaluation, scores=uniform(score), claimed_level=claimed_level, actor=user
    )
    return services.self_evaluation_submit(evaluation=evaluation, actor=user)


def record_survey(
    evaluation: Evaluation, user: User, *, satisfaction="0.92", members=20, participants=18, closer: User | None = None
):
    """Run a real survey (``xingji.surveys``): members topped up to ``members``, a session with a code per member
    and as many public codes as make ``satisfaction`` exact, ``participants`` member ballots, then closing.

    Satisfied voters answer 满意 and the others 不满意 on every question, so the survey score equals the
    satisfaction. Below 80 % participation the session closes invalid and the evaluation keeps no figures.
    """
    from tests.factories import MemberFactory
    from xingji.surveys import services as survey_services
    from xingji.surveys.models import TokenKind

    organization = evaluation.organization
    for _ in range(members - survey_services.member_count_of(organization.pk)):
        MemberFactory(organization=organization)
    assert survey_services.member_count_of(organization.pk) == members
    share = Decimal(str(satisfaction))
    total = next(count for count in range(max(participants, 1), 10_001) if (share * count) % 1 == 0)
    satisfied = int(share * total)
    session = survey_services.session_open(
        evaluation=evaluation,
        meeting_on=date(YEAR, 5, 20),
        expires_on=timezone.localdate() + timedelta(days=7),
        actor=user,
    )
    issued = survey_services.tokens_issue(
        session=session, member_tokens=members, public_tokens=total - participants, actor=user
    )
    member_codes = [code for kind, code in issued.codes if kind == TokenKind.MEMBER][:participants]
    public_codes = [code for kind, code in issued.codes if kind == TokenKind.PUBLIC]
    for index, code in enumerate([*member_codes, *public_codes]):
        answer = "satisfied" if index < satisfied else "unsatisfied"
        data = {"overall": answer, **{f"criterion_{item['code']}": answer for item in session.questions["criteria"]}}
        survey_services.ballot_cast(code=code, data=data)
    survey_services.session_close(session=session, actor=closer or user)
    evaluation.refresh_from_db()
    return evaluation


def evaluate(
    evaluation: Evaluation, self_user: User, superior: User, *, score, self_score=9, satisfaction="0.92"
) -> Evaluation:
    """Self-evaluation, survey figures and the superior's evaluation with ``score`` on every criterion."""
    self_evaluate(evaluation, self_user, score=self_score)
    record_survey(evaluation, self_user, satisfaction=satisfaction)
    return services.superior_evaluate(evaluation=evaluation, scores=uniform(score), comment="同意", actor=superior)


def force_evaluated(evaluation: Evaluation, *, score, satisfaction="0.92") -> Evaluation:
    """Put an evaluation straight into 已考评 with superior scores, as a given of a rating test (no audit)."""
    criteria = evaluation.campaign.scheme.criteria_for(evaluation.organization.category)
    CriterionScore.objects.filter(evaluation=evaluation).delete()
    CriterionScore.objects.bulk_create(
        [
            CriterionScore(evaluation=evaluation, part=part, criterion_code=criterion.code, score=Decimal(str(score)))
            for criterion in criteria
            for part in (ScorePart.SELF, ScorePart.SUPERIOR)
        ]
    )
    Evaluation.objects.filter(pk=evaluation.pk).update(
        state=EvaluationState.EVALUATED,
        survey_member_count=10,
        survey_participant_count=10,
        survey_satisfaction=Decimal(satisfaction),
        claimed_level=4,
    )
    evaluation.refresh_from_db()
    return evaluation


def force_state(evaluation: Evaluation, state: str) -> Evaluation:
    Evaluation.objects.filter(pk=evaluation.pk).update(state=state)
    evaluation.refresh_from_db()
    return evaluation


def snapshot(evaluation: Evaluation) -> tuple:
    """What a refused service must leave alone."""
    evaluation = Evaluation.objects.get(pk=evaluation.pk)
    scores = sorted(
        CriterionScore.objects.filter(evaluation=evaluation).values_list("part", "criterion_code", "score", "comment")
    )
    return (evaluation.state, evaluation.version, evaluation.level, evaluation.return_reason, scores, audit_count())


def run_rating(campaign: Campaign, actor: User, capture_on_commit):
    """Start the campaign-wide rating and let it run (the immediate runner) once the request commits."""
    with capture_on_commit(execute=True):
        run = services.campaign_rate(campaign=campaign, actor=actor)
    run.refresh_from_db()
    return run


def rated_campaign(campaign: Campaign, actor: User, capture_on_commit, scores: dict | None = None):
    """Every evaluation given as evaluated (``scores``: by organization code, default 8), then rated."""
    scores = scores or {}
    for evaluation in campaign.evaluations.select_related("organization"):
        force_evaluated(evaluation, score=scores.get(evaluation.organization.code, 8))
    return run_rating(campaign, actor, capture_on_commit)


def noticed_campaign(campaign: Campaign, actor: User, capture_on_commit, scores: dict | None = None):
    """``rated_campaign``, then its notice published (today, by the clock): the notice."""
    rated_campaign(campaign, actor, capture_on_commit, scores)
    return services.notice_publish(campaign=campaign, title="评定结果公示", confirmation="确认发布", actor=actor)
