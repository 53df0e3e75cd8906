"""The self-evaluation (自评), its evidence files and the survey figures."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date
from decimal import Decimal, InvalidOperation
from typing import IO, Any

from django.db import transaction
from django.utils import timezone

from xingji.accounts.models import Actor
from xingji.audit.services import audit_log
from xingji.campaigns import access, scoring
from xingji.campaigns.evidence import criterion_attachments
from xingji.campaigns.models import CriterionScore, Evaluation, ScorePart
from xingji.campaigns.services.base import (
    E,
    _check_level,
    _check_open_for_evaluation,
    _entries_snapshot,
    _lock_evaluation,
    _not_in_future,
    _save,
    _scores,
    _scores_snapshot,
    _store_scores,
)
from xingji.campaigns.workflow import check_evaluation, move_evaluation
from xingji.common.errors import TransitionRefused, required_text
from xingji.records import services as record_services
from xingji.records.models import Attachment


def self_evaluation_save_draft(
    *, evaluation: Evaluation, scores: Mapping[str, Any], claimed_level: int | None = None, actor: Actor
) -> Evaluation:
    """Save the self-evaluation (自评表) as a draft: any criteria scored so far, each with a comment.

    A score of None clears the criterion's score. ``claimed_level`` None keeps
    the level claimed before.
    """
    with transaction.atomic():
        current = _lock_evaluation(evaluation)
        access.require_self(actor, current)
        campaign = current.campaign
        _check_open_for_evaluation(campaign)
        check_evaluation("self_save", current)
        category = current.organization.category
        # A criterion scored from a known indicator takes the engine's points, whatever was typed for it.
        computed = scoring.computed_scores(
            campaign.scheme, category, scoring.indicator_facts(campaign, current.organization)
        )
        entries = scoring.clean_scores(campaign.scheme, category, scores, complete=False, computed=computed)
        _check_level(campaign, claimed_level, "申报星级")
        rows = _scores(current, ScorePart.SELF)
        scores_before = _scores_snapshot(rows)
        claimed = claimed_level if claimed_level is not None else current.claimed_level
        before = {"scores": scores_before, "claimed_level": current.claimed_level}
        after = {"scores": {**scores_before, **_entries_snapshot(entries)}, "claimed_level": claimed}
        if before == after:
            return current
        _store_scores(current, ScorePart.SELF, entries)
        current.claimed_level = claimed
        _save(current, ["claimed_level"])
        audit_log(actor=actor, action="evaluation.self_saved", obj=current, before=before, after=after)
    return current


def self_evaluation_submit(*, evaluation: Evaluation, actor: Actor) -> Evaluation:
    """Submit the self-evaluation: every criterion scored and a level claimed; the form locks."""
    with transaction.atomic():
        current = _lock_evaluation(evaluation)
        access.require_self(actor, current)
        campaign = current.campaign
        _check_open_for_evaluation(campaign)
        check_evaluation("self_submit", current)
        rows = _scores(current, ScorePart.SELF)
        problems = [
            f"“{criterion.code} {criterion.name}”尚未评分"
            for criterion in campaign.scheme.criteria_for(current.organization.category)
            if rows.get(criterion.code) is None or rows[criterion.code].score is None
        ]
        if current.claimed_level is None:
            problems.append("尚未选择申报星级")
        if problems:
            raise TransitionRefused(problems, code="incomplete")
        before = {"state": current.state}
        move_evaluation("self_submit", current, E.SELF_SUBMITTED)
        current.self_submitted_at = timezone.now()
        current.self_submitted_by = actor
        current.return_reason = ""
        _save(current, ["self_submitted_at", "self_submitted_by", "return_reason"])
        audit_log(
            actor=actor,
            action="evaluation.self_submitted",
            obj=current,
            before=before,
            after={
                "state": current.state,
                "claimed_level": current.claimed_level,
                "self_total": sum(row.score for row in rows.values()),
            },
        )
    return current


def self_evaluation_withdraw_check(evaluation: Evaluation) -> None:
    """Refuse (``TransitionRefused``) unless a submitted self-evaluation may go back to a draft.

    Its organization may withdraw it until the next step acts on it: the
    superior evaluates it or returns it (either moves its state on), or the
    office records its direct check of an organization directly under the
    committee. The self-evaluation page asks it to offer the button only then.
    """
    _check_open_for_evaluation(evaluation.campaign)
    check_evaluation("self_withdraw", evaluation)
    if evaluation.check_method:
        raise TransitionRefused(
            f"组织部已记录对“{evaluation.organization.name}”的{evaluation.get_check_method_display()}情况，自评不能撤回",
            code="acted",
        )


def self_evaluation_withdraw(*, evaluation: Evaluation, actor: Actor) -> Evaluation:
    """The organization withdraws its submitted self-evaluation (撤回自评): a draft again, to change and resubmit."""
    with transaction.atomic():
        current = _lock_evaluation(evaluation)
        access.require_self(actor, current)
        self_evaluation_withdraw_check(current)
        before = {"state": current.state, "self_submitted_at": current.self_submitted_at}
        move_evaluation("self_withdraw", current, E.SELF_DRAFT)
        current.self_submitted_at = None
        current.self_submitted_by = None
        _save(current, ["self_submitted_at", "self_submitted_by"])
        audit_log(
            actor=actor,
            action="evaluation.self_withdrawn",
            obj=current,
            before=before,
            after={"state": current.state, "self_submitted_at": None},
        )
    return current


def self_evaluation_return(*, evaluation: Evaluation, reason: str, actor: Actor) -> Evaluation:
    """The superior returns a submitted self-evaluation with a reason; the form unlocks."""
    with transaction.atomic():
        current = _lock_evaluation(evaluation)
        access.require_superior(actor, current)
        _check_open_for_evaluation(current.campaign)
        check_evaluation("self_return", current)
        reason = required_text(reason, "退回理由")
        before = {"state": current.state}
        move_evaluation("self_return", current, E.SELF_DRAFT)
        current.return_reason = reason
        _save(current, ["return_reason"])
        audit_log(
            actor=actor,
            action="evaluation.self_returned",
            obj=current,
            before=before,
            after={"state": current.state, "reason": reason},
        )
    return current


def _check_evidence_editable(actor: Actor, evaluation: Evaluation) -> None:
    """The organization's own user, on an open campaign, while the self-evaluation is a draft."""
    access.require_self(actor, evaluation)
    _check_open_for_evaluation(evaluation.campaign)
    if evaluation.state != E.SELF_DRAFT:
        raise TransitionRefused(
            f"“{evaluation.organization.name}”的自评当前状态为“{evaluation.get_state_display()}”，"
            "不能添加或删除证明材料；如需修改请由上级退回",
            code="state",
        )


