"""The house's shape (docs/architecture.md), enforced: layers, no import circle, no domain module above its floor.

Every import in ``src/xingji`` is read, those inside functions included, since
a lazy import is still a dependency. Layers, top to bottom::

    web, cli, adminsite, urls, settings   the top floor: pages, entry points
    demo, ops                             tools that drive the domain
    accounts, audit, orgs, records, …     the domain, one app per domain
    batch                                 ``xingji rate``'s files (pure Python)
    common                                shared plumbing: errors, workflow, due items, files, mail, documents
    rules                                 the rating engine (pure Python; see test_purity)

A module may import its own floor and the floors below it, never above.
"""

from __future__ import annotations

import ast
import json
import subprocess
import sys
from collections import defaultdict
from pathlib import Path

import xingji

SOURCE = Path(xingji.__file__).parent

TOP = {"web", "cli", "adminsite", "urls", "settings", "settings_test", "wsgi", "__main__", "apps"}
TOOLS = {"demo", "ops"}
FLOORS = {"rules": 0, "common": 1, "batch": 2, **{name: 4 for name in TOOLS}, **{name: 5 for name in TOP}}
DOMAIN = 3
#: Modules of ``common`` that ``xingji rate`` loads: they must not load Django.
PURE_COMMON = ["xingji.common.cells", "xingji.common.tablereader", "xingji.common.tabular"]


def module_name(path: Path) -> str:
    parts = list(path.relative_to(SOURCE.parent).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def modules() -> dict[str, Path]:
    return {
        module_name(path): path
        for path in SOURCE.rglob("*.py")
        if "migrations" not in path.parts and "management" not in path.parts
    }


def imports_of(name: str, path: Path, known: set[str]) -> set[str]:
    """The xingji modules ``name`` imports (``from a import b`` counts ``a.b`` when it is a module)."""
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), filename=str(path))):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package.split(".")[: len(package.split(".")) - node.level + 1]
                base = ".".join([*anchor, *([base] if base else [])])
            found.add(base)
            found.update(f"{base}.{alias.name}" for alias in node.names)
    return {target for target in found if target in known and target != name}


def graph() -> dict[str, set[str]]:
    known = modules()
    return {name: imports_of(name, path, set(known)) for name, path in known.items()}


def floor(name: str) -> int:
    parts = name.split(".")
    return FLOORS.get(parts[1], DOMAIN) if len(parts) > 1 else FLOORS["web"]


def circles(edges: dict[str, set[str]]) -> list[list[str]]:
    """The strongly connected groups of more than one module (Tarjan), each sorted."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for target in sorted(edges.get(node, ())):
            if target not in index:
                visit(target)
                low[node] = min(low[node], low[target])
            elif target in on_stack:
                low[node] = min(low[node], index[target])
        if low[node] == index[node]:
            group = []
            while True:
                member = stack.pop()
                on_stack.discard(member)
                group.append(member)
                if member == node:
                    break
            if len(group) > 1:
                found.append(sorted(group))

    for node in sorted(edges):
        if node not in index:
            visit(node)
    return found


def test_no_module_imports_a_floor_above_its_own():
    # given every import of every module of the house
    edges = graph()

    # when each is compared with the floors of the two modules
    upward = sorted(
        f"{source} → {target}"
        for source, targets in edges.items()
        for target in targets
        if floor(target) > floor(source)
    )

    # then none goes up
    assert upward == []


def test_no_domain_module_imports_web():
    edges = graph()

    offending = sorted(
        f"{source} → {target}"
        for source, targets in edges.items()
        if floor(source) <= DOMAIN
        for target in targets
        if target == "xingji.web" or target.startswith("xingji.web.")
    )

    assert offending == []


def test_there_is_no_import_circle():
    assert circles(graph()) == []


def test_the_circle_finder_sees_a_circle_and_the_floor_check_an_upward_arrow():
    # given a made-up graph with a circle of three and a line
    edges = {"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}

    # then the circle is found, the line is not
    assert circles(edges) == [["a", "b", "c"]]
    # and the floors are what the docstring draws
    assert [floor(name) for name in ("xingji.rules.engine", "xingji.common.errors", "xingji.batch.readers")] == [
        0,
        1,
        2,
    ]
    assert floor("xingji.campaigns.services") == DOMAIN < floor("xingji.demo.data") < floor("xingji.web.views")


def test_it_reads_imports_inside_functions_and_relative_ones(tmp_path):
    package = tmp_path / "xingji_sample"
    package.mkdir()
    (package / "__init__.py").write_text("")
    sample = package / "mod.py"
    sample.write_text("def f():\n    from xingji.web import due\n    from . import other\n", encoding="utf-8")

    found = imports_of("xingji.orgs.mod", sample, {"xingji.web", "xingji.web.due", "xingji.orgs.other"})

    assert found == {"xingji.web", "xingji.web.due", "xingji.orgs.other"}


PROBE = """
import importlib, json, sys
for name in json.loads(sys.argv[1]):
    importlib.import_module(name)
import xingji.batch.readers, xingji.batch.writers, xingji.cli
print(json.dumps(sorted(sys.modules)))
"""


def test_the_batch_and_the_pure_parts_of_common_load_no_django():
    # given a fresh interpreter
    # when it imports what ``xingji rate`` needs
    completed = subprocess.run(
        [sys.executable, "-c", PROBE, json.dumps(PURE_COMMON)], capture_output=True, text=True, check=True, timeout=60
    )
    loaded = json.loads(completed.stdout)

    # then Django is not among the modules loaded
    assert set(PURE_COMMON) <= set(loaded)
    assert [name for name in loaded if name.split(".")[0] == "django"] == []


def test_each_app_is_on_one_floor():
    # given the top-level packages and modules of the house
    names = defaultdict(list)
    for name in modules():
        parts = name.split(".")
        if len(parts) > 1:
            names[floor(name)].append(parts[1])

    # then rules, common and batch are alone on their floors
    assert set(names[0]) == {"rules"}
    assert set(names[1]) == {"common"}
    assert set(names[2]) == {"batch"}
