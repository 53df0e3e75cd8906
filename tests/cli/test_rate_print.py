"""``xingji rate -o out.xlsx`` / ``out.csv``: headers in Chinese, every sheet ready to print at once.

The results, the reasons and the summary open with columns as wide as their
content, the header frozen and repeated on every printed page, A4 one page
wide; ``--headers en`` gives a program the JSON output's field names instead.
"""

from __future__ import annotations

import csv
import json

import openpyxl
from openpyxl.utils import get_column_letter

from xingji.common.cells import MAX_WIDTH, display_width

POPULATION = {
    "organizations": [
        {
            "id": "JG-001",
            "name": "市财政局机关第一支部",
            "base_score": 86.5,
            "commendations": ["city"],  # +3, and -3 for the criticism: 86.50
            "criticisms": {"working_committee": 1},
        },
        {"id": "JG-002", "name": "中共安阳市人民政府办公室机关第二党支部委员会", "base_score": 91},
    ]
}


def rated(xingji, tmp_path, output: str, *options: str):
    (tmp_path / "orgs.json").write_text(json.dumps(POPULATION), encoding="utf-8")
    run = xingji("rate", "orgs.json", "-o", output, *options)
    assert run.returncode == 0, run.stderr
    return tmp_path / output


def width(sheet, column: int) -> float:
    return sheet.column_dimensions[get_column_letter(column)].width


def assert_columns_fit_their_content(sheet, first_row: int = 1) -> None:
    for column in range(1, sheet.max_column + 1):
        content = max(
            display_width(sheet.cell(row=row, column=column).value) for row in range(first_row, sheet.max_row + 1)
        )
        assert width(sheet, column) >= min(content, MAX_WIDTH), (sheet.title, column)


def assert_prints_one_page_wide_on_a4(sheet) -> None:
    assert sheet.page_setup.paperSize == 9
    assert sheet.sheet_properties.pageSetUpPr.fitToPage is True
    assert (sheet.page_setup.fitToWidth, sheet.page_setup.fitToHeight) == (1, 0)


def test_the_results_workbook_prints_at_once(xingji, tmp_path):
    # When the population is rated to XLSX
    workbook = openpyxl.load_workbook(rated(xingji, tmp_path, "out.xlsx"))

    # Then the results sheet has the web's Chinese headers, bold, frozen with the id column, repeated on each page
    results = workbook["评定结果"]
    assert [cell.value for cell in results[1]] == [
        "组织编号",
        "党组织",
        "基础分",
        "基础分来源",
        "最终得分",
        "分数段星级",
        "评定星级",
        "等级",
        "评定理由",
    ]
    assert all(cell.font.bold for cell in results[1])
    assert results.freeze_panes == "B2"
    assert results.print_title_rows == "$1:$1"
    assert results.page_setup.orientation == "landscape"
    assert width(results, 2) >= display_width("中共安阳市人民政府办公室机关第二党支部委员会")
    assert_columns_fit_their_content(results)
    assert_prints_one_page_wide_on_a4(results)

    # And so does the reasons sheet
    reasons = workbook["评定依据"]
    assert reasons["A1"].value == "组织编号"
    assert reasons.freeze_panes == "B2"
    assert reasons.print_title_rows == "$1:$1"
    assert_columns_fit_their_content(reasons)
    assert_prints_one_page_wide_on_a4(reasons)

    # And the summary, which has no header row to freeze
    summary = workbook["汇总"]
    assert summary.freeze_panes is None
    assert_columns_fit_their_content(summary)
    assert_prints_one_page_wide_on_a4(summary)


def test_headers_en_writes_the_json_field_names_in_the_xlsx_results(xingji, tmp_path):
    workbook = openpyxl.load_workbook(rated(xingji, tmp_path, "out.xlsx", "--headers", "en"))

    results = workbook["评定结果"]
    assert [cell.value for cell in results[1]] == [
        "id",
        "name",
        "base_score",
        "base_source",
        "final_score",
        "band_stars",
        "stars",
        "level",
        "reasons",
    ]
    assert [cell.value for cell in results[2]][:5] == ["JG-001", "市财政局机关第一支部", 86.5, "base_score", 86.5]


def test_the_csv_has_chinese_headers_unless_headers_en_is_asked(xingji, tmp_path):
    chinese = rated(xingji, tmp_path, "zh.csv")
    english = rated(xingji, tmp_path, "en.csv", "--headers", "en")

    with open(chinese, encoding="utf-8-sig", newline="") as stream:
        zh_rows = list(csv.reader(stream))
    with open(english, encoding="utf-8-sig", newline="") as stream:
        en_rows = list(csv.reader(stream))
    assert zh_rows[0][:5] == ["组织编号", "党组织", "基础分", "基础分来源", "最终得分"]
    assert zh_rows[1][:5] == ["JG-001", "市财政局机关第一支部", "86.50", "直接给出", "86.50"]
    assert en_rows[0][:5] == ["id", "name", "base_score", "base_source", "final_score"]
    assert en_rows[1][:5] == ["JG-001", "市财政局机关第一支部", "86.50", "base_score", "86.50"]


def test_an_unknown_headers_choice_is_refused_and_writes_nothing(xingji, tmp_path):
    (tmp_path / "orgs.json").write_text(json.dumps(POPULATION), encoding="utf-8")

    run = xingji("rate", "orgs.json", "-o", "out.csv", "--headers", "fr")

    assert run.returncode == 2
    assert "--headers" in run.stderr
    assert not (tmp_path / "out.csv").exists()


def test_the_template_prints_at_once_too(xingji, tmp_path):
    run = xingji("rate", "--template", "模板.xlsx")
    assert run.returncode == 0, run.stderr

    workbook = openpyxl.load_workbook(tmp_path / "模板.xlsx")
    sheet, notes = workbook.worksheets
    assert sheet.freeze_panes == "B2"
    assert sheet.print_title_rows == "$1:$1"
    assert_columns_fit_their_content(sheet)
    assert_prints_one_page_wide_on_a4(sheet)
    assert notes.print_title_rows == "$1:$1"
    assert width(notes, 3) == 90
    assert_prints_one_page_wide_on_a4(notes)
