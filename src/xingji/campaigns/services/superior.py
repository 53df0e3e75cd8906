"""The superior evaluation (上级考评), the five-star review (五星级审核) and the office's direct check."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date
from decimal import Decimal
from typing import Any

from django.db import transaction
from django.utils import timezone

import xingji.campaigns.services.base as base
from xingji.accounts.models import Actor
from xingji.audit.services import audit_log
from xingji.campaigns import access, scoring
from xingji.campaigns.models import CheckMethod, Evaluation, RunState, ScorePart
from xingji.campaigns.services.base import (
    E,
    _check_open_for_evaluation,
    _entries_snapshot,
    _evaluation_summary,
    _is_direct,
    _lock_evaluation,
    _not_in_future,
    _ready_state,
    _save,
    _scores,
    _scores_snapshot,
    _store_scores,
)
from xingji.campaigns.workflow import check_evaluation, move_evaluation
from xingji.common.errors import TransitionRefused, required_text


def _refuse_invalid_survey(evaluation: Evaluation) -> None:
    """Say why when the latest survey session (``xingji.surveys``) closed below the participation threshold."""
    latest = (
        evaluation.survey_sessions.filter(state="closed")
        .order_by("-closed_at", "-id")
        .values("valid", "participation")
        .first()
    )
    if latest is not None and latest["valid"] is False:
        threshold = evaluation.campaign.survey_min_participation_text
        raise TransitionRefused(
            f"参加测评的党员占{(latest['participation'] or 0) * 100:.1f}%，不足{threshold}，测评无效，应重新组织测评",
            code="survey_invalid",
        )


def superior_evaluate(
    *,
    evaluation: Evaluation,
    scores: Mapping[str, Any],
    comment: str = "",
    innovation_project: bool = False,
    actor: Actor,
) -> Evaluation:
    """The superior scores every criterion; the engine computes the score and level (建议星级).

    The engine reads the superior's scores, the organization's evidence facts
    for the year, the survey's satisfaction and the campaign's facts. A
    proposal at the scheme's top level goes to the committee office for review
    (五星级待审核); any other is ready for the campaign-wide rating — or, after
    a notice, for a supplementary notice when its level differs from the one
    noticed, for approval when it does not.
    """
    with transaction.atomic():
        current = _lock_evaluation(evaluation)
        access.require_superior(actor, current)
        campaign = current.campaign
        _check_open_for_evaluation(campaign)
        check_evaluation("superior_evaluate", current)
        if current.survey_satisfaction is None:
            _refuse_invalid_survey(current)
            raise TransitionRefused("尚未录入党员群众测评结果，不能考评", code="survey_missing")
        if not current.survey_is_valid:
            participation = current.survey_participation or Decimal(0)
            threshold = campaign.survey_min_participation_text
            raise TransitionRefused(
                f"参加测评的党员占{participation * 100:.1f}%，不足{threshold}，测评无效，应重新组织测评",
                code="survey_invalid",
            )
        facts = scoring.organization_facts(campaign, current.organization)
        category = current.organization.category
        # A criterion scored from a known indicator is stored with the engine's points, whatever was typed.
        computed = scoring.computed_scores(campaign.scheme, category, facts)
        entries = scoring.clean_scores(campaign.scheme, category, scores, complete=True, computed=computed)
        superior_scores = scoring.given_scores(entries)
        current.innovation_project = bool(innovation_project)
        data = scoring.engine_input(campaign, current, facts, superior_scores)
        stored = scoring.stored_result(campaign, scoring.rate_one(campaign, data))
        self_scores = {code: row.score for code, row in _scores(current, ScorePart.SELF).items()}

        before = {**_evaluation_summary(current), "scores": _scores_snapshot(_scores(current, ScorePart.SUPERIOR))}
        _store_scores(current, ScorePart.SUPERIOR, entries)
        fields = scoring.apply_result(current, stored)
        current.facts = data
        current.proposed_level = stored.level
        current.superior_comment = (comment or "").strip()
        current.composite_hint = scoring.composite_hint(
            campaign.scheme,
            self_scores,
            scoring.survey_component(current),
            superior_scores,
            satisfaction_rate=current.survey_satisfaction,
        )
        current.evaluated_at = timezone.now()
        current.evaluated_by = actor
        current.rating_run = None
        target = E.REVIEW_PENDING if stored.level == campaign.top_level else _ready_state(current)
        move_evaluation("superior_evaluate", current, target)
        _save(
            current,
            [
                *fields,
                "facts",
                "proposed_level",
                "superior_comment",
                "composite_hint",
                "evaluated_at",
                "evaluated_by",
                "rating_run",
                "innovation_project",
            ],
        )
        audit_log(
            actor=actor,
            action="evaluation.superior_evaluated",
            obj=current,
            before=before,
            after={
                **_evaluation_summary(current),
                "scores": _entries_snapshot(entries),
                "proposed_level": current.proposed_level,
                "innovation_project": current.innovation_project,
            },
        )
    return current


def _withdrawn_result() -> dict[str, Any]:
    """What a withdrawn superior evaluation takes back: the engine's result and the proposal (the scores stay)."""
    return {
        "base_score": None,
        "final_score": None,
        "band_level": None,
        "level": None,
        "reasons": [],
        "explanation": [],
        "facts": {},
        "proposed_level": None,
        "composite_hint": None,
        "evaluated_at": None,
        "evaluated_by": None,
    }


