"""Importing an existing star ledger (星级管理台账) kept on paper or in Excel.

Offices that start using the platform already keep a ledger: each
organization's level, approved by the working committee on some date, under
some document number. Besides a campaign's approval and an approved change of
level, this is the third way a line enters ``StarLedgerEntry``: the committee
office (or a superuser) imports the history, as lines with no campaign, no
evaluation and no approval.

The file has a title row, then the header row, then one row per line:
党组织 ("名称（编号）" or the bare code), 星级 (0–5, or a level name of the
default scheme: 五星级…一星级, 无星级/不定星级), 生效日期, 批准机关, 事由/文号.

The import is all or nothing (as ``xingji.records.spreadsheets`` and
``xingji.ledger.spreadsheets``): every row is checked first — a column not in
the layout, a missing value, an organization unknown *or outside the
importer's subtree* (answered alike), a level the default scheme does not
have, a date in the future, a date before (or on) the organization's latest
existing line (history is never inserted before what the ledger holds), two
rows for the same organization and date — and on any error nothing is
written and every error is listed as row, column and reason. Otherwise every
line is written with its audit entry (``star_ledger.imported``) in one
transaction.

``ledger_rows_import`` takes rows already read (the demo calls it directly);
``import_file`` reads a file (.xlsx, .xls, .ods or CSV in UTF-8, BOM or GBK;
an organization by code, "名称（编号）" or exact name) through the house's
import runner, with the same checks and writing.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import date
from functools import cache, partial
from typing import Any

from django.db.models import QuerySet
from django.utils import timezone
from openpyxl import Workbook
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.datavalidation import DataValidation

from xingji.accounts.access import is_active_user, visible_organizations
from xingji.accounts.models import Actor, Role
from xingji.audit.services import append_audit_entries
from xingji.campaigns.models import StarLedgerEntry
from xingji.common import tablereader
from xingji.common.cells import first_sheet
from xingji.common.errors import ActionForbidden
from xingji.common.exports import finish_sheet, saved_bytes
from xingji.common.imports import Importer, commit
from xingji.common.tablereader import Table
from xingji.common.tabular import RowError
from xingji.common.updates import max_length
from xingji.orgs.lookup import example_organizations, lookup_texts, match_organizations
from xingji.orgs.models import Organization
from xingji.records.spreadsheets import (
    MAX_IMPORT_ROWS,
    WORDING,
    ImportRefused,
    cell_date,
    cell_text,
    check_import_size,
    organization_cell,
)
from xingji.rules.scheme import DEFAULT_SCHEME, Scheme, load_scheme

TITLE = "星级管理台账"
SHEET_TITLE = "星级管理台账导入"
ORGANIZATION, LEVEL, EFFECTIVE_ON, APPROVING_BODY, REASON = "党组织", "星级", "生效日期", "批准机关", "事由/文号"
REASON_PREFIX = "历史台账导入："
AUDIT_ACTION = "star_ledger.imported"
HEADER_ROW = 2
MAX_BODY = max_length(StarLedgerEntry, "approving_body")
MAX_REASON = 500
DIGITS = {"零": 0, "〇": 0, "一": 1, "二": 2, "两": 2, "三": 3, "四": 4, "五": 5}
#: Other ways of writing level 0 (the default scheme calls it 不定星级).
UNRATED_WORDS = ("无星级", "无星", "未定星级", "未定级", "不定级")


@dataclass(frozen=True)
class Column:
    header: str
    field: str
    width: int
    help: str
    aliases: tuple[str, ...] = ()


COLUMNS = [
    Column(ORGANIZATION, "organization", 32, "党组织名称（组织编号）、组织编号或党组织全称", ("组织编号",)),
    Column(LEVEL, "level", 10, "0–5 的数字，或填星级名称：五星级、四星级、三星级、二星级、一星级、无星级"),
    Column(
        EFFECTIVE_ON,
        "effective_on",
        14,
        "工委会批准、星级生效的日期，如 2025-12-28；不能晚于今天，也不能早于或等于该组织在平台台账中最近一条记录的日期",
        ("批准日期",),
    ),
    Column(APPROVING_BODY, "approving_body", 24, f"如“中共安阳市直机关工委”，不超过 {MAX_BODY} 个字"),
    Column(
        REASON,
        "reason",
        40,
        f"如“2025年度星级评定，安市直工〔2025〕30号”，不超过 {MAX_REASON} 个字",
        ("事由", "文号", "事由（文号）"),
    ),
]
HEADERS = [column.header for column in COLUMNS]
BY_FIELD = {column.field: column for column in COLUMNS}


@dataclass(frozen=True)
class LedgerRow:
    """One line to import: ``row`` is the sheet row it came from (None for rows given by code)."""

    organization: Organization
    level: int
    effective_on: date
    approving_body: str
    reason: str
    row: int | None = None


# --- who may import ---------------------------------------------------------------------


def may_import(user) -> bool:
    return is_active_user(user) and (user.is_superuser or user.role == Role.COMMITTEE_OFFICE)


def require_importer(user) -> None:
    """The committee office (its own subtree) or a superuser; any other role: 403."""
    if not may_import(user):
        raise ActionForbidden("只有市直工委组织部可以导入星级管理台账")


# --- levels of the default scheme -----------------------------------------------------------


@cache
def default_scheme() -> Scheme:
    return load_scheme(DEFAULT_SCHEME)


def level_names() -> dict[int, str]:
    scheme = default_scheme()
    return {value: scheme.level_name(value) for value in sorted(scheme.level_values())}


def _level_words() -> dict[str, int]:
    words: dict[str, int] = {}
    for value, name in level_names().items():
        words[name] = value
        words[str(value)] = value
        for digit in (str(value), *[word for word, number in DIGITS.items() if number == value]):
            words[f"{digit}星"] = value
            words[f"{digit}星级"] = value
    if 0 in level_names():
        words.update(dict.fromkeys(UNRATED_WORDS, 0))
    return words


def parse_level(value: Any) -> int:
    """A level of the default scheme from a number or a name; ``ValueError`` with a readable message."""
    if isinstance(value, bool):
        value = str(value)
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    text = re.sub(r"\s", "", cell_text(value))
    level = _level_words().get(text)
    if level is None:
        names = level_names()
        raise ValueError(
            f"“{text}”不是有效的星级，可填 {min(names)}–{max(names)} 的数字或"
            + "、".join(names[value] for value in sorted(names, reverse=True) if value)
            + "、无星级"
        )
    return level


# --- the template ---------------------------------------------------------------------------


def _example(organizations: QuerySet[Organization] | None) -> tuple[str, str]:
    """(what to write in 党组织, its bare code) for the first branch of the downloading user's tree."""
    found = example_organizations(organizations, branch=True)[:1]
    if not found:
        return "安阳市财政局机关第一支部（AY-CZ-01）", "AY-CZ-01"
    return f"{found[0].name}（{found[0].code}）", found[0].code


