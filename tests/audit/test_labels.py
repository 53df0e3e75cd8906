"""Every action code written in ``src`` has a Chinese name; object types read as their models' names."""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest
from django.apps import apps

import xingji
from xingji.audit.labels import action_label, changes, namespace_label, object_type_label
from xingji.audit.services import ACTION_PATTERN

SOURCE = Path(xingji.__file__).parent
CJK = re.compile(r"[\u4e00-\u9fff]")
ASCII_LETTER = re.compile(r"[A-Za-z]")


def _audit_names() -> list[str]:
    """The ``audit_name`` of every model that declares one (the records' ``f"{model.audit_name}.created"``)."""
    return sorted({model.audit_name for model in apps.get_models() if getattr(model, "audit_name", "")})


class ActionCollector(ast.NodeVisitor):
    """The action codes of one module: ``action=`` arguments, ``audit_log``/``audit.add`` first arguments,
    the tuples given to ``append_audit_entries`` and module constants named ``*ACTION*``."""

    def __init__(self, where: str) -> None:
        self.where = where
        self.actions: set[str] = set()
        self.unreadable: list[str] = []

    def take(self, node: ast.expr) -> None:
        if isinstance(node, ast.IfExp):  # one action or the other
            self.take(node.body)
            self.take(node.orelse)
        elif isinstance(node, ast.Constant) and isinstance(node.value, str):
            self.actions.add(node.value)
        elif (
            isinstance(node, ast.JoinedStr)
            and len(node.values) == 2
            and isinstance(node.values[0], ast.FormattedValue)
            and isinstance(node.values[0].value, ast.Attribute)
            and node.values[0].value.attr == "audit_name"
            and isinstance(node.values[1], ast.Constant)
        ):
            self.actions.update(f"{name}{node.values[1].value}" for name in _audit_names())
        elif not isinstance(node, ast.Name | ast.Attribute):  # a variable passed on: its value is found where set
            self.unreadable.append(f"{self.where}:{node.lineno}: {ast.unparse(node)}")

    def visit_Call(self, node: ast.Call) -> None:
        function = node.func
        name = function.attr if isinstance(function, ast.Attribute) else getattr(function, "id", "")
        receiver = getattr(function.value, "id", "") if isinstance(function, ast.Attribute) else ""
        for keyword in node.keywords:
            if keyword.arg == "action" and not (
                isinstance(keyword.value, ast.Constant) and "." not in str(keyword.value.value)
            ):  # argparse's "store_true"
                self.take(keyword.value)
        if node.args and (name == "audit_log" or (name == "add" and receiver == "audit")):
            self.take(node.args[0])
        self.generic_visit(node)

    def visit_FunctionDef(self, node: ast.FunctionDef) -> None:
        calls_bulk = any(
            isinstance(inner, ast.Call) and getattr(inner.func, "id", "") == "append_audit_entries"
            for inner in ast.walk(node)
        )
        if calls_bulk:
            for inner in ast.walk(node):
                if isinstance(inner, ast.Tuple) and len(inner.elts) == 4:
                    self.take(inner.elts[0])
        self.generic_visit(node)

    def visit_Assign(self, node: ast.Assign) -> None:
        if any(
            # A constant named for an action (AUDIT_ACTION), not one that merely contains the letters (SATISFACTION).
            isinstance(target, ast.Name) and "ACTION" in target.id.split("_") and target.id != "ACTION_PATTERN"
            for target in node.targets
        ):
            self.take(node.value)
        self.generic_visit(node)


def actions_in_source() -> tuple[set[str], list[str]]:
    actions: set[str] = set()
    unreadable: list[str] = []
    for path in sorted(SOURCE.rglob("*.py")):
        if "migrations" in path.parts or path == SOURCE / "audit" / "labels.py":  # the names, not their use
            continue
        collector = ActionCollector(str(path.relative_to(SOURCE)))
        collector.visit(ast.parse(path.read_text(encoding="utf-8")))
        actions |= collector.actions
        unreadable += collector.unreadable
    return actions, unreadable


def test_it_finds_the_actions_written_in_src():
    actions, unreadable = actions_in_source()

    assert unreadable == []
    assert {
        "member.created",
        "commendation.deleted",
        "rectification_item.opened",
        "organization.imported",
        "star_ledger.imported",
        "evaluation.noticed",
        "user.updated",
    } <= actions
    assert [action for action in sorted(actions) if not ACTION_PATTERN.match(action)] == []
    assert len(actions) >= 90


def test_it_names_every_action_written_in_src_in_chinese():
    actions, _ = actions_in_source()

    unnamed = {
        action: action_label(action)
        for action in sorted(actions)
        if action_label(action) == action
        or not CJK.search(action_label(action))
        or ASCII_LETTER.search(action_label(action))
    }

    assert unnamed == {}


@pytest.mark.parametrize(
    ("action", "label"),
    [
        ("member.created", "新建党员"),
        ("member.imported", "导入党员"),
        ("organization.updated", "修改党组织"),
        ("commendation.deleted", "删除表彰及署名文章"),
        ("rectification_item.opened", "登记整改事项"),
        ("level_change.proposed", "提出星级调整"),
        ("inspection_visit.recorded", "记录督导情况"),
        ("star_ledger.recorded", "记入星级管理台账"),
        ("star_ledger.imported", "导入星级管理台账"),
        ("survey.closed", "结束测评会"),
    ],
)
def test_it_names_an_action_by_its_verb_and_object(action, label):
    assert action_label(action) == label


def test_it_keeps_an_unknown_action_as_its_code():
    assert action_label("test.appended") == "test.appended"
    assert action_label("gadget.created") == "gadget.created"
    assert namespace_label("gadget") == "gadget"


def test_it_names_an_object_type_by_its_model():
    assert object_type_label("supervision.inspectionvisit") == "督导"
    assert object_type_label("ledger.rectificationitem") == "整改事项"
    assert object_type_label("orgs.member") == "党员"
    assert object_type_label("gone.model") == "gone.model"
    assert object_type_label("nonsense") == "nonsense"


def test_it_reads_the_changes_of_an_entry_in_the_models_words():
    rows = changes(
        "campaigns.evaluation",
        {"state": "self_draft", "scores": {"1": "8.00"}},
        {"state": "self_submitted", "innovation_project": True, "note": None, "items": []},
    )
    assert rows == [
        ("状态", "自评填写中", "自评已提交"),
        ("scores", '{"1": "8.00"}', ""),
        ("有党建创新项目", "", "是"),
        ("note", "", "—"),
        ("items", "", "—"),
    ]


def test_it_shows_an_entry_without_a_before_or_of_an_unknown_model_as_stored():
    assert changes("orgs.member", None, {"name": "张三"}) == [("姓名", "", "张三")]
    assert changes("gone.model", {"state": "x"}, "text") == [("state", "x", ""), ("内容", "", "text")]
    # a key that names a reverse relation of the model (its members) has no label of its own
    assert changes("orgs.organization", None, {"members": 3}) == [("members", "", "3")]
