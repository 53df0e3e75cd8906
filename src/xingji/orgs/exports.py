"""Exporting organizations and members to Excel, in the columns of the import templates.

An export can be imported again as it is (``xingji.orgs.imports``): the same
headers, choices written as their Chinese labels, dates as date cells, codes
and phones as text. A second sheet, 导出信息, records when the file was made,
how many rows it holds, whether phones are complete, and the audit chain's
head hash at that moment (the design asks for it on every export); the
importer skips that sheet.

The functions take querysets the caller has already scoped through
``xingji.accounts.access`` / ``xingji.orgs.selectors``; they export what
they are given, in its order, streaming rows (openpyxl write-only mode), so
that 100,000 members export in one pass without holding them as objects.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

from django.db.models import QuerySet
from django.utils import timezone

from xingji.audit.chain import head_hash
from xingji.common.exports import saved_bytes, write_table
from xingji.orgs.imports import (
    MEMBER_COLUMNS,
    MEMBERS_SHEET,
    ORGANIZATION_COLUMNS,
    ORGANIZATIONS_SHEET,
    QUERY_CHUNK,
    Column,
)
from xingji.orgs.models import (
    Gender,
    LeadershipPosition,
    Member,
    MemberStatus,
    Organization,
    OrganizationType,
    mask_phone,
)

INFO_SHEET = "导出信息"
CHUNK_SIZE = 5000


def export_organizations(
    queryset: QuerySet[Organization], *, user_scope: QuerySet[Organization] | None = None
) -> bytes:
    """The organizations of ``queryset`` as an .xlsx in the import template's columns.

    The parent's code (上级组织编号) is written when the parent lies inside
    ``user_scope`` (the exporting user's ``visible_organizations``), and left
    blank otherwise, so that an export shows nothing above the user's node;
    ``None``: always written.
    """
    organizations = list(queryset.iterator(chunk_size=CHUNK_SIZE))
    steplen = Organization.steplen
    parent_paths = {organization.path[:-steplen] for organization in organizations if organization.depth > 1}
    parents = Organization.objects.all() if user_scope is None else user_scope
    code_of_path: dict[str, str] = {}
    for chunk in _chunks(sorted(parent_paths)):
        code_of_path.update(parents.filter(path__in=chunk).values_list("path", "code"))

    type_labels = dict(OrganizationType.choices)
    rows = (
        [
            organization.code,
            organization.name,
            type_labels.get(organization.org_type, organization.org_type),
            organization.category,
            code_of_path.get(organization.path[:-steplen], "") if organization.depth > 1 else "",
            organization.founded,
            "是" if organization.is_active else "否",
        ]
        for organization in organizations
    )
    return _workbook(ORGANIZATIONS_SHEET, ORGANIZATION_COLUMNS, rows, info=[])


def export_members(queryset: QuerySet[Member], *, reveal_phone: bool = False) -> bytes:
    """The members of ``queryset`` as an .xlsx in the import template's columns.

    Phones are masked (``138****5678``) unless ``reveal_phone`` is true; a
    masked export re-imported is refused row by row with a clear message,
    so use ``reveal_phone=True`` for an export meant to be imported again,
    and only for a user entitled to the full numbers.
    """
    gender_labels = dict(Gender.choices)
    status_labels = dict(MemberStatus.choices)
    position_labels = dict(LeadershipPosition.choices)
    position_labels[LeadershipPosition.NONE] = ""
    values = queryset.values_list(
        "organization__code",
        "organization__name",
        "name",
        "gender",
        "birth_year",
        "joined",
        "status",
        "leadership_position",
        "phone",
    ).iterator(chunk_size=CHUNK_SIZE)
    rows = (
        [
            code,
            organization_name,
            name,
            gender_labels.get(gender, gender),
            birth_year,
            joined,
            status_labels.get(status, status),
            position_labels.get(position, position),
            phone if reveal_phone else mask_phone(phone),
        ]
        for code, organization_name, name, gender, birth_year, joined, status, position, phone in values
    )
    phones = "完整号码" if reveal_phone else "已隐藏中间位（不能直接再导入，需要再导入时请导出完整号码）"
    return _workbook(MEMBERS_SHEET, MEMBER_COLUMNS, rows, info=[("联系电话", phones)])


def _chunks(values: Sequence[Any], size: int = QUERY_CHUNK) -> Iterable[Sequence[Any]]:
    for start in range(0, len(values), size):
        yield values[start : start + size]


def _workbook(title: str, columns: Sequence[Column], rows: Iterable[list[Any]], info: list[tuple[str, str]]) -> bytes:
    from openpyxl import Workbook
    from openpyxl.cell import WriteOnlyCell
    from openpyxl.styles import Font

    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet(title)
    header = []
    for column in columns:
        cell = WriteOnlyCell(sheet, value=column.header)
        cell.font = Font(bold=True, color="C00000" if column.required else "000000")
        header.append(cell)
    count = write_table(sheet, header, rows, widths=[column.width for column in columns])

    info_sheet = workbook.create_sheet(INFO_SHEET)
    info_sheet.column_dimensions["A"].width = 16
    info_sheet.column_dimensions["B"].width = 70
    exported_at = timezone.localtime().strftime("%Y-%m-%d %H:%M:%S")
    for label, value in [("导出时间", exported_at), ("记录数", count), *info, ("审计链头哈希", head_hash())]:
        info_sheet.append([label, value])
    return saved_bytes(workbook)
