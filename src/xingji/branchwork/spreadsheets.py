"""Meetings from Excel: one row per meeting, all or nothing.

Columns: 组织编号或名称 (a code, the exact name, or "名称（编号）"), 会议类型
(支部党员大会, 支部委员会, …), 日期, 地点, 主持人, 主题, and optionally 会议记录.
Attendance is not imported: it is taken on the meeting's page from the
roll. Every row is checked first — an unknown column, an empty required
cell, a bad or future date, a kind not on the list, an organization unknown
or outside the importer's subtree (answered alike), one the importer may not
record for, a row repeating another — and on any error nothing is written
and every error is listed by row and column.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, replace
from functools import partial
from typing import Any

from django.core.exceptions import ValidationError
from django.db.models import QuerySet
from django.utils import timezone
from openpyxl import Workbook
from openpyxl.styles import Font
from openpyxl.utils import get_column_letter

from xingji.accounts.models import Actor
from xingji.branchwork import access
from xingji.branchwork.models import BRANCH_KINDS
from xingji.branchwork.services import ImportedMeeting, MeetingFacts, meetings_import
from xingji.common import tablereader
from xingji.common.cells import first_sheet
from xingji.common.exports import saved_bytes
from xingji.common.imports import Importer
from xingji.common.tablereader import Table
from xingji.common.tabular import RowError, TableErrors
from xingji.orgs.lookup import example_organizations, lookup_texts, match_organizations
from xingji.orgs.models import Organization
from xingji.orgs.services import BRANCH_TYPES
from xingji.records.spreadsheets import (
    MAX_IMPORT_ROWS,
    WORDING,
    BadValue,
    cell_date,
    cell_text,
    check_import_size,
    organization_cell,
)

TITLE = "组织生活会议"
ORGANIZATION = "组织编号或名称"


@dataclass(frozen=True)
class Column:
    header: str
    key: str
    required: bool
    width: int
    help: str
    aliases: tuple[str, ...] = ()
    maximum: int | None = None


COLUMNS = [
    Column(
        ORGANIZATION, "organization", True, 28, "组织编号、党支部全称或“名称（编号）”", ("党组织", "组织编号", "党支部")
    ),
    Column("会议类型", "kind", True, 14, "可填：" + "、".join(str(kind.label) for kind in BRANCH_KINDS)),
    Column("日期", "held_on", True, 12, "会议日期，如 2026-03-15，不能晚于今天", ("会议日期",)),
    Column("地点", "place", True, 20, "不超过 100 个字", maximum=100),
    Column("主持人", "host", True, 12, "不超过 50 个字", maximum=50),
    Column("主题", "topic", True, 30, "会议主题或议题，不超过 200 个字", ("议题", "会议主题"), maximum=200),
    Column("会议记录", "minutes", False, 40, "选填", ("会议纪要",)),
]
HEADERS = [column.header for column in COLUMNS]
BY_KEY = {column.key: column for column in COLUMNS}

IMPORTER: Importer[ImportedMeeting] = Importer.of_columns(
    [tablereader.Column(column.key, column.header, column.aliases, column.required) for column in COLUMNS],
    row_key=lambda row: (row.organization.pk, row.facts.kind, row.facts.held_on, row.facts.topic),
    wording=replace(WORDING, no_header=f"找不到表头：应为“{'、'.join(HEADERS)}”"),
    markers=["会议类型"],
    max_rows=MAX_IMPORT_ROWS,
)


def render_template(*, organizations: QuerySet[Organization] | None = None) -> bytes:
    """An empty sheet to fill in, and a sheet of notes with an example from the user's own tree."""
    workbook = Workbook()
    sheet = first_sheet(workbook, TITLE)
    sheet.append(HEADERS)
    for position, (cell, column) in enumerate(zip(sheet[1], COLUMNS, strict=True), start=1):
        cell.font = Font(bold=True)
        sheet.column_dimensions[get_column_letter(position)].width = column.width
    notes = workbook.create_sheet("填写说明")
    notes.append(["列名", "是否必填", "说明"])
    example = example_organizations(organizations, branch=True)[:1]
    for column in COLUMNS:
        help_text = column.help
        if column.key == "organization" and example:
            help_text += f"，如“{example[0].code}”"
        notes.append([column.header, "必填" if column.required else "选填", help_text])
    notes.append([])
    notes.append(["说明", "", "每行一次会议。整个文件全部正确才会导入；有任何错误时不导入任何一行，并逐行列出错误。"])
    return saved_bytes(workbook)


def _kind(text: str) -> str:
    for kind in BRANCH_KINDS:
        if text in (str(kind.label), kind.value):
            return kind.value
    raise BadValue(f"“{text}”不是有效的会议类型，可填：" + "、".join(str(kind.label) for kind in BRANCH_KINDS))


class _RowParser:
    """Parses the rows of one file, the organizations it names looked up at once."""

    def __init__(self, table: Table, organizations: QuerySet[Organization], actor: Actor) -> None:
        self.match = match_organizations(lookup_texts(table.column("organization")), organizations)
        self.actor = actor
        self.today = timezone.localdate()

    def __call__(
        self, number: int, values: Mapping[str, Any], headers: Mapping[str, str], errors: list[RowError]
    ) -> ImportedMeeting | None:
        data: dict[str, Any] = {"minutes": ""}
        row_errors = []
        for key, value in values.items():
            text = cell_text(value)
            if not text:
                if BY_KEY[key].required:
                    row_errors.append(RowError(number, headers[key], "必填，不能为空"))
                continue
            try:
                data[key] = self._value(key, value, text)
            except BadValue as error:
                row_errors.append(RowError(number, headers[key], str(error)))
        if not row_errors:
            organization = data.pop("organization")
            problem = self._refusal(organization)
            if problem:
                row_errors.append(RowError(number, headers["organization"], problem))
        errors.extend(row_errors)
        if row_errors:
            return None
        return ImportedMeeting(organization=organization, facts=MeetingFacts(**data))

    def _value(self, key: str, value: Any, text: str) -> Any:
        column = BY_KEY[key]
        if key == "organization":
            return organization_cell(self.match, text)
        if key == "kind":
            return _kind(text)
        if key == "held_on":
            day = cell_date(value, example="2026-03-15")
            if day > self.today:
                raise BadValue(f"日期 {day:%Y-%m-%d} 晚于今天，不能登记尚未召开的会议")
            return day
        if column.maximum is not None and len(text) > column.maximum:
            raise BadValue(f"不能超过 {column.maximum} 个字")
        return text

    def _refusal(self, organization: Organization) -> str:
        if not access.may_record(self.actor, organization):
            if organization.org_type not in BRANCH_TYPES:
                return f"“{organization.name}”不是党支部：{access.NOT_A_BRANCH}"
            return f"“{organization.name}”：{access.NOT_RECORDER}"
        return ""


def _write(actor: Actor, rows: list[ImportedMeeting]) -> int:
    try:
        return len(meetings_import(rows=rows, actor=actor))
    except ValidationError as error:  # the parser checks what the model checks; kept as a last guard
        raise TableErrors([RowError(None, "", message) for message in error.messages]) from None


def import_meetings(*, content: bytes, organizations: QuerySet[Organization], actor: Actor, filename: str = "") -> int:
    """Import every row or none; how many meetings were recorded (``ImportRefused`` otherwise)."""
    check_import_size(len(content))
    return IMPORTER.run(
        content,
        filename,
        partial(_write, actor),
        prepare=lambda table: _RowParser(table, organizations, actor),
    )
