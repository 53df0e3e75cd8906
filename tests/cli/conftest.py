"""Run the ``xingji`` command in a subprocess, in a scratch folder.

The CLI tests exercise the command exactly as an office runs it: a separate
process, files on disk, exit status, standard output and standard error.
"""

from __future__ import annotations

import json
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest


@dataclass(frozen=True)
class Run:
    """What one ``xingji`` invocation did."""

    returncode: int
    stdout: str
    stderr: str

    def json(self):
        return json.loads(self.stdout)


def run_xingji(cwd: Path, *args: str | Path) -> Run:
    completed = subprocess.run(
        [sys.executable, "-m", "xingji", *map(str, args)],
        cwd=cwd,
        capture_output=True,
        timeout=60,
        check=False,
    )
    # The command writes UTF-8; a wrong encoding should fail the test, not be papered over.
    return Run(completed.returncode, completed.stdout.decode("utf-8"), completed.stderr.decode("utf-8"))


@pytest.fixture
def xingji(tmp_path: Path):
    """``xingji(*args)`` runs ``python -m xingji *args`` with the test's tmp_path as cwd."""

    def run(*args: str | Path) -> Run:
        return run_xingji(tmp_path, *args)

    return run