def render_template(*, organizations: QuerySet[Organization] | None = None) -> bytes:
    """An empty ledger to fill in: a title row, the header row, a drop-down of levels, a sheet of notes.

    ``organizations``: the downloading user's (``visible_organizations``); its first branch is the example.
    """
    label, code = _example(organizations)
    workbook = Workbook()
    sheet = first_sheet(workbook, SHEET_TITLE)
    sheet.append([f"{TITLE}（历史记录导入）"])
    sheet.merge_cells(start_row=1, start_column=1, end_row=1, end_column=len(COLUMNS))
    sheet["A1"].font = Font(bold=True, size=16)
    sheet["A1"].alignment = Alignment(horizontal="center")
    sheet.append(HEADERS)
    for position, (cell, column) in enumerate(zip(sheet[HEADER_ROW], COLUMNS, strict=True), start=1):
        cell.font = Font(bold=True, color="FFFFFF")
        cell.fill = PatternFill("solid", fgColor="C00000")
        sheet.column_dimensions[get_column_letter(position)].width = column.width
    finish_sheet(sheet, header_row=HEADER_ROW)
    names = [name for _, name in sorted(level_names().items(), reverse=True)]
    letter = get_column_letter(HEADERS.index(LEVEL) + 1)
    validation = DataValidation(type="list", formula1='"' + ",".join([*names, "无星级"]) + '"', allow_blank=True)
    sheet.add_data_validation(validation)
    validation.add(f"{letter}{HEADER_ROW + 1}:{letter}5000")
    for row in range(HEADER_ROW + 1, 200):
        sheet.cell(row=row, column=HEADERS.index(EFFECTIVE_ON) + 1).number_format = "yyyy-mm-dd"
    notes = workbook.create_sheet("填写说明")
    notes.append(["列名", "是否必填", "说明"])
    for column in COLUMNS:
        help_text = f"{column.help}，如“{label}”或“{code}”" if column.field == "organization" else column.help
        notes.append([column.header, "必填", help_text])
    notes.append([])
    notes.append(
        [
            "说明",
            "",
            f"第1行为标题，第{HEADER_ROW}行为表头，从第{HEADER_ROW + 1}行起每行一条台账记录"
            "（一个党组织某日经批准的星级）。同一党组织可有多行，但生效日期不能相同。"
            "党组织只能是本组织及下级组织。整个文件全部正确才会导入；有任何错误时不导入任何一行，并逐行列出错误。"
            "可保存为 Excel（.xlsx、.xls）、.ods 或 CSV（UTF-8 或 GBK 编码）文件导入。",
        ]
    )
    notes.append(
        [
            "示例",
            "",
            f"{label}｜四星级｜2025-12-28｜中共安阳市直机关工委｜2025年度星级评定，安市直工〔2025〕30号",
        ]
    )
    notes.column_dimensions["A"].width = 12
    notes.column_dimensions["C"].width = 90
    return saved_bytes(workbook)


