"""Evidence records in Excel: export of a list, the import template, and the import.

One column layout per kind serves all three, so an exported sheet has the
headers the import reads: 组织编号 (the organization's code), the record's
fields under their Chinese names, and columns shown for reading only
(党组织名称, 计分类别, 附件数) that the import skips.

The import is all or nothing: every row is read and checked first (a value of
the wrong form, a choice not on the list, an organization code that is
unknown *or outside the importer's subtree* — the two are answered alike —, a
row repeating another row or a record already stored), and if anything is
wrong the whole file is refused with a list of (row, column, reason) and
nothing is written. Otherwise every row is created through
``xingji.records.services.record_create`` — one audit entry each — in one
transaction.

The file may be .xlsx, .xls, .ods or CSV (UTF-8, BOM or GBK); the
organization may be named by its code or exact name
(``xingji.orgs.lookup``). The runner (``xingji.common.imports.Importer``) and
the sentences here are shared with the rectification ledger and the star
ledger imports.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date, datetime
from functools import partial
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import models
from django.db.models import QuerySet
from django.http import Http404
from openpyxl.utils import get_column_letter

from xingji.accounts.models import Actor
from xingji.common import tablereader
from xingji.common.cells import first_sheet
from xingji.common.exports import finish_sheet, saved_bytes
from xingji.common.imports import Importer, check_import_size
from xingji.common.tablereader import Table, Wording
from xingji.common.tabular import RowError, TableErrors
from xingji.orgs.lookup import (
    OrganizationMatch,
    bracketed_code,
    example_organizations,
    lookup_texts,
    match_organizations,
)
from xingji.orgs.models import Organization
from xingji.records.kinds import RecordKind
from xingji.records.models import EvidenceRecord
from xingji.records.services import record_create

ORGANIZATION_CODE = "组织编号"
ORGANIZATION_NAME = "党组织名称"
ATTACHMENT_COUNT = "附件数"
CATEGORY = "计分类别"
#: Columns an export shows for reading; the import skips them.
READ_ONLY_HEADERS = (ORGANIZATION_NAME, CATEGORY, ATTACHMENT_COUNT)
MAX_IMPORT_ROWS = 10_000
TRUE_WORDS = {"是", "有", "√", "true", "yes", "y", "1"}
FALSE_WORDS = {"否", "无", "×", "false", "no", "n", "0", ""}
DATE_FORMATS = ("%Y-%m-%d", "%Y/%m/%d", "%Y.%m.%d", "%Y年%m月%d日")
XLSX_CONTENT_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


@dataclass(frozen=True)
class Column:
    header: str
    #: The model field it fills; None for a column shown for reading only.
    field: str | None
    required: bool
    help: str


def columns(kind: RecordKind) -> list[Column]:
    """The import's columns, in order (an export adds the read-only ones)."""
    result = [
        Column(ORGANIZATION_CODE, "organization", True, "党组织的组织编号，或党组织全称（重名时须填编号）"),
        Column(ORGANIZATION_NAME, None, False, "仅供查看，导入时不读取"),
    ]
    for name in kind.fields:
        if name in ("organization", "member"):
            continue
        model_field = kind.field(name)
        required = not model_field.blank and not isinstance(model_field, models.BooleanField)
        result.append(Column(kind.header(name), name, required or name == "member_name", _help(model_field)))
    return result


def _help(model_field: models.Field) -> str:
    if model_field.choices:
        return "可填：" + "、".join(str(label) for _, label in model_field.choices)
    if isinstance(model_field, models.BooleanField):
        return "填“是”或“否”，空白为否"
    if isinstance(model_field, models.DateField):
        return "日期，如 2025-03-01，不能晚于今天"
    help_text = str(model_field.help_text or "")
    if getattr(model_field, "max_length", None):
        return "；".join(filter(None, [help_text, f"不超过 {model_field.max_length} 个字"]))
    return help_text or "文字"


# --- export ----------------------------------------------------------------------


def export_headers(kind: RecordKind) -> list[str]:
    headers = [column.header for column in columns(kind)]
    if "category" in kind.list_fields:
        headers.append(CATEGORY)
    headers.append(ATTACHMENT_COUNT)
    return headers


