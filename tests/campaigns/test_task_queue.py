"""The task queue (issue 13 item 3): django-tasks' database backend, ``xingji worker``, and dead workers' runs.

In this process, on the suite's database: a rating run is a task of the
queue, a worker takes and runs it, a run whose worker died is queued again
and resumed from what it saved (every evaluation rated once, the engine's
results, an intact audit chain), an attempt that was taken over stops
without writing. In subprocesses, on a scratch database (a SQLite file, or a
PostgreSQL database made for the test when the suite runs on PostgreSQL):
two ``xingji worker`` processes never run the same task, and a worker killed
with SIGKILL mid-run leaves a run that another worker finishes correctly
(``queue_scenario`` is what the subprocesses run).
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import time
import uuid
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import pytest
from django.core.management import CommandError, call_command
from django.utils import timezone
from django_tasks_db.models import DBTaskResult

import tests
from tests.campaigns.steps import force_evaluated
from tests.ops.conftest import xingji_environment
from xingji.audit.chain import verify_chain
from xingji.audit.models import AuditEntry
from xingji.campaigns import services, tasks
from xingji.campaigns.models import EvaluationState, RatingRun, RunPhase, RunState
from xingji.ops.worker import QueueWorker

DATABASE_QUEUE = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend", "QUEUES": ["default"]}}
RATING_TASK = "xingji.campaigns.tasks.rating_run_task"
REPOSITORY = Path(tests.__file__).resolve().parent.parent
#: Bounds on waiting for a subprocess (never reached when all is well; no assertion is about time).
WAIT_SECONDS = 240


class WorkerKilled(BaseException):
    """What a kill -9 looks like from inside: nothing of the run's own handling runs."""


@pytest.fixture
def database_queue(settings):
    settings.TASKS = DATABASE_QUEUE


@pytest.fixture
def ready(campaign):
    for index, evaluation in enumerate(campaign.evaluations.order_by("pk")):
        force_evaluated(evaluation, score=f"{9.5 - index * 0.7:.1f}")
    return campaign


#: A worker closes its connection between tasks when it is in a transaction: not inside a test's.
in_autocommit = pytest.mark.django_db(transaction=True)


def batch_worker(**options) -> QueueWorker:
    worker = QueueWorker(batch=True, interval=0, **options)
    worker.run()
    return worker


def rated_entries(run: RatingRun) -> Counter:
    return Counter(
        entry.object_id
        for entry in AuditEntry.objects.filter(action="evaluation.rated")
        if entry.after.get("rating_run_id") == run.pk
    )


def results(campaign) -> dict[str, tuple]:
    return {
        e.organization.code: (e.state, e.level, e.band_level, e.final_score, e.reasons, e.facts)
        for e in campaign.evaluations.select_related("organization")
    }


# --- in this process ----------------------------------------------------------------------------


@in_autocommit
def test_a_rating_run_is_a_task_that_a_worker_takes_from_the_database(
    ready, office_user, database_queue, django_capture_on_commit_callbacks
):
    # given the database queue: the office's request commits and enqueues
    with django_capture_on_commit_callbacks(execute=True):
        run = services.campaign_rate(campaign=ready, actor=office_user)

    # then the run waits as a row of the queue, nothing rated yet
    row = DBTaskResult.objects.get()
    assert (row.status, row.task_path, row.args_kwargs) == ("READY", RATING_TASK, {"args": [run.pk], "kwargs": {}})
    run.refresh_from_db()
    assert run.state == RunState.QUEUED

    # when a worker runs what is queued
    worker = batch_worker(worker_id="w1")

    # then it ran the run to its end, once, and the row says so
    run.refresh_from_db()
    row.refresh_from_db()
    assert (run.state, run.percent, run.error) == (RunState.DONE, 100, "")
    assert (row.status, row.return_value, row.worker_ids) == ("SUCCESSFUL", "done", ["w1"])
    assert worker._run_tasks == 1
    assert set(rated_entries(run).values()) == {1}
    assert verify_chain() is None


