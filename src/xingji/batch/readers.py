"""Read organizations from JSON, CSV or XLSX into engine records.

Whatever the format, the result is the contract's JSON shape (one mapping per
organization) with where it came from, so that ``parse_organizations`` can
name the row and the column of every problem.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from decimal import Decimal
from pathlib import Path
from typing import Any

from xingji.batch.columns import IGNORED_HEADERS, header_index, normalize_header
from xingji.common import tabular
from xingji.common.tablereader import HeaderProblems, TableReader, Wording
from xingji.common.tabular import FileError, TableErrors
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


def _describe_header(problems: HeaderProblems) -> str:
    """The header's problems in column order, as ``xingji rate`` has always listed them."""
    found = [(position, f"第{position}列“{written}”不是可识别的列名") for position, written in problems.unknown]
    found += [
        (position, f"第{position}列“{written}”与“{first}”重复") for position, written, first in problems.duplicates
    ]
    parts = [text for _, text in sorted(found)]
    if problems.missing:
        parts.append("缺少“编号”（id）列")
    return "表头有误：" + "；".join(parts) + "。可用 xingji rate --template 模板.xlsx 获取标准表头"


WORDING = Wording(
    empty="文件是空的",
    no_data="文件中没有组织（只有表头）",
    beyond_header="第{row}行第{column}列有内容，但该列没有列名",
)


def _reader(scheme: Scheme) -> TableReader[Record]:
    return TableReader(
        index=header_index(scheme),
        required=["id"],
        headers={"id": "编号"},
        ignored=IGNORED_HEADERS,
        wording=WORDING,
        normalize=normalize_header,
        describe_header=_describe_header,
    )


def _record(number: int, values: Mapping[str, Any], columns: dict[str, str]) -> Record:
    """The row as the contract's JSON shape: dotted fields nested, blank cells left out."""
    data: dict[str, Any] = {}
    for field, cell in values.items():
        if not _present(cell):
            continue
        value = cell.strip() if isinstance(cell, str) else cell
        group, _, key = field.partition(".")
        if key:
            data.setdefault(group, {})[key] = value
        else:
            data[group] = value
    return Record(f"第{number}行", data, columns)


def records_from_rows(rows: list[list[Any]], name: str, scheme: Scheme) -> list[Record]:
    """The first non-empty row is the header; each later non-empty row an organization."""
    reader = _reader(scheme)
    try:
        table = reader.table_of(rows)
    except TableErrors as refused:
        raise FileError(f"{name}：{refused.errors[0].message}") from None
    # The header is matched and the id column is there (it is required): table.headers are as written.
    columns = dict(table.headers)
    parsed, _ = reader.parse(table, lambda number, values, headers, errors: _record(number, values, columns))
    return [record for _, record in parsed]
