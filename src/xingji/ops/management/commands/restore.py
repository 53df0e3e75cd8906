"""``xingji restore FILE``: put a backup back in place of the current database.

Destructive, so it asks: ``--yes`` (or an answer at the terminal). For
SQLite it refuses while the server of this data directory is running, keeps
a copy of the database it replaces, and checks the audit chain of the
restored data.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.db import connections
from django.utils import timezone

from xingji.audit.chain import check_chain
from xingji.ops.backup import (
    BackupError,
    database_kind,
    pg_restore_command,
    sqlite_backup,
    sqlite_check,
    sqlite_restore,
    sqlite_summary,
)
from xingji.ops.checks import unapplied_migrations
from xingji.ops.server import PID_FILE_NAME, running_server_pid

EXIT_NOT_CONFIRMED = 2


class Command(BaseCommand):
    help = (
        "从备份文件 FILE 恢复数据库（覆盖当前数据）。"
        "SQLite：须先停止服务；恢复前把当前数据库另存到数据目录的 backups/。"
        "PostgreSQL：调用 pg_restore --clean。须加 --yes 确认（或在终端中回答 yes）。"
    )

    def add_arguments(self, parser):
        parser.add_argument("file", type=Path, metavar="FILE", help="由 xingji backup 生成的备份文件")
        parser.add_argument("--yes", action="store_true", help="确认覆盖当前数据库")
        parser.add_argument("--print-command", action="store_true", help="PostgreSQL：只打印 pg_restore 命令，不执行")

    def handle(self, *args, file: Path, yes: bool, print_command: bool, **options):
        backup = file.expanduser()
        database = connections["default"].settings_dict
        try:
            if database_kind(database) == "sqlite":
                self.restore_sqlite(backup, Path(database["NAME"]), confirmed=yes)
            else:
                self.restore_postgresql(database, backup, confirmed=yes, print_command=print_command)
        except BackupError as error:
            raise CommandError(str(error)) from None

    def confirm(self, question: str, confirmed: bool) -> None:
        if confirmed:
            return
        if sys.stdin.isatty():
            answer = input(f"{question}\n输入 yes 确认：")
            if answer.strip().lower() == "yes":
                return
            raise CommandError("未确认，未做任何改动", returncode=EXIT_NOT_CONFIRMED)
        raise CommandError(f"{question}\n确认请加 --yes。未做任何改动。", returncode=EXIT_NOT_CONFIRMED)

    def restore_sqlite(self, backup: Path, target: Path, *, confirmed: bool) -> None:
        sqlite_check(backup)
        pid = running_server_pid(Path(settings.DATA_DIR) / PID_FILE_NAME)
        if pid is not None:
            raise CommandError(
                f"服务正在运行（进程 {pid}，见 {Path(settings.DATA_DIR) / PID_FILE_NAME}）：先停止服务再恢复"
            )
        summary = sqlite_summary(backup)
        self.stdout.write(
            f"备份 {backup}：党组织 {summary.count('orgs_organization')}，党员 {summary.count('orgs_member')}，"
            f"用户 {summary.count('accounts_user')}，审计记录 {summary.audit_entries}"
        )
        self.confirm(f"将用该备份覆盖数据库 {target}。", confirmed)

        connections.close_all()
        if target.exists():
            kept = self.keep_current(target)
            self.stdout.write(f"当前数据库已另存为 {kept}")
        sqlite_restore(backup, target)
        self.stdout.write(self.style.SUCCESS(f"已从 {backup} 恢复数据库 {target}"))
        self.after_restore()

    def keep_current(self, target: Path) -> Path:
        folder = Path(settings.DATA_DIR) / "backups"
        folder.mkdir(mode=0o700, exist_ok=True)
        stamp = timezone.localtime().strftime("%Y%m%d-%H%M%S")
        kept = folder / f"before-restore-{stamp}.sqlite3"
        sqlite_backup(target, kept)
        return kept

    def after_restore(self) -> None:
        connections.close_all()
        pending = unapplied_migrations()
        if pending:
            self.stdout.write(f"备份来自较早的版本：还有 {len(pending)} 个迁移未执行，请运行 xingji migrate")
            return
        status = check_chain()
        if status.is_intact:
            self.stdout.write(f"审计链完整：{status.count} 条记录，链头哈希 {status.head_hash}")
        else:
            self.stdout.write(self.style.WARNING(f"审计链断开：{status.broken}"))

    def restore_postgresql(self, database, backup: Path, *, confirmed: bool, print_command: bool) -> None:
        command = pg_restore_command(database, backup)
        if print_command:
            self.stdout.write(command.shown())
            return
        if not backup.is_file():
            raise CommandError(f"文件不存在：{backup}")
        executable = shutil.which(command.argv[0])
        if executable is None:
            raise CommandError(f"找不到 pg_restore（请安装 PostgreSQL 客户端）。要执行的命令是：\n  {command.shown()}")
        self.confirm(f"将用 {backup} 覆盖数据库 {database['NAME']}（pg_restore --clean）。", confirmed)
        connections.close_all()
        self.stdout.write(f"执行：{command.shown()}")
        completed = subprocess.run(
            [executable, *command.argv[1:]], env={**os.environ, **command.environment}, check=False
        )
        if completed.returncode != 0:
            raise CommandError(f"pg_restore 失败（退出码 {completed.returncode}）", returncode=completed.returncode)
        self.stdout.write(self.style.SUCCESS(f"已从 {backup} 恢复数据库 {database['NAME']}"))
        self.after_restore()
