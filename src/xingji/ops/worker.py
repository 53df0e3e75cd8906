"""The task queue's worker (``xingji worker``): django-tasks' database worker, with the recovery of dead workers' runs.

A worker takes the next ready task row with ``SELECT … FOR UPDATE SKIP
LOCKED`` (on SQLite: in an exclusive transaction) and marks it running in the
same transaction, so any number of workers on any number of machines share
one queue and never take the same task (``django_tasks_db``'s ``Worker``,
whose claiming and running this one keeps).

What django-tasks does not do is notice a worker that died: its task row
stays ``RUNNING``. So this worker, when it starts and then every
``recover_every`` seconds, calls ``xingji.campaigns.tasks.requeue_stale_runs``:
a rating run with no progress for ``XINGJI_RATING_RUN_STALE_MINUTES`` is
queued again and resumed by whichever worker takes it.

``xingji demo`` runs one worker in a thread of its own process
(``start_in_thread``), so that the demo needs no second command.
"""

from __future__ import annotations

import logging
import threading
import time
import uuid

from django.db import OperationalError, close_old_connections, connections
from django_tasks import DEFAULT_TASK_BACKEND_ALIAS, DEFAULT_TASK_QUEUE_NAME
from django_tasks_db.management.commands.db_worker import Worker
from django_tasks_db.models import DBTaskResult
from django_tasks_db.utils import exclusive_transaction, is_locked_database_exception

from xingji.campaigns.tasks import requeue_stale_runs

logger = logging.getLogger(__name__)

#: How often a worker looks for runs that a dead worker left behind (seconds).
RECOVER_EVERY_SECONDS = 60.0


def new_worker_id() -> str:
    return uuid.uuid4().hex


class QueueWorker(Worker):
    """django-tasks' database worker, recovering dead workers' rating runs at start and every ``recover_every`` s."""

    def __init__(
        self,
        *,
        queue_names: list[str] | None = None,
        interval: float = 1.0,
        batch: bool = False,
        backend_name: str = DEFAULT_TASK_BACKEND_ALIAS,
        startup_delay: bool = False,
        max_tasks: int | None = None,
        worker_id: str | None = None,
        recover_every: float = RECOVER_EVERY_SECONDS,
    ) -> None:
        super().__init__(
            queue_names=queue_names or [DEFAULT_TASK_QUEUE_NAME],
            interval=interval,
            batch=batch,
            backend_name=backend_name,
            startup_delay=startup_delay,
            max_tasks=max_tasks,
            worker_id=worker_id or new_worker_id(),
            excluded_queue_names=[],
        )
        self.recover_every = recover_every
        self._next_recovery = 0.0

    def recover(self) -> list[int]:
        """Queue again the runs dead workers left behind; never stops the worker."""
        try:
            return requeue_stale_runs()
        except Exception:  # noqa: BLE001 - the worker goes on; the next round tries again
            logger.exception("worker %s could not recover stale rating runs", self.worker_id)
            return []

    def claim_next(self) -> tuple[DBTaskResult | None, bool]:
        """The next ready task, claimed for this worker (as django-tasks' worker claims it); and whether the
        queue could be read (False while SQLite is locked by another writer)."""
        tasks = DBTaskResult.objects.ready().filter(backend_name=self.backend_name)
        if not self.process_all_queues:
            tasks = tasks.filter(queue_name__in=self.queue_names)
        with exclusive_transaction(tasks.db):
            try:
                task_result = tasks.get_locked()
                if task_result is not None:
                    task_result.claim(self.worker_id)
            except OperationalError as error:
                if is_locked_database_exception(error):
                    return None, False
                raise
        return task_result, True

    def run(self) -> None:
        logger.info("worker %s started, queues %s", self.worker_id, ",".join(self.queue_names))
        while self.running:
            close_old_connections()
            if time.monotonic() >= self._next_recovery:
                self.recover()
                self._next_recovery = time.monotonic() + self.recover_every
            task_result, read = self.claim_next()
            if task_result is not None:
                self.run_task(task_result)
            if self.batch and read and task_result is None:
                logger.info("worker %s: no more tasks, stopping", self.worker_id)
                return
            if self.max_tasks is not None and self._run_tasks >= self.max_tasks:
                logger.info("worker %s ran %d tasks, stopping", self.worker_id, self._run_tasks)
                return
            close_old_connections()
            if self.running and task_result is None:
                time.sleep(self.interval)

    def stop(self) -> None:
        """Stop after the current task (for a worker in a thread: signals are the main thread's)."""
        self.running = False


def start_in_thread(*, interval: float = 1.0) -> tuple[QueueWorker, threading.Thread]:
    """One worker in a daemon thread of this process (``xingji demo``); ``worker.stop()`` ends it."""
    worker = QueueWorker(interval=interval)

    def loop() -> None:
        try:
            worker.run()
        except Exception:  # noqa: BLE001 - reported; the demo goes on serving
            logger.exception("the demo's worker stopped")
        finally:
            connections.close_all()

    thread = threading.Thread(target=loop, name="xingji-worker", daemon=True)
    thread.start()
    return worker, thread
