"""The export in the shape of the national Party member information system (全国党员管理信息系统).

The data items of that system's organization (党组织信息) and member (党员信息)
records, as far as xingji keeps them, under their Chinese names, so that a
branch's data is handed upward once (JSON from ``/api/v1/export/national``,
the same tables as two sheets of an XLSX from ``/api/v1/export/national.xlsx``).

Items the national system collects that xingji does not keep, on purpose
(least personal data) or because no work here needs them, are listed in
``NOT_KEPT`` and left to the receiving system: ID-card number, ethnicity,
education, birth month and day, household address, job.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from typing import Any

from django.utils import timezone
from openpyxl import Workbook

from xingji.accounts.models import User
from xingji.api import selectors
from xingji.common.exports import saved_bytes, write_table
from xingji.orgs.models import Election, Gender, LeadershipPosition, MemberStatus, Organization, mask_phone

ORGANIZATION_ITEMS = (
    ("organization_code", "组织编码"),
    ("name", "党组织名称"),
    ("org_type", "党组织类别"),
    ("category", "单位类别"),
    ("parent_code", "上级党组织编码"),
    ("parent_name", "上级党组织名称"),
    ("founded", "成立日期"),
    ("last_election", "本届换届日期"),
    ("term_years", "任期（年）"),
    ("term_ends", "本届届满日期"),
    ("member_count", "党员人数"),
    ("is_active", "是否有效"),
)
MEMBER_ITEMS = (
    ("name", "姓名"),
    ("gender", "性别"),
    ("birth_year", "出生年份"),
    ("joined", "入党日期"),
    ("status", "人员类别"),
    ("organization_code", "所在党支部编码"),
    ("organization_name", "所在党支部"),
    ("leadership_position", "党内职务"),
    ("phone", "联系电话"),
)
NOT_KEPT = ("公民身份号码", "民族", "学历", "出生日期（月、日）", "户籍所在地", "工作岗位")


def organization_rows(user: User, under: int | None) -> list[dict[str, Any]]:
    organizations = list(selectors.organizations(user, under).order_by("path"))
    step = Organization.steplen
    parents = {
        item.path: item
        for item in Organization.objects.filter(
            path__in={item.path[:-step] for item in organizations if item.depth > 1}
        )
    }
    elections = {item.organization_id: item for item in Election.objects.filter(organization__in=organizations)}
    rows = []
    for item in organizations:
        parent = parents.get(item.path[:-step]) if item.depth > 1 else None
        election = elections.get(item.pk)
        rows.append(
            {
                "organization_code": item.code,
                "name": item.name,
                "org_type": item.get_org_type_display(),
                "category": item.category,
                "parent_code": parent.code if parent else "",
                "parent_name": parent.name if parent else "",
                "founded": item.founded,
                "last_election": election.last_election if election else None,
                "term_years": election.term_years if election else None,
                "term_ends": election.due_date if election else None,
                "member_count": item.own_members,
                "is_active": "是" if item.is_active else "否",
            }
        )
    return rows


def member_rows(user: User, under: int | None, *, personal: bool) -> list[dict[str, Any]]:
    genders, statuses, positions = dict(Gender.choices), dict(MemberStatus.choices), dict(LeadershipPosition.choices)
    members = selectors.members(user, under).select_related("organization").order_by("organization__path", "id")
    return [
        {
            "name": item.name,
            "gender": genders.get(item.gender, item.gender),
            "birth_year": item.birth_year,
            "joined": item.joined,
            "status": statuses.get(item.status, item.status),
            "organization_code": item.organization.code,
            "organization_name": item.organization.name,
            "leadership_position": "" if item.leadership_position == "none" else positions[item.leadership_position],
            "phone": item.phone if personal else mask_phone(item.phone),
        }
        for item in members
    ]


def _labelled(rows: Sequence[dict[str, Any]], items: Sequence[tuple[str, str]]) -> list[dict[str, Any]]:
    return [
        {
            label: value.isoformat() if isinstance(value, date) else value
            for (key, label), value in ((item, row[item[0]]) for item in items)
        }
        for row in rows
    ]


def national_document(user: User, under: int | None, *, personal: bool) -> dict[str, Any]:
    """Both tables with the national system's item names as keys, and what was not exported."""
    return {
        "exported_on": timezone.localdate().isoformat(),
        "organizations": _labelled(organization_rows(user, under), ORGANIZATION_ITEMS),
        "members": _labelled(member_rows(user, under, personal=personal), MEMBER_ITEMS),
        "not_kept": list(NOT_KEPT),
    }


def national_workbook(user: User, under: int | None, *, personal: bool) -> bytes:
    workbook = Workbook(write_only=True)
    for title, rows, items in (
        ("党组织信息", organization_rows(user, under), ORGANIZATION_ITEMS),
        ("党员信息", member_rows(user, under, personal=personal), MEMBER_ITEMS),
    ):
        sheet = workbook.create_sheet(title)
        write_table(sheet, [label for _, label in items], ([row[key] for key, _ in items] for row in rows))
    return saved_bytes(workbook)
