"""``xingji rate`` with bad input: exit 2, say where and what, no traceback, write nothing.

Every case runs twice: once with no output file present (none may appear,
not even a temporary one) and once with an output file already there (it
must be left byte for byte as it was).
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import openpyxl
import pytest

PREVIOUS = b"previous result, must survive\n"


def organizations(*items: dict) -> bytes:
    return json.dumps({"organizations": list(items)}, ensure_ascii=False).encode("utf-8")


def xlsx(rows: list[list]) -> Callable[[Path], None]:
    def write(path: Path) -> None:
        workbook = openpyxl.Workbook()
        for row in rows:
            workbook.active.append(row)
        workbook.save(path)

    return write


GOOD = organizations({"id": "A-1", "base_score": 80})


@dataclass(frozen=True)
class Case:
    input: str
    content: bytes | Callable[[Path], None] | None  # None: the input file does not exist
    expected: list[str]  # fragments of stderr: the file or organization (row/id), the field, the value
    options: list[str] = field(default_factory=list)
    output: str = "out.json"


CASES = {
    "malformed-json": Case(
        "orgs.json",
        b'{"organizations": [{"id": "A-1", "base_score": 80,}]}',
        ["orgs.json", "不是有效的 JSON", "第1行第51列"],
    ),
    "not-json-named-json": Case(
        "orgs.json", "编号,基础分\nA-1,80\n".encode(), ["orgs.json", "不是有效的 JSON", "第1行第1列"]
    ),
    "txt-input": Case("orgs.txt", GOOD, ["orgs.txt", "无法识别的文件类型", ".txt"]),
    "xls-input": Case(
        "orgs.xls", b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(504), ["orgs.xls", "不支持旧版 .xls", ".xlsx"]
    ),
    "unknown-commendation": Case(
        "orgs.json",
        organizations({"id": "A-1", "base_score": 80, "commendations": ["county"]}),
        ["第1个组织（A-1）", "commendations", "county"],
    ),
    "criterion-above-its-maximum": Case(
        "orgs.json",
        organizations({"id": "A-1", "criteria": {"1": 11, "2": 9}}),
        ["第1个组织（A-1）", "criteria.1", "11", "10.00"],
    ),
    "base-score-above-100": Case(
        "orgs.json", organizations({"id": "A-1", "base_score": 101}), ["第1个组织（A-1）", "base_score", "101"]
    ),
    "negative-base-score": Case(
        "orgs.json", organizations({"id": "A-1", "base_score": -1}), ["第1个组织（A-1）", "base_score", "-1", "负数"]
    ),
    "duplicate-id": Case(
        "orgs.json",
        organizations(
            {"id": "A-1", "base_score": 80}, {"id": "A-2", "base_score": 70}, {"id": "A-1", "base_score": 60}
        ),
        ["第3个组织（A-1）", "id", "编号重复", "第1个组织"],
    ),
    "no-base-score": Case(
        "orgs.json",
        organizations({"id": "A-1", "name": "某支部", "satisfaction": 0.8}),
        ["第1个组织（A-1）", "base_score", "缺少基础分"],
    ),
    "satisfaction-above-1": Case(
        "orgs.json",
        organizations({"id": "A-1", "base_score": 80, "satisfaction": 1.5}),
        ["第1个组织（A-1）", "satisfaction", "1.5"],
    ),
    "satisfaction-below-0": Case(
        "orgs.json",
        organizations({"id": "A-1", "base_score": 80, "satisfaction": -0.1}),
        ["第1个组织（A-1）", "satisfaction", "-0.1"],
    ),
    "unknown-field": Case(
        "orgs.json",
        organizations({"id": "A-1", "base_score": 80, "colour": "red"}),
        ["第1个组织（A-1）", "colour", "未知字段"],
    ),
    "problems-in-several-organizations": Case(
        "orgs.json",
        organizations(
            {"id": "A-1", "base_score": 80},
            {"id": "A-2", "base_score": 80, "absences": -1},
            {"id": "A-3", "base_score": 80, "satisfaction": 2},
        ),
        ["2 处问题", "第2个组织（A-2） 字段 absences", "第3个组织（A-3） 字段 satisfaction"],
    ),
    "unknown-csv-column": Case(
        "orgs.csv", "编号,基础分,颜色\nA-1,80,红\n".encode(), ["orgs.csv", "第3列", "颜色", "不是可识别的列名"]
    ),
    "bad-csv-cell": Case(
        "orgs.csv",
        "编号,基础分,满意率\nA-1,80,72%\nA-2,85,150%\n".encode("gbk"),
        ["第3行（A-2）", "satisfaction（满意率）", "150%"],
    ),
    "csv-with-only-a-header": Case("orgs.csv", "编号,基础分,满意率\r\n".encode("utf-8-sig"), ["orgs.csv", "没有组织"]),
    "empty-csv": Case("orgs.csv", b"", ["orgs.csv", "空"]),
    "empty-json": Case("orgs.json", b"", ["orgs.json", "不是有效的 JSON"]),
    "json-without-organizations": Case("orgs.json", b'{"organizations": []}', ["orgs.json", "没有组织"]),
    "csv-with-a-stray-quote": Case(
        # A quote opening the second row's first cell swallows the rest of a long file into one field.
        "orgs.csv",
        ('编号,基础分\n"A-1,80\n' + "".join(f"B-{n},80\n" for n in range(20_000))).encode(),
        ["orgs.csv"],
    ),
    "deeply-nested-json": Case("orgs.json", b"[" * 100_000, ["orgs.json", "JSON"]),
    "zip-that-is-not-a-workbook": Case(
        "orgs.xlsx", bytes.fromhex("504b0506") + bytes(18), ["orgs.xlsx", "不是有效的 Excel"]
    ),
    "corrupt-xlsx": Case("orgs.xlsx", bytes(range(256)) * 8, ["orgs.xlsx", "不是有效的 Excel"]),
    "bad-xlsx-cell": Case(
        "orgs.xlsx",
        xlsx([["编号", "基础分"], ["X-1", 80.5], ["X-2", 100.01]]),
        ["第3行（X-2）", "base_score（基础分）", "100.01"],
    ),
    "missing-input-file": Case("missing.json", None, ["missing.json", "文件不存在"]),
    "unknown-scheme": Case("orgs.json", GOOD, ["评定方案", "nope", "找不到"], options=["--scheme", "nope"]),
    "unsupported-output": Case("orgs.json", GOOD, ["out.txt", ".json、.csv 或 .xlsx"], output="out.txt"),
    "unknown-quota-mode": Case("orgs.json", GOOD, ["--quota", "bogus"], options=["--quota", "bogus"]),
}


def prepare(folder: Path, case: Case) -> None:
    if case.content is None:
        return
    path = folder / case.input
    if callable(case.content):
        case.content(path)
    else:
        path.write_bytes(case.content)


def files(folder: Path) -> dict[str, bytes]:
    """Every file in the folder, hidden ones (temporary files) included, with its content."""
    return {path.name: path.read_bytes() for path in folder.iterdir()}


def assert_refused(run, case: Case) -> None:
    assert run.returncode == 2, (run.stdout, run.stderr)
    assert run.stdout == ""
    assert "Traceback" not in run.stderr
    for fragment in case.expected:
        assert fragment in run.stderr


@pytest.mark.parametrize("case", CASES.values(), ids=CASES.keys())
def test_it_refuses_bad_input_and_writes_nothing(xingji, tmp_path, case):
    # Given a bad input (or bad options) and no output file
    prepare(tmp_path, case)
    before = files(tmp_path)

    # When it is rated to an output file
    run = xingji("rate", case.input, *case.options, "-o", case.output)

    # Then it exits 2 naming the file or organization and the field, and the folder is untouched
    assert_refused(run, case)
    assert not (tmp_path / case.output).exists()
    assert files(tmp_path) == before


@pytest.mark.parametrize("case", CASES.values(), ids=CASES.keys())
def test_it_leaves_an_existing_output_file_unchanged_on_bad_input(xingji, tmp_path, case):
    # Given a bad input and an output file from an earlier run
    prepare(tmp_path, case)
    (tmp_path / case.output).write_bytes(PREVIOUS)
    os.utime(tmp_path / case.output, (1_000_000_000, 1_000_000_000))
    before = files(tmp_path)

    # When it is rated to that output file
    run = xingji("rate", case.input, *case.options, "-o", case.output)

    # Then the earlier output is left as it was
    assert_refused(run, case)
    assert (tmp_path / case.output).read_bytes() == PREVIOUS
    assert (tmp_path / case.output).stat().st_mtime == 1_000_000_000
    assert files(tmp_path) == before


@pytest.mark.parametrize(
    "case", [CASES["unknown-commendation"], CASES["corrupt-xlsx"]], ids=["invalid-value", "corrupt-file"]
)
def test_it_prints_nothing_to_stdout_on_bad_input_without_an_output_file(xingji, tmp_path, case):
    # Given a bad input
    prepare(tmp_path, case)

    # When it is rated to stdout
    run = xingji("rate", case.input)

    # Then no partial JSON reaches stdout
    assert_refused(run, case)


def test_it_lists_every_problem_of_one_organization_with_its_row_and_column(xingji, tmp_path):
    # Given a CSV with the Chinese headers whose second organization has three problems
    (tmp_path / "orgs.csv").write_bytes(
        "编号,基础分,满意率,表彰及署名文章,1.组织健全\nA-1,80,,,\nA-2,,1.2,县级,12\n".encode("utf-8-sig")
    )

    # When it is rated
    run = xingji("rate", "orgs.csv", "-o", "out.json")

    # Then each problem is a line naming the row, the organization and the column
    assert run.returncode == 2
    assert run.stderr == (
        "错误：输入有 3 处问题，未评定，也未写出任何文件：\n"
        "  第3行（A-2） 字段 criteria.1（1.组织健全）：分数 12 超过该项满分 10.00\n"
        "  第3行（A-2） 字段 satisfaction（满意率）：满意率 1.2 应在 0 到 1 之间（如 0.72 或 72%）\n"
        "  第3行（A-2） 字段 commendations（表彰及署名文章）：级别“县级”无效，"
        "应为 city/province/national（市级/省级/国家级）\n"
    )
    assert not (tmp_path / "out.json").exists()


def test_it_names_the_row_of_an_organization_without_an_id(xingji, tmp_path):
    # Given a CSV whose second data row has no id
    (tmp_path / "orgs.csv").write_bytes("编号,基础分\nA-1,80\n,75\n".encode())

    # When it is rated
    run = xingji("rate", "orgs.csv", "-o", "out.json")

    # Then the row and the id column are named
    assert run.returncode == 2
    assert "Traceback" not in run.stderr
    assert "第3行 字段 id（编号）：缺少组织编号" in run.stderr
    assert not (tmp_path / "out.json").exists()


def test_it_asks_for_an_input_file_when_none_is_given(xingji, tmp_path):
    # When rate is run with nothing to rate
    run = xingji("rate", "-o", "out.json")

    # Then it says what is missing
    assert run.returncode == 2
    assert run.stderr == "错误：请给出输入文件（或用 --template 生成模板）\n"
    assert list(tmp_path.iterdir()) == []


def test_it_reports_an_output_folder_that_does_not_exist_and_leaves_no_temporary_file(xingji, tmp_path):
    # Given a good input
    (tmp_path / "orgs.json").write_bytes(GOOD)
    before = files(tmp_path)

    # When the output is to go into a folder that does not exist
    run = xingji("rate", "orgs.json", "-o", "missing/out.json")

    # Then it says it cannot write there, without a traceback, and leaves nothing behind
    assert run.returncode == 2
    assert run.stdout == ""
    assert run.stderr.startswith("错误：无法写出 missing/out.json")
    assert "Traceback" not in run.stderr
    assert files(tmp_path) == before
