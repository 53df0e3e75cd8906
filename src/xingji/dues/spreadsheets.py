"""The bank's sheet of dues paid (党费缴纳明细), imported for one organization; its template; the finance export.

Columns: 姓名 (the member, matched by name among the members of the
organization's subtree; the sheet holds no ID numbers and xingji keeps none),
党组织 (optional: its code or name, to tell two members of one name apart),
月份 (the month paid for: 2025-03, 2025年3月 or a date), 金额 (yuan, more than
zero), 缴纳日期 (optional: the day of the transfer; today if blank).

All or nothing (``xingji.common.imports.Importer``): an unknown name, a name
that two members share without a 党组织 to tell them apart, a negative or
zero amount, a month after this one, a month already paid (stored, or twice
in the file), an unknown column — each is reported by row and column, and
nothing is written.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpResponse
from django.utils import timezone
from django.utils.http import content_disposition_header
from openpyxl import Workbook

from xingji.accounts.access import access_organization
from xingji.accounts.models import Actor
from xingji.common import tablereader
from xingji.common.exports import XLSX_TYPE, saved_bytes, write_table, xlsx_response
from xingji.common.imports import Importer
from xingji.common.tablereader import Table
from xingji.common.tabular import RowError, TableErrors
from xingji.dues.models import DuesPayment
from xingji.dues.selectors import OrganizationTotals
from xingji.dues.services import PaymentRow, dues_payments_import
from xingji.orgs.lookup import lookup_texts, match_organizations
from xingji.orgs.models import Member, Organization
from xingji.records.spreadsheets import WORDING, BadValue, cell_date, cell_text
from xingji.rules.numbers import parse_decimal

MAX_ROWS = 10_000
NAME, ORGANIZATION, MONTH, AMOUNT, PAID_ON = "姓名", "党组织", "月份", "金额", "缴纳日期"
COLUMNS = [
    tablereader.Column("name", NAME, ("党员姓名", "户名", "缴款人"), required=True),
    tablereader.Column("organization", ORGANIZATION, ("组织编号", "党组织名称", "所在党组织")),
    tablereader.Column("month", MONTH, ("所属月份", "党费月份", "缴费月份"), required=True),
    tablereader.Column("amount", AMOUNT, ("党费金额", "交易金额", "缴费金额", "金额（元）"), required=True),
    tablereader.Column("paid_on", PAID_ON, ("交易日期", "缴费日期", "入账日期")),
]
HELP = {
    NAME: "党员姓名，须与党员名册一致",
    ORGANIZATION: "选填：组织编号或党组织全称，同名党员须填写",
    MONTH: "党费所属月份，如 2025-03 或 2025年3月",
    AMOUNT: "金额（元），须大于零",
    PAID_ON: "选填：缴纳日期，如 2025-03-15，空白为今天",
}
IGNORED = {tablereader.header_key(name) for name in ("序号", "备注", "摘要", "账号")}


def parse_month(value: Any) -> date:
    """A month cell: a date (its month), ``2025-03``, ``2025/3``, ``2025.03`` or ``2025年3月``."""
    if isinstance(value, datetime):
        return value.date().replace(day=1)
    if isinstance(value, date):
        return value.replace(day=1)
    text = cell_text(value).replace("年", "-").replace("月", "").replace("/", "-").replace(".", "-").strip("-")
    parts = text.split("-")
    try:
        if len(parts) in (2, 3):
            return date(int(parts[0]), int(parts[1]), 1)
    except ValueError:
        pass
    raise BadValue(f"“{cell_text(value)}”不是有效的月份，应如 2025-03")


def parse_amount(value: Any) -> Decimal:
    try:
        amount = parse_decimal(value)
    except ValueError as error:
        raise BadValue(f"金额{error}") from None
    if amount <= 0:
        raise BadValue("金额须大于零" if amount == 0 else f"金额不能为负数（{cell_text(value)}）")
    if amount != amount.quantize(Decimal("0.01")):
        raise BadValue(f"金额“{amount}”最多两位小数")
    return amount


class _RowParser:
    """Parses the rows of one sheet, every name and organization looked up at once."""

    def __init__(self, table: Table, organization: Organization) -> None:
        subtree = Organization.objects.filter(path__startswith=organization.path)
        self.organizations = match_organizations(lookup_texts(table.column("organization")), subtree)
        names = {cell_text(value) for value in table.column("name")} - {""}
        self.members: dict[str, list[Member]] = defaultdict(list)
        for member in Member.objects.filter(organization__in=subtree, name__in=names).select_related("organization"):
            self.members[member.name].append(member)
        self.today = timezone.localdate()

    def __call__(
        self, number: int, values: Mapping[str, Any], headers: Mapping[str, str], errors: list[RowError]
    ) -> PaymentRow | None:
        found: list[RowError] = []
        parsed: dict[str, Any] = {}
        for key, parse in (("month", self._month), ("amount", parse_amount), ("paid_on", self._paid_on)):
            try:
                parsed[key] = parse(values.get(key))
            except BadValue as error:
                found.append(RowError(number, headers[key], str(error)))
        try:
            parsed["member"] = self._member(values)
        except BadValue as error:
            found.append(RowError(number, headers["name"], str(error)))
        if found:
            errors.extend(found)
            return None
        return PaymentRow(number=number, **parsed)

    def _month(self, value: Any) -> date:
        if cell_text(value) == "":
            raise BadValue("必填，不能为空")
        month = parse_month(value)
        if month > self.today.replace(day=1):
            raise BadValue(f"{month.year}年{month.month}月还未到，不能晚于本月")
        return month

    def _paid_on(self, value: Any) -> date:
        if cell_text(value) == "":
            return self.today
        day = cell_date(value, example="2025-03-15")
        if day > self.today:
            raise BadValue("缴纳日期不能晚于今天")
        return day

    def _member(self, values: Mapping[str, Any]) -> Member:
        name = cell_text(values.get("name"))
        if not name:
            raise BadValue("必填，不能为空")
        candidates = self.members.get(name, [])
        where = cell_text(values.get("organization")) if "organization" in values else ""
        if where:
            organization = self.organizations.resolve(where)
            if organization is None:
                raise BadValue(self.organizations.problem(where, f"找不到党组织“{where}”") or "")
            candidates = [member for member in candidates if member.organization_id == organization.pk]
        if not candidates:
            return self._unmatched(name, where)
        if len(candidates) > 1:
            raise BadValue(f"有 {len(candidates)} 名党员叫“{name}”，请在“{ORGANIZATION}”列填写其组织编号")
        return candidates[0]

    def _unmatched(self, name: str, where: str) -> Member:
        place = f"“{where}”" if where else "本组织及下级组织"
        raise BadValue(f"{place}的党员名册中没有“{name}”")


def _month_key(row: PaymentRow) -> tuple[int, date]:
    return (row.member.pk, row.month)


IMPORTER: Importer[PaymentRow] = Importer.of_columns(
    COLUMNS,
    row_key=_month_key,
    row_key_column="month",
    ignored=IGNORED,
    wording=WORDING,
    max_rows=MAX_ROWS,
)


def _already_paid(rows: list[tuple[int, PaymentRow]]) -> list[RowError]:
    if not rows:
        return []
    stored = set(
        DuesPayment.objects.filter(
            member_id__in={row.member.pk for _, row in rows}, month__in={row.month for _, row in rows}
        ).values_list("member_id", "month")
    )
    return [
        RowError(number, MONTH, f"{row.member.name}{row.month.year}年{row.month.month}月的党费已缴纳")
        for number, row in rows
        if _month_key(row) in stored
    ]


def import_payments(*, organization: Organization, content: bytes, actor: Actor, filename: str = "") -> int:
    """Import every row of the bank's sheet or none; the number of payments written, or ``TableErrors``.

    ``Http404`` for an organization outside the actor's subtree, ``ActionForbidden`` for a read-only role,
    before the file is read (and again, per member, when the rows are written).
    """
    access_organization(actor, organization.pk, write=True)

    def write(rows: list[PaymentRow]) -> int:
        try:
            return len(dues_payments_import(rows=rows, actor=actor))
        except ValidationError as error:
            raise TableErrors([RowError(None, "", message) for message in error.messages]) from None
        except (Http404, PermissionDenied) as refusal:
            raise TableErrors([RowError(None, ORGANIZATION, str(refusal) or "无权登记该党组织的党费")]) from None

    return IMPORTER.run(
        content, filename, write, check=_already_paid, prepare=lambda table: _RowParser(table, organization)
    )


def render_template(organization: Organization) -> bytes:
    """The import's headers alone on the first sheet, and a 填写说明 sheet: a note per column and an example.

    Nothing but the header on the data sheet: notes or an example there would be read as rows by an office
    that fills in the rows below the header.
    """
    workbook = Workbook(write_only=True)
    write_table(workbook.create_sheet("党费缴纳明细"), list(HELP), [])
    required = {column.header for column in COLUMNS if column.required}
    notes = [[header, "必填" if header in required else "选填", HELP[header]] for header in HELP]
    notes.append([])
    notes.append(
        [
            "说明",
            "",
            "第1行为表头，从第2行起每行一笔党费。"
            "整个文件全部正确才会导入；有任何错误时不导入任何一行，并逐行列出错误。",
        ]
    )
    notes.append(["示例", "", f"张三｜{organization.code}｜2025-03｜40.00｜2025-03-15"])
    write_table(workbook.create_sheet("填写说明"), ["列名", "是否必填", "说明"], notes, widths=[12, 10, 60])
    return saved_bytes(workbook)


def template_response(organization: Organization) -> HttpResponse:
    """The template (:func:`render_template`) as a download."""
    response = HttpResponse(render_template(organization), content_type=XLSX_TYPE)
    filename = f"党费缴纳明细-导入模板-{organization.code}.xlsx"
    response["Content-Disposition"] = content_disposition_header(True, filename) or "attachment"
    return response


EXPORT_HEADERS = [
    "组织编号",
    "党组织",
    "党员数",
    "本年应交（元）",
    "本年实交（元）",
    "欠缴人数",
    "连续欠缴满3个月",
    "连续欠缴满6个月",
    "欠缴金额（元）",
    "其中本组织党员实交（元）",
]


def export_rows(entries: Iterable[OrganizationTotals]) -> Iterable[list[object]]:
    for entry in entries:
        totals = entry.subtree
        yield [
            entry.organization.code,
            "\u3000" * (entry.organization.depth - 1) + entry.organization.name,
            totals.members,
            totals.due,
            totals.paid,
            totals.in_arrears,
            totals.warned,
            totals.flagged,
            totals.owed,
            entry.own.paid,
        ]


def export_response(entries: list[OrganizationTotals], *, year: int, today: date) -> HttpResponse:
    return xlsx_response(
        f"党费收缴汇总-{year}.xlsx",
        f"{year}年党费",
        EXPORT_HEADERS,
        export_rows(entries),
        notes=[
            f"{year}年党费收缴汇总，截至{today:%Y年%m月%d日}；各行含下级党组织合计。",
            "应交按现行月交额计算至上月；欠缴自各党员起缴月份起计算。",
        ],
    )