@in_autocommit
def test_two_tasks_of_one_run_rate_it_once(ready, office_user, database_queue, django_capture_on_commit_callbacks):
    # given a run enqueued twice (a recovery racing a slow enqueue)
    with django_capture_on_commit_callbacks(execute=True):
        run = services.campaign_rate(campaign=ready, actor=office_user)
    tasks.enqueue_rating_run(run.pk)

    # when the workers run both
    batch_worker()

    # then the first rated the run, the second found it no longer queued
    assert Counter(DBTaskResult.objects.values_list("return_value", flat=True)) == {"done": 1, None: 1}
    assert list(rated_entries(run).values()) == [1] * ready.evaluations.count()


def test_a_run_whose_worker_died_is_queued_again_and_resumed_from_what_it_saved(
    ready, office_user, settings, monkeypatch, django_capture_on_commit_callbacks
):
    # given a reference: the same campaign rated without interruption
    settings.XINGJI_RATING_RUN_CHUNK_SIZE = 2
    with django_capture_on_commit_callbacks(execute=True):
        reference_run = services.campaign_rate(campaign=ready, actor=office_user)
    reference = results(ready)
    reference_run.refresh_from_db()
    assert reference_run.state == RunState.DONE

    # and a second run whose worker dies after saving its first chunk of two
    run = services.campaign_rate(campaign=ready, actor=office_user)  # queued: the callback is not run
    save_chunk = tasks._save_chunk
    saved = []

    def save_then_die(*args, **kwargs):
        if saved:
            raise WorkerKilled
        save_chunk(*args, **kwargs)
        saved.append(1)

    monkeypatch.setattr(tasks, "_save_chunk", save_then_die)
    with pytest.raises(WorkerKilled):
        tasks.rating_run_execute(run.pk)
    monkeypatch.setattr(tasks, "_save_chunk", save_chunk)
    run.refresh_from_db()
    assert (run.state, run.phase) == (RunState.RUNNING, RunPhase.SAVING)
    assert sum(rated_entries(run).values()) == 2

    # when a worker looks for stale runs before the heartbeat is stale, nothing happens
    assert tasks.requeue_stale_runs() == []
    # and when it looks once the heartbeat is older than XINGJI_RATING_RUN_STALE_MINUTES, it queues the run again
    later = timezone.now() + timedelta(minutes=settings.XINGJI_RATING_RUN_STALE_MINUTES, seconds=1)
    with django_capture_on_commit_callbacks(execute=True):
        assert tasks.requeue_stale_runs(now=later) == [run.pk]

    # then the next attempt (the immediate backend: at once) finished it, rating the others only
    run.refresh_from_db()
    assert (run.state, run.percent, run.error) == (RunState.DONE, 100, "")
    assert list(rated_entries(run).values()) == [1] * ready.evaluations.count()
    # with the results of the uninterrupted run, the audit trail of the resumption, and an intact chain
    assert results(ready) == reference
    resumed = AuditEntry.objects.get(action="rating_run.resumed")
    assert (resumed.before["state"], resumed.before["phase"], resumed.after) == (
        RunState.RUNNING,
        RunPhase.SAVING,
        {"state": RunState.QUEUED},
    )
    assert AuditEntry.objects.filter(action="rating_run.finished").count() == 2
    assert verify_chain() is None


def test_an_attempt_that_was_taken_over_stops_without_writing(ready, office_user, settings):
    # given a run that is replaced while it collects (its run failed as interrupted, say, by a newer request)
    settings.XINGJI_RATING_RUN_CHUNK_SIZE = 2
    run = services.campaign_rate(campaign=ready, actor=office_user)
    entries = AuditEntry.objects.count()

    def replaced(current):
        if current.phase == RunPhase.RATING:
            RatingRun.objects.filter(pk=current.pk).update(state=RunState.FAILED, error="已由新的全面评定取代")

    # when the attempt goes on to save
    finished = tasks.rating_run_execute(run.pk, on_progress=replaced)

    # then it stopped: nothing rated, no entry of its own, the run as the other left it
    assert (finished.state, finished.error) == (RunState.FAILED, "已由新的全面评定取代")
    assert set(ready.evaluations.values_list("state", flat=True)) == {EvaluationState.EVALUATED}
    assert AuditEntry.objects.count() == entries