def export_rows(kind: RecordKind, records: Iterable[EvidenceRecord]) -> Iterable[list[Any]]:
    fields = [column.field for column in columns(kind)]
    for record in records:
        row: list[Any] = []
        for name in fields:
            if name == "organization":
                row.append(record.organization.code)
            elif name is None:
                row.append(record.organization.name)
            elif name == "date":
                row.append(record.date)
            else:
                row.append(kind.display(record, name))
        if "category" in kind.list_fields:
            row.append(kind.display(record, "category"))
        row.append(getattr(record, "attachment_count", None))
        yield row


def _widths(sheet) -> None:
    for cell in sheet[1]:
        sheet.column_dimensions[get_column_letter(cell.column)].width = max(12, len(str(cell.value)) * 2 + 4)


# --- template --------------------------------------------------------------------


def _template_help(column: Column, organizations: QuerySet[Organization] | None) -> str:
    """A column's help; the organization's with an example from the downloading user's own tree."""
    example = example_organizations(organizations, branch=True)[:1] if column.field == "organization" else []
    if not example:
        return column.help
    return f"{column.help}，如“{example[0].code}”或“{example[0].name}”"


def render_template(kind: RecordKind, *, organizations: QuerySet[Organization] | None = None) -> bytes:
    """An empty import sheet: headers (required ones in red), drop-down lists, and a sheet of notes.

    ``organizations``: the downloading user's (``visible_organizations``); its first branch is the example.
    """
    from openpyxl import Workbook
    from openpyxl.comments import Comment
    from openpyxl.styles import Font, PatternFill
    from openpyxl.worksheet.datavalidation import DataValidation

    layout = columns(kind)
    workbook = Workbook()
    sheet = first_sheet(workbook, kind.label[:31])
    sheet.append([column.header for column in layout])
    required_fill, optional_fill = PatternFill("solid", fgColor="C00000"), PatternFill("solid", fgColor="808080")
    helps = [_template_help(column, organizations) for column in layout]
    for position, (cell, column, help_text) in enumerate(zip(sheet[1], layout, helps, strict=True), start=1):
        cell.font = Font(bold=True, color="FFFFFF")
        cell.fill = required_fill if column.required else optional_fill
        cell.comment = Comment(("必填。" if column.required else "选填。") + help_text, "xingji")
        if column.field is None:
            continue
        labels = _choice_labels(kind, column.field)
        if labels:
            letter = get_column_letter(position)
            validation = DataValidation(type="list", formula1='"' + ",".join(labels) + '"', allow_blank=True)
            sheet.add_data_validation(validation)
            validation.add(f"{letter}2:{letter}{MAX_IMPORT_ROWS + 1}")
    _widths(sheet)
    finish_sheet(sheet)

    notes = workbook.create_sheet("填写说明")
    notes.append(["列名", "是否必填", "说明"])
    for cell in notes[1]:
        cell.font = Font(bold=True)
    for column, help_text in zip(layout, helps, strict=True):
        notes.append([column.header, "必填" if column.required else "选填", help_text])
    notes.append([])
    notes.append(
        [
            "说明",
            "",
            "从第2行起每行一条记录。整个文件全部正确才会导入；有任何错误时不导入任何一行，"
            "并逐行列出错误。红色表头为必填列。"
            "可保存为 Excel（.xlsx、.xls）、.ods 或 CSV（UTF-8 或 GBK 编码）文件导入。",
        ]
    )
    notes.column_dimensions["A"].width = 22
    notes.column_dimensions["B"].width = 10
    notes.column_dimensions["C"].width = 80
    finish_sheet(notes)
    return saved_bytes(workbook)


def _choice_labels(kind: RecordKind, name: str) -> list[str]:
    model_field = kind.field(name)
    if model_field.choices:
        return [str(label) for _, label in model_field.choices]
    if isinstance(model_field, models.BooleanField):
        return ["是", "否"]
    return []


# --- import ------------------------------------------------------------------------


#: One error type for every import of the house (``xingji.common.tabular``); the old name stays for callers.
ImportRefused = TableErrors

