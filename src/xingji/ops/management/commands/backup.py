"""``xingji backup FILE``: a consistent copy of the database, taken while the server runs."""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError
from django.db import connections

from xingji.ops.backup import BackupError, database_kind, pg_dump_command, sqlite_backup, sqlite_summary


class Command(BaseCommand):
    help = (
        "备份数据库到 FILE。SQLite：在线备份（服务不必停止），得到一个独立的 .sqlite3 文件；"
        "PostgreSQL：调用 pg_dump --format=custom（需安装 PostgreSQL 客户端）。"
        "附件目录（数据目录下的 attachments/）请另行复制。"
    )

    def add_arguments(self, parser):
        parser.add_argument("file", type=Path, metavar="FILE", help="备份文件，如 xingji-2026-12-31.sqlite3 或 .dump")
        parser.add_argument("--force", action="store_true", help="FILE 已存在时覆盖")
        parser.add_argument("--print-command", action="store_true", help="PostgreSQL：只打印 pg_dump 命令，不执行")

    def handle(self, *args, file: Path, force: bool, print_command: bool, **options):
        target = file.expanduser()
        if target.exists() and not force:
            raise CommandError(f"{target} 已存在：换一个文件名，或加 --force 覆盖")
        database = connections["default"].settings_dict
        try:
            kind = database_kind(database)
            if kind == "sqlite":
                self.backup_sqlite(Path(database["NAME"]), target)
            else:
                self.backup_postgresql(database, target, print_command=print_command)
        except BackupError as error:
            raise CommandError(str(error)) from None

    def backup_sqlite(self, source: Path, target: Path) -> None:
        connections.close_all()
        sqlite_backup(source, target)
        summary = sqlite_summary(target)
        self.stdout.write(self.style.SUCCESS(f"已备份到 {target.resolve()}（{target.stat().st_size} 字节）"))
        self.stdout.write(
            f"  党组织 {summary.count('orgs_organization')}，党员 {summary.count('orgs_member')}，"
            f"用户 {summary.count('accounts_user')}，审计记录 {summary.audit_entries}"
        )
        if summary.audit_head:
            self.stdout.write(f"  审计链头哈希：{summary.audit_head}")

    def backup_postgresql(self, database, target: Path, *, print_command: bool) -> None:
        command = pg_dump_command(database, target)
        if print_command:
            self.stdout.write(command.shown())
            return
        executable = shutil.which(command.argv[0])
        if executable is None:
            raise CommandError(
                f"找不到 pg_dump（请安装 PostgreSQL 客户端，版本不低于服务器）。要执行的命令是：\n  {command.shown()}"
            )
        self.stdout.write(f"执行：{command.shown()}")
        completed = subprocess.run(
            [executable, *command.argv[1:]], env={**os.environ, **command.environment}, check=False
        )
        if completed.returncode != 0:
            target.unlink(missing_ok=True)
            raise CommandError(f"pg_dump 失败（退出码 {completed.returncode}）", returncode=completed.returncode)
        # The dump holds personal data: readable by its owner only.
        target.chmod(0o600)
        self.stdout.write(self.style.SUCCESS(f"已备份到 {target.resolve()}（{target.stat().st_size} 字节）"))
