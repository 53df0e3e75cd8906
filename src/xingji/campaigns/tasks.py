"""The campaign-wide rating run (全面评定), in the background, with its progress in ``RatingRun``.

The backend needs no extra server nor process: ``enqueue_rating_run`` starts
the run in a thread of the process that committed the request
(``XINGJI_TASK_RUNNER = "thread"``, the default), or runs it at once in the
caller (``"immediate"``: tests, commands). Every fact of the run lives in
the database — the queued row is claimed atomically, progress and the
heartbeat are written as it goes — so any app server shows the progress, and
a run whose process died is recognised by its stale heartbeat and replaced
by the next ``campaign_rate``. ``rating_run_execute`` is a plain function of
the run's id, so that a task queue (Django 6's ``django.tasks``) can call it
unchanged.

The run, in three phases counted by one progress bar (2 steps per
evaluation):

1. collecting: read each chunk of evaluations' evidence facts and superior
   scores, building the engine's input (one step per evaluation);
2. rating: the engine rates everyone together and applies the quotas in the
   campaign's mode (instant, even for many thousands);
3. saving: write each chunk of results in its own transaction, with an
   audit entry for every evaluation rated and every quota move (one step per
   evaluation). An evaluation changed since it was read (its ``version``)
   fails the run: its result would no longer match its input.

Ties at a quota's cut line (enforce mode) become ``QuotaTie`` rows to decide.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from decimal import Decimal
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import connections, transaction
from django.utils import timezone

from xingji.audit.services import audit_log
from xingji.campaigns import scoring
from xingji.campaigns.models import (
    CriterionScore,
    Evaluation,
    EvaluationState,
    QuotaTie,
    RatingRun,
    RunPhase,
    RunState,
    ScorePart,
)
from xingji.campaigns.workflow import move_evaluation
from xingji.orgs.models import Organization
from xingji.rules.engine import Result
from xingji.rules.explain import summary_to_dict

logger = logging.getLogger(__name__)

DEFAULT_CHUNK_SIZE = 500
RUNNERS = ("thread", "immediate")


class RunConflict(Exception):
    """An evaluation changed while the run was rating it."""


def enqueue_rating_run(run_id: int) -> None:
    """Start the run by the configured runner (``XINGJI_TASK_RUNNER``: thread or immediate)."""
    runner = getattr(settings, "XINGJI_TASK_RUNNER", "thread")
    if runner not in RUNNERS:
        raise ValueError(f"XINGJI_TASK_RUNNER should be one of {RUNNERS}, not {runner!r}")
    if runner == "immediate":
        rating_run_execute(run_id)
        return
    thread = threading.Thread(target=_run_in_thread, args=(run_id,), name=f"rating-run-{run_id}", daemon=True)
    thread.start()


def _run_in_thread(run_id: int) -> None:
    try:
        rating_run_execute(run_id)
    finally:
        # The thread's own connections would otherwise stay open until the process ends.
        connections.close_all()


def _chunk_size() -> int:
    return max(1, int(getattr(settings, "XINGJI_RATING_RUN_CHUNK_SIZE", DEFAULT_CHUNK_SIZE)))


def _progress(run: RatingRun, on_progress: Callable[[RatingRun], None] | None, **fields: Any) -> None:
    fields["heartbeat_at"] = timezone.now()
    for name, value in fields.items():
        setattr(run, name, value)
    RatingRun.objects.filter(pk=run.pk).update(**fields)
    if on_progress is not None:
        on_progress(run)


def rating_run_execute(run_id: int, *, on_progress: Callable[[RatingRun], None] | None = None) -> RatingRun | None:
    """Run a queued rating run to its end (done or failed); None when it was not queued any more.

    ``on_progress`` is called with the run after every progress update.
    """
    now = timezone.now()
    claimed = RatingRun.objects.filter(pk=run_id, state=RunState.QUEUED).update(
        state=RunState.RUNNING, started_at=now, heartbeat_at=now
    )
    if not claimed:
        return None
    run = RatingRun.objects.select_related("campaign", "campaign__root", "requested_by").get(pk=run_id)
    try:
        _execute(run, on_progress)
    except Exception as error:  # noqa: BLE001 - any failure is the run's, reported on it
        if isinstance(error, ValidationError):
            message = "；".join(error.messages)
        elif isinstance(error, RunConflict):
            message = str(error)
        else:
            logger.exception("rating run %s failed", run_id)
            message = f"运行出错（{type(error).__name__}），请联系管理员"
        _fail(run, message)
    run.refresh_from_db()
    return run


def _fail(run: RatingRun, message: str) -> None:
    with transaction.atomic():
        RatingRun.objects.filter(pk=run.pk).update(
            state=RunState.FAILED, error=message, finished_at=timezone.now(), heartbeat_at=timezone.now()
        )
        run.state, run.error = RunState.FAILED, message
        audit_log(
            actor=run.requested_by,
            action="rating_run.failed",
            obj=run,
            before={"state": RunState.RUNNING},
            after={"state": RunState.FAILED, "error": message},
        )


def _chunks(items: list, size: int):
    for start in range(0, len(items), size):
        yield items[start : start + size]


def _collect(
    run: RatingRun,
    evaluations: list[Evaluation],
    size: int,
    on_progress: Callable[[RatingRun], None] | None,
) -> tuple[list[tuple[str, dict[str, Any]]], dict[str, Evaluation]]:
    """The engine's input of every evaluation, chunk by chunk: (name, input) pairs and the evaluations by code."""
    campaign = run.campaign
    inputs: list[tuple[str, dict[str, Any]]] = []
    by_code: dict[str, Evaluation] = {}
    for chunk in _chunks(evaluations, size):
        ids = [evaluation.pk for evaluation in chunk]
        facts = scoring.facts_by_code(
            campaign,
            Organization.objects.filter(pk__in=[evaluation.organization_id for evaluation in chunk]).order_by("path"),
        )
        scores: dict[int, dict[str, Decimal]] = {}
        for evaluation_id, code, score in CriterionScore.objects.filter(
            evaluation_id__in=ids, part=ScorePart.SUPERIOR
        ).values_list("evaluation_id", "criterion_code", "score"):
            if score is not None:
                scores.setdefault(evaluation_id, {})[code] = score
        for evaluation in chunk:
            code = evaluation.organization.code
            data = scoring.engine_input(campaign, evaluation, facts[code], scores.get(evaluation.pk, {}))
            inputs.append((evaluation.organization.name, data))
            by_code[code] = evaluation
        _progress(run, on_progress, done=run.done + len(chunk))
    return inputs, by_code