def test_recovery_leaves_live_runs_and_waiting_tasks_alone(
    ready, office_user, database_queue, django_capture_on_commit_callbacks
):
    # given a run queued with its task waiting, long ago
    with django_capture_on_commit_callbacks(execute=True):
        run = services.campaign_rate(campaign=ready, actor=office_user)
    later = timezone.now() + timedelta(hours=1)

    # then recovery does not queue it twice
    assert tasks.requeue_stale_runs(now=later) == []
    assert DBTaskResult.objects.count() == 1

    # and when its task is lost (the process died between the commit and the enqueue), it is queued again
    DBTaskResult.objects.all().delete()
    assert tasks.requeue_stale_runs(now=later) == [run.pk]
    assert DBTaskResult.objects.get().args_kwargs["args"] == [run.pk]

    # and a running run with a fresh heartbeat is left to its worker
    RatingRun.objects.filter(pk=run.pk).update(state=RunState.RUNNING, started_at=later, heartbeat_at=later)
    assert tasks.requeue_stale_runs(now=later + timedelta(minutes=1)) == []


@in_autocommit
def test_recovery_marks_the_dead_workers_task_failed(
    ready, office_user, database_queue, django_capture_on_commit_callbacks
):
    # given a run claimed by a worker that died (its row RUNNING, the run's heartbeat stopped)
    with django_capture_on_commit_callbacks(execute=True):
        run = services.campaign_rate(campaign=ready, actor=office_user)
    row = DBTaskResult.objects.get()
    row.claim("dead-worker")
    now = timezone.now()
    RatingRun.objects.filter(pk=run.pk).update(state=RunState.RUNNING, started_at=now, heartbeat_at=now)

    # when a worker recovers it (its on-commit enqueue captured)
    later = now + timedelta(minutes=16)
    with django_capture_on_commit_callbacks(execute=True):
        assert tasks.requeue_stale_runs(now=later) == [run.pk]

    # then the dead worker's row is failed and a new one waits
    assert sorted(DBTaskResult.objects.values_list("status", "exception_class_path")) == [
        ("FAILED", tasks.WORKER_LOST),
        ("READY", ""),
    ]
    # and a worker finishes the run
    batch_worker()
    run.refresh_from_db()
    assert run.state == RunState.DONE


def test_the_worker_command_needs_the_database_queue():
    with pytest.raises(CommandError, match="没有使用数据库后端"):
        call_command("worker", "--batch")


def test_the_worker_command_refuses_bad_options(database_queue):
    with pytest.raises(CommandError, match="--interval 应为秒数"):
        call_command("worker", "--batch", "--interval", "soon")
    with pytest.raises(CommandError, match="--max-tasks 应为正整数"):
        call_command("worker", "--batch", "--max-tasks", "0")


def test_notify_due_can_hand_the_digest_to_the_queue(database_queue, db, capsys):
    # when the daily command is told to queue (mail configured)
    from django.test import override_settings

    with override_settings(EMAIL_HOST="smtp.example.org"):
        call_command("notify_due", "--queue", "--date", "2026-06-01")

    # then the digest waits for a worker as a task
    row = DBTaskResult.objects.get()
    assert (row.task_path, row.args_kwargs["args"]) == ("xingji.web.tasks.send_due_digest_task", ["2026-06-01", []])
    assert "已交给任务队列" in capsys.readouterr().out


# --- in subprocesses, on a scratch database -------------------------------------------------------


