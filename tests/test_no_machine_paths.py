"""The project's files name no machine paths: no working folder of a developer's machine, no file outside the repo."""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
MACHINE_PATH = re.compile(r"/work/|/home/[a-z]|/root/|/Users/[A-Za-z]|\.\./shared/|[A-Z]:\\\\Users")


def tracked_text_files() -> list[Path]:
    listed = subprocess.run(["git", "ls-files"], cwd=ROOT, capture_output=True, text=True, check=True).stdout
    return [ROOT / name for name in listed.splitlines() if (ROOT / name).is_file()]


def test_no_tracked_file_names_a_machine_path():
    found = []
    for path in tracked_text_files():
        if path.resolve() == Path(__file__).resolve():
            continue
        try:
            text = path.read_text(encoding="utf-8")
        except UnicodeDecodeError:
            continue
        for number, line in enumerate(text.splitlines(), 1):
            if MACHINE_PATH.search(line):
                found.append(f"{path.relative_to(ROOT)}:{number}: {line.strip()[:80]}")
    assert found == []


def test_the_pattern_sees_what_it_is_for():
    assert MACHINE_PATH.search("# summarized in /work/shared/reference/localities.md")
    assert MACHINE_PATH.search("见 ../shared/DESIGN.md")
    assert not MACHINE_PATH.search("src/xingji/rules/schemes/anyang-2017.toml")
