"""Exports an office can print at once: widths from the content, frozen and repeated header, dates as dates, A4.

``xingji.common.exports.write_table`` (every ``xlsx_response`` download) and
``xingji.common.cells.finish_sheet`` (an ordinary sheet, filled first) are read
back with openpyxl as Excel would open them.
"""

from __future__ import annotations

import io
from datetime import UTC, date, datetime
from decimal import Decimal

import openpyxl
import pytest
from django.test import override_settings
from openpyxl import Workbook
from openpyxl.utils import get_column_letter

from xingji.common.cells import (
    DATE_FORMAT,
    DATETIME_FORMAT,
    MAX_WIDTH,
    PORTRAIT_WIDTH,
    display_width,
    finish_sheet,
    first_sheet,
)
from xingji.common.exports import saved_bytes, write_table, xlsx_response

HEADERS = ["组织编号", "党组织", "复检日期", "最终得分"]
ROWS = [
    ["JG-001", "市财政局机关第一支部", date(2026, 3, 1), Decimal("88.50")],
    ["JG-002", "市审计局机关支部", date(2026, 4, 15), Decimal("92.00")],
]


def downloaded(response) -> openpyxl.Workbook:
    return openpyxl.load_workbook(io.BytesIO(response.content))


def width(sheet, column: int) -> float:
    return sheet.column_dimensions[get_column_letter(column)].width


# ------------------------------------------------------------------ widths


def test_a_chinese_character_counts_two_and_the_longest_line_counts():
    assert display_width("JG-001") == 6
    assert display_width("市财政局") == 8
    assert display_width("第一行\n第二行很长") == 10
    assert display_width(date(2026, 3, 1)) == len("2026-03-01")
    assert display_width(datetime(2026, 3, 1, 9, 30, tzinfo=UTC)) == len("2026-03-01 09:30:00")
    assert display_width(None) == 0


def test_every_column_of_a_download_is_at_least_as_wide_as_its_content():
    # Given a table of codes, Chinese names, dates and scores
    # When it is downloaded
    sheet = downloaded(xlsx_response("结果.xlsx", "评定结果", HEADERS, ROWS))["评定结果"]

    # Then each column is as wide as its widest value (a Chinese character counting two), and no wider than needed
    for column, values in enumerate(zip(HEADERS, *ROWS, strict=True), start=1):
        content = max(display_width(value) for value in values)
        assert content <= width(sheet, column) <= content + 4, (column, values)
    assert width(sheet, 2) >= 2 * len("市财政局机关第一支部")


def test_a_very_long_text_wraps_in_a_capped_column():
    # Given a reason far wider than a page
    reason = "；".join(["受市直工委通报批评一次，扣3分"] * 10)

    # When it is downloaded
    sheet = downloaded(xlsx_response("结果.xlsx", "评定结果", ["组织编号", "评定理由"], [["JG-001", reason]]))[
        "评定结果"
    ]

    # Then its column stops at the cap and the text wraps inside it; the short one does not wrap
    assert width(sheet, 2) == MAX_WIDTH
    assert sheet["B2"].alignment.wrap_text is True
    assert not sheet["A2"].alignment.wrap_text


def test_a_width_given_is_a_minimum():
    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet("表")
    write_table(sheet, ["编号", "说明"], [["1", "短"]], widths=[None, 40])

    read = openpyxl.load_workbook(io.BytesIO(saved_bytes(workbook)))["表"]

    assert width(read, 1) < 40
    assert width(read, 2) == 40


# ---------------------------------------------------- header, dates, print


def test_the_header_is_bold_frozen_and_printed_on_every_page():
    sheet = downloaded(xlsx_response("结果.xlsx", "评定结果", HEADERS, ROWS))["评定结果"]

    assert [cell.value for cell in sheet[1]] == HEADERS
    assert all(cell.font.bold for cell in sheet[1])
    assert not any(cell.font.bold for cell in sheet[2])
    assert sheet.freeze_panes == "A2"
    assert sheet.print_title_rows == "$1:$1"


def test_dates_are_date_cells_shown_as_year_month_day():
    sheet = downloaded(xlsx_response("结果.xlsx", "评定结果", HEADERS, ROWS))["评定结果"]

    cell = sheet["C2"]
    assert cell.is_date
    assert cell.value.date() == date(2026, 3, 1)
    assert cell.number_format == DATE_FORMAT


@override_settings(TIME_ZONE="Asia/Shanghai", USE_TZ=True)
def test_a_time_is_a_date_cell_in_the_sites_time_zone():
    recorded = datetime(2026, 3, 1, 1, 30, tzinfo=UTC)

    sheet = downloaded(xlsx_response("日志.xlsx", "审计日志", ["时间"], [[recorded]]))["审计日志"]

    assert sheet["A2"].is_date
    assert sheet["A2"].value == datetime(2026, 3, 1, 9, 30)  # noqa: DTZ001 - Excel's wall-clock time has no zone
    assert sheet["A2"].number_format == DATETIME_FORMAT


def test_a_narrow_table_prints_upright_on_a4_one_page_wide():
    sheet = downloaded(xlsx_response("结果.xlsx", "评定结果", HEADERS, ROWS))["评定结果"]

    assert sum(width(sheet, column) for column in range(1, 5)) <= PORTRAIT_WIDTH
    assert sheet.page_setup.orientation == "portrait"
    assert sheet.page_setup.paperSize == 9  # A4
    assert sheet.sheet_properties.pageSetUpPr.fitToPage is True
    assert (sheet.page_setup.fitToWidth, sheet.page_setup.fitToHeight) == (1, 0)
    assert sheet.print_options.gridLines is True


