"""The rectification ledger in Excel, in the layout the offices keep it (整改台账).

A title row, then one row per item: 序号, 党组织, 存在问题, 问题来源,
来源说明, 整改目标, 整改措施, 责任人, 整改时限, 状态, 销账日期. The
党组织 column reads "名称（编号）"; the import reads the code in the brackets
(or a bare code). The export, the template and the import share the layout,
so an exported file imports again as the same items.

The import is all or nothing: every row is checked first — a column not in
the layout, a missing required value, a bad date, a source or state not on
the list, an organization code unknown *or outside the importer's subtree*
(answered alike), a source the importer may not open, a row repeating
another or an item already stored — and on any error nothing is written and
every error is listed as row, column and reason.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import QuerySet
from openpyxl import Workbook
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.datavalidation import DataValidation

from xingji.common.cells import first_sheet
from xingji.common.exports import saved_bytes
from xingji.common.tabular import RowError
from xingji.ledger import access
from xingji.ledger.models import ItemSource, ItemState, RectificationItem
from xingji.ledger.services import items_import
from xingji.orgs.models import Organization
from xingji.records.spreadsheets import (
    BadValue,
    ImportRefused,
    cell_date,
    cell_text,
    header_key,
    map_header_row,
    read_sheet,
)

TITLE = "整改台账"
NUMBER, ORGANIZATION, STATE, CLOSED_ON = "序号", "党组织", "状态", "销账日期"


@dataclass(frozen=True)
class Column:
    header: str
    field: str | None
    required: bool
    width: int
    help: str


COLUMNS = [
    Column(NUMBER, None, False, 6, "仅供查看，导入时不读取"),
    Column(ORGANIZATION, "organization", True, 28, "党组织名称（组织编号），或只填组织编号，如 JG-001"),
    Column("存在问题", "problem", True, 40, "发现的问题"),
    Column("问题来源", "source", True, 12, "可填：" + "、".join(ItemSource.labels)),
    Column("来源说明", "source_note", False, 20, "如“2026年5月复检”“通报〔2026〕3号”，不超过 200 个字"),
    Column("整改目标", "target", True, 30, "整改要达到的目标"),
    Column("整改措施", "measures", True, 40, "具体措施"),
    Column("责任人", "responsible", True, 12, "不超过 100 个字"),
    Column("整改时限", "deadline", True, 12, "日期，如 2026-06-30"),
    Column(STATE, "state", False, 12, "整改中或已销账，空白为整改中；待确认销账的事项请按整改中导入"),
    Column(CLOSED_ON, "closed_on", False, 12, "已销账的填销账日期"),
]
HEADERS = [column.header for column in COLUMNS]
HEADER_ROW = 2
CODE_IN_BRACKETS = re.compile(r"[（(]\s*([^（）()]+?)\s*[）)]\s*$")


def organization_label(organization: Organization) -> str:
    return f"{organization.name}（{organization.code}）"


def _sheet(title: str):
    workbook = Workbook()
    sheet = first_sheet(workbook, TITLE)
    sheet.append([title])
    sheet.merge_cells(start_row=1, start_column=1, end_row=1, end_column=len(COLUMNS))
    sheet["A1"].font = Font(bold=True, size=16)
    sheet["A1"].alignment = Alignment(horizontal="center")
    sheet.append(HEADERS)
    for cell, column in zip(sheet[HEADER_ROW], COLUMNS, strict=True):
        cell.font = Font(bold=True, color="FFFFFF" if column.required else "000000")
        if column.required:
            cell.fill = PatternFill("solid", fgColor="C00000")
        sheet.column_dimensions[get_column_letter(cell.column)].width = column.width  # type: ignore[arg-type]
    sheet.freeze_panes = "A3"
    return workbook, sheet


def _text_cell(cell) -> None:
    """Text stays text: a value starting with "=" never runs as a formula in Excel."""
    if isinstance(cell.value, str):
        cell.data_type = "s"


def export_ledger(items: Iterable[RectificationItem], *, title: str) -> bytes:
    """The items (``organization`` selected) in the office layout."""
    workbook, sheet = _sheet(title)
    for number, item in enumerate(items, start=1):
        sheet.append(
            [
                number,
                organization_label(item.organization),
                item.problem,
                item.get_source_display(),
                item.source_note,
                item.target,
                item.measures,
                item.responsible,
                item.deadline,
                item.get_state_display(),
                item.closed_on,
            ]
        )
        for cell in sheet[sheet.max_row]:
            _text_cell(cell)
            if isinstance(cell.value, date):
                cell.number_format = "yyyy-mm-dd"
            cell.alignment = Alignment(wrap_text=True, vertical="top")
    return saved_bytes(workbook)


def render_template() -> bytes:
    """An empty ledger to fill in, with drop-down lists and a sheet of notes."""
    workbook, sheet = _sheet(TITLE)
    for header, labels in (("问题来源", ItemSource.labels), (STATE, [ItemState.OPEN.label, ItemState.CLOSED.label])):
        letter = get_column_letter(HEADERS.index(header) + 1)
        validation = DataValidation(type="list", formula1='"' + ",".join(labels) + '"', allow_blank=True)
        sheet.add_data_validation(validation)
        validation.add(f"{letter}{HEADER_ROW + 1}:{letter}5000")
    notes = workbook.create_sheet("填写说明")
    notes.append(["列名", "是否必填", "说明"])
    for column in COLUMNS:
        notes.append([column.header, "必填" if column.required else "选填", column.help])
    notes.append([])
    notes.append(
        [
            "说明",
            "",
            f"第1行为标题，第{HEADER_ROW}行为表头，从第{HEADER_ROW + 1}行起每行一个整改事项。"
            "整个文件全部正确才会导入；有任何错误时不导入任何一行，并逐行列出错误。",
        ]
    )
    notes.column_dimensions["A"].width = 12
    notes.column_dimensions["C"].width = 80
    return saved_bytes(workbook)


# --- import ------------------------------------------------------------------------------


def _date(value: Any) -> date:
    return cell_date(value, example="2026-06-30")


def _choice(value: Any, choices, what: str) -> str:
    text = cell_text(value)
    for stored, label in choices:
        if text == str(label) or text.lower() == str(stored):
            return stored
    raise BadValue(f"“{text}”不是有效的{what}，可填：" + "、".join(str(label) for _, label in choices))


def _code(text: str) -> str:
    match = CODE_IN_BRACKETS.search(text)
    return match.group(1) if match else text


def _header_map(rows) -> tuple[int, dict[int, Column]]:
    """The header row (the first or second non-blank row) and column index → Column."""
    return map_header_row(
        rows,
        by_header={header_key(column.header): column for column in COLUMNS},
        required=[column for column in COLUMNS if column.required],
        markers=["存在问题"],
        missing=f"找不到表头：第{HEADER_ROW}行应为“{'、'.join(HEADERS)}”",
    )


def _value(column: Column, value: Any, text: str, known: dict[str, Organization]) -> Any:
    """The cell's value for ``column.field``; ``BadValue`` with the reason otherwise."""
    if column.field == "organization":
        code = _code(text)
        if code not in known:
            raise BadValue(f"找不到编号为“{code}”的党组织")
        return known[code]
    if column.field in ("deadline", "closed_on"):
        return _date(value)
    if column.field == "source":
        return _choice(value, ItemSource.choices, "问题来源")
    if column.field == "state":
        state = _choice(value, ItemState.choices, "状态")
        if state == ItemState.CLOSING:
            raise BadValue("待确认销账的事项不能导入，请按“整改中”导入后在平台上申请销账")
        return state
    return text


