"""Importing an existing star ledger (历史星级台账导入): the rows, the file, every refusal, who may."""

from __future__ import annotations

import io
from datetime import date, timedelta

import pytest
from django.utils import timezone
from openpyxl import Workbook, load_workbook

from tests.factories import OrganizationFactory, UserFactory
from xingji.accounts.models import Role
from xingji.audit.chain import check_chain
from xingji.audit.models import AuditEntry
from xingji.campaigns import ledger_import, services
from xingji.campaigns.ledger_import import LedgerRow, import_file, ledger_rows_import, parse_level
from xingji.campaigns.models import Evaluation, StarLedgerEntry
from xingji.campaigns.selectors import current_level, current_levels
from xingji.common.errors import ActionForbidden
from xingji.records.spreadsheets import ImportRefused

pytestmark = pytest.mark.django_db

HEADERS = ["党组织", "星级", "生效日期", "批准机关", "事由/文号"]
BODY = "中共安阳市直机关工委"
LAST_YEAR = date(2025, 12, 28)
YEAR_BEFORE = date(2024, 12, 28)


def xlsx(rows, *, headers=HEADERS, title="星级管理台账") -> bytes:
    workbook = Workbook()
    sheet = workbook.active
    if title:
        sheet.append([title])
    sheet.append(headers)
    for row in rows:
        sheet.append(list(row))
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def good_rows(tree):
    return [
        ("财政局第一支部（FIN-1）", "三星级", YEAR_BEFORE, BODY, "2024年度星级评定，安市直工〔2024〕30号"),
        ("FIN-2", 4, "2025-12-28", BODY, "2025年度星级评定"),
        ("财政局第一支部（FIN-1）", "五星级", LAST_YEAR, BODY, "2025年度星级评定，安市直工〔2025〕31号"),
        ("EDU-1", "无星级", "2025/12/28", BODY, "2025年度星级评定"),
    ]


def state():
    return (
        list(StarLedgerEntry.objects.values_list("organization_id", "level", "effective_on")),
        AuditEntry.objects.count(),
    )


def refused(content, actor, **kwargs):
    before = state()
    with pytest.raises(ImportRefused) as caught:
        import_file(content=content, actor=actor, **kwargs)
    assert state() == before, "a refused import writes nothing"
    return caught.value.errors


# --- a good file ---------------------------------------------------------------------------------


def test_a_good_file_writes_every_line_with_its_previous_level_and_audit_entry(tree, office_user):
    audits = AuditEntry.objects.count()

    entries = import_file(content=xlsx(good_rows(tree)), actor=office_user)

    assert len(entries) == 4
    lines = list(
        StarLedgerEntry.objects.order_by("organization_id", "effective_on", "id").values_list(
            "organization__code", "level", "level_name", "previous_level", "effective_on"
        )
    )
    assert lines == [
        ("FIN-1", 3, "三星级", None, YEAR_BEFORE),
        ("FIN-1", 5, "五星级", 3, LAST_YEAR),
        ("FIN-2", 4, "四星级", None, LAST_YEAR),
        ("EDU-1", 0, "不定星级", None, LAST_YEAR),
    ]
    entry = StarLedgerEntry.objects.get(organization=tree.finance_1, effective_on=LAST_YEAR)
    assert (entry.campaign, entry.evaluation, entry.approval) == (None, None, None)
    assert entry.approving_body == BODY
    assert entry.reason == "历史台账导入：2025年度星级评定，安市直工〔2025〕31号"
    assert entry.approver == office_user
    assert current_level(tree.finance_1) == 5
    assert current_levels([tree.finance_1.pk, tree.finance_2.pk, tree.education_1.pk, tree.root.pk]) == {
        tree.finance_1.pk: 5,
        tree.finance_2.pk: 4,
        tree.education_1.pk: 0,
    }
    imported = AuditEntry.objects.filter(action="star_ledger.imported").order_by("sequence")
    assert AuditEntry.objects.count() == audits + 4 == audits + imported.count()
    audit = imported.get(object_id=str(entry.pk))
    assert audit.actor == office_user
    assert audit.before == {"level": 3}
    assert audit.after["level"] == 5 and audit.after["effective_on"] == "2025-12-28"
    assert check_chain().is_intact


