"""The campaign-wide rating run (全面评定), a task of the queue, with its progress in ``RatingRun``.

The queue is django-tasks (the backport of Django 6's ``django.tasks``: on
Django 6 the import becomes ``django.tasks``, the code stays). ``campaign_rate``
enqueues ``rating_run_task`` when its transaction commits; the settings'
``TASKS`` choose the backend: the database backend (``django_tasks_db``,
production and the demo: a row in the database, taken by ``xingji worker``
with ``SELECT … FOR UPDATE SKIP LOCKED``, so any number of workers on any
number of machines share the queue) or the immediate backend (tests: the run
happens in the caller, after commit). ``rating_run_execute`` is a plain
function of the run's id: the task only calls it.

Every fact of the run lives in the database — the queued row is claimed
atomically, progress and the heartbeat are written as it goes — so any app
server shows the progress and any worker can take the run over:

* a worker that dies mid-run (kill -9, a lost machine) leaves its run
  ``running`` with a heartbeat that stops; django-tasks does nothing with such
  a task (its row stays ``RUNNING``). ``requeue_stale_runs``, called by every
  worker when it starts and then every minute, queues again each run without
  progress for ``XINGJI_RATING_RUN_STALE_MINUTES`` (audit ``rating_run.resumed``)
  and marks the dead worker's task failed;
* the next attempt resumes from the persisted progress: the evaluations an
  earlier attempt saved (each chunk is one transaction with its audit entries)
  keep their results and are not rated twice; the engine rates everyone again
  on the same facts (the saved ones' stored input, the others' read afresh),
  so quotas are applied to the whole campaign as before;
* an attempt that was taken over (its ``started_at`` is no longer the run's)
  stops at its next chunk without writing anything (``RunSuperseded``).

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
from collections.abc import Callable
from datetime import datetime, timedelta
from decimal import Decimal
from functools import partial
from typing import Any

from django.apps import apps
from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from django_tasks import task, task_backends

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
#: A rating run with no progress for this long is taken as interrupted (``XINGJI_RATING_RUN_STALE_MINUTES``).
DEFAULT_STALE_MINUTES = 15
#: What a dead worker's task row says when its run is queued again.
WORKER_LOST = "xingji.campaigns.tasks.WorkerLost"


class RunConflict(Exception):
    """An evaluation changed while the run was rating it."""


class RunSuperseded(Exception):
    """The run was taken over by another attempt (queued again as stale, or replaced): this one stops."""


@task()
def rating_run_task(run_id: int) -> str | None:
    """The queue's task of a rating run: run it to its end; its final state, or None when it was not queued."""
    run = rating_run_execute(run_id)
    return None if run is None else str(run.state)


def enqueue_rating_run(run_id: int) -> None:
    """Hand the run to the task queue (``TASKS``): a worker takes it, or the immediate backend runs it here."""
    rating_run_task.enqueue(run_id)


def stale_after() -> timedelta:
    return timedelta(minutes=float(getattr(settings, "XINGJI_RATING_RUN_STALE_MINUTES", DEFAULT_STALE_MINUTES)))


def _uses_database_queue() -> bool:
    if not apps.is_installed("django_tasks_db"):
        return False
    from django_tasks_db import DatabaseBackend

    return isinstance(task_backends[rating_run_task.backend], DatabaseBackend)


def _queued_tasks(run_id: int, status: str) -> Any:
    """The database queue's rows of ``rating_run_task`` for this run in ``status`` (READY, RUNNING…)."""
    from django_tasks_db.models import DBTaskResult

    return DBTaskResult.objects.filter(
        status=status, task_path=rating_run_task.module_path, args_kwargs__args__0=run_id
    )