@dataclass
class Scratch:
    """A database the subprocesses share: a SQLite file in ``data_dir``, or a PostgreSQL database at ``url``."""

    data_dir: Path
    url: str | None = None
    extra: dict[str, str] = field(default_factory=dict)

    def environment(self, **extra: str) -> dict[str, str]:
        environment = xingji_environment(self.data_dir, **self.extra, **extra)
        if self.url:
            environment.update(DATABASE_URL=self.url, SECRET_KEY="test-only-secret-key-" + "x" * 40)
        return environment

    def start(self, *argv: str, **extra: str) -> subprocess.Popen:
        return subprocess.Popen(
            [sys.executable, *argv],
            cwd=REPOSITORY,
            env=self.environment(**extra),
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
        )

    def run(self, *argv: str, **extra: str) -> str:
        process = self.start(*argv, **extra)
        out, err = process.communicate(timeout=WAIT_SECONDS)
        assert process.returncode == 0, err.decode("utf-8")
        return out.decode("utf-8")

    def scenario(self, *argv: str, **extra: str) -> dict:
        out = self.run("-m", "tests.campaigns.queue_scenario", *argv, **extra)
        return json.loads(out.strip().splitlines()[-1])


def _server_url(name: str) -> str:
    parts = urlsplit(os.environ["DATABASE_URL"])
    return urlunsplit(parts._replace(path=f"/{name}"))


def _postgres(statement: str) -> None:
    import psycopg

    # The server's maintenance database: the one DATABASE_URL names need not exist (the suite's is test_<name>).
    with psycopg.connect(_server_url("postgres"), autocommit=True) as connection:
        connection.execute(statement)


