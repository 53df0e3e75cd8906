"""The ledger in Excel: the export read back, the round trip, and the all-or-nothing import."""

from __future__ import annotations

import io
from datetime import date, timedelta

import pytest
from openpyxl import Workbook, load_workbook

from tests.ledger.conftest import audit_count, closing_item, open_item
from xingji.accounts.access import visible_organizations
from xingji.ledger import services, spreadsheets
from xingji.ledger.models import ItemSource, ItemState, RectificationItem
from xingji.records.spreadsheets import ImportRefused

pytestmark = pytest.mark.django_db

FIELDS = (
    "organization_id",
    "problem",
    "source",
    "source_note",
    "target",
    "measures",
    "responsible",
    "deadline",
    "state",
    "closed_on",
)


def ledger_items(tree, secretary, reviewer):
    open_item(tree.finance_1, secretary, problem="自查问题")
    open_item(
        tree.finance_2, reviewer, source=ItemSource.INSPECTION, source_note="督导〔2026〕1号", problem='=HYPERLINK("x")'
    )
    item = closing_item(tree.finance_1, secretary, reviewer, source=ItemSource.CRITICISM, problem="通报问题")
    services.item_confirm_close(item=item, actor=reviewer)
    return list(RectificationItem.objects.select_related("organization").order_by("id"))


def rows_of(content: bytes) -> list[tuple]:
    sheet = load_workbook(io.BytesIO(content)).active
    return list(sheet.iter_rows(values_only=True))


def test_it_exports_the_office_layout(tree, secretary, reviewer, today):
    items = ledger_items(tree, secretary, reviewer)

    rows = rows_of(spreadsheets.export_ledger(items, title="整改台账（测试）"))

    assert rows[0][0] == "整改台账（测试）"
    assert list(rows[1]) == [
        "序号",
        "党组织",
        "存在问题",
        "问题来源",
        "来源说明",
        "整改目标",
        "整改措施",
        "责任人",
        "整改时限",
        "状态",
        "销账日期",
    ]
    assert rows[2][:4] == (1, "财政局第一支部（FIN-1）", "自查问题", "自查发现")
    assert rows[3][2:5] == ('=HYPERLINK("x")', "督导检查", "督导〔2026〕1号")
    assert rows[4][9] == "已销账" and rows[4][10].date() == today
    assert rows[2][8].date() == today + timedelta(days=30)


def test_the_formula_looking_text_stays_text(tree, secretary, reviewer):
    items = ledger_items(tree, secretary, reviewer)
    sheet = load_workbook(io.BytesIO(spreadsheets.export_ledger(items, title="t"))).active
    assert sheet["C4"].data_type == "s"


def test_an_exported_ledger_imports_again_as_the_same_items(tree, secretary, reviewer, office_user):
    items = ledger_items(tree, secretary, reviewer)
    content = spreadsheets.export_ledger(items, title="整改台账")
    expected = [tuple(getattr(item, name) for name in FIELDS) for item in items]
    RectificationItem.objects.all().delete()

    count = spreadsheets.import_items(
        content=content, organizations=visible_organizations(office_user), actor=office_user
    )

    assert count == 3
    imported = [tuple(getattr(item, name) for name in FIELDS) for item in RectificationItem.objects.order_by("id")]
    assert imported == expected


def test_the_template_imports_nothing_and_names_no_data_rows(office_user):
    with pytest.raises(ImportRefused) as refused:
        spreadsheets.import_items(
            content=spreadsheets.render_template(), organizations=visible_organizations(office_user), actor=office_user
        )
    assert [str(error) for error in refused.value.errors] == ["文件：文件中没有数据行"]


def sheet_with(rows: list[list], headers: list[str] | None = None) -> bytes:
    workbook = Workbook()
    sheet = workbook.active
    sheet.append(["整改台账"])
    sheet.append(headers or spreadsheets.HEADERS)
    for row in rows:
        sheet.append(row)
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def row(organization="FIN-1", problem="问题", source="自查发现", deadline="2030-06-30", state="", closed_on=None):
    return [1, organization, problem, source, "", "目标", "措施", "张三", deadline, state, closed_on]