def criterion_attachment_add(
    *, evaluation: Evaluation, criterion_code: str, upload: IO[bytes], name: str, size: int, actor: Actor
) -> Attachment:
    """Attach an evidence file (证明材料) to one criterion of the self-evaluation.

    The file hangs on the criterion's self-part score row (made empty if not
    scored yet) and goes through the records attachment checks and storage
    (type by extension and content, size, SHA-256, ``attachment.created`` in
    this same transaction). Refused, with nothing written, unless the actor
    is the organization's own user and the self-evaluation is a draft.
    """
    with transaction.atomic():
        current = _lock_evaluation(evaluation)
        _check_evidence_editable(actor, current)
        codes = [criterion.code for criterion in current.campaign.scheme.criteria_for(current.organization.category)]
        if criterion_code not in codes:
            raise TransitionRefused(f"评定方案中没有编号为“{criterion_code}”的评定内容", code="criterion")
        row, _ = CriterionScore.objects.get_or_create(
            evaluation=current, part=ScorePart.SELF, criterion_code=criterion_code
        )
        return record_services.attachment_add(record=row, upload=upload, name=name, size=size, actor=actor)


def criterion_attachment_delete(*, evaluation: Evaluation, attachment: Attachment, actor: Actor) -> None:
    """Delete an evidence file of the self-evaluation, under the same conditions as adding one."""
    with transaction.atomic():
        current = _lock_evaluation(evaluation)
        _check_evidence_editable(actor, current)
        if not criterion_attachments(current).filter(pk=attachment.pk).exists():
            raise TransitionRefused("该证明材料不属于本组织的自评", code="attachment")
        record_services.attachment_delete(attachment=attachment, actor=actor)


def _count(value: Any, label: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise TransitionRefused(f"{label}应为整数", code="count")
    if value < 0:
        raise TransitionRefused(f"{label}不能为负数", code="count")
    return value


def survey_figures_record(
    *,
    evaluation: Evaluation,
    member_count: int,
    participant_count: int,
    satisfaction: Decimal | str,
    meeting_on: date,
    score: Decimal | str | None = None,
    actor: Actor,
) -> Evaluation:
    """Record a survey's figures: members, participants, satisfaction (0-1), the meeting's date and the
    survey score (0-1, from the scheme's option weights).

    Called only by ``xingji.surveys.services.session_close`` for a valid
    session, inside its transaction: the figures are never typed by hand.
    """
    with transaction.atomic():
        current = _lock_evaluation(evaluation)
        access.require_self_or_superior(actor, current)
        _check_open_for_evaluation(current.campaign)
        check_evaluation("survey_record", current)
        member_count = _count(member_count, "党员总数")
        participant_count = _count(participant_count, "参加测评党员数")
        if member_count == 0:
            raise TransitionRefused("党员总数应大于0", code="count")
        if participant_count > member_count:
            raise TransitionRefused("参加测评党员数不能超过党员总数", code="count")
        try:
            share = Decimal(str(satisfaction).strip())
        except (InvalidOperation, ValueError):
            raise TransitionRefused(f"满意率“{satisfaction}”不是数字", code="satisfaction") from None
        if not share.is_finite() or not Decimal(0) <= share <= Decimal(1):
            raise TransitionRefused("满意率应在0到1之间（如0.92）", code="satisfaction")
        if share != share.quantize(Decimal("0.0001")):
            raise TransitionRefused("满意率最多保留四位小数", code="satisfaction")
        _not_in_future(meeting_on, "测评会日期")
        survey_score = None
        if score is not None:
            survey_score = Decimal(str(score)).quantize(Decimal("0.0001"))
            if not Decimal(0) <= survey_score <= Decimal(1):
                raise TransitionRefused("测评得分率应在0到1之间", code="score")
        fields = {
            "survey_member_count": member_count,
            "survey_participant_count": participant_count,
            "survey_satisfaction": share.quantize(Decimal("0.0001")),
            "survey_meeting_on": meeting_on,
            "survey_score": survey_score,
        }
        before = {name: getattr(current, name) for name in fields}
        if before == fields:
            return current
        for name, value in fields.items():
            setattr(current, name, value)
        _save(current, fields)
        audit_log(actor=actor, action="evaluation.survey_recorded", obj=current, before=before, after=fields)
    return current
