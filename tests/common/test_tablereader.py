"""The checking half of every import (pure Python): header row, columns, rows, wording, limits."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import pytest

from tests.office_files import csv_bytes, ods_bytes, xls_bytes
from xingji.common.tablereader import Column, HeaderProblems, TableReader, Wording, header_key
from xingji.common.tabular import RowError, TableErrors, read_table

COLUMNS = [Column("code", "组织编号", ("编号",), required=True), Column("name", "名称"), Column("level", "星级")]


def parse(number: int, values: Mapping[str, Any], headers: Mapping[str, str], errors: list[RowError]):
    if not str(values["code"]).strip():
        errors.append(RowError(number, headers["code"], "必填，不能为空"))
        return None
    return (str(values["code"]).strip(), values.get("name"))


def reader(**options: Any) -> TableReader[tuple[str, Any]]:
    return TableReader.of_columns(COLUMNS, parse_row=parse, **options)


def errors_of(caught: pytest.ExceptionInfo[TableErrors]) -> list[tuple[int | None, str, str]]:
    return [(error.row, error.column, error.reason) for error in caught.value.errors]


@pytest.mark.parametrize("write", [xls_bytes, ods_bytes, csv_bytes])
def test_it_reads_an_xls_an_ods_and_a_csv_alike(write):
    content = write([["组织编号", "名称"], ["A-1", "甲"], [], ["A-2", "乙"]])

    assert reader().read(content) == [(2, ("A-1", "甲")), (4, ("A-2", "乙"))]


def test_it_reads_each_sheet_of_an_xls_and_picks_the_one_holding_the_key_column():
    content = xls_bytes([["说明"], ["第一行为表头"]], sheet="说明", more=[("数据", [["编号", "名称"], ["A-1", "甲"]])])

    assert read_table(content, "x.xls").name == "说明"
    assert reader(sheet_key="code", skip_sheets=["说明"]).read(content, "x.xls") == [(2, ("A-1", "甲"))]


def test_headers_match_whatever_their_width_case_spaces_or_required_star():
    assert header_key(" 组织 编号* ") == header_key("组织编号") == "组织编号"
    assert header_key("ＣＯＤＥ＊") == "code"

    content = csv_bytes([["组织编号＊", " 名 称 ", "code"], ["A-1", "甲", "A-1"]])
    with pytest.raises(TableErrors) as caught:
        reader().read(content)

    assert errors_of(caught) == [(1, "code", "列重复")]


def test_it_finds_the_header_below_a_title_row_by_a_marker():
    content = csv_bytes([["星级台账"], ["组织编号", "星级"], ["A-1", "3"]])

    assert reader(markers=["星级"]).read(content) == [(3, ("A-1", None))]

    with pytest.raises(TableErrors) as caught:
        reader(markers=["星级"], wording=Wording(no_header="找不到表头")).read(csv_bytes([["甲"], ["乙"], ["丙"]]))
    assert errors_of(caught) == [(None, "", "找不到表头")]


def test_each_import_keeps_its_own_sentences():
    wording = Wording(
        empty="文件是空的，没有表头", no_data="文件中没有数据行", unknown_column="未知的列，请按模板填写表头"
    )

    with pytest.raises(TableErrors) as empty:
        reader(wording=wording).read(b"")
    with pytest.raises(TableErrors) as header_only:
        reader(wording=wording).read(csv_bytes([["组织编号"]]))
    with pytest.raises(TableErrors) as unknown:
        reader(wording=wording).read(csv_bytes([["组织编号", "颜色"], ["A", "红"]]))

    assert errors_of(empty) == [(None, "", "文件是空的，没有表头")]
    assert errors_of(header_only) == [(None, "", "文件中没有数据行")]
    assert errors_of(unknown) == [(1, "颜色", "未知的列，请按模板填写表头")]


def test_the_header_may_be_described_in_one_sentence():
    def describe(problems: HeaderProblems) -> str:
        return f"表头有误：未知 {problems.unknown}，重复 {problems.duplicates}，缺少 {problems.missing}"

    with pytest.raises(TableErrors) as caught:
        reader(describe_header=describe).read(csv_bytes([["名称", "颜色", "名称"], ["甲", "红", "甲"]]))

    assert errors_of(caught) == [
        (None, "", "表头有误：未知 [(2, '颜色')]，重复 [(3, '名称', '名称')]，缺少 ['组织编号']")
    ]


def test_a_cell_right_of_the_header_is_refused_when_the_import_says_so():
    content = csv_bytes([["组织编号", "名称"], ["A", "甲"], ["B", "乙", "多出来的"]])

    assert reader().read(content) == [(2, ("A", "甲")), (3, ("B", "乙"))]
    with pytest.raises(TableErrors) as caught:
        reader(wording=Wording(beyond_header="第{row}行第{column}列没有列名")).read(content)
    assert errors_of(caught) == [(None, "", "第3行第3列没有列名")]


def test_it_refuses_repeated_rows_naming_the_first():
    content = csv_bytes([["组织编号", "名称"], ["A", "甲"], ["B", "乙"], ["A", "丙"]])
    repeated = Wording(repeated_row="编号“{key}”与第{first}行重复")

    with pytest.raises(TableErrors) as caught:
        reader(row_key=lambda row: row[0], row_key_column="code", wording=repeated).read(content)

    assert errors_of(caught) == [(4, "组织编号", "编号“A”与第2行重复")]


def test_it_refuses_more_rows_than_the_import_takes():
    content = csv_bytes([["组织编号"], *[[f"A-{number}"] for number in range(4)]])

    with pytest.raises(TableErrors) as caught:
        reader(max_rows=3).read(content)

    assert errors_of(caught) == [(None, "", "一次最多导入 3 行，请分批导入")]
    assert len(reader(max_rows=4).read(content)) == 4


def test_errors_come_by_row_then_in_the_templates_order_of_columns():
    found = [RowError(3, "", "重复"), RowError(2, "星级", "b"), RowError(2, "组织编号", "a"), RowError(None, "", "x")]

    assert reader().in_order(found) == [found[3], found[2], found[1], found[0]]
