"""Read organizations from JSON, CSV or XLSX into engine records.

Whatever the format, the result is the contract's JSON shape (one mapping per
organization) with where it came from, so that ``parse_organizations`` can
name the row and the column of every problem.
"""

from __future__ import annotations

import json
from decimal import Decimal
from pathlib import Path
from typing import Any

from xingji.batch.columns import IGNORED_HEADERS, header_index, normalize_header
from xingji.common import tabular
from xingji.common.tabular import FileError
from xingji.rules.inputs import Record
from xingji.rules.scheme import Scheme

FORMATS = {".json": "json", ".csv": "csv", ".xlsx": "xlsx", ".xlsm": "xlsx"}


def file_format(path: Path) -> str:
    suffix = path.suffix.lower()
    if suffix == ".xls":
        raise FileError(f"{path.name}：不支持旧版 .xls 文件，请在 Excel 中另存为 .xlsx")
    if suffix not in FORMATS:
        raise FileError(f"{path.name}：无法识别的文件类型“{suffix or '无扩展名'}”，应为 .json、.csv 或 .xlsx")
    return FORMATS[suffix]


def read_records(path: Path, scheme: Scheme) -> list[Record]:
    path = Path(path)
    kind = file_format(path)
    try:
        content = path.read_bytes()
    except FileNotFoundError:
        raise FileError(f"{path}：文件不存在") from None
    except IsADirectoryError:
        raise FileError(f"{path}：这是一个文件夹，不是文件") from None
    if kind == "json":
        return read_json(content, path.name)
    if kind == "csv":
        return read_csv(content, path.name, scheme)
    return read_xlsx(content, path.name, scheme)


def read_json(content: bytes, name: str) -> list[Record]:
    try:
        text = content.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise FileError(f"{name}：JSON 文件应为 UTF-8 编码") from None
    try:
        # Decimal, so that 89.995 is read as written and not as a binary float.
        document = json.loads(text, parse_float=Decimal)
    except RecursionError:
        raise FileError(f"{name}：不是有效的 JSON（嵌套层数过多）") from None
    except json.JSONDecodeError as error:
        raise FileError(f"{name}：不是有效的 JSON（第{error.lineno}行第{error.colno}列：{error.msg}）") from None
    if isinstance(document, dict) and "organizations" in document:
        organizations = document["organizations"]
    elif isinstance(document, list):
        organizations = document
    else:
        raise FileError(f'{name}：JSON 应为 {{"organizations": [...]}}')
    if not isinstance(organizations, list):
        raise FileError(f"{name}：organizations 应为数组")
    if not organizations:
        raise FileError(f"{name}：文件中没有组织")
    return [Record(f"第{number}个组织", item) for number, item in enumerate(organizations, start=1)]


#: The sentences ``xingji rate`` has always given, by ``tabular.FileError.code``.
CSV_MESSAGES = {
    "encoding": "无法识别文件编码，请保存为 UTF-8 或 GBK 编码的 CSV",
}


def read_csv(content: bytes, name: str, scheme: Scheme) -> list[Record]:
    try:
        sheet = tabular.read_csv(content)
    except FileError as error:
        if error.code == "csv":
            raise FileError(f"{name}：CSV 格式有误（{error.detail}），请检查是否有未闭合的引号", code="csv") from None
        raise FileError(f"{name}：{CSV_MESSAGES.get(error.code, error.message)}", code=error.code) from None
    return records_from_rows(sheet.rows, name, scheme)


def read_xlsx(content: bytes, name: str, scheme: Scheme) -> list[Record]:
    index = header_index(scheme)
    try:
        sheet = tabular.read_table(
            content,
            name,
            choose=lambda header: any(index.get(normalize_header(cell)) == "id" for cell in header),
            workbook_only=True,
        )
    except FileError as error:
        raise FileError(f"{name}：不是有效的 Excel（.xlsx）文件", code=error.code) from None
    return records_from_rows(tabular.integral_numbers(sheet.rows), name, scheme)


def _present(value: Any) -> bool:
    return value is not None and not (isinstance(value, str) and not value.strip())


def _header_fields(header: list[Any], index: dict[str, str]) -> tuple[list[str | None], dict[str, str], list[str]]:
    """The field of each header cell (None: none), the first header of each field, and what is wrong."""
    fields: list[str | None] = []
    headers: dict[str, str] = {}
    problems = []
    for position, cell in enumerate(header, start=1):
        if not _present(cell):
            fields.append(None)
            continue
        key = normalize_header(cell)
        field = index.get(key)
        if field is None and key not in IGNORED_HEADERS:
            problems.append(f"第{position}列“{cell}”不是可识别的列名")
        if field is not None and field in headers:
            problems.append(f"第{position}列“{cell}”与“{headers[field]}”重复")
        fields.append(field)
        if field is not None:
            headers.setdefault(field, str(cell).strip())
    if "id" not in headers:
        problems.append("缺少“编号”（id）列")
    return fields, headers, problems


def _record_data(fields: list[str | None], row: list[Any]) -> dict[str, Any]:
    data: dict[str, Any] = {}
    for field, cell in zip(fields, row, strict=False):
        if field is None or not _present(cell):
            continue
        value = cell.strip() if isinstance(cell, str) else cell
        group, _, key = field.partition(".")
        if key:
            data.setdefault(group, {})[key] = value
        else:
            data[group] = value
    return data


def records_from_rows(rows: list[list[Any]], name: str, scheme: Scheme) -> list[Record]:
    """The first non-empty row is the header; each later non-empty row an organization."""
    start = next((i for i, row in enumerate(rows) if any(_present(c) for c in row)), None)
    if start is None:
        raise FileError(f"{name}：文件是空的")
    fields, headers, problems = _header_fields(rows[start], header_index(scheme))
    if problems:
        raise FileError(
            f"{name}：表头有误：" + "；".join(problems) + "。可用 xingji rate --template 模板.xlsx 获取标准表头"
        )
    records = []
    for row_number, row in enumerate(rows[start + 1 :], start=start + 2):
        if not any(_present(cell) for cell in row):
            continue
        extra = [i for i in range(len(fields), len(row)) if _present(row[i])]
        if extra:
            raise FileError(f"{name}：第{row_number}行第{extra[0] + 1}列有内容，但该列没有列名")
        records.append(Record(f"第{row_number}行", _record_data(fields, row), headers))
    if not records:
        raise FileError(f"{name}：文件中没有组织（只有表头）")
    return records
