"""The rectification ledger in Excel, in the layout the offices keep it (整改台账).

A title row, then one row per item: 序号, 党组织, 存在问题, 问题来源,
来源说明, 整改目标, 整改措施, 责任人, 整改时限, 状态, 销账日期. The
党组织 column reads "名称（编号）"; the import reads the code in the brackets
(or a bare code, or the organization's exact name). The export, the template and the import share the layout,
so an exported file imports again as the same items.

The import is all or nothing: every row is checked first — a column not in
the layout, a missing required value, a bad date, a source or state not on
the list, an organization code unknown *or outside the importer's subtree*
(answered alike), a source the importer may not open, a row repeating
another or an item already stored — and on any error nothing is written and
every error is listed as row, column and reason. The file may be .xlsx,
.xls, .ods or CSV (UTF-8, BOM or GBK); 党组织 may also be the exact name.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import date
from functools import partial
from typing import Any

from django.core.exceptions import ValidationError
from django.db.models import QuerySet
from openpyxl import Workbook
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.datavalidation import DataValidation
from openpyxl.worksheet.worksheet import Worksheet

from xingji.accounts.models import Actor
from xingji.common import tablereader
from xingji.common.cells import first_sheet
from xingji.common.exports import finish_sheet, saved_bytes
from xingji.common.imports import Importer
from xingji.common.tablereader import Table
from xingji.common.tabular import RowError
from xingji.ledger import access
from xingji.ledger.models import ItemSource, ItemState, RectificationItem
from xingji.ledger.services import items_import
from xingji.orgs.lookup import example_organizations, lookup_texts, match_organizations
from xingji.orgs.models import Organization
from xingji.records.spreadsheets import (
    MAX_IMPORT_ROWS,
    WORDING,
    BadValue,
    ImportRefused,
    cell_date,
    cell_text,
    check_import_size,
    header_key,
    organization_cell,
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
    Column(ORGANIZATION, "organization", True, 28, "党组织名称（组织编号）、组织编号或党组织全称"),
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


def organization_label(organization: Organization) -> str:
    return f"{organization.name}（{organization.code}）"


def _sheet(title: str) -> tuple[Workbook, Worksheet]:
    workbook = Workbook()
    sheet = first_sheet(workbook, TITLE)
    sheet.append([title])
    sheet.merge_cells(start_row=1, start_column=1, end_row=1, end_column=len(COLUMNS))
    sheet["A1"].font = Font(bold=True, size=16)
    sheet["A1"].alignment = Alignment(horizontal="center")
    sheet.append(HEADERS)
    for position, (cell, column) in enumerate(zip(sheet[HEADER_ROW], COLUMNS, strict=True), start=1):
        cell.font = Font(bold=True, color="FFFFFF" if column.required else "000000")
        if column.required:
            cell.fill = PatternFill("solid", fgColor="C00000")
        sheet.column_dimensions[get_column_letter(position)].width = column.width
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
    finish_sheet(sheet, header_row=HEADER_ROW)
    return saved_bytes(workbook)


def organization_help(organizations: QuerySet[Organization] | None) -> str:
    """How to fill in 党组织, with an example from the downloading user's own tree."""
    help_text = next(column.help for column in COLUMNS if column.field == "organization")
    example = example_organizations(organizations, branch=True)[:1]
    if not example:
        return help_text
    return f"{help_text}，如“{organization_label(example[0])}”或“{example[0].code}”"


def render_template(*, organizations: QuerySet[Organization] | None = None) -> bytes:
    """An empty ledger to fill in, with drop-down lists and a sheet of notes.

    ``organizations``: the downloading user's (``visible_organizations``), whose first branch is the example.
    """
    workbook, sheet = _sheet(TITLE)
    for header, labels in (("问题来源", ItemSource.labels), (STATE, [ItemState.OPEN.label, ItemState.CLOSED.label])):
        letter = get_column_letter(HEADERS.index(header) + 1)
        validation = DataValidation(type="list", formula1='"' + ",".join(labels) + '"', allow_blank=True)
        sheet.add_data_validation(validation)
        validation.add(f"{letter}{HEADER_ROW + 1}:{letter}5000")
    finish_sheet(sheet, header_row=HEADER_ROW)
    notes = workbook.create_sheet("填写说明")
    notes.append(["列名", "是否必填", "说明"])
    for column in COLUMNS:
        help_text = organization_help(organizations) if column.field == "organization" else column.help
        notes.append([column.header, "必填" if column.required else "选填", help_text])
    notes.append([])
    notes.append(
        [
            "说明",
            "",
            f"第1行为标题，第{HEADER_ROW}行为表头，从第{HEADER_ROW + 1}行起每行一个整改事项。"
            "可保存为 Excel（.xlsx、.xls）、.ods 或 CSV（UTF-8 或 GBK 编码）文件导入。"
            "整个文件全部正确才会导入；有任何错误时不导入任何一行，并逐行列出错误。",
        ]
    )
    notes.column_dimensions["A"].width = 12
    notes.column_dimensions["C"].width = 80
    return saved_bytes(workbook)


# --- import ------------------------------------------------------------------------------