def _row_data(number: int, values: list, mapping: dict[int, Column], known: dict[str, Organization]):
    data: dict[str, Any] = {"source_note": "", "state": ItemState.OPEN, "closed_on": None}
    errors = []
    for index, column in mapping.items():
        if column.field is None:
            continue
        value = values[index] if index < len(values) else None
        text = cell_text(value)
        if not text:
            if column.required:
                errors.append(RowError(number, column.header, "必填，不能为空"))
            continue
        try:
            data[column.field] = _value(column, value, text, known)
        except BadValue as error:
            errors.append(RowError(number, column.header, str(error)))
    return data, errors


def _state_errors(number: int, data: dict[str, Any], actor) -> list[RowError]:
    errors = []
    if data["state"] == ItemState.CLOSED and data["closed_on"] is None:
        errors.append(RowError(number, CLOSED_ON, "已销账的事项须填写销账日期"))
    if data["state"] == ItemState.OPEN and data["closed_on"] is not None:
        errors.append(RowError(number, CLOSED_ON, "整改中的事项不能有销账日期"))
    organization = data["organization"]
    if not access.may_open_item(actor, organization, data["source"]):
        errors.append(RowError(number, "问题来源", f"“{organization.name}”只能登记自查发现的问题"))
    elif data["state"] == ItemState.CLOSED and not access.is_superior(actor, organization.pk):
        errors.append(RowError(number, STATE, "只有上级党组织可以导入已销账的事项"))
    return errors


