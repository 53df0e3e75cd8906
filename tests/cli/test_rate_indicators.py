"""``xingji rate`` with the branch-work indicators as CSV/XLSX columns, in both header sets.

Scheme wuxing-chuangping scores criterion 3 (组织生活规范严格, 15 points) from
组织生活落实率 by steps: 100 % → 15, 90 % → 12, 75 % → 9, 60 % → 6, below → 0.
"""

from __future__ import annotations

import csv
import io
import json

import openpyxl

ENGLISH = ["id", "criteria.1", "criteria.3", "meetings.compliance", "dues.paid_on_time", "appraisal.coverage"]
CHINESE = [
    "编号",
    "1.班子建设坚强有力",
    "3.组织生活规范严格",
    "组织生活落实率",
    "按时交纳党费比例",
    "民主评议党员覆盖率",
]
ROWS = [
    ["A", "10", "15", "92%", "1", "0.8"],  # 10 + 12 (92 % ≥ 90 %)
    ["B", "10", "15", "", "", ""],  # no indicator: the typed 15 stands
    ["C", "10", "", "0.5", "", ""],  # below every step: 0
]


def csv_bytes(header: list[str], rows: list[list[str]]) -> bytes:
    text = io.StringIO()
    csv.writer(text, lineterminator="\r\n").writerows([header, *rows])
    return text.getvalue().encode("utf-8-sig")


def base_scores(data: dict) -> dict[str, str]:
    return {organization["id"]: organization["base_score"] for organization in data["organizations"]}


def test_it_scores_from_the_indicator_columns_under_english_and_chinese_headers(xingji, tmp_path):
    (tmp_path / "en.csv").write_bytes(csv_bytes(ENGLISH, ROWS))
    (tmp_path / "zh.csv").write_bytes(csv_bytes(CHINESE, ROWS))

    english = xingji("rate", "en.csv", "--scheme", "wuxing-chuangping")
    chinese = xingji("rate", "zh.csv", "--scheme", "wuxing-chuangping")

    assert english.returncode == 0, english.stderr
    assert chinese.returncode == 0, chinese.stderr
    assert base_scores(english.json()) == base_scores(chinese.json()) == {"A": "22.00", "B": "25.00", "C": "10.00"}
    first = english.json()["organizations"][0]
    assert first["reasons"][0] == {
        "rule": "criteria.3",
        "clause": "评分细则（组织生活）",
        "effect": "criterion",
        "criterion": "3",
        "score": "12.00",
        "message": "组织生活落实率92%，组织生活规范严格一项得12分（满分15分）（评分细则（组织生活））",
    }
    assert first["explanation"][1] == first["reasons"][0]["message"]


def test_it_names_the_indicator_column_of_a_bad_value(xingji, tmp_path):
    (tmp_path / "zh.csv").write_bytes(csv_bytes(CHINESE, [["A", "10", "", "1.5", "", ""]]))

    run = xingji("rate", "zh.csv", "--scheme", "wuxing-chuangping")

    assert run.returncode != 0
    assert "第2行（A） 字段 meetings.compliance（组织生活落实率）：组织生活落实率 1.5 应在 0 到 1 之间" in run.stderr


def test_it_writes_the_computed_reason_into_the_xlsx_output(xingji, tmp_path):
    (tmp_path / "en.csv").write_bytes(csv_bytes(ENGLISH, ROWS[:1]))

    run = xingji("rate", "en.csv", "--scheme", "wuxing-chuangping", "-o", "out.xlsx")

    assert run.returncode == 0, run.stderr
    reasons = openpyxl.load_workbook(tmp_path / "out.xlsx")["评定依据"]
    rows = list(reasons.iter_rows(min_row=2, values_only=True))
    assert rows[0][:4] == ("A", None, "criteria.3", "评分细则（组织生活）")
    assert rows[0][6].startswith("组织生活落实率92%")


def test_the_template_has_the_indicator_columns_and_reads_back(xingji, tmp_path):
    written = xingji("rate", "--template", "模板.xlsx")

    assert written.returncode == 0, written.stderr
    sheet = openpyxl.load_workbook(tmp_path / "模板.xlsx").worksheets[0]
    header = [cell.value for cell in sheet[1]]
    assert {"组织生活落实率", "按时交纳党费比例", "民主评议党员覆盖率"} <= set(header)
    notes = openpyxl.load_workbook(tmp_path / "模板.xlsx")["填写说明"]
    fields = [row[1] for row in notes.iter_rows(min_row=2, values_only=True)]
    assert {"meetings.compliance", "dues.paid_on_time", "appraisal.coverage"} <= set(fields)


def test_json_input_takes_the_nested_indicator_fields(xingji, tmp_path):
    data = [{"id": "A", "criteria": {"3": 0}, "meetings": {"compliance": 1}}]
    (tmp_path / "orgs.json").write_text(json.dumps(data), encoding="utf-8")

    run = xingji("rate", "orgs.json", "--scheme", "wuxing-chuangping")

    assert run.returncode == 0, run.stderr
    assert base_scores(run.json()) == {"A": "15.00"}
