"""Helpers every campaign service shares: audit entries, the clock, locks, saving, score snapshots."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import date
from typing import Any

from django.db.models import Model, QuerySet
from django.utils import timezone

from xingji.accounts.models import Actor
from xingji.audit.services import audit_log
from xingji.campaigns import scoring
from xingji.campaigns.models import Campaign, CriterionScore, Evaluation, EvaluationState
from xingji.campaigns.workflow import check_campaign
from xingji.common.errors import TransitionRefused
from xingji.orgs.models import Organization

E = EvaluationState


class _Audit:
    """Audit entries collected during a service and written at its end.

    ``audit_log`` takes the chain lock; writing every entry after the domain
    rows keeps the lock order fixed (domain rows first, chain last).
    """

    def __init__(self, actor: Actor) -> None:
        self.actor = actor
        self.entries: list[tuple[str, Model, Any, Any]] = []

    def add(self, action: str, obj: Model, before: Any, after: Any) -> None:
        self.entries.append((action, obj, before, after))

    def flush(self) -> None:
        for action, obj, before, after in self.entries:
            audit_log(actor=self.actor, action=action, obj=obj, before=before, after=after)


def _today() -> date:
    return timezone.localdate()


def _not_in_future(day: date, label: str) -> date:
    if day > _today():
        raise TransitionRefused(f"{label}不能晚于今天", code="date_in_future")
    return day


def _lock_campaign(campaign: Campaign) -> Campaign:
    return Campaign.objects.select_for_update(of=("self",)).select_related("root").get(pk=campaign.pk)


def _lock_evaluation(evaluation: Evaluation) -> Evaluation:
    return (
        Evaluation.objects.select_for_update(of=("self",))
        .select_related("campaign", "campaign__root", "organization")
        .get(pk=evaluation.pk)
    )


def _lock_evaluations(
    campaign: Campaign, among: QuerySet[Evaluation] | None = None, **filters: Any
) -> list[Evaluation]:
    """The campaign's evaluations ``among`` a selector's (default all) matching ``filters``, locked, by id."""
    evaluations = list(
        (Evaluation.objects.all() if among is None else among)
        .select_for_update(of=("self",))
        .select_related("organization")
        .filter(campaign=campaign, **filters)
        .order_by("pk")
    )
    for evaluation in evaluations:
        # The campaign row is locked already; sharing it spares a query per evaluation.
        evaluation.campaign = campaign
    return evaluations


def _save(evaluation: Evaluation, fields: Iterable[str]) -> None:
    evaluation.version += 1
    evaluation.save(update_fields=sorted({*fields, "state", "version"}))


def _evaluation_summary(evaluation: Evaluation) -> dict[str, Any]:
    return {
        "state": evaluation.state,
        "level": evaluation.level,
        "final_score": evaluation.final_score,
    }


def _scores(evaluation: Evaluation, part: str) -> dict[str, CriterionScore]:
    return {row.criterion_code: row for row in evaluation.criterion_scores.filter(part=part)}


def _scores_snapshot(rows: Mapping[str, CriterionScore]) -> dict[str, list[str]]:
    return {code: [scoring.score_text(row.score), row.comment] for code, row in sorted(rows.items())}


def _store_scores(evaluation: Evaluation, part: str, entries: Mapping[str, scoring.CriterionEntry]) -> None:
    rows = _scores(evaluation, part)
    new_rows, changed_rows = [], []
    for code, entry in entries.items():
        row = rows.get(code)
        if row is None:
            new_rows.append(
                CriterionScore(
                    evaluation=evaluation,
                    part=part,
                    criterion_code=code,
                    score=entry.score,
                    comment=entry.comment,
                )
            )
        elif row.score != entry.score or row.comment != entry.comment:
            row.score, row.comment = entry.score, entry.comment
            changed_rows.append(row)
    CriterionScore.objects.bulk_create(new_rows)
    CriterionScore.objects.bulk_update(changed_rows, ["score", "comment"])


def _entries_snapshot(entries: Mapping[str, scoring.CriterionEntry]) -> dict[str, list[str]]:
    return {code: [scoring.score_text(entry.score), entry.comment] for code, entry in sorted(entries.items())}


def _check_level(campaign: Campaign, level: int | None, label: str) -> None:
    if level is not None and level not in campaign.scheme.level_values():
        raise TransitionRefused(f"{label}“{level}”不是评定方案中的等级", code="level")


def _is_direct(campaign: Campaign, organization: Organization) -> bool:
    """Directly under the committee (the campaign's root): checked by the office itself."""
    root = campaign.root
    return bool(organization.depth == root.depth + 1 and organization.path.startswith(root.path))


def _ready_state(evaluation: Evaluation) -> str:
    """Where a finished evaluation goes: rating, a supplementary notice, or approval as noticed."""
    if evaluation.noticed_level is None:
        return E.EVALUATED
    if evaluation.level == evaluation.noticed_level:
        return E.NOTICE_PASSED
    return E.RATED


def _rated_level(evaluation: Evaluation) -> int:
    """The level of an evaluation the engine has rated (the workflow sets it before any notice or approval)."""
    if evaluation.level is None:
        raise TransitionRefused(f"“{evaluation.organization.name}”尚无评定结果", code="level_missing")
    return evaluation.level


def _check_open_for_evaluation(campaign: Campaign) -> None:
    check_campaign("evaluate", campaign)
