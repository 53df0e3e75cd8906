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
from django.db import connection, transaction
from django.db.models import Q
from django.utils import timezone
from django_tasks import task, task_backends

from xingji.audit.services import append_audit_batch, audit_log, bulk_cursor, max_query_params
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
from xingji.common.bulk import save_preparer
from xingji.orgs.models import Organization
from xingji.rules.engine import Result
from xingji.rules.explain import summary_to_dict

logger = logging.getLogger(__name__)

DEFAULT_CHUNK_SIZE = 500
#: A rating run with no progress for this long is taken as interrupted (``XINGJI_RATING_RUN_STALE_MINUTES``).
DEFAULT_STALE_MINUTES = 15
#: What a dead worker's task row says when its run is queued again.
WORKER_LOST = "xingji.campaigns.tasks.WorkerLost"


#: What the run reads of every evaluation up front (not its stored results: thousands of JSON documents).
READ_FIELDS = (
    "id",
    "campaign_id",
    "organization_id",
    "state",
    "version",
    "rating_run_id",
    "survey_satisfaction",
    "newly_founded",
    "innovation_project",
    "previous_level",
)


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
        saved = [evaluation.pk for evaluation in chunk if _saved(run, evaluation)]
        # The input each saved one was rated on (read here: ``_execute`` does not load the facts of all).
        stored = dict(Evaluation.objects.filter(pk__in=saved).values_list("pk", "facts")) if saved else {}
        if len(saved) == len(chunk):
            for evaluation in chunk:
                inputs.append((evaluation.organization.name, dict(stored[evaluation.pk])))
                by_code[evaluation.organization.code] = evaluation
            _progress(run, on_progress, done=run.done + len(chunk))
            continue
        # The chunk is a run of the evaluations in path order: its organizations are the campaign's between
        # its first path and its last (a range of the path index, not a list of ids in every statement).
        span = (chunk[0].organization.path, chunk[-1].organization.path)
        facts = scoring.facts_by_code(
            campaign,
            Organization.objects.filter(evaluations__campaign=campaign, path__range=span).order_by("path"),
        )
        # By the evaluations' ids, not the path range through a join: estimating that join, PostgreSQL hashes
        # the campaign's every score for each chunk (quadratic in the campaign's size).
        unsaved = [evaluation.pk for evaluation in chunk if evaluation.pk not in stored]
        scores: dict[int, dict[str, Decimal]] = {}
        for evaluation_id, code, score in CriterionScore.objects.filter(
            evaluation_id__in=unsaved, part=ScorePart.SUPERIOR
        ).values_list("evaluation_id", "criterion_code", "score"):
            if score is not None:
                scores.setdefault(evaluation_id, {})[code] = score
        for evaluation in chunk:
            code = evaluation.organization.code
            if evaluation.pk in stored:
                data = dict(stored[evaluation.pk])
            else:
                data = scoring.engine_input(campaign, evaluation, facts[code], scores.get(evaluation.pk, {}))
            inputs.append((evaluation.organization.name, data))
            by_code[code] = evaluation
        _progress(run, on_progress, done=run.done + len(chunk))
    return inputs, by_code


def _saved(run: RatingRun, evaluation: Evaluation) -> bool:
    """Whether an earlier attempt of ``run`` saved this evaluation's result (a run resumed after its worker died)."""
    return evaluation.rating_run_id == run.pk and evaluation.state == EvaluationState.RATED


def _rated_entries(
    run: RatingRun, evaluation: Evaluation, before: dict[str, Any], result: Result
) -> list[tuple[str, Evaluation, Any, Any]]:
    """The audit entries of one evaluation rated: ``evaluation.rated``, then one ``evaluation.quota_moved`` a move."""
    entries: list[tuple[str, Evaluation, Any, Any]] = [
        (
            "evaluation.rated",
            evaluation,
            before,
            {
                "state": evaluation.state,
                "level": evaluation.level,
                "final_score": evaluation.final_score,
                "rating_run_id": run.pk,
            },
        )
    ]
    for reason in result.reasons:
        if reason.effect == "quota":
            entries.append(
                (
                    "evaluation.quota_moved",
                    evaluation,
                    {"level": reason.from_level},
                    {
                        "level": reason.to_level,
                        "rule": reason.rule,
                        "clause": reason.clause,
                        "reason": reason.message,
                    },
                )
            )
    return entries