def test_a_wide_table_prints_in_landscape():
    headers = [f"第{number}项评定内容得分" for number in range(1, 11)]

    sheet = downloaded(xlsx_response("宽表.xlsx", "宽表", headers, [[9] * 10]))["宽表"]

    assert sum(width(sheet, column) for column in range(1, 11)) > PORTRAIT_WIDTH
    assert sheet.page_setup.orientation == "landscape"
    assert (sheet.page_setup.fitToWidth, sheet.page_setup.fitToHeight) == (1, 0)


def test_notes_after_the_table_do_not_widen_its_columns():
    note = "导出时审计链头哈希：" + "0" * 64

    response = xlsx_response("结果.xlsx", "评定结果", ["编号"], [["1"]], notes=[note])

    sheet = downloaded(response)["评定结果"]
    assert width(sheet, 1) < 20
    assert sheet["A4"].value == note


# ------------------------------------------------------------ lines above


def test_lines_above_the_table_are_neither_measured_nor_frozen_over():
    # Given a title and a line of hash above the header (as the reports' exports have)
    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet("示范点")
    count = write_table(
        sheet,
        ["组织编码", "党组织"],
        [["JG-001", "市财政局机关第一支部"]],
        above=[["示范点名单"], ["审计链校验值：" + "f" * 64], []],
    )

    read = openpyxl.load_workbook(io.BytesIO(saved_bytes(workbook)))["示范点"]

    # Then the header row (row 4) is frozen, bold and repeated, and the title does not set the widths
    assert count == 1
    assert [cell.value for cell in read[4]] == ["组织编码", "党组织"]
    assert read["A4"].font.bold
    assert read.freeze_panes == "A5"
    assert read.print_title_rows == "$4:$4"
    assert width(read, 1) < 20


def test_a_streamed_table_is_sized_from_its_rows_given_as_a_generator():
    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet("表")
    count = write_table(sheet, ["编号"], ([f"编号很长很长的第{number}行"] for number in range(3)))

    read = openpyxl.load_workbook(io.BytesIO(saved_bytes(workbook)))["表"]

    assert count == 3
    assert width(read, 1) >= display_width("编号很长很长的第0行")
    assert read.max_row == 4


# ----------------------------------------------------- an ordinary sheet


def test_finish_sheet_lays_out_an_ordinary_sheet_under_a_title_row():
    # Given a ledger sheet with a title in row 1, the header in row 2, a date written
    # with a text format, and one column set wider by hand
    workbook = Workbook()
    sheet = first_sheet(workbook, "整改台账")
    sheet.append(["某某党委整改台账（2026年度）——标题行不参与列宽计算"])
    sheet.append(["序号", "党组织", "整改时限", "整改措施"])
    sheet.append([1, "市财政局机关第一支部", date(2026, 6, 30), "短"])
    sheet["C3"].number_format = "@"
    sheet.column_dimensions["D"].width = 40

    # When it is finished
    finish_sheet(sheet, header_row=2)
    read = openpyxl.load_workbook(io.BytesIO(saved_bytes(workbook)))["整改台账"]

    # Then the header row is bold, frozen and repeated; widths come from rows 2 on; the date shows as one
    assert all(cell.font.bold for cell in read[2])
    assert not read["A1"].font.bold
    assert read.freeze_panes == "A3"
    assert read.print_title_rows == "$2:$2"
    assert width(read, 1) < 20
    assert width(read, 2) >= display_width("市财政局机关第一支部")
    assert width(read, 4) == 40
    assert read["C3"].is_date
    assert read["C3"].number_format == DATE_FORMAT
    assert read.sheet_properties.pageSetUpPr.fitToPage is True


def test_finish_sheet_keeps_a_header_colour_and_can_freeze_the_first_column():
    workbook = Workbook()
    sheet = first_sheet(workbook, "组织")
    sheet.append(["编号", "名称"])
    sheet["A1"].font = openpyxl.styles.Font(color="FFFFFF")
    sheet.append(["JG-001", "市财政局机关第一支部"])

    finish_sheet(sheet, frozen_columns=1)
    read = openpyxl.load_workbook(io.BytesIO(saved_bytes(workbook)))["组织"]

    assert read["A1"].font.bold
    assert read["A1"].font.color.rgb == "00FFFFFF"
    assert read.freeze_panes == "B2"


def test_finish_sheet_without_a_header_freezes_nothing():
    workbook = Workbook()
    sheet = first_sheet(workbook, "汇总")
    sheet.append(["评定方案", "安阳市直机关基层服务型党组织星级创建（2017）"])

    finish_sheet(sheet, header_row=None)
    read = openpyxl.load_workbook(io.BytesIO(saved_bytes(workbook)))["汇总"]

    assert read.freeze_panes is None
    assert read.print_title_rows is None
    assert not read["A1"].font.bold
    assert width(read, 2) >= display_width("安阳市直机关基层服务型党组织星级创建（2017）")


@pytest.mark.parametrize(
    "value", ['=HYPERLINK("http://example.com","点此")', "+86 138", "-2", "@SUM(A1)", "#N/A", "市财政局"]
)
def test_text_that_looks_like_a_formula_or_an_error_stays_text(value):
    sheet = downloaded(xlsx_response("结果.xlsx", "表", ["名称"], [[value]]))["表"]

    assert (sheet["A2"].value, sheet["A2"].data_type) == (value, "s")


def test_a_character_xml_forbids_becomes_a_space():
    sheet = downloaded(xlsx_response("结果.xlsx", "表", ["名称"], [["市财政局\x0b机关"]]))["表"]

    assert sheet["A2"].value == "市财政局 机关"
