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
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from django.core.exceptions import ValidationError
from django.db import models, transaction
from django.db.models import QuerySet
from openpyxl.utils import get_column_letter

from xingji.common.cells import first_sheet
from xingji.common.exports import saved_bytes
from xingji.common.tabular import FileError, RowError, TableErrors, has_content, read_table
from xingji.orgs.models import Organization
from xingji.records.attachments import format_size, max_bytes
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
#: Rows read at most, blank ones included, so that a sheet padded with empty rows is refused early.
MAX_SHEET_ROWS = 10 * MAX_IMPORT_ROWS
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
        Column(ORGANIZATION_CODE, "organization", True, "党组织的组织编号，如 JG-001"),
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


def render_template(kind: RecordKind) -> bytes:
    """An empty import sheet: headers (required ones in red), drop-down lists, and a sheet of notes."""
    from openpyxl import Workbook
    from openpyxl.comments import Comment
    from openpyxl.styles import Font, PatternFill
    from openpyxl.worksheet.datavalidation import DataValidation

    layout = columns(kind)
    workbook = Workbook()
    sheet = first_sheet(workbook, kind.label[:31])
    sheet.append([column.header for column in layout])
    required_fill, optional_fill = PatternFill("solid", fgColor="C00000"), PatternFill("solid", fgColor="808080")
    for cell, column in zip(sheet[1], layout, strict=True):
        cell.font = Font(bold=True, color="FFFFFF")
        cell.fill = required_fill if column.required else optional_fill
        cell.comment = Comment(("必填。" if column.required else "选填。") + column.help, "xingji")
        if column.field is None:
            continue
        labels = _choice_labels(kind, column.field)
        if labels:
            validation = DataValidation(type="list", formula1='"' + ",".join(labels) + '"', allow_blank=True)
            sheet.add_data_validation(validation)
            validation.add(f"{get_column_letter(cell.column)}2:{get_column_letter(cell.column)}{MAX_IMPORT_ROWS + 1}")  # type: ignore[arg-type]
    _widths(sheet)
    sheet.freeze_panes = "A2"

    notes = workbook.create_sheet("填写说明")
    notes.append(["列名", "是否必填", "说明"])
    for cell in notes[1]:
        cell.font = Font(bold=True)
    for column in layout:
        notes.append([column.header, "必填" if column.required else "选填", column.help])
    notes.append([])
    notes.append(
        [
            "说明",
            "",
            "从第2行起每行一条记录。整个文件全部正确才会导入；有任何错误时不导入任何一行，"
            "并逐行列出错误。红色表头为必填列。",
        ]
    )
    notes.column_dimensions["A"].width = 22
    notes.column_dimensions["B"].width = 10
    notes.column_dimensions["C"].width = 80
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


class BadValue(ValueError):
    pass


def check_import_size(size: int) -> None:
    """Refuse a file over the attachment limit before reading it."""
    if size > max_bytes():
        raise ImportRefused([RowError(None, "", f"文件不能超过 {format_size(max_bytes())}")])


def read_sheet(content: bytes) -> list[tuple[int, list[Any]]]:
    """The first sheet's non-blank rows as (row number, values); refuses a file that is not a workbook."""
    check_import_size(len(content))
    try:
        rows = read_table(content, workbook_only=True).rows
    except FileError:
        raise ImportRefused([RowError(None, "", "文件不是有效的 Excel（.xlsx）文件")]) from None
    numbered = [(number, cells) for number, cells in enumerate(rows[:MAX_SHEET_ROWS], start=1) if has_content(cells)]
    if len(numbered) > MAX_IMPORT_ROWS + 1:
        raise ImportRefused([RowError(None, "", f"一次最多导入 {MAX_IMPORT_ROWS} 行，请分批导入")])
    if len(rows) > MAX_SHEET_ROWS:
        raise ImportRefused([RowError(None, "", f"表格超过 {MAX_SHEET_ROWS} 行，请删除空行或分批导入")])
    return numbered


def header_key(text: Any) -> str:
    """A header as compared: no spaces, no required-field stars."""
    return re.sub(r"[\s*＊]", "", cell_text(text))


