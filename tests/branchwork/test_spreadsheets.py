"""Meetings from Excel: one row per meeting, every error named by row and column, nothing written on any error."""

from __future__ import annotations

import io
from datetime import date, timedelta

import pytest
from openpyxl import Workbook, load_workbook

from xingji.accounts.access import visible_organizations
from xingji.audit.models import AuditEntry
from xingji.branchwork import spreadsheets
from xingji.branchwork.models import Meeting
from xingji.records.spreadsheets import ImportRefused

pytestmark = pytest.mark.django_db

HEADERS = ["组织编号或名称", "会议类型", "日期", "地点", "主持人", "主题"]


def xlsx(rows, *, headers=HEADERS) -> bytes:
    workbook = Workbook()
    sheet = workbook.active
    sheet.append(headers)
    for row in rows:
        sheet.append(list(row))
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def run(user, rows, **options):
    return spreadsheets.import_meetings(
        content=xlsx(rows, **options), organizations=visible_organizations(user), actor=user, filename="会议.xlsx"
    )


def errors_of(user, rows, **options):
    with pytest.raises(ImportRefused) as refused:
        run(user, rows, **options)
    return [(error.row, error.column, error.message) for error in refused.value.errors]


def test_it_imports_one_meeting_per_row_by_code_or_name(tree, reviewer):
    count = run(
        reviewer,
        [
            ["FIN-1", "支部委员会", date(2026, 1, 8), "会议室", "张伟", "研究一月工作"],
            ["财政局第二支部", "党课", "2026-02-10", "会议室", "王芳", "学习党章"],
            ["财政局第一支部（FIN-1）", "主题党日", "2026年3月5日", "社区", "张伟", "志愿服务"],
        ],
    )
    assert count == 3
    assert list(Meeting.objects.order_by("held_on").values_list("organization__code", "kind", "held_on")) == [
        ("FIN-1", "committee", date(2026, 1, 8)),
        ("FIN-2", "party_lecture", date(2026, 2, 10)),
        ("FIN-1", "theme_day", date(2026, 3, 5)),
    ]
    assert AuditEntry.objects.filter(action="meeting.imported").count() == 3


def test_every_bad_row_is_named_and_nothing_is_written(tree, reviewer, today):
    future = today + timedelta(days=1)
    errors = errors_of(
        reviewer,
        [
            ["FIN-1", "支部委员会", date(2026, 1, 8), "会议室", "张伟", "好的一行"],
            ["FIN-1", "茶话会", date(2026, 1, 9), "会议室", "张伟", "类型不对"],
            ["FIN-1", "党课", future, "会议室", "张伟", "未来"],
            ["FIN-1", "党课", "2026-13-01", "会议室", "张伟", "日期错"],
            ["EDU-1", "党课", date(2026, 1, 9), "会议室", "张伟", "范围外"],
            ["FIN-1", "党课", date(2026, 1, 9), "", "张伟", "没有地点"],
            ["FIN", "党课", date(2026, 1, 9), "会议室", "张伟", "不是支部"],
            ["FIN-1", "支部委员会", date(2026, 1, 8), "会议室", "张伟", "好的一行"],
        ],
    )
    assert errors == [
        (
            3,
            "会议类型",
            "“茶话会”不是有效的会议类型，可填：支部党员大会、支部委员会、党小组会、党课、主题党日、组织生活会、民主评议党员",
        ),
        (4, "日期", f"日期 {future:%Y-%m-%d} 晚于今天，不能登记尚未召开的会议"),
        (5, "日期", "“2026-13-01”不是有效的日期，应如 2026-03-15"),
        (6, "组织编号或名称", "找不到编号为“EDU-1”的党组织"),
        (7, "地点", "必填，不能为空"),
        (8, "组织编号或名称", "“财政局机关党委”不是党支部：只有党支部（含联合党支部、临时党支部）登记组织生活会议"),
        (9, "", "与第2行重复"),
    ]
    assert not Meeting.objects.exists()
    assert not AuditEntry.objects.filter(action="meeting.imported").exists()


def test_a_secretary_imports_for_its_own_branch_only(tree, secretary):
    errors = errors_of(secretary, [["FIN-2", "党课", date(2026, 1, 9), "会议室", "张伟", "姊妹支部"]])
    assert errors == [(2, "组织编号或名称", "找不到编号为“FIN-2”的党组织")]
    assert run(secretary, [["FIN-1", "党课", date(2026, 1, 9), "会议室", "张伟", "本支部"]]) == 1


def test_the_inspector_imports_nothing(tree, inspector):
    errors = errors_of(inspector, [["FIN-1", "党课", date(2026, 1, 9), "会议室", "张伟", "督导"]])
    assert errors == [(2, "组织编号或名称", "“财政局第一支部”：只有本支部书记或上级党组织可以登记该支部的组织生活会议")]
    assert not Meeting.objects.exists()


def test_a_missing_column_is_named(tree, reviewer):
    errors = errors_of(reviewer, [["FIN-1", "党课", date(2026, 1, 9), "会议室", "张伟"]], headers=HEADERS[:5])
    assert errors == [(1, "主题", "缺少必填列")]


def test_the_template_has_the_columns_and_an_example_from_the_users_tree(tree, secretary):
    content = spreadsheets.render_template(organizations=visible_organizations(secretary))
    workbook = load_workbook(io.BytesIO(content))
    assert [cell.value for cell in workbook.active[1]] == [*HEADERS, "会议记录"]
    notes = [row for row in workbook["填写说明"].iter_rows(values_only=True)]
    assert notes[1][2].endswith("如“FIN-1”")