def _audit_rated(run: RatingRun, evaluation: Evaluation, before: dict[str, Any], result: Result) -> None:
    audit_log(
        actor=run.requested_by,
        action="evaluation.rated",
        obj=evaluation,
        before=before,
        after={
            "state": evaluation.state,
            "level": evaluation.level,
            "final_score": evaluation.final_score,
            "rating_run_id": run.pk,
        },
    )
    for reason in result.reasons:
        if reason.effect == "quota":
            audit_log(
                actor=run.requested_by,
                action="evaluation.quota_moved",
                obj=evaluation,
                before={"level": reason.from_level},
                after={
                    "level": reason.to_level,
                    "rule": reason.rule,
                    "clause": reason.clause,
                    "reason": reason.message,
                },
            )


def _save_chunk(
    run: RatingRun,
    chunk: list[Result],
    by_code: dict[str, Evaluation],
    versions: dict[int, int],
    data_by_code: dict[str, dict[str, Any]],
) -> None:
    """Store one chunk of results in one transaction; refused if an evaluation changed since it was read."""
    campaign = run.campaign
    with transaction.atomic():
        ids = [by_code[result.id].pk for result in chunk]
        locked = {
            evaluation.pk: evaluation
            for evaluation in Evaluation.objects.select_for_update(of=("self",))
            .select_related("organization")
            .filter(pk__in=ids)
            .order_by("pk")
        }
        for evaluation in locked.values():
            evaluation.campaign = campaign
        entries = []
        for result in chunk:
            evaluation = locked[by_code[result.id].pk]
            if evaluation.version != versions[evaluation.pk] or evaluation.state not in (
                EvaluationState.EVALUATED,
                EvaluationState.RATED,
            ):
                raise RunConflict(f"“{evaluation.organization.name}”的评定在运行期间被修改，请重新运行全面评定")
            before = {"state": evaluation.state, "level": evaluation.level, "final_score": evaluation.final_score}
            fields = scoring.apply_result(evaluation, scoring.stored_result(campaign, result))
            evaluation.facts = data_by_code[result.id]
            evaluation.rating_run = run
            move_evaluation("rate", evaluation, EvaluationState.RATED)
            evaluation.version += 1
            evaluation.save(update_fields=[*fields, "facts", "rating_run", "state", "version"])
            entries.append((evaluation, before, result))
        for evaluation, before, result in entries:
            _audit_rated(run, evaluation, before, result)
        versions.update({evaluation.pk: evaluation.version for evaluation, _, _ in entries})