def test_a_later_import_continues_from_the_latest_line(tree, office_user):
    import_file(content=xlsx([("FIN-1", 2, YEAR_BEFORE, BODY, "2024年度")]), actor=office_user)

    import_file(content=xlsx([("FIN-1", "4星", LAST_YEAR, BODY, "2025年度")]), actor=office_user)

    entry = StarLedgerEntry.objects.get(organization=tree.finance_1, effective_on=LAST_YEAR)
    assert (entry.previous_level, entry.level, current_level(tree.finance_1)) == (2, 4, 4)


def test_the_header_may_be_the_first_row_and_a_superuser_imports_anywhere(tree, superuser):
    other = OrganizationFactory(name="另一工委", code="OTHER")

    import_file(content=xlsx([("OTHER", "1", LAST_YEAR, "另一工委", "2025年度")], title=None), actor=superuser)

    assert current_level(other) == 1


def test_an_opened_campaign_takes_the_imported_level_as_previous(tree, office_user, clock):
    ledger_rows_import(
        rows=[
            {
                "organization": tree.finance_1,
                "level": 4,
                "effective_on": LAST_YEAR,
                "approving_body": BODY,
                "reason": "2025年度星级评定",
            },
        ],
        actor=office_user,
    )

    campaign = services.campaign_create(root=tree.root, year=2026, kind="mid_year", actor=office_user)
    services.campaign_open(campaign=campaign, actor=office_user)

    evaluation = Evaluation.objects.get(campaign=campaign, organization=tree.finance_1)
    assert evaluation.previous_level == 4
    assert Evaluation.objects.get(campaign=campaign, organization=tree.finance_2).previous_level is None


@pytest.mark.parametrize(
    ("value", "level"),
    [
        (5, 5),
        (5.0, 5),
        ("5", 5),
        ("五星级", 5),
        ("五星", 5),
        ("3星级", 3),
        ("一星级", 1),
        (0, 0),
        ("无星级", 0),
        ("不定星级", 0),
        (" 四星级 ", 4),
    ],
)
def test_it_reads_a_level_as_a_number_or_a_name(value, level):
    assert parse_level(value) == level


@pytest.mark.parametrize("value", [6, -1, "六星级", "优秀", "3.5", True])
def test_it_refuses_a_level_the_scheme_does_not_have(value):
    with pytest.raises(ValueError, match="不是有效的星级"):
        parse_level(value)


def test_the_template_has_the_headers_the_import_reads(tree, office_user):
    workbook = load_workbook(io.BytesIO(ledger_import.render_template()))
    sheet = workbook.worksheets[0]
    assert [cell.value for cell in sheet[2]] == HEADERS
    assert "填写说明" in workbook.sheetnames
    # filled in, it imports
    sheet.append(["财政局第二支部（FIN-2）", "四星级", LAST_YEAR, BODY, "2025年度星级评定"])
    buffer = io.BytesIO()
    workbook.save(buffer)
    assert len(import_file(content=buffer.getvalue(), actor=office_user)) == 1


# --- every refusal, with nothing written ------------------------------------------------------------


def test_it_refuses_an_unknown_column_and_a_missing_one(tree, office_user):
    errors = refused(
        xlsx([("FIN-1", 3, LAST_YEAR, BODY)], headers=["党组织", "星级", "生效日期", "批准机关", "备注"]), office_user
    )
    assert {(error.row, error.column, error.message) for error in errors} == {
        (2, "备注", "未知的列，请按模板填写表头"),
        (2, "事由/文号", "缺少必填列"),
    }


def test_it_refuses_an_unknown_organization_and_one_outside_the_subtree_alike(tree):
    OrganizationFactory(name="另一工委", code="OTHER")
    finance_office = UserFactory(username="fin_office", organization=tree.finance, role=Role.COMMITTEE_OFFICE)

    errors = refused(
        xlsx(
            [
                ("FIN-1", 3, LAST_YEAR, BODY, "2025年度"),
                ("教育局第一支部（EDU-1）", 3, LAST_YEAR, BODY, "2025年度"),
                ("OTHER", 3, LAST_YEAR, BODY, "2025年度"),
                ("NOPE", 3, LAST_YEAR, BODY, "2025年度"),
            ]
        ),
        finance_office,
    )

    assert [(error.row, error.column, error.message) for error in errors] == [
        (4, "党组织", "找不到编号为“EDU-1”的党组织"),
        (5, "党组织", "找不到编号为“OTHER”的党组织"),
        (6, "党组织", "找不到编号为“NOPE”的党组织"),
    ]


