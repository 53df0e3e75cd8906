"""Excel: the export reads back, the template has the import's headers, the import is all or nothing."""

from __future__ import annotations

import io
from datetime import date, datetime

import pytest
from openpyxl import Workbook, load_workbook

from tests.records.factories import CommendationFactory, DisciplinaryActionFactory
from xingji.accounts.access import visible_organizations
from xingji.audit.models import AuditEntry
from xingji.records.kinds import KINDS
from xingji.records.models import Absence, Commendation, DisciplinaryAction, Severity
from xingji.records.selectors import record_list
from xingji.records.spreadsheets import (
    ImportRefused,
    RowError,
    export_headers,
    export_rows,
    import_records,
    render_template,
)

COMMENDATION_HEADERS = ["组织编号", "党组织名称", "日期", "类型", "对象", "级别", "名称", "颁发机关或刊发媒体", "文号"]


def workbook_bytes(rows: list[list]) -> bytes:
    workbook = Workbook()
    for row in rows:
        workbook.active.append(row)
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def commendation_row(code="FIN-1", title="先进基层党组织", level="市级", day="2025-07-01") -> list:
    return [code, "", day, "表彰", "党组织", level, title, "中共安阳市委", "安发〔2025〕1号"]


def run_import(user, kind_slug: str, rows: list[list]) -> int:
    return import_records(
        kind=KINDS[kind_slug], content=workbook_bytes(rows), organizations=visible_organizations(user), actor=user
    )


def refused(user, kind_slug: str, rows: list[list]) -> list[tuple]:
    with pytest.raises(ImportRefused) as caught:
        run_import(user, kind_slug, rows)
    return [(error.row, error.column, error.message) for error in caught.value.errors]


def test_it_imports_every_row_with_one_audit_entry_each(tree, reviewer):
    rows = [
        COMMENDATION_HEADERS,
        commendation_row("FIN-1", "先进基层党组织", "市级", "2025-07-01"),
        [
            "FIN-2",
            "财政局第二支部",
            datetime(2025, 3, 8),  # noqa: DTZ001 - Excel has no time zone
            "署名文章",
            "书记",
            "province",
            "论机关党建",
            "河南日报",
            None,
        ],
    ]

    created = run_import(reviewer, "commendations", rows)

    assert created == 2
    records = list(Commendation.objects.order_by("organization__code"))
    assert [
        (r.organization.code, r.date, r.kind, r.recipient, r.level, r.title, r.issuer, r.document_number)
        for r in records
    ] == [
        (
            "FIN-1",
            date(2025, 7, 1),
            "commendation",
            "organization",
            "city",
            "先进基层党组织",
            "中共安阳市委",
            "安发〔2025〕1号",
        ),
        ("FIN-2", date(2025, 3, 8), "signed_article", "secretary", "province", "论机关党建", "河南日报", ""),
    ]
    assert [entry.action for entry in AuditEntry.objects.all()] == ["commendation.created"] * 2


def test_it_reads_yes_no_columns_and_english_headers(tree, reviewer):
    # absences are entered by the branch's superior (the branch cannot record its own deductions)
    rows = [
        ["organization", "date", "kind", "description", "is_excused", "excuse_reason"],
        ["FIN-1", "2025/4/1", "培训", "党务干部培训", "是", "住院"],
        ["FIN-1", "2025年4月2日", "工作任务", "报送党费台账", None, None],
    ]

    run_import(reviewer, "absences", rows)

    assert sorted(Absence.objects.values_list("date", "kind", "is_excused", "excuse_reason")) == [
        (date(2025, 4, 1), "training", True, "住院"),
        (date(2025, 4, 2), "task", False, ""),
    ]


def test_it_refuses_an_unknown_or_missing_column_and_writes_nothing(tree, reviewer):
    rows = [["组织编号", "日期", "类型", "对象", "等级", "名称", "颁发机关或刊发媒体"], commendation_row()]

    errors = refused(reviewer, "commendations", rows)

    assert errors == [(1, "等级", "未知的列，请按模板填写表头"), (1, "级别", "缺少必填列")]
    assert (Commendation.objects.count(), AuditEntry.objects.count()) == (0, 0)


def test_it_lists_every_bad_row_and_writes_nothing(tree, reviewer):
    rows = [
        COMMENDATION_HEADERS,
        commendation_row("FIN-1", "甲"),  # row 2: fine
        commendation_row("FIN-1", "乙", level="区级"),  # row 3: bad level
        commendation_row("FIN-2", "丙", day="2025-13-01"),  # row 4: bad date
        commendation_row("FIN-1", "甲"),  # row 5: same as row 2
        commendation_row("NOPE-9", "丁"),  # row 6: unknown code
        commendation_row("EDU-1", "戊"),  # row 7: outside the reviewer's subtree
        commendation_row("FIN-2", "", day="2099-01-01"),  # row 8: no title, date in the future
    ]

    errors = refused(reviewer, "commendations", rows)

    assert errors == [
        (3, "级别", "“区级”不是有效的级别，可填：市级、省级、国家级"),
        (4, "日期", "“2025-13-01”不是有效的日期，应如 2025-03-01"),
        (5, "", "与第2行重复"),
        (6, "组织编号", "找不到编号为“NOPE-9”的党组织"),
        (7, "组织编号", "找不到编号为“EDU-1”的党组织"),
        (8, "名称", "必填，不能为空"),
    ]
    assert (Commendation.objects.count(), AuditEntry.objects.count()) == (0, 0)


