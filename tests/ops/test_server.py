"""The server's command lines and environment, built without starting anything."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from django.core.exceptions import ImproperlyConfigured

from xingji.cli import option_value
from xingji.ops.backup import pg_dump_command, pg_restore_command
from xingji.ops.server import (
    ServerOptions,
    default_workers,
    demo_environment,
    gunicorn_argv,
    running_server_pid,
    runserver_argv,
    server_options_from_environment,
)


def test_gunicorn_argv_serves_the_wsgi_app_with_bind_workers_and_the_access_log_on_stdout():
    options = ServerOptions(bind="0.0.0.0:8080", workers=4, timeout=90, pid_file=Path("/data/server.pid"))

    argv = gunicorn_argv(options, python="/venv/bin/python")

    assert argv == [
        "/venv/bin/python",
        "-m",
        "gunicorn",
        "xingji.wsgi:application",
        "--bind",
        "0.0.0.0:8080",
        "--workers",
        "4",
        "--timeout",
        "90",
        "--access-logfile",
        "-",
        "--error-logfile",
        "-",
        "--pid",
        "/data/server.pid",
    ]


def test_gunicorn_argv_has_no_pid_file_without_a_data_directory():
    argv = gunicorn_argv(ServerOptions(), python="python")

    assert "--pid" not in argv
    assert argv[argv.index("--bind") + 1] == "127.0.0.1:8000"


def test_server_options_come_from_the_environment_unless_given_on_the_command_line():
    environ = {"XINGJI_BIND": "unix:/run/xingji.sock", "WEB_CONCURRENCY": "6", "XINGJI_TIMEOUT": "120"}

    from_environment = server_options_from_environment(environ)
    from_options = server_options_from_environment(environ, bind="127.0.0.1:9000", workers=2, timeout=30)

    assert (from_environment.bind, from_environment.workers, from_environment.timeout) == (
        "unix:/run/xingji.sock",
        6,
        120,
    )
    assert (from_options.bind, from_options.workers, from_options.timeout) == ("127.0.0.1:9000", 2, 30)


def test_server_options_default_to_loopback_and_two_workers_per_cpu_plus_one():
    options = server_options_from_environment({})

    assert options.bind == "127.0.0.1:8000"
    assert options.workers == default_workers()
    assert (default_workers(1), default_workers(2), default_workers(16)) == (3, 5, 8)


def test_server_options_refuse_a_worker_count_that_is_not_a_positive_integer():
    with pytest.raises(ImproperlyConfigured, match="WEB_CONCURRENCY"):
        server_options_from_environment({"WEB_CONCURRENCY": "many"})
    with pytest.raises(ImproperlyConfigured, match="WEB_CONCURRENCY"):
        server_options_from_environment({"WEB_CONCURRENCY": "0"})


def test_the_demo_server_runs_plain_http_on_loopback_with_the_demo_data():
    environment = demo_environment(
        {"PATH": "/bin", "ALLOWED_HOSTS": "example.org", "XINGJI_HTTPS": "1"}, data_dir=Path("/tmp/demo")
    )

    assert environment["PATH"] == "/bin"
    assert environment["XINGJI_DATA_DIR"] == "/tmp/demo"
    assert environment["XINGJI_HTTPS"] == "0"
    assert environment["DEBUG"] == "0"
    assert environment["ALLOWED_HOSTS"] == "127.0.0.1,localhost"
    assert runserver_argv(8000, python="python") == [
        "python",
        "-m",
        "xingji",
        "runserver",
        "--noreload",
        "127.0.0.1:8000",
    ]


def test_a_pid_file_names_a_running_server_only_while_its_process_lives(tmp_path):
    pid_file = tmp_path / "server.pid"
    assert running_server_pid(pid_file) is None

    pid_file.write_text(str(os.getpid()), encoding="ascii")
    assert running_server_pid(pid_file) == os.getpid()

    pid_file.write_text("2147483646", encoding="ascii")  # no such process
    assert running_server_pid(pid_file) is None


def test_pg_commands_pass_the_password_in_the_environment_only():
    database = {
        "NAME": "xingji",
        "USER": "app",
        "PASSWORD": "s3cret",
        "HOST": "db",
        "PORT": 5432,
        "OPTIONS": {"sslmode": "require"},
    }

    dump = pg_dump_command(database, Path("x.dump"))
    restore = pg_restore_command(database, Path("x.dump"))

    assert dump.argv == [
        "pg_dump",
        "--format=custom",
        "--file",
        "x.dump",
        "--host",
        "db",
        "--port",
        "5432",
        "--username",
        "app",
        "--dbname",
        "xingji",
    ]
    assert restore.argv[:6] == [
        "pg_restore",
        "--clean",
        "--if-exists",
        "--no-owner",
        "--single-transaction",
        "--exit-on-error",
    ]
    assert restore.argv[-3:] == ["--dbname", "xingji", "x.dump"]
    assert dump.environment == {"PGPASSWORD": "s3cret", "PGSSLMODE": "require"}
    assert "s3cret" not in " ".join(dump.argv + restore.argv) + dump.shown()


def test_the_cli_reads_the_demo_data_option_in_both_spellings():
    assert option_value(["--data", "/x", "--port", "1"], "--data") == "/x"
    assert option_value(["--data=/y"], "--data") == "/y"
    assert option_value(["--port", "1"], "--data") is None
    assert option_value(["--data"], "--data") is None
