"""Backing up and restoring the database.

* **SQLite** (the embedded install): the online backup API
  (``sqlite3.Connection.backup``) copies a consistent snapshot while the
  server keeps running. Restoring uses the same API the other way round, so
  that open connections see the restored pages, never a half-copied file.
* **PostgreSQL**: ``pg_dump --format=custom`` and ``pg_restore``, with the
  password passed in the environment (``PGPASSWORD``), never on a command
  line that ``ps`` shows.
"""

from __future__ import annotations

import os
import shlex
import sqlite3
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

SQLITE_ENGINE = "django.db.backends.sqlite3"
POSTGRESQL_ENGINES = {"django.db.backends.postgresql", "django.contrib.gis.db.backends.postgis"}


class BackupError(Exception):
    """A backup or restore that cannot be done; the message is for the user."""


def database_kind(database: Mapping[str, Any]) -> str:
    engine = database["ENGINE"]
    if engine == SQLITE_ENGINE:
        return "sqlite"
    if engine in POSTGRESQL_ENGINES:
        return "postgresql"
    raise BackupError(f"不支持备份这种数据库：{engine}")


# --- SQLite -------------------------------------------------------------------------


@dataclass(frozen=True)
class SqliteSummary:
    """What a database file holds: rows per table and the audit chain's head."""

    row_counts: dict[str, int]
    audit_entries: int
    audit_head: str | None

    def count(self, table: str) -> int:
        return self.row_counts.get(table, 0)


def _connect_existing(path: Path) -> sqlite3.Connection:
    if not path.is_file():
        raise BackupError(f"文件不存在：{path}")
    # mode=rw: never create an empty database where a file was expected.
    return sqlite3.connect(f"{path.resolve().as_uri()}?mode=rw", uri=True)


def sqlite_check(path: Path) -> None:
    """Refuse a file that is not an intact SQLite database of this application."""
    try:
        connection = _connect_existing(path)
        try:
            result = connection.execute("PRAGMA integrity_check").fetchone()
            tables = {row[0] for row in connection.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
        finally:
            connection.close()
    except sqlite3.DatabaseError as error:
        raise BackupError(f"{path} 不是有效的 SQLite 数据库：{error}") from None
    if result is None or result[0] != "ok":
        raise BackupError(f"{path} 已损坏（integrity_check：{result[0] if result else '无结果'}）")
    if "django_migrations" not in tables:
        raise BackupError(f"{path} 不是本系统的数据库（没有 django_migrations 表）")


def sqlite_summary(path: Path) -> SqliteSummary:
    connection = _connect_existing(path)
    try:
        tables = [
            row[0]
            for row in connection.execute(
                "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' ORDER BY name"
            )
        ]
        # Table names come from the database's own catalogue, quoted.
        counts = {table: connection.execute(f'SELECT COUNT(*) FROM "{table}"').fetchone()[0] for table in tables}
        head = None
        if "audit_auditentry" in counts:
            row = connection.execute("SELECT hash FROM audit_auditentry ORDER BY sequence DESC LIMIT 1").fetchone()
            head = row[0] if row else None
    finally:
        connection.close()
    return SqliteSummary(counts, counts.get("audit_auditentry", 0), head)


def sqlite_backup(source: Path, target: Path) -> None:
    """Copy ``source`` to ``target`` online: a consistent snapshot, even while the server writes.

    The copy is made beside the target and renamed into place, so a failed
    backup never leaves a half-written file under the target's name. It is
    readable only by its owner (it holds personal data) and uses a rollback
    journal, so that it is one self-contained file.
    """
    target = target.resolve()
    if not target.parent.is_dir():
        raise BackupError(f"目录不存在：{target.parent}")
    if target == source.resolve():
        raise BackupError("备份文件不能是数据库文件本身")
    draft = target.with_name(f".{target.name}.{os.getpid()}.partial")
    draft.unlink(missing_ok=True)
    source_connection = _connect_existing(source)
    try:
        descriptor = os.open(draft, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        os.close(descriptor)
        target_connection = sqlite3.connect(draft)
        try:
            source_connection.backup(target_connection)
            target_connection.execute("PRAGMA journal_mode=DELETE")
            result = target_connection.execute("PRAGMA integrity_check").fetchone()
        finally:
            target_connection.close()
        if result is None or result[0] != "ok":
            raise BackupError(f"备份校验失败（integrity_check：{result}）")
        os.replace(draft, target)
    except sqlite3.Error as error:
        raise BackupError(f"备份失败：{error}") from None
    finally:
        source_connection.close()
        draft.unlink(missing_ok=True)


def sqlite_restore(backup: Path, target: Path) -> None:
    """Replace the contents of the database ``target`` by those of ``backup`` (checked first)."""
    sqlite_check(backup)
    target.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    source_connection = _connect_existing(backup)
    try:
        target_connection = sqlite3.connect(target, timeout=20)
        try:
            source_connection.backup(target_connection)
        finally:
            target_connection.close()
    except sqlite3.Error as error:
        raise BackupError(f"恢复失败：{error}") from None
    finally:
        source_connection.close()


# --- PostgreSQL -------------------------------------------------------------------------


@dataclass(frozen=True)
class ExternalCommand:
    """A command line and the environment variables it needs besides the current ones."""

    argv: list[str]
    environment: dict[str, str]

    def shown(self) -> str:
        """The command as printed for the user: the password stays hidden."""
        prefix = "PGPASSWORD=*** " if "PGPASSWORD" in self.environment else ""
        return prefix + shlex.join(self.argv)


def _connection_arguments(database: Mapping[str, Any]) -> tuple[list[str], dict[str, str]]:
    arguments = []
    for option, key in (("--host", "HOST"), ("--port", "PORT"), ("--username", "USER")):
        value = database.get(key)
        if value:
            arguments += [option, str(value)]
    environment = {}
    if database.get("PASSWORD"):
        environment["PGPASSWORD"] = str(database["PASSWORD"])
    sslmode = (database.get("OPTIONS") or {}).get("sslmode")
    if sslmode:
        environment["PGSSLMODE"] = str(sslmode)
    return arguments, environment


def pg_dump_command(database: Mapping[str, Any], target: Path) -> ExternalCommand:
    arguments, environment = _connection_arguments(database)
    argv = ["pg_dump", "--format=custom", "--file", str(target), *arguments, "--dbname", str(database["NAME"])]
    return ExternalCommand(argv, environment)


def pg_restore_command(database: Mapping[str, Any], backup: Path) -> ExternalCommand:
    arguments, environment = _connection_arguments(database)
    argv = [
        "pg_restore",
        "--clean",
        "--if-exists",
        "--no-owner",
        "--single-transaction",
        "--exit-on-error",
        *arguments,
        "--dbname",
        str(database["NAME"]),
        str(backup),
    ]
    return ExternalCommand(argv, environment)