def superior_evaluation_withdraw_check(evaluation: Evaluation) -> None:
    """Refuse (``TransitionRefused``) unless the superior may still withdraw its submitted evaluation.

    It may until the next step acts on it: the office's five-star review, a
    campaign-wide rating run (one queued or running reads it too), a notice
    or the committee's approval (the state moves on). The pages ask it to
    offer the withdraw button only then.
    """
    campaign = evaluation.campaign
    _check_open_for_evaluation(campaign)
    check_evaluation("superior_withdraw", evaluation)
    name = evaluation.organization.name
    if evaluation.rating_run_id is not None:
        raise TransitionRefused(f"“{name}”的考评已经过全面评定，不能撤回", code="acted")
    reviewed, evaluated = evaluation.reviewed_at, evaluation.evaluated_at
    if reviewed is not None and (evaluated is None or reviewed >= evaluated):
        raise TransitionRefused(f"组织部已审核“{name}”的五星级建议，考评不能撤回", code="acted")
    if campaign.rating_runs.filter(state__in=[RunState.QUEUED, RunState.RUNNING]).exists():
        raise TransitionRefused("全面评定正在运行，暂不能撤回考评", code="running")


def superior_evaluation_withdraw(*, evaluation: Evaluation, actor: Actor) -> Evaluation:
    """The superior withdraws its submitted evaluation (撤回考评) before the next step acts on it.

    The evaluation goes back to where the superior found it, 自评已提交 or,
    when it had been returned for re-evaluation, 退回上级重新考评; the engine's
    result and the proposal are taken back, the superior's scores and comment
    stay to be changed and submitted again.
    """
    with transaction.atomic():
        current = _lock_evaluation(evaluation)
        access.require_superior(actor, current)
        superior_evaluation_withdraw_check(current)
        before = {**_evaluation_summary(current), "proposed_level": current.proposed_level}
        target = E.REEVALUATION if current.return_reason else E.SELF_SUBMITTED
        move_evaluation("superior_withdraw", current, target)
        cleared = _withdrawn_result()
        for name, value in cleared.items():
            setattr(current, name, value)
        _save(current, cleared)
        audit_log(
            actor=actor,
            action="evaluation.superior_withdrawn",
            obj=current,
            before=before,
            after={**_evaluation_summary(current), "proposed_level": None},
        )
    return current


def five_star_review_approve(*, evaluation: Evaluation, comment: str = "", actor: Actor) -> Evaluation:
    """The committee office approves a top-level proposal (五星级审核通过).

    For an organization directly under the committee the office must first
    have recorded how it checked it (``direct_check_record``).
    """
    with transaction.atomic():
        current = _lock_evaluation(evaluation)
        campaign = current.campaign
        access.require_office(actor, campaign)
        _check_open_for_evaluation(campaign)
        check_evaluation("five_star_approve", current)
        if _is_direct(campaign, current.organization) and not current.check_method:
            raise TransitionRefused("直属组织须先记录普查或抽查情况，才能审核通过", code="direct_check_missing")
        before = {"state": current.state}
        move_evaluation("five_star_approve", current, _ready_state(current))
        current.review_comment = (comment or "").strip()
        current.reviewed_at = timezone.now()
        current.reviewed_by = actor
        _save(current, ["review_comment", "reviewed_at", "reviewed_by"])
        audit_log(
            actor=actor,
            action="evaluation.five_star_approved",
            obj=current,
            before=before,
            after={"state": current.state, "level": current.level, "comment": current.review_comment},
        )
    return current


def five_star_review_return(*, evaluation: Evaluation, reason: str, actor: Actor) -> Evaluation:
    """The committee office returns a top-level proposal to the superior with a reason."""
    with transaction.atomic():
        current = _lock_evaluation(evaluation)
        campaign = current.campaign
        access.require_office(actor, campaign)
        _check_open_for_evaluation(campaign)
        check_evaluation("five_star_return", current)
        reason = required_text(reason, "退回理由")
        before = {"state": current.state}
        move_evaluation("five_star_return", current, E.REEVALUATION)
        current.return_reason = reason
        current.review_comment = reason
        current.reviewed_at = timezone.now()
        current.reviewed_by = actor
        _save(current, ["return_reason", "review_comment", "reviewed_at", "reviewed_by"])
        audit_log(
            actor=actor,
            action="evaluation.five_star_returned",
            obj=current,
            before=before,
            after={"state": current.state, "reason": reason},
        )
    return current


def direct_check_record(
    *, evaluation: Evaluation, method: str, finding: str, checked_on: date | None = None, actor: Actor
) -> Evaluation:
    """The office records how it checked an organization directly under the committee (普查/抽查) and the finding."""
    with transaction.atomic():
        current = _lock_evaluation(evaluation)
        campaign = current.campaign
        access.require_office(actor, campaign)
        _check_open_for_evaluation(campaign)
        check_evaluation("direct_check", current)
        if not _is_direct(campaign, current.organization):
            raise TransitionRefused("只有市直工委直属的组织由组织部普查或抽查", code="not_direct")
        if method not in CheckMethod.values:
            raise TransitionRefused("核查方式应为普查或抽查", code="method")
        finding = required_text(finding, "核查情况")
        checked_on = _not_in_future(checked_on or base._today(), "核查日期")
        before = {
            "check_method": current.check_method,
            "check_finding": current.check_finding,
            "checked_on": current.checked_on,
        }
        current.check_method, current.check_finding, current.checked_on = method, finding, checked_on
        current.checked_by = actor
        _save(current, ["check_method", "check_finding", "checked_on", "checked_by"])
        audit_log(
            actor=actor,
            action="evaluation.direct_checked",
            obj=current,
            before=before,
            after={"check_method": method, "check_finding": finding, "checked_on": checked_on},
        )
    return current