#: What the records, rectification-ledger and star-ledger imports say of a file that is no table.
NOT_A_TABLE = "文件不是有效的 Excel（.xlsx）文件，也不是 .xls、.ods 或 CSV 文件"
FILE_ERRORS = {
    "unsupported": NOT_A_TABLE,
    "binary": NOT_A_TABLE,
    "workbook": NOT_A_TABLE,
    "ole": "无法读取该 Excel 文件：文件可能已损坏或设置了打开密码，请另存为不加密的 .xlsx 后再导入",
    "no_sheet": "Excel 文件中没有工作表",
}
#: The wording of these three imports; each adds where its header row lies.
WORDING = Wording(
    empty="文件是空的，没有表头",
    no_data="文件中没有数据行",
    unknown_column="未知的列，请按模板填写表头",
    file_errors=FILE_ERRORS,
)
UNKNOWN_ORGANIZATION = "找不到编号为“{code}”的党组织"


class BadValue(ValueError):
    pass


def header_key(text: Any) -> str:
    """A header as compared: no spaces, no required-field stars, width and case do not matter."""
    return tablereader.header_key(text)


def cell_text(value: Any) -> str:
    """A cell as text: an integral float without ".0", a date as ISO, stripped."""
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    if isinstance(value, datetime):
        return value.date().isoformat()
    if isinstance(value, date):
        return value.isoformat()
    return str(value).strip()


def cell_date(value: Any, *, example: str = "2025-03-01") -> date:
    """A cell as a calendar date (an Excel date, or text in one of ``DATE_FORMATS``); ``BadValue`` otherwise."""
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    text = cell_text(value)
    for pattern in DATE_FORMATS:
        try:
            return datetime.strptime(text, pattern).date()  # noqa: DTZ007 - a calendar date, no time
        except ValueError:
            continue
    raise BadValue(f"“{text}”不是有效的日期，应如 {example}")


def organization_cell(match: OrganizationMatch, text: str, *, unknown: str = UNKNOWN_ORGANIZATION) -> Organization:
    """The organization a cell names: its code, its exact name, or "名称（编号）"; ``BadValue`` otherwise."""
    found = match.resolve(text)
    if found is not None:
        return found
    raise BadValue(match.problem(text, unknown.format(code=bracketed_code(text))) or "")


def _parse_choice(model_field: models.Field[Any, Any], value: Any) -> str:
    text = cell_text(value)
    choices = [(str(stored), str(label)) for stored, label in model_field.flatchoices]
    for stored, label in choices:
        if text == label or text.lower() == stored.lower():
            return stored
    allowed = "、".join(label for _, label in choices)
    raise BadValue(f"“{text}”不是有效的{model_field.verbose_name}，可填：{allowed}")


def _parse_bool(value: Any) -> bool:
    if isinstance(value, bool):
        return value
    text = cell_text(value).lower()
    if text in TRUE_WORDS:
        return True
    if text in FALSE_WORDS:
        return False
    raise BadValue(f"“{cell_text(value)}”应填“是”或“否”")


def _parse(model_field: models.Field[Any, Any], required: bool, value: Any) -> Any:
    if isinstance(model_field, models.BooleanField):
        return _parse_bool(value)
    if cell_text(value) == "":
        if required:
            raise BadValue("必填，不能为空")
        return ""
    if isinstance(model_field, models.DateField):
        return cell_date(value)
    if model_field.choices:
        return _parse_choice(model_field, value)
    return cell_text(value)


@dataclass(frozen=True)
class _RecordRow:
    number: int
    data: dict[str, Any]
    record: EvidenceRecord


def _importer(kind: RecordKind) -> Importer[_RecordRow]:
    return Importer.of_columns(
        [
            tablereader.Column(column.field, column.header, required=column.required)
            for column in columns(kind)
            if column.field is not None
        ],
        row_key=lambda row: _record_key(kind, row.record),
        ignored={header_key(header) for header in READ_ONLY_HEADERS},
        wording=WORDING,
        max_rows=MAX_IMPORT_ROWS,
    )


def _record_key(kind: RecordKind, record: EvidenceRecord) -> tuple[Any, ...]:
    return tuple(kind.field(name).value_from_object(record) for name in kind.fields)