@pytest.fixture(scope="module")
def scratch_template(tmp_path_factory) -> Iterator[Scratch]:
    """A migrated scratch database, made once for the module."""
    data_dir = tmp_path_factory.mktemp("queue-template")
    if not os.environ.get("DATABASE_URL"):
        template = Scratch(data_dir)
        template.run("-m", "xingji", "migrate", "--skip-checks", "-v", "0")
        yield template
        return
    name = f"xingji_queue_template_{os.getpid()}"
    _postgres(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")
    _postgres(f"CREATE DATABASE {name}")
    template = Scratch(data_dir, _server_url(name))
    try:
        template.run("-m", "xingji", "migrate", "--skip-checks", "-v", "0")
        yield template
    finally:
        _postgres(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")


@pytest.fixture
def scratch(scratch_template, tmp_path) -> Iterator[Scratch]:
    """A private copy of the template, for one test."""
    data_dir = tmp_path / "data"
    shutil.copytree(scratch_template.data_dir, data_dir)
    if scratch_template.url is None:
        yield Scratch(data_dir)
        return
    name = f"xingji_queue_{uuid.uuid4().hex[:12]}"
    template_name = urlsplit(scratch_template.url).path.lstrip("/")
    _postgres(f"CREATE DATABASE {name} TEMPLATE {template_name}")
    try:
        yield Scratch(data_dir, _server_url(name))
    finally:
        _postgres(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")


def wait_for(path: Path, process: subprocess.Popen) -> None:
    deadline = time.monotonic() + WAIT_SECONDS
    while not path.exists():
        if process.poll() is not None:
            _, err = process.communicate()
            pytest.fail(f"the worker ended before it got there: {err.decode('utf-8')}")
        if time.monotonic() > deadline:
            process.kill()
            pytest.fail("the worker did not get there")
        time.sleep(0.05)


def test_two_worker_processes_never_run_the_same_task(scratch, tmp_path):
    # given forty tasks in the queue; each worker's first task waits until the other worker runs one
    log = tmp_path / "probes.log"
    log.touch()
    enqueued = scratch.scenario("enqueue-probes", "40", "--log", str(log))["tasks"]

    # when two workers take them at the same time
    workers = [
        scratch.start("-m", "xingji", "worker", "--batch", "--interval", "0.05", "--worker-id", f"w{number}")
        for number in (1, 2)
    ]
    for worker in workers:
        _, err = worker.communicate(timeout=WAIT_SECONDS)
        assert worker.returncode == 0, err.decode("utf-8")

    # then every task ran once, by one worker, and both workers ran some
    runs = [line.split() for line in log.read_text(encoding="utf-8").splitlines()]
    assert sorted(int(number) for _, number in runs) == list(range(40))
    assert len({pid for pid, _ in runs}) == 2
    rows = scratch.scenario("task-rows")["rows"]
    assert sorted(row["id"] for row in rows) == sorted(enqueued)
    assert {row["status"] for row in rows} == {"SUCCESSFUL"}
    assert all(len(row["worker_ids"]) == 1 for row in rows)
    assert {row["worker_ids"][0] for row in rows} == {"w1", "w2"}


def test_a_worker_killed_mid_run_leaves_a_run_that_another_worker_finishes(scratch, tmp_path):
    # given a run of 27 evaluations, saved four at a time, and a worker that stops for good after two chunks
    setup = scratch.scenario("setup", "--branches", "24")
    marker = tmp_path / "paused"
    chunks = {"XINGJI_RATING_RUN_CHUNK_SIZE": "4"}
    first = scratch.start(
        "-m", "tests.campaigns.queue_scenario", "paused-worker", "--after", "2", "--marker", str(marker), **chunks
    )
    wait_for(marker, first)

    # when it is killed there (kill -9: no handler runs, its transaction, if any, is rolled back by the database)
    first.send_signal(signal.SIGKILL)
    first.communicate(timeout=WAIT_SECONDS)
    assert first.returncode == -signal.SIGKILL
    half = scratch.scenario("check", str(setup["run"]))
    assert (half["state"], half["of_this_run"]) == (RunState.RUNNING, 8)

    # and another worker starts (its run taken as stale at once: XINGJI_RATING_RUN_STALE_MINUTES=0)
    scratch.run(
        "-m", "xingji", "worker", "--batch", "--interval", "0.05", XINGJI_RATING_RUN_STALE_MINUTES="0", **chunks
    )

    # then the run is done: every evaluation rated once, as the engine rates the same facts
    done = scratch.scenario("check", str(setup["run"]))
    assert (done["state"], done["error"], done["percent"]) == (RunState.DONE, "", 100)
    assert done["evaluations"] == setup["evaluations"] == done["of_this_run"] == 27
    assert done["states"] == [EvaluationState.RATED]
    assert done["rated_once"], done["rated_counts"]
    assert done["wrong"] == []
    assert done["ties"] == done["expected_ties"]
    # with the resumption in the audit trail, which verifies
    assert done["actions"] == {"rating_run.requested": 1, "rating_run.resumed": 1, "rating_run.finished": 1}
    assert done["chain_broken"] is None
    # and the dead worker's task failed as lost, the second one succeeded
    assert done["task_rows"] == [["FAILED", tasks.WORKER_LOST], ["SUCCESSFUL", ""]]


@in_autocommit
def test_the_demos_worker_thread_runs_what_the_server_enqueues(
    ready, office_user, database_queue, django_capture_on_commit_callbacks
):
    from django.db import connection

    # SQLite's test database lives in memory with a shared cache, whose table locks make a
    # second thread's writes fail at random; a deployment's SQLite is a file (the subprocess tests above).
    if connection.vendor == "sqlite":
        pytest.skip("needs a database file or server: the in-memory test database locks tables across threads")
    from xingji.ops.worker import start_in_thread

    # given a run waiting in the queue
    with django_capture_on_commit_callbacks(execute=True):
        run = services.campaign_rate(campaign=ready, actor=office_user)

    # when the demo's worker runs in a thread of this process
    worker, thread = start_in_thread(interval=0.05)
    try:
        deadline = time.monotonic() + WAIT_SECONDS
        while time.monotonic() < deadline:
            run.refresh_from_db()
            if not run.is_active:
                break
            time.sleep(0.05)
    finally:
        worker.stop()
        thread.join(timeout=WAIT_SECONDS)

    # then it ran the run, and stopped when told
    assert (run.state, run.percent) == (RunState.DONE, 100)
    assert not thread.is_alive()
    assert DBTaskResult.objects.get().status == "SUCCESSFUL"
