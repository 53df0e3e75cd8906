"""The rules package stands apart: it imports nothing of Django nor of the rest of xingji.

Dependencies point inward (CONVENTIONS.md): ``web`` and the Django apps may
import ``rules``, never the other way round.
"""

from __future__ import annotations

import ast
import json
import subprocess
import sys
from pathlib import Path

import xingji.rules

RULES_DIR = Path(xingji.rules.__file__).parent

PROBE = """
import json, sys
import xingji.rules, xingji.rules.engine, xingji.rules.explain, xingji.rules.inputs
import xingji.rules.numbers, xingji.rules.quota, xingji.rules.results, xingji.rules.scheme
print(json.dumps(sorted(sys.modules)))
"""


def test_it_loads_no_django_and_nothing_of_xingji_outside_rules():
    # given a fresh interpreter
    # when it imports every module of the rules package
    completed = subprocess.run([sys.executable, "-c", PROBE], capture_output=True, text=True, check=True, timeout=60)
    modules = json.loads(completed.stdout)

    # then no Django module and no other xingji module is loaded
    assert "xingji.rules.explain" in modules
    assert [name for name in modules if name == "django" or name.startswith("django")] == []
    assert [
        name
        for name in modules
        if name.startswith("xingji.") and name != "xingji.rules" and not name.startswith("xingji.rules.")
    ] == []


def imported_modules(path: Path) -> list[str]:
    names = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), filename=str(path))):
        if isinstance(node, ast.Import):
            names += [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.append(node.module)
    return names


def test_it_has_no_django_import_in_any_rules_source_file():
    # given every Python file of the rules package, including imports inside functions
    sources = sorted(RULES_DIR.rglob("*.py"))
    assert {path.name for path in sources} >= {
        "__init__.py",
        "engine.py",
        "explain.py",
        "inputs.py",
        "numbers.py",
        "quota.py",
        "results.py",
        "scheme.py",
    }

    # when their imports are read
    offending = {
        str(path.relative_to(RULES_DIR)): name
        for path in sources
        for name in imported_modules(path)
        if name.split(".")[0] == "django"
        or (name.startswith("xingji") and name != "xingji.rules" and not name.startswith("xingji.rules."))
    }

    # then none imports Django or another part of xingji
    assert offending == {}


def test_it_finds_a_django_import_when_there_is_one(tmp_path):
    # given a file that imports Django inside a function
    sample = tmp_path / "sample.py"
    sample.write_text("def f():\n    from django.db import models\n    import django.conf\n", encoding="utf-8")

    # then the scan sees both imports
    assert imported_modules(sample) == ["django.db", "django.conf"]