class _RowParser:
    """Parses the rows of one file, the organizations it names looked up at once."""

    def __init__(self, kind: RecordKind, table: Table, organizations: QuerySet[Organization]) -> None:
        self.kind = kind
        self.required = {column.field for column in columns(kind) if column.required}
        self.match = match_organizations(lookup_texts(table.column("organization")), organizations)

    def __call__(
        self, number: int, values: Mapping[str, Any], headers: Mapping[str, str], errors: list[RowError]
    ) -> _RecordRow | None:
        data: dict[str, Any] = {}
        row_errors = []
        for key, value in values.items():
            try:
                if key == "organization":
                    data[key] = self._organization(value)
                else:
                    data[key] = _parse(self.kind.field(key), key in self.required, value)
            except BadValue as error:
                row_errors.append(RowError(number, headers[key], str(error)))
        if row_errors:
            errors.extend(row_errors)
            return None
        record = self.kind.model(**data)
        try:
            record.full_clean()
        except ValidationError as error:
            errors.extend(_validation_errors(self.kind, number, error))
            return None
        return _RecordRow(number, data, record)

    def _organization(self, value: Any) -> Organization:
        text = cell_text(value)
        if not text:
            raise BadValue("必填，不能为空")
        return organization_cell(self.match, text)


def _validation_errors(kind: RecordKind, number: int, error: ValidationError) -> list[RowError]:
    if not hasattr(error, "error_dict"):
        return [RowError(number, "", message) for message in error.messages]
    found: list[RowError] = []
    for name, field_errors in error.message_dict.items():
        header = ORGANIZATION_CODE if name == "organization" else ("" if name == "__all__" else kind.header(name))
        found.extend(RowError(number, header, message) for message in field_errors)
    return found


def _stored_duplicates(kind: RecordKind, parsed: list[tuple[int, _RecordRow]]) -> list[RowError]:
    """Rows repeating a record already stored (every field equal)."""
    if not parsed:
        return []
    attnames = [kind.field(name).attname for name in kind.fields]
    stored = set(
        kind.model._default_manager.filter(
            organization_id__in={row.record.organization_id for _, row in parsed},
            date__in={row.record.date for _, row in parsed},
        ).values_list(*attnames)
    )
    return [
        RowError(number, "", "与已有的一条记录完全相同")
        for number, row in parsed
        if _record_key(kind, row.record) in stored
    ]


def _write(kind: RecordKind, actor: Actor, rows: list[_RecordRow]) -> int:
    """Every row through ``record_create``, whose rules (who may enter what) apply to an import as to a form;
    its refusal of one row refuses the file, naming the row."""
    for row in rows:
        try:
            record_create(model=kind.model, data=row.data, actor=actor)
        except ValidationError as error:
            # Something changed between the check and the write (a concurrent import).
            raise ImportRefused(_validation_errors(kind, row.number, error)) from None
        except Http404:
            code = row.data["organization"].code
            raise ImportRefused(
                [RowError(row.number, ORGANIZATION_CODE, UNKNOWN_ORGANIZATION.format(code=code))]
            ) from None
        except PermissionDenied as refusal:
            raise ImportRefused([RowError(row.number, ORGANIZATION_CODE, str(refusal))]) from None
    return len(rows)


def read_import(
    *, kind: RecordKind, content: bytes, organizations: QuerySet[Organization], filename: str = ""
) -> list[tuple[int, dict[str, Any]]]:
    """Read and check every row; return (row number, data for ``record_create``), or raise ``ImportRefused``.

    ``organizations`` are those the importer may write to: a code or name outside
    them is answered exactly like an unknown one. Nothing is written.
    """
    check_import_size(len(content))
    importer = _importer(kind)
    table = importer.table(content, filename)
    parsed, errors = importer.parse(table, _RowParser(kind, table, organizations))
    errors += _stored_duplicates(kind, parsed)
    if errors:
        raise ImportRefused(importer.in_order(errors, table))
    return [(number, row.data) for number, row in parsed]


def import_records(
    *, kind: RecordKind, content: bytes, organizations: QuerySet[Organization], actor: Actor, filename: str = ""
) -> int:
    """Import every row of the file or none; return how many records were created.

    ``filename`` tells a CSV from its name (a workbook is told by its content).
    Raises ``ImportRefused`` with the row-by-row errors, having written nothing.
    """
    check_import_size(len(content))
    return _importer(kind).run(
        content,
        filename,
        partial(_write, kind, actor),
        check=partial(_stored_duplicates, kind),
        prepare=lambda table: _RowParser(kind, table, organizations),
    )
