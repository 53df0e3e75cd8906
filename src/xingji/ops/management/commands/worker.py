"""``xingji worker``: run a worker of the task queue (全面评定 and other long jobs).

The queue lives in the platform's database (``TASKS``: django-tasks' database
backend), so a worker needs nothing but the same settings as the app servers
(``DATABASE_URL`` …). Run any number, on any number of machines: each task is
taken by one worker only. A worker that dies mid-run is noticed by the others
(no progress for ``XINGJI_RATING_RUN_STALE_MINUTES``) and its run resumed
(``xingji.ops.worker``). SIGTERM or Ctrl+C stops it after the current task.
"""

from __future__ import annotations

import logging
import math

from django.core.management.base import BaseCommand, CommandError
from django_tasks import DEFAULT_TASK_BACKEND_ALIAS, task_backends
from django_tasks_db import DatabaseBackend

from xingji.ops.worker import RECOVER_EVERY_SECONDS, QueueWorker, new_worker_id


def _seconds(text: str, name: str, *, positive: bool = False) -> float:
    try:
        value = float(text)
    except ValueError:
        raise CommandError(f"{name} 应为秒数（如 1 或 0.5），不是“{text}”") from None
    if not math.isfinite(value) or value < 0 or (positive and value == 0):
        raise CommandError(f"{name} 应为{'正数' if positive else '不小于 0 的数'}，不是“{text}”")
    return value


class Command(BaseCommand):
    help = (
        "运行任务队列的工作进程（全面评定等长任务）。任务存在数据库中，可在多台机器上各运行任意多个，"
        "同一任务只由一个工作进程执行；某个工作进程中断时，其他工作进程会接着完成它的全面评定。"
        "Ctrl+C 或 SIGTERM 在当前任务结束后停止。"
    )

    def add_arguments(self, parser):
        parser.add_argument("--interval", default="1", metavar="SECONDS", help="队列为空时每隔多少秒查看一次（默认 1）")
        parser.add_argument("--batch", action="store_true", help="做完队列中现有的任务后退出（用于定时任务和测试）")
        parser.add_argument("--max-tasks", type=int, metavar="N", help="执行 N 个任务后退出（默认不限）")
        parser.add_argument(
            "--worker-id", metavar="ID", help="工作进程的标识，记在它执行的任务上（默认随机生成；须各不相同）"
        )
        parser.add_argument(
            "--recover-every",
            default=str(RECOVER_EVERY_SECONDS),
            metavar="SECONDS",
            help=f"每隔多少秒检查一次中断的全面评定并重新排队（默认 {RECOVER_EVERY_SECONDS:g}；启动时总会检查一次）",
        )

    def handle(self, *args, interval, batch, max_tasks, worker_id, recover_every, **options):
        if not isinstance(task_backends[DEFAULT_TASK_BACKEND_ALIAS], DatabaseBackend):
            raise CommandError("任务队列没有使用数据库后端（TASKS 设置），工作进程无事可做")
        if max_tasks is not None and max_tasks < 1:
            raise CommandError("--max-tasks 应为正整数")
        if worker_id is not None and not 0 < len(worker_id) <= 64:
            raise CommandError("--worker-id 应为 1–64 个字符")
        worker = QueueWorker(
            interval=_seconds(interval, "--interval"),
            batch=batch,
            max_tasks=max_tasks,
            worker_id=worker_id or new_worker_id(),
            recover_every=_seconds(recover_every, "--recover-every", positive=True),
        )
        self._log_to_stdout(options.get("verbosity", 1))
        self.stdout.write(f"工作进程 {worker.worker_id} 已启动（按 Ctrl+C 停止）。")
        self.stdout.flush()
        worker.configure_signals()
        worker.run()
        self.stdout.write(f"工作进程 {worker.worker_id} 已停止（执行了 {worker._run_tasks} 个任务）。")

    def _log_to_stdout(self, verbosity: int) -> None:
        """The queue's and the worker's log lines on standard output, as ``db_worker`` shows them."""
        level = logging.WARNING if verbosity == 0 else logging.INFO if verbosity == 1 else logging.DEBUG
        for name in ("django_tasks", "django_tasks_db", "xingji.ops.worker", "xingji.campaigns.tasks"):
            logger = logging.getLogger(name)
            logger.setLevel(level)
            if not logger.handlers:
                logger.addHandler(logging.StreamHandler(self.stdout))
