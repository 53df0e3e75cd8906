"""The settings module, as production loads it: from the environment alone."""

from __future__ import annotations

import os
import secrets
import stat
import subprocess
import sys

from xingji.settings import embedded_secret_key


def run_django(args: list[str], env: dict[str, str], tmp_path) -> subprocess.CompletedProcess:
    clean = {
        key: value
        for key, value in os.environ.items()
        if key not in {"DATABASE_URL", "SECRET_KEY", "DEBUG", "ALLOWED_HOSTS", "DJANGO_SETTINGS_MODULE"}
    }
    clean.update({"XINGJI_DATA_DIR": str(tmp_path), "DJANGO_SETTINGS_MODULE": "xingji.settings", **env})
    return subprocess.run(
        [sys.executable, "-m", "django", *args], env=clean, capture_output=True, text=True, timeout=120
    )


def test_the_deployment_checklist_is_clean_with_a_secret_key(tmp_path):
    result = run_django(
        ["check", "--deploy", "--fail-level", "WARNING"],
        {"DEBUG": "0", "SECRET_KEY": secrets.token_urlsafe(50), "ALLOWED_HOSTS": "example.org"},
        tmp_path,
    )

    assert result.returncode == 0, result.stderr
    assert "no issues" in result.stdout


def test_it_refuses_to_start_against_a_server_database_without_a_secret_key(tmp_path):
    result = run_django(["check"], {"DATABASE_URL": "postgres://nobody@127.0.0.1:1/none"}, tmp_path)

    assert result.returncode != 0
    assert "SECRET_KEY must be set" in result.stderr


def test_it_generates_the_embedded_secret_key_once_readable_only_by_its_owner(tmp_path):
    first = embedded_secret_key(tmp_path)
    second = embedded_secret_key(tmp_path)

    assert first == second
    assert len(first) >= 50
    assert stat.S_IMODE((tmp_path / "secret_key").stat().st_mode) == 0o600