def _map_headers(kind: RecordKind, header_row: tuple[int, list[Any]]) -> tuple[dict[int, Column], list[RowError]]:
    number, values = header_row
    layout = columns(kind)
    by_header = {header_key(column.header): column for column in layout}
    by_header.update({column.field: column for column in layout if column.field})
    skipped = {header_key(header) for header in READ_ONLY_HEADERS}
    mapping: dict[int, Column] = {}
    errors: list[RowError] = []
    seen: dict[str, int] = {}
    for index, value in enumerate(values):
        header = header_key(value)
        if not header or header in skipped:
            continue
        column = by_header.get(header)
        if column is None:
            errors.append(RowError(number, str(value).strip(), "未知的列，请按模板填写表头"))
            continue
        if column.header in seen:
            errors.append(RowError(number, column.header, "列重复"))
            continue
        seen[column.header] = index
        mapping[index] = column
    for column in layout:
        if column.required and column.header not in seen:
            errors.append(RowError(number, column.header, "缺少必填列"))
    return mapping, errors


def map_header_row(
    rows: Sequence[tuple[int, list[Any]]],
    *,
    by_header: Mapping[str, Any],
    required: Sequence[Any],
    markers: Iterable[str],
    missing: str,
) -> tuple[int, dict[int, Any]]:
    """Find the header row among the first two rows (the one holding one of ``markers``) and map each column
    index to its column (``by_header``: ``header_key`` → column, each column with a ``header``).

    ``ImportRefused`` with every unknown, repeated or missing (``required``) column, or with ``missing`` when
    neither row is a header row. Returns the header row's position among ``rows`` and the mapping.
    """
    marker_keys = {header_key(marker) for marker in markers}
    for position, (number, values) in enumerate(rows[:2]):
        normalized = [header_key(value) for value in values]
        if not marker_keys & set(normalized):
            continue
        mapping: dict[int, Any] = {}
        errors = []
        for index, header in enumerate(normalized):
            if not header:
                continue
            column = by_header.get(header)
            if column is None:
                errors.append(RowError(number, cell_text(values[index]), "未知的列，请按模板填写表头"))
            elif column in mapping.values():
                errors.append(RowError(number, column.header, "列重复"))
            else:
                mapping[index] = column
        errors += [
            RowError(number, column.header, "缺少必填列") for column in required if column not in mapping.values()
        ]
        if errors:
            raise ImportRefused(errors)
        return position, mapping
    raise ImportRefused([RowError(None, "", missing)])


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


def _parse_choice(model_field: models.Field, value: Any) -> str:
    text = cell_text(value)
    for stored, label in model_field.choices:  # type: ignore[union-attr]
        if text == str(label) or text.lower() == str(stored).lower():
            return stored
    allowed = "、".join(str(label) for _, label in model_field.choices)  # type: ignore[union-attr]
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


def _parse(kind: RecordKind, column: Column, value: Any) -> Any:
    model_field = kind.field(column.field)  # type: ignore[arg-type]
    if isinstance(model_field, models.BooleanField):
        return _parse_bool(value)
    if cell_text(value) == "":
        if column.required:
            raise BadValue("必填，不能为空")
        return ""
    if isinstance(model_field, models.DateField):
        return cell_date(value)
    if model_field.choices:
        return _parse_choice(model_field, value)
    return cell_text(value)


def _record_key(kind: RecordKind, record: EvidenceRecord) -> tuple:
    return tuple(kind.field(name).value_from_object(record) for name in kind.fields)


def read_import(
    *, kind: RecordKind, content: bytes, organizations: QuerySet[Organization]
) -> list[tuple[int, dict[str, Any]]]:
    """Read and check every row; return (row number, data for ``record_create``), or raise ``ImportRefused``.

    ``organizations`` are those the importer may write to: a code outside them
    is answered exactly like an unknown code.
    """
    rows = read_sheet(content)
    if not rows:
        raise ImportRefused([RowError(None, "", "文件是空的，没有表头")])
    mapping, errors = _map_headers(kind, rows[0])
    if errors:
        raise ImportRefused(errors)
    data_rows = rows[1:]
    if not data_rows:
        raise ImportRefused([RowError(None, "", "文件中没有数据行")])

    code_index = next(index for index, column in mapping.items() if column.field == "organization")
    codes = {cell_text(values[code_index]) for _, values in data_rows if code_index < len(values)}
    known = {organization.code: organization for organization in organizations.filter(code__in=codes)}

    parsed: list[tuple[int, dict[str, Any], EvidenceRecord]] = []
    for number, values in data_rows:
        checked = _check_row(kind, number, values, mapping, known, errors)
        if checked is not None:
            parsed.append(checked)

    errors.extend(_duplicates(kind, parsed))
    if errors:
        raise ImportRefused(sorted(errors, key=lambda error: error.row or 0))
    return [(number, data) for number, data, _ in parsed]


