"""The committee's approval (工委会批准), the star ledger and the municipal re-review (市委组织部复审).

Each line written to the star ledger may leave a plaque or a demonstration site above the level the
organization now holds: ``xingji.reports.services.withdrawals_check`` puts those due for withdrawal
(待撤销), in the same transaction, before this service's audit entries.
"""

from __future__ import annotations

from datetime import date

from django.db import transaction
from django.db.models import Max

from xingji.accounts.models import Actor
from xingji.campaigns import access
from xingji.campaigns.models import (
    Approval,
    Campaign,
    CampaignState,
    Evaluation,
    MunicipalResult,
    MunicipalReview,
    NoticeState,
    StarLedgerEntry,
)
from xingji.campaigns.selectors import current_levels, municipal_pending
from xingji.campaigns.services.base import (
    E,
    _Audit,
    _check_level,
    _lock_campaign,
    _lock_evaluation,
    _lock_evaluations,
    _not_in_future,
    _rated_level,
    _save,
)
from xingji.campaigns.workflow import check_campaign, check_evaluation, move_campaign, move_evaluation
from xingji.common.errors import TransitionRefused, required_text
from xingji.reports.services import withdrawals_check

COMMITTEE_BODY = "市直工委工委会"
MUNICIPAL_BODY = "市委组织部复审"


FINISHED_STATES = (E.APPROVED, E.MUNICIPAL_REVIEW, E.MUNICIPAL_RETURNED)


def _ledger_reason(campaign: Campaign, previous: int | None, level: int, approval_text: str) -> str:
    names = campaign.level_name
    if previous is None:
        change = f"评定为{names(level)}"
    elif previous == level:
        change = f"维持{names(level)}"
    else:
        direction = "晋升" if level > previous else "调整"
        change = f"由{_any_level_name(campaign, previous)}{direction}为{names(level)}"
    return f"{campaign.name}：{change}，{approval_text}"


def _any_level_name(campaign: Campaign, level: int) -> str:
    """A level's name in this campaign's scheme, or as the ledger recorded it under another scheme."""
    if level in campaign.scheme.level_values():
        return campaign.level_name(level)
    return f"{level}级"


def _changes_level(entry: StarLedgerEntry) -> bool:
    """Whether the line changes the level: a lower one may put a plaque due, a higher one lift its due."""
    return entry.previous_level is not None and entry.previous_level != entry.level


def campaign_approve(*, campaign: Campaign, approved_on: date, minutes_number: str, actor: Actor) -> Approval:
    """Record the committee's approval (工委会批准) of every evaluation whose notice has passed.

    Writes each organization's approved level to its star ledger, with the
    approval as its approver. The campaign is approved (已批准) once every
    evaluation is.
    """
    with transaction.atomic():
        current = _lock_campaign(campaign)
        access.require_office(actor, current)
        check_campaign("approve", current)
        minutes_number = required_text(minutes_number, "会议纪要编号", maximum=100)
        _not_in_future(approved_on, "工委会批准日期")
        evaluations = _lock_evaluations(current, state=E.NOTICE_PASSED)
        if not evaluations:
            raise TransitionRefused("没有公示期满待批准的组织", code="nothing_to_approve")
        # Each evaluation's notice is the one that holds it: the approval follows the latest of theirs.
        last_day = current.notices.filter(
            state=NoticeState.CLOSED, entries__evaluation__in=[evaluation.pk for evaluation in evaluations]
        ).aggregate(last=Max("ends_on"))["last"]
        if last_day is not None and approved_on <= last_day:
            raise TransitionRefused(f"工委会批准日期应在公示期满（{last_day:%Y年%m月%d日}）之后", code="too_early")
        approval = Approval.objects.create(
            campaign=current, approved_on=approved_on, minutes_number=minutes_number, recorded_by=actor
        )
        previous = current_levels([evaluation.organization_id for evaluation in evaluations])
        approval_text = f"{COMMITTEE_BODY}{approved_on:%Y年%m月%d日}批准（{minutes_number}）"
        audit = _Audit(actor)
        entries = []
        for evaluation in evaluations:
            move_evaluation("approve", evaluation, E.APPROVED)
            evaluation.approval = approval
            evaluation.approved_level = evaluation.level
            _save(evaluation, ["approval", "approved_level"])
            before_level = previous.get(evaluation.organization_id)
            level = _rated_level(evaluation)
            entry = StarLedgerEntry.objects.create(
                organization=evaluation.organization,
                level=level,
                level_name=current.level_name(level),
                previous_level=before_level,
                effective_on=approved_on,
                campaign=current,
                evaluation=evaluation,
                approval=approval,
                approving_body=COMMITTEE_BODY,
                reason=_ledger_reason(current, before_level, level, approval_text),
                approver=actor,
            )
            entries.append(entry)
            audit.add(
                "evaluation.approved",
                evaluation,
                {"state": E.NOTICE_PASSED},
                {"state": evaluation.state, "approval_id": approval.pk, "level": evaluation.level},
            )
            audit.add(
                "star_ledger.recorded",
                entry,
                {"level": before_level},
                {"level": entry.level, "effective_on": approved_on, "reason": entry.reason},
            )
        if not current.evaluations.exclude(state__in=FINISHED_STATES).exists():
            move_campaign("approve", current, CampaignState.APPROVED)
            current.save(update_fields=["state"])
        # A year-end re-check (or a later year's rating) may lower a five-star organization.
        withdrawals_check(
            organizations=[entry.organization_id for entry in entries if _changes_level(entry)], actor=actor
        )
        audit.add(
            "approval.recorded",
            approval,
            None,
            {
                "approved_on": approved_on,
                "minutes_number": minutes_number,
                "evaluations": len(evaluations),
                "campaign_state": current.state,
            },
        )
        audit.flush()
    return approval