def requeue_stale_runs(*, now: datetime | None = None) -> list[int]:
    """Queue again every run a dead worker left behind; the ids of the runs queued again.

    A run is left behind when it is ``running`` with no progress (heartbeat)
    for ``XINGJI_RATING_RUN_STALE_MINUTES``, or ``queued`` that long with no
    task waiting for it (its process died between the commit and the enqueue).
    Each is taken by a conditional update, so two workers recovering at once
    queue it once; the audit entry ``rating_run.resumed`` records it, and the
    dead worker's task row (django-tasks leaves it ``RUNNING``) is marked
    failed. The next attempt resumes from what was saved (see the module).
    """
    now = now or timezone.now()
    cutoff = now - stale_after()
    database_queue = _uses_database_queue()
    stale = Q(state=RunState.RUNNING) & (
        Q(heartbeat_at__lt=cutoff) | Q(heartbeat_at__isnull=True, created_at__lt=cutoff)
    )
    requeued: list[int] = []
    for run in RatingRun.objects.filter(stale).order_by("pk"):
        with transaction.atomic():
            # Only if no progress came since it was read: a live worker's heartbeat keeps its run.
            taken = RatingRun.objects.filter(
                pk=run.pk, state=RunState.RUNNING, started_at=run.started_at, heartbeat_at=run.heartbeat_at
            ).update(state=RunState.QUEUED, phase=RunPhase.WAITING, heartbeat_at=now)
            if not taken:
                continue
            if database_queue:
                _queued_tasks(run.pk, "RUNNING").update(
                    status="FAILED",
                    finished_at=now,
                    exception_class_path=WORKER_LOST,
                    traceback="工作进程中断（长时间没有进展），全面评定已重新排队",
                )
            audit_log(
                actor=None,  # the system: the platform's recovery, not a user
                action="rating_run.resumed",
                obj=run,
                before={"state": RunState.RUNNING, "phase": run.phase, "done": run.done, "total": run.total},
                after={"state": RunState.QUEUED},
            )
            transaction.on_commit(partial(enqueue_rating_run, run.pk))
        requeued.append(run.pk)
    if database_queue:
        waiting = Q(state=RunState.QUEUED, created_at__lt=cutoff) & (
            Q(heartbeat_at__lt=cutoff) | Q(heartbeat_at__isnull=True)
        )
        for run in RatingRun.objects.filter(waiting).order_by("pk"):
            if not _queued_tasks(run.pk, "READY").exists():
                enqueue_rating_run(run.pk)
                requeued.append(run.pk)
    if requeued:
        logger.warning("rating runs queued again after a worker stopped: %s", requeued)
    return requeued


def _chunk_size() -> int:
    return max(1, int(getattr(settings, "XINGJI_RATING_RUN_CHUNK_SIZE", DEFAULT_CHUNK_SIZE)))


def _progress(run: RatingRun, on_progress: Callable[[RatingRun], None] | None, **fields: Any) -> None:
    fields["heartbeat_at"] = timezone.now()
    if not _own(run).update(**fields):
        raise RunSuperseded(f"rating run {run.pk} was taken over")
    for name, value in fields.items():
        setattr(run, name, value)
    if on_progress is not None:
        on_progress(run)


def _own(run: RatingRun) -> Any:
    """The run's row while this attempt still holds it (running, and started by this attempt)."""
    return RatingRun.objects.filter(pk=run.pk, state=RunState.RUNNING, started_at=run.started_at)


def _hold(run: RatingRun) -> None:
    """Lock the run's row for the caller's transaction; ``RunSuperseded`` if this attempt lost it."""
    if not _own(run).select_for_update().exists():
        raise RunSuperseded(f"rating run {run.pk} was taken over")


def rating_run_execute(run_id: int, *, on_progress: Callable[[RatingRun], None] | None = None) -> RatingRun | None:
    """Run a queued rating run to its end (done or failed); None when it was not queued any more.

    ``on_progress`` is called with the run after every progress update. A run
    queued again after its worker died resumes (see the module).
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
    except RunSuperseded:
        logger.warning("rating run %s was taken over by another attempt; this one stops", run_id)
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
        if not _own(run).update(
            state=RunState.FAILED, error=message, finished_at=timezone.now(), heartbeat_at=timezone.now()
        ):
            logger.warning("rating run %s failed after it was taken over: %s", run.pk, message)
            return
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
    """The engine's input of every evaluation, chunk by chunk: (name, input) pairs and the evaluations by code.

    An evaluation an earlier attempt of this run saved (``_saved``) keeps the
    input it was rated on (its ``facts``); the others' are read now.
    """
    campaign = run.campaign
    inputs: list[tuple[str, dict[str, Any]]] = []
    by_code: dict[str, Evaluation] = {}
    for chunk in _chunks(evaluations, size):
        if all(_saved(run, evaluation) for evaluation in chunk):
            for evaluation in chunk:
                inputs.append((evaluation.organization.name, dict(evaluation.facts)))
                by_code[evaluation.organization.code] = evaluation
            _progress(run, on_progress, done=run.done + len(chunk))
            continue
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
            if _saved(run, evaluation):
                data = dict(evaluation.facts)
            else:
                data = scoring.engine_input(campaign, evaluation, facts[code], scores.get(evaluation.pk, {}))
            inputs.append((evaluation.organization.name, data))
            by_code[code] = evaluation
        _progress(run, on_progress, done=run.done + len(chunk))
    return inputs, by_code


def _saved(run: RatingRun, evaluation: Evaluation) -> bool:
    """Whether an earlier attempt of ``run`` saved this evaluation's result (a run resumed after its worker died)."""
    return evaluation.rating_run_id == run.pk and evaluation.state == EvaluationState.RATED


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
    """Store one chunk of results in one transaction; refused if an evaluation changed since it was read.

    Results an earlier attempt of the run saved are left as they are.
    """
    campaign = run.campaign
    chunk = [result for result in chunk if not _saved(run, by_code[result.id])]
    if not chunk:
        return
    with transaction.atomic():
        _hold(run)
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
        _hold(run)
        if campaign.quota_mode == "enforce":
            _record_ties(run, rating, by_code)
        finished = timezone.now()
        _own(run).update(
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