IMPORTER: Importer[dict[str, Any]] = Importer.of_columns(
    [
        tablereader.Column(column.field, column.header, required=column.required)
        for column in COLUMNS
        if column.field is not None
    ],
    row_key=lambda data: (data["organization"].pk, data["problem"], data["source"], data["deadline"]),
    ignored={header_key(NUMBER)},
    wording=replace(WORDING, no_header=f"找不到表头：第{HEADER_ROW}行应为“{'、'.join(HEADERS)}”"),
    markers=["存在问题"],
    max_rows=MAX_IMPORT_ROWS,
)
HEADER_OF = {column.field: column.header for column in COLUMNS if column.field}


def _date(value: Any) -> date:
    return cell_date(value, example="2026-06-30")


def _choice(value: Any, choices: Sequence[tuple[str, str]], what: str) -> str:
    text = cell_text(value)
    for stored, label in choices:
        if text == str(label) or text.lower() == str(stored):
            return stored
    raise BadValue(f"“{text}”不是有效的{what}，可填：" + "、".join(str(label) for _, label in choices))


class _RowParser:
    """Parses the rows of one file, the organizations it names looked up at once."""

    def __init__(self, table: Table, organizations: QuerySet[Organization], actor: Actor) -> None:
        self.match = match_organizations(lookup_texts(table.column("organization")), organizations)
        self.actor = actor

    def __call__(
        self, number: int, values: Mapping[str, Any], headers: Mapping[str, str], errors: list[RowError]
    ) -> dict[str, Any] | None:
        data, row_errors = self._data(number, values, headers)
        if not row_errors:
            row_errors = _state_errors(number, data, self.actor) + _model_errors(number, data)
        errors.extend(row_errors)
        return None if row_errors else data

    def _data(
        self, number: int, values: Mapping[str, Any], headers: Mapping[str, str]
    ) -> tuple[dict[str, Any], list[RowError]]:
        data: dict[str, Any] = {"source_note": "", "state": ItemState.OPEN, "closed_on": None}
        errors = []
        for key, value in values.items():
            text = cell_text(value)
            if not text:
                if key in IMPORTER.required:
                    errors.append(RowError(number, headers[key], "必填，不能为空"))
                continue
            try:
                data[key] = self._value(key, value, text)
            except BadValue as error:
                errors.append(RowError(number, headers[key], str(error)))
        return data, errors

    def _value(self, key: str, value: Any, text: str) -> Any:
        """The cell's value for the field ``key``; ``BadValue`` with the reason otherwise."""
        if key == "organization":
            return organization_cell(self.match, text)
        if key in ("deadline", "closed_on"):
            return _date(value)
        if key == "source":
            return _choice(value, ItemSource.choices, "问题来源")
        if key == "state":
            state = _choice(value, ItemState.choices, "状态")
            if state == ItemState.CLOSING:
                raise BadValue("待确认销账的事项不能导入，请按“整改中”导入后在平台上申请销账")
            return state
        return text


def _state_errors(number: int, data: dict[str, Any], actor: Actor) -> list[RowError]:
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
    item = RectificationItem(**data)
    try:
        item.full_clean(validate_unique=False, validate_constraints=False)
    except ValidationError as error:
        return [
            RowError(number, HEADER_OF.get(name, ""), message)
            for name, messages in error.message_dict.items()
            for message in messages
        ]
    return []


def _stored(parsed: list[tuple[int, dict[str, Any]]]) -> list[RowError]:
    """Rows repeating an item the ledger already holds (organization, problem, source and deadline)."""
    stored = set(
        RectificationItem.objects.filter(
            organization_id__in={data["organization"].pk for _, data in parsed},
        ).values_list("organization_id", "problem", "source", "deadline")
    )
    return [
        RowError(number, "", "台账中已有相同的整改事项（党组织、问题、来源和时限都相同）")
        for number, data in parsed
        if (data["organization"].pk, data["problem"], data["source"], data["deadline"]) in stored
    ]


def read_import(
    *, content: bytes, organizations: QuerySet[Organization], actor: Actor, filename: str = ""
) -> list[dict[str, Any]]:
    """Read and check every row; the data for ``services.items_import``, or ``ImportRefused``. Nothing is written."""
    check_import_size(len(content))
    table = IMPORTER.table(content, filename)
    parsed, errors = IMPORTER.parse(table, _RowParser(table, organizations, actor))
    errors += _stored(parsed)
    if errors:
        raise ImportRefused(IMPORTER.in_order(errors, table))
    return [data for _, data in parsed]


def _write(actor: Actor, rows: list[dict[str, Any]]) -> int:
    return len(items_import(rows=rows, actor=actor))


def import_items(*, content: bytes, organizations: QuerySet[Organization], actor: Actor, filename: str = "") -> int:
    """Import every row or none; return how many items were created (``ImportRefused`` otherwise).

    ``filename`` tells a CSV from its name (a workbook is told by its content).
    """
    check_import_size(len(content))
    return IMPORTER.run(
        content,
        filename,
        partial(_write, actor),
        check=_stored,
        prepare=lambda table: _RowParser(table, organizations, actor),
    )