def municipal_review_send(*, campaign: Campaign, sent_on: date, actor: Actor) -> list[MunicipalReview]:
    """Mark every approved top-level (five-star) result as sent to the municipal re-review (市委组织部复审)."""
    with transaction.atomic():
        current = _lock_campaign(campaign)
        access.require_office(actor, current)
        check_campaign("municipal", current)
        _not_in_future(sent_on, "报送日期")
        evaluations = _lock_evaluations(current, municipal_pending(current))
        if not evaluations:
            top_name = current.level_name(current.top_level)
            raise TransitionRefused(f"没有待报送复审的{top_name}组织", code="nothing_to_send")
        approvals = {evaluation.approval_id for evaluation in evaluations}
        approved_on = Approval.objects.filter(pk__in=approvals).aggregate(last=Max("approved_on"))["last"]
        if sent_on < approved_on:
            raise TransitionRefused("报送日期不能早于工委会批准日期", code="too_early")
        audit = _Audit(actor)
        reviews = []
        for evaluation in evaluations:
            review = MunicipalReview.objects.create(evaluation=evaluation, sent_on=sent_on, sent_by=actor)
            reviews.append(review)
            move_evaluation("municipal_send", evaluation, E.MUNICIPAL_REVIEW)
            _save(evaluation, [])
            audit.add("municipal_review.sent", review, None, {"evaluation_id": evaluation.pk, "sent_on": sent_on})
            audit.add("evaluation.municipal_sent", evaluation, {"state": E.APPROVED}, {"state": evaluation.state})
        audit.flush()
    return reviews


def municipal_review_return(
    *,
    review: MunicipalReview,
    returned_on: date,
    result: str,
    result_level: int | None = None,
    note: str = "",
    actor: Actor,
) -> MunicipalReview:
    """Record the municipal re-review's result. Not confirmed: the level it gave goes to the star ledger."""
    with transaction.atomic():
        evaluation = Evaluation.objects.select_related("campaign").get(pk=review.evaluation_id)
        campaign = _lock_campaign(evaluation.campaign)
        access.require_office(actor, campaign)
        check_campaign("municipal", campaign)
        evaluation = _lock_evaluation(evaluation)
        check_evaluation("municipal_return", evaluation)
        current = MunicipalReview.objects.select_for_update().get(pk=review.pk)
        if result not in MunicipalResult.values:
            raise TransitionRefused("复审结果应为复审通过或复审未通过", code="result")
        _not_in_future(returned_on, "返回日期")
        if returned_on < current.sent_on:
            raise TransitionRefused("返回日期不能早于报送日期", code="too_early")
        top = campaign.top_level
        if result == MunicipalResult.CONFIRMED:
            result_level = top
        else:
            if result_level is None:
                raise TransitionRefused("复审未通过时请填写复审后的星级", code="level_missing")
            _check_level(campaign, result_level, "复审后星级")
            if result_level >= top:
                raise TransitionRefused(f"复审未通过时，复审后星级应低于{campaign.level_name(top)}", code="level")
        note = (note or "").strip()
        current.returned_on, current.result, current.result_level = returned_on, result, result_level
        current.note, current.returned_by = note, actor
        current.save(update_fields=["returned_on", "result", "result_level", "note", "returned_by"])
        move_evaluation("municipal_return", evaluation, E.MUNICIPAL_RETURNED)
        _save(evaluation, [])
        audit = _Audit(actor)
        if result == MunicipalResult.NOT_CONFIRMED:
            reason = (
                f"{campaign.name}：市委组织部复审未通过，由{campaign.level_name(top)}调整为"
                f"{campaign.level_name(result_level)}"
            )
            entry = StarLedgerEntry.objects.create(
                organization=evaluation.organization,
                level=result_level,
                level_name=campaign.level_name(result_level),
                previous_level=evaluation.approved_level,
                effective_on=returned_on,
                campaign=campaign,
                evaluation=evaluation,
                approval=evaluation.approval,
                approving_body=MUNICIPAL_BODY,
                reason=f"{reason}{'；' + note if note else ''}",
                approver=actor,
            )
            audit.add(
                "star_ledger.recorded",
                entry,
                {"level": evaluation.approved_level},
                {"level": result_level, "effective_on": returned_on, "reason": entry.reason},
            )
            withdrawals_check(organizations=[evaluation.organization_id], actor=actor)
        audit.add(
            "municipal_review.returned",
            current,
            {"result": ""},
            {"result": result, "result_level": result_level, "returned_on": returned_on, "note": note},
        )
        audit.add(
            "evaluation.municipal_returned", evaluation, {"state": E.MUNICIPAL_REVIEW}, {"state": evaluation.state}
        )
        audit.flush()
    return current