# --- reading a file ---------------------------------------------------------------------------

IMPORTER: Importer[LedgerRow] = Importer.of_columns(
    [tablereader.Column(column.field, column.header, column.aliases, required=True) for column in COLUMNS],
    wording=replace(WORDING, no_header=f"找不到表头：第{HEADER_ROW}行应为“{'、'.join(HEADERS)}”"),
    markers=[LEVEL, ORGANIZATION],
    max_rows=MAX_IMPORT_ROWS,
)


def _date(value: Any) -> date:
    return cell_date(value, example="2025-12-28")


class _RowParser:
    """Parses the rows of one file; the organizations it names looked up at once in the importer's subtree."""

    def __init__(self, table: Table, actor: Actor) -> None:
        self.match = match_organizations(lookup_texts(table.column("organization")), visible_organizations(actor))

    def __call__(
        self, number: int, values: Mapping[str, Any], headers: Mapping[str, str], errors: list[RowError]
    ) -> LedgerRow | None:
        data: dict[str, Any] = {}
        row_errors = []
        for key, value in values.items():
            text = cell_text(value)
            if not text:
                row_errors.append(RowError(number, headers[key], "必填，不能为空"))
                continue
            try:
                data[key] = self._value(key, value, text)
            except ValueError as error:  # BadValue too
                row_errors.append(RowError(number, headers[key], str(error)))
        errors.extend(row_errors)
        return None if row_errors else LedgerRow(row=number, **data)

    def _value(self, key: str, value: Any, text: str) -> Any:
        if key == "organization":
            return organization_cell(self.match, text)
        if key == "level":
            return parse_level(value)
        if key == "effective_on":
            return _date(value)
        return text