def test_the_service_refuses_an_organization_outside_the_subtree_given_directly(tree):
    finance_office = UserFactory(username="fin_office", organization=tree.finance, role=Role.COMMITTEE_OFFICE)
    before = state()
    with pytest.raises(ImportRefused) as caught:
        ledger_rows_import(rows=[LedgerRow(tree.education_1, 3, LAST_YEAR, BODY, "2025年度")], actor=finance_office)
    assert [(error.row, error.column) for error in caught.value.errors] == [(1, "党组织")]
    assert state() == before


def test_it_refuses_a_bad_level_and_a_missing_value(tree, office_user):
    errors = refused(
        xlsx(
            [
                ("FIN-1", "六星级", LAST_YEAR, BODY, "2025年度"),
                ("FIN-2", 3, LAST_YEAR, None, "2025年度"),
            ]
        ),
        office_user,
    )
    assert [(error.row, error.column) for error in errors] == [(3, "星级"), (4, "批准机关")]
    assert "不是有效的星级" in errors[0].message
    assert errors[1].message == "必填，不能为空"


def test_it_refuses_a_date_in_the_future_and_a_bad_date(tree, office_user):
    tomorrow = timezone.localdate() + timedelta(days=1)
    errors = refused(
        xlsx(
            [
                ("FIN-1", 3, tomorrow, BODY, "2025年度"),
                ("FIN-2", 3, "去年年底", BODY, "2025年度"),
            ]
        ),
        office_user,
    )
    assert [(error.row, error.column) for error in errors] == [(3, "生效日期"), (4, "生效日期")]
    assert errors[0].message.startswith("生效日期不能晚于今天")
    assert "不是有效的日期" in errors[1].message


def test_it_refuses_a_line_before_or_on_the_latest_existing_line(tree, office_user):
    import_file(content=xlsx([("FIN-1", 4, LAST_YEAR, BODY, "2025年度")]), actor=office_user)

    errors = refused(
        xlsx(
            [
                ("FIN-1", 3, YEAR_BEFORE, BODY, "2024年度"),
                ("FIN-1", 4, LAST_YEAR, BODY, "2025年度"),
                ("FIN-2", 3, YEAR_BEFORE, BODY, "2024年度"),
            ]
        ),
        office_user,
    )

    assert [(error.row, error.column) for error in errors] == [(3, "生效日期"), (4, "生效日期")]
    assert "历史记录不能插在已有记录之前" in errors[0].message
    assert "台账中已有" in errors[1].message


def test_it_refuses_two_rows_for_the_same_organization_and_date(tree, office_user):
    errors = refused(
        xlsx(
            [
                ("FIN-1", 3, LAST_YEAR, BODY, "2025年度"),
                ("FIN-2", 3, LAST_YEAR, BODY, "2025年度"),
                ("财政局第一支部（FIN-1）", 4, "2025-12-28", BODY, "2025年度"),
            ]
        ),
        office_user,
    )
    assert [(error.row, error.column, error.message) for error in errors] == [
        (5, "生效日期", "与第3行重复（同一党组织、同一生效日期）")
    ]


@pytest.mark.parametrize("content", [b"not a spreadsheet", b"PK\x03\x04broken", b""])
def test_it_refuses_a_file_that_is_not_an_xlsx(tree, office_user, content):
    errors = refused(content, office_user)
    assert len(errors) == 1 and errors[0].row is None


def test_it_refuses_a_file_without_data_rows(tree, office_user):
    errors = refused(xlsx([]), office_user)
    assert [error.message for error in errors] == ["文件中没有数据行"]


# --- who may import ------------------------------------------------------------------------------------


@pytest.mark.parametrize("who", ["reviewer", "secretary", "inspector"])
def test_only_the_office_or_a_superuser_may_import(tree, request, who):
    user = request.getfixturevalue(who)
    before = state()
    with pytest.raises(ActionForbidden):
        import_file(content=xlsx([("FIN-1", 3, LAST_YEAR, BODY, "2025年度")]), actor=user)
    with pytest.raises(ActionForbidden):
        ledger_rows_import(rows=[LedgerRow(tree.finance_1, 3, LAST_YEAR, BODY, "2025年度")], actor=user)
    assert state() == before