def _model_errors(number: int, data: dict[str, Any]) -> list[RowError]:
    item = RectificationItem(**{key: value for key, value in data.items()})
    try:
        item.full_clean(validate_unique=False, validate_constraints=False)
    except ValidationError as error:
        headers = {column.field: column.header for column in COLUMNS if column.field}
        return [
            RowError(number, headers.get(name, ""), message)
            for name, messages in error.message_dict.items()
            for message in messages
        ]
    return []


def _parse_row(
    number: int, values: list, mapping: dict[int, Column], known: dict[str, Organization], actor
) -> tuple[dict[str, Any] | None, list[RowError]]:
    data, errors = _row_data(number, values, mapping, known)
    if errors:
        return None, errors
    errors = _state_errors(number, data, actor) + _model_errors(number, data)
    return (None if errors else data), errors


def _key(data: dict[str, Any]) -> tuple:
    return (data["organization"].pk, data["problem"], data["source"], data["deadline"])


def read_import(*, content: bytes, organizations: QuerySet[Organization], actor) -> list[dict[str, Any]]:
    """Read and check every row; the data for ``services.items_import``, or ``ImportRefused``."""
    rows = read_sheet(content)
    if not rows:
        raise ImportRefused([RowError(None, "", "文件是空的，没有表头")])
    position, mapping = _header_map(rows)
    data_rows = rows[position + 1 :]
    if not data_rows:
        raise ImportRefused([RowError(None, "", "文件中没有数据行")])
    organization_index = next(index for index, column in mapping.items() if column.field == "organization")
    codes = {
        _code(cell_text(values[organization_index])) for _, values in data_rows if organization_index < len(values)
    }
    known = {organization.code: organization for organization in organizations.filter(code__in=codes)}

    errors: list[RowError] = []
    parsed: list[tuple[int, dict[str, Any]]] = []
    for number, values in data_rows:
        data, row_errors = _parse_row(number, values, mapping, known, actor)
        errors.extend(row_errors)
        if data is not None:
            parsed.append((number, data))

    stored = set(
        RectificationItem.objects.filter(
            organization_id__in={data["organization"].pk for _, data in parsed},
        ).values_list("organization_id", "problem", "source", "deadline")
    )
    first_row: dict[tuple, int] = {}
    for number, data in parsed:
        key = _key(data)
        if key in first_row:
            errors.append(RowError(number, "", f"与第{first_row[key]}行重复"))
            continue
        first_row[key] = number
        if key in stored:
            errors.append(RowError(number, "", "台账中已有相同的整改事项（党组织、问题、来源和时限都相同）"))
    if errors:
        raise ImportRefused(sorted(errors, key=lambda error: error.row or 0))
    return [data for _, data in parsed]


def import_items(*, content: bytes, organizations: QuerySet[Organization], actor) -> int:
    """Import every row or none; return how many items were created (``ImportRefused`` otherwise)."""
    with transaction.atomic():
        rows = read_import(content=content, organizations=organizations, actor=actor)
        items_import(rows=rows, actor=actor)
    return len(rows)
