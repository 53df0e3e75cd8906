"""Run ``xingji`` in a subprocess against a scratch data directory, as an operator would.

The subprocess gets the production settings (``xingji.settings``) and no
``DATABASE_URL``: the embedded SQLite install, whatever database the suite
itself runs on.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest

SCRUBBED = {
    "DATABASE_URL",
    "SECRET_KEY",
    "DEBUG",
    "ALLOWED_HOSTS",
    "XINGJI_HTTPS",
    "XINGJI_DATA_DIR",
    "DJANGO_SETTINGS_MODULE",
    "XINGJI_BIND",
    "WEB_CONCURRENCY",
    "XINGJI_TIMEOUT",
}


@dataclass(frozen=True)
class Run:
    returncode: int
    stdout: str
    stderr: str


def xingji_environment(data_dir: Path | None = None, **extra: str) -> dict[str, str]:
    environment = {key: value for key, value in os.environ.items() if key not in SCRUBBED}
    environment["DJANGO_SETTINGS_MODULE"] = "xingji.settings"
    if data_dir is not None:
        environment["XINGJI_DATA_DIR"] = str(data_dir)
    environment.update(extra)
    return environment


def run_xingji(
    *args: str | Path, data_dir: Path | None = None, cwd: Path | None = None, timeout: int = 120, **extra: str
) -> Run:
    completed = subprocess.run(
        [sys.executable, "-m", "xingji", *map(str, args)],
        cwd=cwd,
        env=xingji_environment(data_dir, **extra),
        stdin=subprocess.DEVNULL,
        capture_output=True,
        timeout=timeout,
        check=False,
    )
    return Run(completed.returncode, completed.stdout.decode("utf-8"), completed.stderr.decode("utf-8"))


@pytest.fixture(scope="module")
def demo_data_dir(tmp_path_factory) -> Path:
    """A data directory holding the full demo, loaded once by ``xingji demo --no-serve --data DIR``."""
    data_dir = tmp_path_factory.mktemp("demo-data")
    run = run_xingji("demo", "--no-serve", "--data", data_dir)
    assert run.returncode == 0, run.stderr
    (data_dir / "demo-output.txt").write_text(run.stdout, encoding="utf-8")
    return data_dir


@pytest.fixture
def data_copy(demo_data_dir, tmp_path) -> Path:
    """A private copy of the demo's data directory, for a test that changes it."""
    copy = tmp_path / "data"
    shutil.copytree(demo_data_dir, copy)
    return copy
