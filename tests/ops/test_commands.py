"""The operator's commands in a subprocess: demo, backup, restore, serve, migrate, createsuperuser, collectstatic."""

from __future__ import annotations

import os
import shutil
import sqlite3
import stat

import pytest
from django.db import connection

from tests.ops.conftest import run_xingji
from xingji.demo.data import LOGIN_PASSWORDS, LOGIN_USERNAMES
from xingji.ops.backup import sqlite_check, sqlite_summary
from xingji.ops.server import PID_FILE_NAME

DATABASE = "xingji.sqlite3"


def journal_mode(path) -> str:
    connection = sqlite3.connect(path)
    try:
        return connection.execute("PRAGMA journal_mode").fetchone()[0]
    finally:
        connection.close()


# --- demo ---------------------------------------------------------------------------


def test_demo_creates_the_database_in_the_data_directory_and_prints_a_login_per_role(demo_data_dir):
    output = (demo_data_dir / "demo-output.txt").read_text(encoding="utf-8")

    assert (demo_data_dir / DATABASE).is_file()
    assert "已载入演示数据" in output
    assert "http://127.0.0.1:8000/" in output
    for key, username in LOGIN_USERNAMES.items():
        assert f"用户名 {username}" in output
        assert LOGIN_PASSWORDS[key] in output
    summary = sqlite_summary(demo_data_dir / DATABASE)
    assert summary.count("orgs_organization") >= 67
    assert summary.count("orgs_member") >= 1500


def test_demo_run_again_reuses_the_data_instead_of_failing(data_copy):
    before = sqlite_summary(data_copy / DATABASE)

    run = run_xingji("demo", "--no-serve", "--data", data_copy, "--port", "8123")

    assert run.returncode == 0, run.stderr
    assert "已有演示数据，直接使用" in run.stdout
    assert "http://127.0.0.1:8123/" in run.stdout
    assert "用户名 secretary" in run.stdout
    assert sqlite_summary(data_copy / DATABASE) == before


def test_demo_refuses_a_busy_port_before_touching_anything(tmp_path):
    import socket

    with socket.socket() as listener:
        listener.bind(("127.0.0.1", 0))
        listener.listen()
        port = listener.getsockname()[1]
        run = run_xingji("demo", "--data", tmp_path / "data", "--port", str(port))

    assert run.returncode != 0
    assert f"端口 {port} 已被占用" in run.stderr
    assert not (tmp_path / "data" / DATABASE).exists()


# --- backup ----------------------------------------------------------------------------


def test_backup_writes_a_valid_private_sqlite_file_with_the_same_rows(demo_data_dir, tmp_path):
    target = tmp_path / "backup.sqlite3"

    run = run_xingji("backup", target, data_dir=demo_data_dir)

    assert run.returncode == 0, run.stderr
    sqlite_check(target)
    source = sqlite_summary(demo_data_dir / DATABASE)
    copy = sqlite_summary(target)
    assert copy.row_counts == source.row_counts
    assert copy.audit_head == source.audit_head
    assert f"审计链头哈希：{source.audit_head}" in run.stdout
    assert journal_mode(target) == "delete"
    assert stat.S_IMODE(target.stat().st_mode) == 0o600
    assert not list(tmp_path.glob(".*partial"))


def test_backup_refuses_to_overwrite_a_file_without_force(demo_data_dir, tmp_path):
    target = tmp_path / "backup.sqlite3"
    target.write_bytes(b"keep me")

    refused = run_xingji("backup", target, data_dir=demo_data_dir)

    assert refused.returncode != 0
    assert "已存在" in refused.stderr
    assert target.read_bytes() == b"keep me"
    forced = run_xingji("backup", target, "--force", data_dir=demo_data_dir)
    assert forced.returncode == 0, forced.stderr
    sqlite_check(target)


def test_backup_prints_the_pg_dump_command_without_the_password(tmp_path):
    run = run_xingji(
        "backup",
        tmp_path / "x.dump",
        "--print-command",
        data_dir=tmp_path,
        DATABASE_URL="postgres://xingji:s3cret@db.example:5433/xingji",
        SECRET_KEY="k" * 50,
    )

    assert run.returncode == 0, run.stderr
    assert run.stdout.strip() == (
        f"PGPASSWORD=*** pg_dump --format=custom --file {tmp_path / 'x.dump'} --host db.example --port 5433 "
        "--username xingji --dbname xingji"
    )
    assert "s3cret" not in run.stdout + run.stderr


@pytest.mark.django_db
@pytest.mark.skipif(shutil.which("pg_dump") is None, reason="needs pg_dump")
def test_backup_dumps_postgresql_in_pg_dump_custom_format(tmp_path):
    if connection.vendor != "postgresql":
        pytest.skip("needs PostgreSQL")
    database = connection.settings_dict
    url = (
        f"postgres://{database['USER']}:{database['PASSWORD'] or ''}@{database['HOST'] or 'localhost'}:"
        f"{database['PORT'] or 5432}/{database['NAME']}"
    )
    target = tmp_path / "xingji.dump"

    run = run_xingji("backup", target, data_dir=tmp_path, DATABASE_URL=url, SECRET_KEY="k" * 50)

    assert run.returncode == 0, run.stderr
    assert target.read_bytes()[:5] == b"PGDMP"
    assert stat.S_IMODE(target.stat().st_mode) == 0o600


# --- restore ----------------------------------------------------------------------------