def refused_errors(content: bytes, actor) -> list[str]:
    before = (RectificationItem.objects.count(), audit_count())
    with pytest.raises(ImportRefused) as refused:
        spreadsheets.import_items(content=content, organizations=visible_organizations(actor), actor=actor)
    assert (RectificationItem.objects.count(), audit_count()) == before
    return [str(error) for error in refused.value.errors]


def test_it_imports_a_bare_code_and_the_secretary_s_self_found_items(tree, secretary):
    count = spreadsheets.import_items(
        content=sheet_with([row(), row(problem="第二个")]),
        organizations=visible_organizations(secretary),
        actor=secretary,
    )
    assert count == 2
    assert set(RectificationItem.objects.values_list("state", "opened_by_superior")) == {(ItemState.OPEN, False)}


def test_it_refuses_a_wrong_column(office_user):
    headers = [*spreadsheets.HEADERS[:-1], "备注"]
    assert refused_errors(sheet_with([row()], headers), office_user) == ["第2行“备注”列：未知的列，请按模板填写表头"]


def test_it_refuses_a_missing_required_column(office_user):
    headers = [header if header != "整改时限" else "" for header in spreadsheets.HEADERS]
    assert refused_errors(sheet_with([row()], headers), office_user) == ["第2行“整改时限”列：缺少必填列"]


def test_it_names_every_bad_row_and_writes_nothing(tree, office_user, secretary):
    content = sheet_with(
        [
            row(),
            row(deadline="2030-02-30"),
            row(organization="NOPE"),
            row(source="道听途说"),
            row(organization="财政局第二支部（FIN-2）", state="待确认销账"),
            row(state="已销账"),
            row(problem=""),
        ]
    )
    assert refused_errors(content, office_user) == [
        "第4行“整改时限”列：“2030-02-30”不是有效的日期，应如 2026-06-30",
        "第5行“党组织”列：找不到编号为“NOPE”的党组织",
        "第6行“问题来源”列：“道听途说”不是有效的问题来源，可填：自查发现、复检核星、督导检查、公示异议、通报批评",
        "第7行“状态”列：待确认销账的事项不能导入，请按“整改中”导入后在平台上申请销账",
        "第8行“销账日期”列：已销账的事项须填写销账日期",
        "第9行“存在问题”列：必填，不能为空",
    ]


def test_it_answers_an_organization_outside_the_subtree_like_an_unknown_one(tree, secretary):
    assert refused_errors(sheet_with([row(), row(organization="FIN-2")]), secretary) == [
        "第4行“党组织”列：找不到编号为“FIN-2”的党组织"
    ]


def test_it_refuses_the_secretary_other_sources_and_closed_rows(tree, secretary):
    content = sheet_with([row(source="督导检查"), row(state="已销账", closed_on=date(2026, 1, 5))])
    assert refused_errors(content, secretary) == [
        "第3行“问题来源”列：“财政局第一支部”只能登记自查发现的问题",
        "第4行“状态”列：只有上级党组织可以导入已销账的事项",
    ]


def test_it_refuses_duplicate_rows_and_items_already_stored(tree, secretary, office_user):
    open_item(tree.finance_1, secretary, problem="已登记", days=30)
    stored = RectificationItem.objects.get()
    content = sheet_with([row(), row(), row(problem="已登记", deadline=stored.deadline.isoformat())])
    assert refused_errors(content, office_user) == [
        "第4行：与第3行重复",
        "第5行：台账中已有相同的整改事项（党组织、问题、来源和时限都相同）",
    ]


def test_it_refuses_a_file_that_is_not_excel(office_user):
    # Text without a name reads as a CSV, which has no header row here.
    assert refused_errors(b"not a workbook", office_user) == [
        "文件：找不到表头：第2行应为“序号、党组织、存在问题、问题来源、来源说明、整改目标、整改措施、责任人、整改时限、状态、销账日期”"
    ]
    assert refused_errors(b"%PDF-1.7 not a workbook", office_user) == [
        "文件：文件不是有效的 Excel（.xlsx）文件，也不是 .xls、.ods 或 CSV 文件"
    ]