def test_it_reports_model_validation_per_column(tree, secretary):
    rows = [
        ["组织编号", "日期", "类型", "事项", "有正当理由", "请假或延期事由"],
        ["FIN-1", "2099-01-01", "会议", "季度会议", "否", ""],
        ["FIN-1", "2025-01-02", "会议", "季度会议", "是", ""],
        ["FIN-1", "2025-01-03", "会议", "季度会议", "也许", ""],
    ]

    errors = refused(secretary, "absences", rows)

    assert errors == [
        (2, "日期", "日期不能晚于今天"),
        (3, "请假或延期事由", "有正当理由时应填写请假或延期事由"),
        (4, "有正当理由", "“也许”应填“是”或“否”"),
    ]
    assert Absence.objects.count() == 0


def test_it_refuses_a_row_already_stored(tree, secretary):
    CommendationFactory(
        organization=tree.finance_1,
        date=date(2025, 7, 1),
        kind="commendation",
        recipient="organization",
        level="city",
        title="先进基层党组织",
        issuer="中共安阳市委",
        document_number="安发〔2025〕1号",
    )

    errors = refused(secretary, "commendations", [COMMENDATION_HEADERS, commendation_row()])

    assert errors == [(2, "", "与已有的一条记录完全相同")]
    assert (Commendation.objects.count(), AuditEntry.objects.count()) == (1, 0)


def test_it_refuses_a_file_that_is_not_a_workbook(tree, secretary):
    with pytest.raises(ImportRefused) as caught:
        import_records(
            kind=KINDS["commendations"],
            content=b"%PDF-1.7 not a workbook",
            organizations=visible_organizations(secretary),
            actor=secretary,
        )

    assert caught.value.errors == [
        RowError(None, "", "文件不是有效的 Excel（.xlsx）文件，也不是 .xls、.ods 或 CSV 文件")
    ]


def test_it_refuses_a_file_without_data_rows(tree, secretary):
    with pytest.raises(ImportRefused) as caught:
        run_import(secretary, "commendations", [COMMENDATION_HEADERS])

    assert caught.value.errors == [RowError(None, "", "文件中没有数据行")]


def test_it_exports_what_the_list_shows_and_reads_back(tree, reviewer):
    CommendationFactory(
        organization=tree.finance_1,
        date=date(2025, 7, 1),
        title='=HYPERLINK("x")',
        level="national",
        document_number="",
    )
    DisciplinaryActionFactory(
        organization=tree.finance_2,
        member_name="张某",
        is_leadership=True,
        severity=Severity.REMOVAL_FROM_POST,
        date=date(2025, 2, 3),
    )
    kind = KINDS["commendations"]
    records = record_list(user=reviewer, model=Commendation)

    rows = [export_headers(kind), *export_rows(kind, records)]

    assert rows == [
        [*COMMENDATION_HEADERS, "附件数"],
        [
            "FIN-1",
            "财政局第一支部",
            date(2025, 7, 1),
            "表彰",
            "党组织",
            "国家级",
            '=HYPERLINK("x")',
            "中共安阳市委",
            "",
            0,
        ],
    ]
    discipline = KINDS["discipline"]
    assert [*export_rows(discipline, record_list(user=reviewer, model=DisciplinaryAction))] == [
        [
            "FIN-2",
            "财政局第二支部",
            date(2025, 2, 3),
            "张某",
            "是",
            "撤销党内职务",
            "",
            "违反工作纪律",
            "班子成员撤销党内职务以上",
            0,
        ],
    ]


def test_it_writes_a_template_with_the_import_headers(tree):
    for kind in KINDS.values():
        sheets = load_workbook(io.BytesIO(render_template(kind)))

        headers = [cell.value for cell in sheets.worksheets[0][1]]
        assert headers == export_headers(kind)[: len(headers)]
        assert sheets.sheetnames == [kind.label, "填写说明"]
        assert sheets.worksheets[0].max_row == 1


def test_it_imports_its_own_template_once_filled(tree, reviewer):
    template = load_workbook(io.BytesIO(render_template(KINDS["discipline"])))
    sheet = template.worksheets[0]
    assert [cell.value for cell in sheet[1]] == [
        "组织编号",
        "党组织名称",
        "日期",
        "受处分人",
        "班子成员",
        "处分",
        "文号",
        "事由",
    ]
    sheet.append(["FIN-1", "财政局第一支部", "2025-05-06", "孙某", "是", "严重警告", "", "违反中央八项规定精神"])
    buffer = io.BytesIO()
    template.save(buffer)

    import_records(
        kind=KINDS["discipline"],
        content=buffer.getvalue(),
        organizations=visible_organizations(reviewer),
        actor=reviewer,
    )

    action = DisciplinaryAction.objects.get()
    assert (action.member_name, action.is_leadership, action.severity, action.category) == (
        "孙某",
        True,
        "serious_warning",
        "light",
    )