def read_rows(*, content: bytes, actor: Actor, filename: str = "") -> tuple[list[LedgerRow], list[RowError]]:
    """Read the file and parse every row: the rows read well, and the errors of the others.

    Only the form of each value is checked here (and that the organization is
    in the importer's subtree); ``ledger_rows_import`` checks the rest. A file
    that cannot be read at all (no table, no header, no data) raises ``ImportRefused``.
    """
    check_import_size(len(content))
    table = IMPORTER.table(content, filename)
    parsed, errors = IMPORTER.parse(table, _RowParser(table, actor))
    return [row for _, row in parsed], errors


# --- writing -------------------------------------------------------------------------------------


def _row_errors(rows: Sequence[LedgerRow], *, actor, today: date) -> list[RowError]:
    """What is wrong with the rows as a whole and against the ledger as it is (under lock)."""
    errors: list[RowError] = []
    names = level_names()
    visible = set(
        visible_organizations(actor).filter(pk__in={row.organization.pk for row in rows}).values_list("pk", flat=True)
    )
    latest: dict[int, StarLedgerEntry] = {}
    for entry in StarLedgerEntry.objects.filter(organization_id__in=visible).order_by(
        "organization_id", "-effective_on", "-id"
    ):
        latest.setdefault(entry.organization_id, entry)
    seen: dict[tuple[int, date], int | None] = {}
    for index, row in enumerate(rows, start=1):
        number = row.row if row.row is not None else index
        organization = row.organization
        if organization.pk not in visible:
            errors.append(RowError(number, ORGANIZATION, f"找不到编号为“{organization.code}”的党组织"))
            continue
        if row.level not in names:
            errors.append(RowError(number, LEVEL, f"“{row.level}”不是有效的星级（评定方案 {DEFAULT_SCHEME}）"))
        if row.effective_on > today:
            errors.append(RowError(number, EFFECTIVE_ON, f"生效日期不能晚于今天（{today:%Y年%m月%d日}）"))
        errors += _stored_errors(number, row, latest.get(organization.pk))
        key = (organization.pk, row.effective_on)
        if key in seen:
            first = seen[key]
            errors.append(
                RowError(
                    number,
                    EFFECTIVE_ON,
                    f"与第{first}行重复（同一党组织、同一生效日期）"
                    if first is not None
                    else "与前面一行重复（同一党组织、同一生效日期）",
                )
            )
        else:
            seen[key] = number
        errors += _text_errors(number, row)
    return errors


def _stored_errors(number: int, row: LedgerRow, stored: StarLedgerEntry | None) -> list[RowError]:
    """History is never inserted before (or on the day of) the latest line the ledger holds."""
    errors: list[RowError] = []
    organization = row.organization
    if stored is not None and row.effective_on < stored.effective_on:
        errors.append(
            RowError(
                number,
                EFFECTIVE_ON,
                f"早于“{organization.name}”在台账中最近一条记录的生效日期（{stored.effective_on:%Y年%m月%d日}），"
                "历史记录不能插在已有记录之前",
            )
        )
    elif stored is not None and row.effective_on == stored.effective_on:
        errors.append(
            RowError(
                number, EFFECTIVE_ON, f"台账中已有“{organization.name}”{stored.effective_on:%Y年%m月%d日}生效的记录"
            )
        )
    return errors


def _text_errors(number: int, row: LedgerRow) -> list[RowError]:
    errors: list[RowError] = []
    body = (row.approving_body or "").strip()
    if not body:
        errors.append(RowError(number, APPROVING_BODY, "必填，不能为空"))
    elif len(body) > MAX_BODY:
        errors.append(RowError(number, APPROVING_BODY, f"不能超过 {MAX_BODY} 个字"))
    reason = (row.reason or "").strip()
    if not reason:
        errors.append(RowError(number, REASON, "必填，不能为空"))
    elif len(reason) > MAX_REASON:
        errors.append(RowError(number, REASON, f"不能超过 {MAX_REASON} 个字"))
    return errors


