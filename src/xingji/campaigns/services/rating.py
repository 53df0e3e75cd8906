"""The campaign-wide rating (全面评定) and the decisions on ties at a quota's cut line."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import timedelta
from functools import partial
from typing import Any

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from xingji.accounts.models import Actor
from xingji.campaigns import access
from xingji.campaigns.models import Campaign, Evaluation, QuotaTie, RatingRun, RunPhase, RunState, TieState
from xingji.campaigns.selectors import latest_run
from xingji.campaigns.services.base import E, _Audit, _lock_campaign, _lock_evaluations, _save
from xingji.campaigns.workflow import check_campaign
from xingji.common.errors import TransitionRefused, required_text
from xingji.rules.explain import result_line

#: A rating run with no progress for this long is taken as interrupted (``XINGJI_RATING_RUN_STALE_MINUTES``).
DEFAULT_RATING_RUN_STALE_MINUTES = 15


def _stale_after() -> timedelta:
    return timedelta(minutes=getattr(settings, "XINGJI_RATING_RUN_STALE_MINUTES", DEFAULT_RATING_RUN_STALE_MINUTES))


def campaign_rate_check(campaign: Campaign) -> RatingRun | None:
    """Refuse (``TransitionRefused``) unless a campaign-wide rating of ``campaign`` can start now.

    ``campaign_rate`` asks it under its lock; the rating page asks it to offer
    the button only when it would be accepted, or else to say why. Answers
    the latest run, which if still active has made no progress for
    ``XINGJI_RATING_RUN_STALE_MINUTES`` (a fresher one refuses).
    """
    check_campaign("rate", campaign)
    if campaign.notices.exists():
        raise TransitionRefused(
            "已发布公示，不能再运行全面评定；异议成立重新考评的组织按考评结果进入补充公示", code="noticed"
        )
    not_ready = campaign.evaluations.exclude(state__in=[E.EVALUATED, E.RATED]).count()
    if not_ready:
        raise TransitionRefused(f"还有{not_ready}个组织未完成考评或五星级审核，不能运行全面评定", code="not_ready")
    previous = latest_run(campaign)
    if previous is not None and previous.is_active:
        last_progress = previous.heartbeat_at or previous.created_at
        if timezone.now() - last_progress < _stale_after():
            raise TransitionRefused(f"全面评定正在运行（已完成{previous.percent}%），请等待结束", code="running")
    return previous


def campaign_rate(*, campaign: Campaign, actor: Actor) -> RatingRun:
    """Start the campaign-wide rating (全面评定): every evaluation through the engine with the quotas.

    Runs in the background (``xingji.campaigns.tasks``) after this
    transaction commits; the returned ``RatingRun`` shows its progress. Every
    evaluation must have finished its superior evaluation and review; the run
    may be repeated until the first notice. A run with no progress for
    ``XINGJI_RATING_RUN_STALE_MINUTES`` is taken as interrupted and replaced.
    """
    from xingji.campaigns.tasks import enqueue_rating_run

    with transaction.atomic():
        current = _lock_campaign(campaign)
        access.require_office(actor, current)
        previous = campaign_rate_check(current)
        audit = _Audit(actor)
        if previous is not None and previous.is_active:  # stale, since the check let it pass
            RatingRun.objects.filter(pk=previous.pk).update(
                state=RunState.FAILED,
                error="运行中断（长时间没有进展），已由新的全面评定取代",
                finished_at=timezone.now(),
            )
            audit.add("rating_run.interrupted", previous, {"state": previous.state}, {"state": RunState.FAILED})
        run = RatingRun.objects.create(
            campaign=current, state=RunState.QUEUED, phase=RunPhase.WAITING, requested_by=actor
        )
        audit.add(
            "rating_run.requested",
            run,
            None,
            {"state": run.state, "quota_mode": current.quota_mode, "stage": current.engine_stage},
        )
        audit.flush()
        transaction.on_commit(partial(enqueue_rating_run, run.pk))
    return run


def _decision_reason(
    tie: QuotaTie, campaign: Campaign, kept: bool, from_level: int, to_level: int, reason: str
) -> dict[str, Any]:
    names = campaign.level_name
    change = f"由{names(from_level)}调整为{names(to_level)}" if from_level != to_level else f"维持{names(to_level)}"
    outcome = "保留" if kept else "调整"
    message = (
        f"与其他组织最终得分同为{tie.final_score}分，位于“{tie.label}”比例线上，"
        f"经研究决定{outcome}，{change}；理由：{reason}"
    )
    return {
        "rule": "quota_tie_decision",
        "clause": tie.clause,
        "effect": "quota",
        "from": from_level,
        "to": to_level,
        "message": f"{message}（{tie.clause}）" if tie.clause else message,
    }


def quota_tie_decide(*, tie: QuotaTie, kept: Sequence[Evaluation], reason: str, actor: Actor) -> QuotaTie:
    """Decide a tie at a quota's cut line: which of the tied organizations keep their level, and why.

    ``kept`` names as many evaluations as the engine kept; giving the engine's
    own choice confirms it. Each evaluation whose level changes gets the
    decision as a reason, and an audit entry.
    """
    with transaction.atomic():
        run = RatingRun.objects.select_related("campaign").get(pk=tie.run_id)
        campaign = _lock_campaign(run.campaign)
        access.require_office(actor, campaign)
        check_campaign("tie_decide", campaign)
        current = QuotaTie.objects.select_for_update().get(pk=tie.pk)
        if current.state != TieState.OPEN:
            raise TransitionRefused("该并列情况已作出决定", code="decided")
        latest = latest_run(campaign)
        if campaign.notices.exists() or latest is None or latest.pk != run.pk or run.state != RunState.DONE:
            raise TransitionRefused("该并列情况所属的全面评定已不是最新结果，请按最新评定处理", code="stale")
        reason = required_text(reason, "决定理由")
        candidates = [int(pk) for pk in current.candidates]
        chosen = sorted({evaluation.pk for evaluation in kept})
        if not set(chosen) <= set(candidates):
            raise TransitionRefused("保留的组织应在并列的组织之中", code="not_tied")
        if len(chosen) != len(current.kept):
            raise TransitionRefused(f"应保留{len(current.kept)}个组织，不多不少", code="count")
        evaluations = _lock_evaluations(campaign, pk__in=candidates)
        for evaluation in evaluations:
            if evaluation.state != E.RATED or evaluation.rating_run_id != run.pk:
                raise TransitionRefused(
                    f"“{evaluation.organization.name}”的评定结果已变化，请重新运行全面评定", code="stale"
                )
        audit = _Audit(actor)
        for evaluation in evaluations:
            level_before_quota = int(current.levels_before[str(evaluation.pk)])
            keep = evaluation.pk in chosen
            new_level = level_before_quota if keep else current.move_to
            old_level = evaluation.level
            reasons = [
                r for r in evaluation.reasons if not (r.get("effect") == "quota" and r.get("rule") == current.rule)
            ]
            removed = {r["message"] for r in evaluation.reasons if r not in reasons}
            decision = _decision_reason(current, campaign, keep, level_before_quota, new_level, reason)
            evaluation.reasons = [*reasons, decision]
            lines = [line for line in evaluation.explanation[:-1] if line not in removed]
            evaluation.explanation = [*lines, decision["message"], result_line(campaign.scheme, new_level)]
            evaluation.level = new_level
            _save(evaluation, ["level", "reasons", "explanation"])
            if new_level != old_level:
                audit.add(
                    "evaluation.tie_decided",
                    evaluation,
                    {"level": old_level},
                    {"level": new_level, "rule": current.rule, "reason": reason},
                )
        current.state = TieState.DECIDED
        current.decision_kept = chosen
        current.decision_reason = reason
        current.decided_by = actor
        current.decided_at = timezone.now()
        current.save(update_fields=["state", "decision_kept", "decision_reason", "decided_by", "decided_at"])
        audit.add(
            "quota_tie.decided",
            current,
            {"kept": current.kept, "moved": current.moved},
            {"kept": chosen, "reason": reason},
        )
        audit.flush()
    return current