def _row_data(
    kind: RecordKind, number: int, values: list[Any], mapping: dict[int, Column], known: dict[str, Organization]
) -> tuple[dict[str, Any], list[RowError]]:
    data: dict[str, Any] = {}
    row_errors = []
    for index, column in mapping.items():
        value = values[index] if index < len(values) else None
        if column.field != "organization":
            try:
                data[column.field] = _parse(kind, column, value)  # type: ignore[index]
            except BadValue as error:
                row_errors.append(RowError(number, column.header, str(error)))
            continue
        code = cell_text(value)
        if not code:
            row_errors.append(RowError(number, column.header, "必填，不能为空"))
        elif code not in known:
            row_errors.append(RowError(number, column.header, f"找不到编号为“{code}”的党组织"))
        else:
            data["organization"] = known[code]
    return data, row_errors


def _check_row(
    kind: RecordKind,
    number: int,
    values: list[Any],
    mapping: dict[int, Column],
    known: dict[str, Organization],
    errors: list[RowError],
) -> tuple[int, dict[str, Any], EvidenceRecord] | None:
    """The row's data and unsaved record, or None with its problems appended to ``errors``."""
    data, row_errors = _row_data(kind, number, values, mapping, known)
    if row_errors:
        errors.extend(row_errors)
        return None
    record = kind.model(**data)
    try:
        record.full_clean()
    except ValidationError as error:
        errors.extend(_validation_errors(kind, number, error))
        return None
    return number, data, record


def _validation_errors(kind: RecordKind, number: int, error: ValidationError) -> list[RowError]:
    if not hasattr(error, "error_dict"):
        return [RowError(number, "", message) for message in error.messages]
    found = []  # type: ignore[var-annotated]
    for name, field_errors in error.message_dict.items():
        header = ORGANIZATION_CODE if name == "organization" else ("" if name == "__all__" else kind.header(name))
        found.extend(RowError(number, header, message) for message in field_errors)
    return found


def _duplicates(kind: RecordKind, parsed: list[tuple[int, dict[str, Any], EvidenceRecord]]) -> list[RowError]:
    """Rows repeating an earlier row of the file, or a record already stored (every field equal)."""
    if not parsed:
        return []
    attnames = [kind.field(name).attname for name in kind.fields]
    stored = set(
        kind.model.objects.filter(  # type: ignore[attr-defined]
            organization_id__in={record.organization_id for _, _, record in parsed},
            date__in={record.date for _, _, record in parsed},
        ).values_list(*attnames)
    )
    first_row: dict[tuple, int] = {}
    errors = []
    for number, _, record in parsed:
        key = _record_key(kind, record)
        if key in first_row:
            errors.append(RowError(number, "", f"与第{first_row[key]}行重复"))
            continue
        first_row[key] = number
        if key in stored:
            errors.append(RowError(number, "", "与已有的一条记录完全相同"))
    return errors


def import_records(*, kind: RecordKind, content: bytes, organizations: QuerySet[Organization], actor) -> int:
    """Import every row of the file or none; return how many records were created.

    Raises ``ImportRefused`` with the row-by-row errors, having written nothing.
    """
    with transaction.atomic():
        rows = read_import(kind=kind, content=content, organizations=organizations)
        for number, data in rows:
            try:
                record_create(model=kind.model, data=data, actor=actor)
            except ValidationError as error:
                # Something changed between the check and the write (a concurrent import).
                raise ImportRefused(_validation_errors(kind, number, error)) from None
    return len(rows)