def _execute(run: RatingRun, on_progress: Callable[[RatingRun], None] | None) -> None:
    campaign = run.campaign
    size = _chunk_size()
    evaluations = list(campaign.evaluations.select_related("organization").order_by("organization__path"))
    not_ready = [e for e in evaluations if e.state not in (EvaluationState.EVALUATED, EvaluationState.RATED)]
    if not_ready:
        raise RunConflict(f"“{not_ready[0].organization.name}”等{len(not_ready)}个组织的评定状态已变化，请重新运行")
    versions = {evaluation.pk: evaluation.version for evaluation in evaluations}
    _progress(run, on_progress, phase=RunPhase.COLLECTING, total=2 * len(evaluations), done=0)

    # 1. Collect the engine's input, chunk by chunk.
    inputs, by_code = _collect(run, evaluations, size, on_progress)

    # 2. Rate everyone together, with the quotas.
    _progress(run, on_progress, phase=RunPhase.RATING)
    organizations = scoring.parse_inputs(campaign, inputs)
    rating = scoring.engine(campaign).rate(organizations, quota_mode=campaign.quota_mode)
    data_by_code = {data["id"]: data for _, data in inputs}

    # 3. Save, chunk by chunk, each in its own transaction.
    _progress(run, on_progress, phase=RunPhase.SAVING)
    for chunk in _chunks(rating.results, size):
        _save_chunk(run, chunk, by_code, versions, data_by_code)
        _progress(run, on_progress, done=run.done + len(chunk))

    # Ties at a cut line, the summary, done.
    summary = summary_to_dict(rating)
    with transaction.atomic():
        if campaign.quota_mode == "enforce":
            _record_ties(run, rating, by_code)
        finished = timezone.now()
        RatingRun.objects.filter(pk=run.pk).update(
            state=RunState.DONE,
            phase=RunPhase.FINISHED,
            done=run.total,
            summary=summary,
            finished_at=finished,
            heartbeat_at=finished,
        )
        run.state, run.phase, run.done, run.summary = RunState.DONE, RunPhase.FINISHED, run.total, summary
        audit_log(
            actor=run.requested_by,
            action="rating_run.finished",
            obj=run,
            before={"state": RunState.RUNNING},
            after={
                "state": RunState.DONE,
                "count": summary["count"],
                "by_stars": summary["by_stars"],
                "quota": summary["quota"],
            },
        )
    if on_progress is not None:
        on_progress(run)


def _record_ties(run: RatingRun, rating, by_code: dict[str, Evaluation]) -> None:
    ties = []
    for check in rating.quota_checks:
        quota = next(q for q in rating.scheme.quotas if q.code == check.code)
        for tie in check.ties:
            levels_before: dict[str, int] = {}
            for code in tie["moved"]:
                result = rating.find(code)
                moved = next(r for r in result.reasons if r.effect == "quota" and r.rule == check.code)
                levels_before[str(by_code[code].pk)] = moved.from_level
            for code in tie["kept"]:
                levels_before[str(by_code[code].pk)] = rating.find(code).stars
            ties.append(
                QuotaTie(
                    run=run,
                    rule=check.code,
                    label=check.label,
                    clause=check.clause,
                    final_score=Decimal(tie["final_score"]),
                    move_to=quota.move_to,
                    decided_by_key=tie["decided_by"],
                    kept=[by_code[code].pk for code in tie["kept"]],
                    moved=[by_code[code].pk for code in tie["moved"]],
                    levels_before=levels_before,
                )
            )
    QuotaTie.objects.bulk_create(ties)