def change_the_database(path) -> None:
    connection = sqlite3.connect(path)
    try:
        connection.execute("DELETE FROM orgs_member WHERE id IN (SELECT id FROM orgs_member ORDER BY id DESC LIMIT 25)")
        connection.commit()
    finally:
        connection.close()


def test_restore_round_trip_brings_back_the_backed_up_rows_and_keeps_the_replaced_database(data_copy, tmp_path):
    # given a backup, then a change of the database
    backup = tmp_path / "backup.sqlite3"
    assert run_xingji("backup", backup, data_dir=data_copy).returncode == 0
    backed_up = sqlite_summary(backup)
    change_the_database(data_copy / DATABASE)
    changed = sqlite_summary(data_copy / DATABASE)
    assert changed.count("orgs_member") == backed_up.count("orgs_member") - 25

    # when the backup is restored
    run = run_xingji("restore", backup, "--yes", data_dir=data_copy)

    # then the database holds the backed-up rows again, the chain verifies, the old database was kept
    assert run.returncode == 0, run.stderr
    assert sqlite_summary(data_copy / DATABASE).row_counts == backed_up.row_counts
    assert f"审计链完整：{backed_up.audit_entries} 条记录" in run.stdout
    kept = list((data_copy / "backups").glob("before-restore-*.sqlite3"))
    assert len(kept) == 1
    assert sqlite_summary(kept[0]).count("orgs_member") == changed.count("orgs_member")
    verify = run_xingji("audit", "verify", data_dir=data_copy)
    assert verify.returncode == 0, verify.stderr


def test_restore_without_confirmation_changes_nothing(data_copy, tmp_path):
    backup = tmp_path / "backup.sqlite3"
    assert run_xingji("backup", backup, data_dir=data_copy).returncode == 0
    change_the_database(data_copy / DATABASE)
    changed = sqlite_summary(data_copy / DATABASE)

    run = run_xingji("restore", backup, data_dir=data_copy)

    assert run.returncode == 2
    assert "--yes" in run.stderr
    assert sqlite_summary(data_copy / DATABASE) == changed
    assert not (data_copy / "backups").exists()


def test_restore_refuses_while_the_server_of_the_data_directory_runs(data_copy, tmp_path):
    backup = tmp_path / "backup.sqlite3"
    assert run_xingji("backup", backup, data_dir=data_copy).returncode == 0
    # a live process (this one) holds the server's pid file
    (data_copy / PID_FILE_NAME).write_text(str(os.getpid()), encoding="ascii")
    before = sqlite_summary(data_copy / DATABASE)

    run = run_xingji("restore", backup, "--yes", data_dir=data_copy)

    assert run.returncode != 0
    assert "服务正在运行" in run.stderr
    assert sqlite_summary(data_copy / DATABASE) == before


def test_restore_refuses_a_file_that_is_not_a_backup(data_copy, tmp_path):
    bogus = tmp_path / "notes.sqlite3"
    bogus.write_text("这不是数据库", encoding="utf-8")
    before = sqlite_summary(data_copy / DATABASE)

    run = run_xingji("restore", bogus, "--yes", data_dir=data_copy)

    assert run.returncode != 0
    assert "不是有效的 SQLite 数据库" in run.stderr
    assert sqlite_summary(data_copy / DATABASE) == before


# --- serve and the Django commands ------------------------------------------------------------


def test_serve_dry_run_checks_the_deployment_and_prints_the_gunicorn_command(demo_data_dir):
    run = run_xingji(
        "serve",
        "--dry-run",
        "--bind",
        "0.0.0.0:9000",
        "--workers",
        "3",
        data_dir=demo_data_dir,
        ALLOWED_HOSTS="xingji.example.org",
    )

    assert run.returncode == 0, run.stderr
    command = run.stdout.strip().splitlines()[-1]
    assert command.split()[1:4] == ["-m", "gunicorn", "xingji.wsgi:application"]
    assert "--bind 0.0.0.0:9000 --workers 3" in command
    assert "--access-logfile -" in command
    assert f"--pid {demo_data_dir / PID_FILE_NAME}" in command


def test_serve_refuses_a_database_that_is_not_migrated(tmp_path):
    run = run_xingji("serve", "--dry-run", data_dir=tmp_path)

    assert run.returncode != 0
    assert "xingji migrate" in run.stderr


def test_serve_refuses_debug(tmp_path):
    run = run_xingji("serve", "--dry-run", data_dir=tmp_path, DEBUG="1")

    assert run.returncode != 0
    assert "DEBUG" in run.stderr


def test_migrate_createsuperuser_and_collectstatic_work_through_xingji(tmp_path):
    migrate = run_xingji("migrate", "--noinput", data_dir=tmp_path)
    superuser = run_xingji(
        "createsuperuser",
        "--noinput",
        "--username",
        "root",
        "--email",
        "root@example.org",
        data_dir=tmp_path,
        DJANGO_SUPERUSER_PASSWORD="Gen#Root2026",
    )
    collected = run_xingji("collectstatic", "--noinput", data_dir=tmp_path)

    assert migrate.returncode == 0, migrate.stderr
    assert superuser.returncode == 0, superuser.stderr
    assert collected.returncode == 0, collected.stderr
    connection = sqlite3.connect(tmp_path / DATABASE)
    try:
        row = connection.execute("SELECT is_superuser, password FROM accounts_user WHERE username = 'root'").fetchone()
    finally:
        connection.close()
    assert row[0] == 1
    assert row[1].startswith("argon2$")
    assert (tmp_path / "static" / "staticfiles.json").is_file()
    assert list((tmp_path / "static" / "admin" / "css").glob("base.*.css"))