def _update_rows(instances: list[Evaluation], columns: list[str], constants: dict[str, Any]) -> None:
    """Write ``columns`` of every instance (and ``constants``) with one ``UPDATE … FROM``.

    Each value is sent as ``save`` would send it (``save_preparer``: a JSON
    document serialized once, to the text Django's ``JSONField`` sends).
    PostgreSQL: ``UPDATE … FROM unnest(%s::type[], …)``, one array
    parameter a column (a short statement, whatever the number of rows, as
    Django's own ``bulk_create`` does). SQLite 3.33+: ``WITH v(…) AS (VALUES …)
    UPDATE … FROM v``, split only if the rows exceed the statement's parameter
    limit (32,766: a chunk of the default size never does).
    """
    if not instances:
        return
    meta = Evaluation._meta
    quote = connection.ops.quote_name
    table = quote(meta.db_table)
    pk: Any = meta.pk
    key = quote(pk.column)
    fields: list[Any] = [meta.get_field(name) for name in columns]
    names = ", ".join(quote(name) for name in [pk.column, *(field.column for field in fields)])
    assignments = [f"{quote(field.column)} = v.{quote(field.column)}" for field in fields]
    constant_params = []
    for name, value in constants.items():
        field: Any = meta.get_field(name)
        assignments.append(f"{quote(field.column)} = %s")
        constant_params.append(field.get_db_prep_save(value, connection))
    setting = ", ".join(assignments)
    preparers = [(field.attname, save_preparer(field)) for field in fields]
    rows = [
        [
            instance.pk,
            *(
                getattr(instance, name) if prepare is None else prepare(getattr(instance, name))
                for name, prepare in preparers
            ),
        ]
        for instance in instances
    ]
    with bulk_cursor(connection) as cursor:
        if connection.vendor == "postgresql":
            # Without the type's parameters (numeric, not numeric(6, 2)), as Django's bulk insert.
            types = [field.db_type(connection).split("(")[0] for field in [pk, *fields]]
            arrays = ", ".join(f"(%b)::{db_type}[]" for db_type in types)
            cursor.execute(
                f"UPDATE {table} SET {setting} FROM unnest({arrays}) AS v ({names}) WHERE {table}.{key} = v.{key}",
                [*constant_params, *(list(column) for column in zip(*rows, strict=True))],
            )
            return
        per_row = len(fields) + 1
        batch = max(1, (max_query_params(connection) - len(constant_params)) // per_row)
        placeholder = "(" + ", ".join(["%s"] * per_row) + ")"
        for start in range(0, len(rows), batch):
            part = rows[start : start + batch]
            cursor.execute(
                f"WITH v ({names}) AS (VALUES {', '.join([placeholder] * len(part))}) "
                f"UPDATE {table} SET {setting} FROM v WHERE {table}.{key} = v.{key}",
                [*(value for row in part for value in row), *constant_params],
            )


def _save_chunk(
    run: RatingRun,
    chunk: list[Result],
    by_code: dict[str, Evaluation],
    versions: dict[int, int],
    data_by_code: dict[str, dict[str, Any]],
) -> None:
    """Store one chunk of results in one transaction; refused if an evaluation changed since it was read.

    A constant number of statements whatever the chunk's size: the run's row
    locked, one ``SELECT … FOR UPDATE`` of the chunk's evaluations (their
    versions and states checked, the transition ``rate`` applied to each in
    Python), one ``UPDATE … FROM (VALUES …)`` of their results, and one batch
    of audit entries (``append_audit_batch``: every ``evaluation.rated``, each
    followed by its ``evaluation.quota_moved``, in the results' order).
    Results an earlier attempt of the run saved are left as they are.
    """
    campaign = run.campaign
    chunk = [result for result in chunk if not _saved(run, by_code[result.id])]
    if not chunk:
        return
    with transaction.atomic():
        _hold(run)
        ids = [by_code[result.id].pk for result in chunk]
        # What the check needs of each row, locked: (version, state, level, final_score) by id.
        locked: dict[int, list[Any]] = {
            pk: rest
            for pk, *rest in Evaluation.objects.select_for_update(of=("self",))
            .filter(pk__in=ids)
            .order_by("pk")
            .values_list("pk", "version", "state", "level", "final_score")
        }
        entries: list[tuple[str, Evaluation, Any, Any]] = []
        saved: list[Evaluation] = []
        columns: list[str] = []
        for result in chunk:
            # The instance read by ``_execute`` (its organization's name and code loaded), updated to the row.
            evaluation = by_code[result.id]
            evaluation.campaign = campaign
            version, state, level, final_score = locked[evaluation.pk]
            if version != versions[evaluation.pk] or state not in (EvaluationState.EVALUATED, EvaluationState.RATED):
                raise RunConflict(f"“{evaluation.organization.name}”的评定在运行期间被修改，请重新运行全面评定")
            evaluation.version, evaluation.state = version, state
            before = {"state": state, "level": level, "final_score": final_score}
            fields = scoring.apply_result(evaluation, scoring.stored_result(campaign, result))
            evaluation.facts = data_by_code[result.id]
            move_evaluation("rate", evaluation, EvaluationState.RATED)
            evaluation.version += 1
            evaluation.rating_run_id = run.pk
            columns = [*fields, "facts", "state", "version"]
            saved.append(evaluation)
            entries.extend(_rated_entries(run, evaluation, before, result))
        _update_rows(saved, columns, {"rating_run": run.pk})
        append_audit_batch(actor=run.requested_by, entries=entries)
        versions.update({evaluation.pk: evaluation.version for evaluation in saved})


def _execute(run: RatingRun, on_progress: Callable[[RatingRun], None] | None) -> None:
    campaign = run.campaign
    size = _chunk_size()
    evaluations = list(
        campaign.evaluations.select_related("organization")
        .only(*READ_FIELDS, "organization__name", "organization__code", "organization__path")
        .order_by("organization__path")
    )
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
    # By organization code, once (``rating.find`` reads the results one by one: a tie of many would be quadratic).
    results = {result.id: result for result in rating.results}
    for check in rating.quota_checks:
        quota = next(q for q in rating.scheme.quotas if q.code == check.code)
        for tie in check.ties:
            levels_before: dict[str, int] = {}
            for code in tie["moved"]:
                result = results[code]
                moved = next(r for r in result.reasons if r.effect == "quota" and r.rule == check.code)
                levels_before[str(by_code[code].pk)] = moved.from_level
            for code in tie["kept"]:
                levels_before[str(by_code[code].pk)] = results[code].stars
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