def _numbered(rows: Sequence[LedgerRow]) -> list[tuple[int, LedgerRow]]:
    return [(row.row if row.row is not None else index, row) for index, row in enumerate(rows, start=1)]


def _check(numbered: list[tuple[int, LedgerRow]], *, actor: Actor, today: date) -> list[RowError]:
    """Under lock of the organizations imported (rows of ``Organization``, by id), so that two imports never
    judge "the latest line" from the same stale ledger; the approvals of campaigns and level changes do not
    take that lock."""
    ids = sorted({row.organization.pk for _, row in numbered})
    list(Organization.objects.select_for_update().filter(pk__in=ids).order_by("pk").values_list("pk", flat=True))
    return _row_errors([row for _, row in numbered], actor=actor, today=today)


def _write(rows: list[LedgerRow], *, actor: Actor) -> list[StarLedgerEntry]:
    names = level_names()
    current = dict(
        StarLedgerEntry.objects.filter(organization_id__in={row.organization.pk for row in rows})
        .order_by("organization_id", "effective_on", "id")
        .values_list("organization_id", "level")
    )
    created: list[StarLedgerEntry] = []
    for row in sorted(rows, key=lambda row: (row.effective_on, row.organization.pk)):
        entry = StarLedgerEntry(
            organization=row.organization,
            level=row.level,
            level_name=names[row.level],
            previous_level=current.get(row.organization.pk),
            effective_on=row.effective_on,
            campaign=None,
            evaluation=None,
            approval=None,
            approving_body=row.approving_body.strip(),
            reason=REASON_PREFIX + row.reason.strip(),
            approver=actor,
        )
        current[row.organization.pk] = row.level
        entry.save(force_insert=True)  # one by one: every backend gives back the id the audit entry names
        created.append(entry)
    append_audit_entries(
        actor=actor,
        entries=[
            (
                AUDIT_ACTION,
                entry,
                {"level": entry.previous_level},
                {
                    "level": entry.level,
                    "level_name": entry.level_name,
                    "effective_on": entry.effective_on,
                    "approving_body": entry.approving_body,
                    "reason": entry.reason,
                },
            )
            for entry in created
        ],
    )
    return created


def ledger_rows_import(
    *,
    rows: Sequence[LedgerRow | Mapping[str, Any]],
    actor: Actor,
    today: date | None = None,
    errors: Sequence[RowError] = (),
) -> list[StarLedgerEntry]:
    """Write every row as a ledger line with its audit entry, or none (``ImportRefused``).

    ``rows``: ``LedgerRow`` or mappings with the same keys; ``errors``: those
    already found while reading the file (listed with the rest, and nothing is
    written). The organizations imported are locked while the rows are checked
    against the ledger (``_check``).
    """
    require_importer(actor)
    parsed = [row if isinstance(row, LedgerRow) else LedgerRow(**row) for row in rows]
    if not parsed and not errors:
        raise ImportRefused([RowError(None, "", "没有要导入的台账记录")])
    return commit(
        _numbered(parsed),
        partial(_write, actor=actor),
        errors=errors,
        check=partial(_check, actor=actor, today=today or timezone.localdate()),
        order=IMPORTER.in_order,
    )


def import_file(
    *, content: bytes, actor: Actor, today: date | None = None, filename: str = ""
) -> list[StarLedgerEntry]:
    """Read a ledger (.xlsx, .xls, .ods or .csv: ``filename`` tells a CSV) and import every row, or none
    (``ImportRefused`` with every error)."""
    require_importer(actor)
    check_import_size(len(content))
    return IMPORTER.run(
        content,
        filename,
        partial(_write, actor=actor),
        check=partial(_check, actor=actor, today=today or timezone.localdate()),
        prepare=lambda table: _RowParser(table, actor),
    )
