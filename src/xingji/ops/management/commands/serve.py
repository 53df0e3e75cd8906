"""``xingji serve``: the production server (gunicorn), after the checks that make it safe to start.

Configuration comes from the environment (see ``xingji.settings``):
``DATABASE_URL``, ``SECRET_KEY``, ``ALLOWED_HOSTS``, ``XINGJI_HTTPS``… and,
for the server itself, ``XINGJI_BIND``, ``WEB_CONCURRENCY``,
``XINGJI_TIMEOUT`` (the options below win over them). The command replaces
itself with gunicorn, so a process manager (systemd, a container runtime)
signals gunicorn directly.
"""

from __future__ import annotations

import os
import shlex
import sys
from pathlib import Path

from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError
from django.db import connections

from xingji.ops.checks import unapplied_migrations
from xingji.ops.server import PID_FILE_NAME, can_run_gunicorn, gunicorn_argv, server_options_from_environment


class Command(BaseCommand):
    help = (
        "生产环境启动：检查部署设置（check --deploy）和数据库迁移，收集静态文件，然后以 gunicorn 运行。"
        "环境变量：DATABASE_URL、SECRET_KEY、ALLOWED_HOSTS、XINGJI_HTTPS、XINGJI_BIND、WEB_CONCURRENCY。"
    )
    # The command runs the deployment checks itself, with its own fail level.
    requires_system_checks: list[str] = []

    def add_arguments(self, parser):
        parser.add_argument(
            "--bind", help="监听地址，如 0.0.0.0:8000 或 unix:/run/xingji.sock（默认 XINGJI_BIND 或 127.0.0.1:8000）"
        )
        parser.add_argument("--workers", type=int, help="工作进程数（默认 WEB_CONCURRENCY 或 2×CPU+1，至多 8）")
        parser.add_argument("--timeout", type=int, help="请求超时秒数（默认 XINGJI_TIMEOUT 或 60）")
        parser.add_argument(
            "--migrate", action="store_true", help="启动前执行数据库迁移（默认：有未执行的迁移则拒绝启动）"
        )
        parser.add_argument("--no-collectstatic", action="store_true", help="不收集静态文件（已在部署时收集）")
        parser.add_argument("--dry-run", action="store_true", help="只做检查并打印 gunicorn 命令，不启动")

    def handle(self, *args, bind, workers, timeout, migrate, no_collectstatic, dry_run, **options):
        if settings.DEBUG:
            raise CommandError("生产环境不能开启 DEBUG：请去掉环境变量 DEBUG")
        if not can_run_gunicorn():
            raise CommandError("gunicorn 只能在 Linux/Unix 上运行；本机试用请用 xingji demo")
        for value, name in ((workers, "--workers"), (timeout, "--timeout")):
            if value is not None and value < 1:
                raise CommandError(f"{name} 应为正整数")
        # Errors stop the start; warnings (e.g. XINGJI_HTTPS=0 behind a proxy) are shown.
        call_command("check", deploy=True, fail_level="ERROR")

        pending = unapplied_migrations()
        if pending and not migrate:
            raise CommandError(
                f"数据库有 {len(pending)} 个迁移尚未执行（如 {pending[0]}）：先运行 xingji migrate，或加 --migrate"
            )
        if pending and not dry_run:
            call_command("migrate", interactive=False, verbosity=1)
        if not no_collectstatic and not dry_run:
            call_command("collectstatic", interactive=False, verbosity=0)

        embedded = connections["default"].vendor == "sqlite"
        pid_file = Path(settings.DATA_DIR) / PID_FILE_NAME if embedded else None
        server = server_options_from_environment(bind=bind, workers=workers, timeout=timeout, pid_file=pid_file)
        argv = gunicorn_argv(server)
        if dry_run:
            self.stdout.write(shlex.join(argv))
            return
        self.stdout.write(f"启动 gunicorn：{server.bind}，{server.workers} 个工作进程")
        self.stdout.flush()
        connections.close_all()
        sys.stderr.flush()
        os.execv(argv[0], argv)
