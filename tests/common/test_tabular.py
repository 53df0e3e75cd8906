"""The one reader of every import: CSV in its encodings, workbooks through calamine, and the errors."""

from __future__ import annotations

import io
import subprocess
import sys
import zipfile
from datetime import date

import pytest
from openpyxl import Workbook

from xingji.common.tabular import (
    FileError,
    RowError,
    TableErrors,
    integral_numbers,
    match_headers,
    normalize_header,
    read_table,
)

HEADER = ["组织编号", "姓名", "入党日期"]


def xlsx(*sheets: tuple[str, list[list[object]]]) -> bytes:
    workbook = Workbook()
    workbook.remove(workbook.active)
    for title, rows in sheets:
        sheet = workbook.create_sheet(title)
        for row in rows:
            sheet.append(row)
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


@pytest.mark.parametrize("encoding", ["utf-8", "utf-8-sig", "gbk", "gb18030"])
def test_it_reads_a_csv_in_each_encoding_excel_saves(encoding):
    content = "组织编号,姓名\r\nJG-1,张三\r\n".encode(encoding)

    sheet = read_table(content, "members.csv")

    assert sheet.rows == [["组织编号", "姓名"], ["JG-1", "张三"]]


def test_it_reads_a_semicolon_separated_csv():
    assert read_table(b"a;b\n1;2\n", "x.csv").rows == [["a", "b"], ["1", "2"]]


def test_it_reads_an_xlsx_with_dates_and_numbers_as_python_values():
    content = xlsx(("党员", [HEADER, ["JG-1", "张三", date(2010, 7, 1)], [], ["JG-2", 1985, None]]))

    sheet = read_table(content, "members.xlsx")

    assert sheet.name == "党员"
    assert sheet.rows[1] == ["JG-1", "张三", date(2010, 7, 1)]
    assert sheet.numbered() == [(1, HEADER), (2, ["JG-1", "张三", date(2010, 7, 1)]), (4, ["JG-2", 1985.0, ""])]
    assert integral_numbers(sheet.rows)[3] == ["JG-2", 1985, ""]


def test_it_tells_an_xlsx_by_its_content_whatever_its_name():
    content = xlsx(("党员", [HEADER]))

    assert read_table(content, "members.csv").rows == [HEADER]


def test_it_chooses_the_sheet_whose_header_matches_and_skips_named_sheets():
    content = xlsx(("说明", [["组织编号"]]), ("其他", [["备注"]]), ("党员", [HEADER, ["JG-1", "张三", ""]]))

    sheet = read_table(content, "m.xlsx", choose=lambda header: "姓名" in header, skip_sheets=["说明"])

    assert sheet.name == "党员"


ODS_CONTENT = (
    '<?xml version="1.0" encoding="UTF-8"?>'
    '<office:document-content xmlns:office="urn:oasis:names:tc:opendocument:xmlns:office:1.0" '
    'xmlns:table="urn:oasis:names:tc:opendocument:xmlns:table:1.0" '
    'xmlns:text="urn:oasis:names:tc:opendocument:xmlns:text:1.0" office:version="1.2">'
    '<office:body><office:spreadsheet><table:table table:name="党员">'
    "<table:table-row>"
    '<table:table-cell office:value-type="string"><text:p>组织编号</text:p></table:table-cell>'
    '<table:table-cell office:value-type="string"><text:p>入党日期</text:p></table:table-cell>'
    "</table:table-row><table:table-row>"
    '<table:table-cell office:value-type="string"><text:p>JG-1</text:p></table:table-cell>'
    '<table:table-cell office:value-type="date" office:date-value="2010-07-01"><text:p>2010-07-01</text:p>'
    "</table:table-cell></table:table-row></table:table></office:spreadsheet></office:body></office:document-content>"
)


def test_it_reads_an_ods_file():
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("mimetype", "application/vnd.oasis.opendocument.spreadsheet", compress_type=zipfile.ZIP_STORED)
        archive.writestr("content.xml", ODS_CONTENT)
        archive.writestr(
            "META-INF/manifest.xml",
            '<?xml version="1.0" encoding="UTF-8"?><manifest:manifest '
            'xmlns:manifest="urn:oasis:names:tc:opendocument:xmlns:manifest:1.0">'
            '<manifest:file-entry manifest:full-path="/" '
            'manifest:media-type="application/vnd.oasis.opendocument.spreadsheet"/>'
            '<manifest:file-entry manifest:full-path="content.xml" manifest:media-type="text/xml"/>'
            "</manifest:manifest>",
        )

    sheet = read_table(buffer.getvalue(), "members.ods")

    assert sheet.name == "党员"
    assert sheet.rows == [["组织编号", "入党日期"], ["JG-1", date(2010, 7, 1)]]


@pytest.mark.parametrize(
    ("filename", "content", "code"),
    [
        ("m.csv", b"", "empty"),
        ("m.csv", b" \r\n\t", "empty"),
        ("m.xlsx", b"just text", "workbook"),
        ("m.xlsx", b"PK\x03\x04 not really a zip", "workbook"),
        ("m.xls", b"\xd0\xcf\x11\xe0" + bytes(504), "ole"),
        ("m.pdf", b"%PDF-1.7 ...", "unsupported"),
        ("m.png", b"\x89PNG\r\n\x1a\n....", "unsupported"),
        ("m.csv", b"\x00\x01\x02binary", "binary"),
        ("m.csv", b"\xff\xfe\xfa\xfb\xff", "encoding"),
    ],
)
def test_it_refuses_a_file_it_cannot_read_with_a_reason_in_chinese(filename, content, code):
    with pytest.raises(FileError) as caught:
        read_table(content, filename)

    assert caught.value.code == code
    assert any("\u4e00" <= character <= "\u9fff" for character in caught.value.message)


def test_it_refuses_anything_but_a_workbook_when_asked():
    with pytest.raises(FileError) as caught:
        read_table(b"a,b\n1,2\n", "m.csv", workbook_only=True)

    assert caught.value.code == "workbook"


def test_it_matches_headers_by_normalized_text_and_reports_unknown_and_repeated_ones():
    index = {normalize_header(name): key for key, name in [("code", "组织编号"), ("code", "code"), ("name", "姓名")]}

    match = match_headers([" 组织编号 ", "ＣＯＤＥ", "姓 名", "", "备注", "年龄"], index, ignored={"备注"})

    assert match.positions == {"code": 0, "name": 2}
    assert match.written == {"code": "组织编号", "name": "姓 名"}
    assert match.duplicates == [(1, "ＣＯＤＥ", "code")]
    assert match.unknown == [(5, "年龄")]
    assert match.missing(["code", "phone"]) == ["phone"]


def test_a_row_error_reads_as_row_column_and_reason():
    assert str(RowError(3, "姓名", "必填，不能为空")) == "第3行“姓名”列：必填，不能为空"
    assert str(RowError(None, "", "文件是空的")) == "文件：文件是空的"
    assert RowError(3, "", "与第2行重复").message == "与第2行重复"
    errors = TableErrors([RowError(2, "a", "x"), RowError(3, "", "y")])
    assert str(errors) == "第2行“a”列：x\n第3行：y"


def test_it_imports_without_django():
    code = "import sys, xingji.common.tabular; print(any(name.startswith('django') for name in sys.modules))"

    output = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)

    assert output.stdout.strip() == "False"
