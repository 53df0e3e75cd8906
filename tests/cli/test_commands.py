"""``xingji`` as a whole (issue 18 item 10): ``--help`` lists every user command with a line in Chinese, every
command takes ``--data DIR``, and no English ``AXES: BEGIN`` line comes before a command's output."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
from django.core.management import get_commands
from tests.ops.conftest import run_xingji

from xingji import cli
from xingji.cli import ENGINE_COMMANDS, USER_COMMANDS, take_data_option

CHINESE = re.compile(r"[\u4e00-\u9fff]")
#: The commands the issues name (``worker``: issue 13 item 3, the task queue's worker).
NAMED_IN_THE_ISSUE = ["demo", "serve", "worker", "migrate", "backup", "restore", "audit", "rate", "schemes"]
DJANGO_COMMANDS = [name for name in USER_COMMANDS if name not in ENGINE_COMMANDS]


def help_text() -> str:
    completed = subprocess.run([sys.executable, "-m", "xingji", "--help"], capture_output=True, timeout=60, check=True)
    return completed.stdout.decode("utf-8")


def test_help_lists_every_user_command_with_a_chinese_line():
    text = help_text()

    assert text.startswith("用法：xingji")
    for name in NAMED_IN_THE_ISSUE:
        assert name in USER_COMMANDS
    for name, description in USER_COMMANDS.items():
        assert CHINESE.search(description), name
        # The listing may wrap a long name: the description follows the name, on its line or the next.
        assert re.search(rf"^\s+{re.escape(name)}\s+{re.escape(description)}$", text, re.MULTILINE), name
    assert "显示本帮助并退出" in text
    assert "--data DIR" in text
    for english in ("usage:", "show this help message", "positional arguments", "options:"):
        assert english not in text


def test_every_listed_command_exists():
    # ``help`` is Django's own listing (ManagementUtility), not a command module.
    assert set(DJANGO_COMMANDS) - {"help"} <= set(get_commands())
    assert set(cli.build_parser()._subparsers._group_actions[0].choices) == set(USER_COMMANDS)


def test_an_engine_command_speaks_chinese_when_its_options_are_wrong():
    completed = subprocess.run(
        [sys.executable, "-m", "xingji", "rate", "--quota", "bad"], capture_output=True, timeout=60, check=False
    )

    assert completed.returncode == 2
    assert (
        completed.stderr.decode("utf-8").splitlines()[-1]
        == "错误：--quota 的值 'bad' 无效，可选：'warn', 'enforce', 'off'"
    )


@pytest.mark.parametrize(
    ("argv", "expected"),
    [
        (["backup", "f.sqlite3", "--data", "/srv/x"], ("/srv/x", ["backup", "f.sqlite3"])),
        (["audit", "--data=/srv/y", "verify"], ("/srv/y", ["audit", "verify"])),
        (["migrate", "--data", "/a", "--data", "/b"], ("/b", ["migrate"])),
        (["serve", "--dry-run"], (None, ["serve", "--dry-run"])),
        (["demo", "--data"], (None, ["demo"])),
    ],
)
def test_it_takes_the_data_option_off_the_command_line(argv, expected):
    assert take_data_option(argv) == expected


@pytest.mark.parametrize("command", DJANGO_COMMANDS)
def test_every_django_command_takes_data(command, monkeypatch, tmp_path):
    handed: list[list[str]] = []
    monkeypatch.setattr("django.core.management.execute_from_command_line", handed.append)
    monkeypatch.delenv("XINGJI_DATA_DIR", raising=False)

    assert cli.main([command, "--data", str(tmp_path / "data"), "--verbosity", "0"]) == 0

    assert handed == [["xingji", command, "--verbosity", "0"]]
    assert Path(os.environ["XINGJI_DATA_DIR"]) == (tmp_path / "data").resolve()


@pytest.mark.parametrize("command", sorted(ENGINE_COMMANDS))
def test_every_engine_command_takes_data(command, tmp_path):
    parsed = cli.build_parser().parse_args([command, "--data", str(tmp_path)])

    assert parsed.data == str(tmp_path)


def test_migrate_backup_and_audit_run_on_the_data_given_and_say_nothing_of_axes(tmp_path):
    data = tmp_path / "data"

    runs = [
        run_xingji("migrate", "--data", data),
        run_xingji("audit", "verify", "--data", data),
        run_xingji("backup", tmp_path / "copy.sqlite3", "--data", data),
        run_xingji("schemes", "--data", data),
    ]

    for run in runs:
        assert run.returncode == 0, run.stderr
        assert "AXES" not in run.stdout + run.stderr
    assert (data / "xingji.sqlite3").is_file()
    assert (tmp_path / "copy.sqlite3").is_file()
