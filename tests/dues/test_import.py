"""The bank's sheet: matched by name in the subtree, every row checked, nothing written on any error."""

from __future__ import annotations

import io
from datetime import date
from decimal import Decimal

import pytest
from openpyxl import Workbook, load_workbook

from tests.dues.conftest import audit_count, pay
from tests.factories import MemberFactory
from xingji.common.tabular import TableErrors
from xingji.dues import spreadsheets
from xingji.dues.models import DuesPayment, PaymentSource

pytestmark = pytest.mark.django_db


def sheet(*rows, header=("姓名", "月份", "金额", "缴纳日期")) -> bytes:
    workbook = Workbook()
    worksheet = workbook.active
    worksheet.append(list(header))
    for row in rows:
        worksheet.append(list(row))
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def run(organization, actor, content):
    return spreadsheets.import_payments(organization=organization, content=content, actor=actor, filename="bank.xlsx")


def errors_of(refusal) -> list[tuple[int | None, str, str]]:
    return [(error.row, error.column, error.message) for error in refusal.value.errors]


def test_it_imports_every_row_matched_by_name(tree, member, secretary, today):
    content = sheet(("王芳", "2026-06", 40, "2026-07-02"), ("王芳", "2026年7月", "40.00", None))
    assert run(tree.finance_1, secretary, content) == 2
    stored = list(DuesPayment.objects.order_by("month").values_list("month", "amount", "paid_on", "source"))
    assert stored == [
        (date(2026, 6, 1), Decimal("40.00"), date(2026, 7, 2), PaymentSource.IMPORT),
        (date(2026, 7, 1), Decimal("40.00"), today, PaymentSource.IMPORT),
    ]
    assert audit_count("dues_payment.imported") == 2


def test_unmatched_duplicate_negative_and_future_rows_are_reported_row_by_row(tree, member, secretary, today):
    pay(member, date(2026, 5, 1))
    content = sheet(
        ("王芳", "2026-05", 40, None),  # already paid
        ("张无名", "2026-06", 40, None),  # no such member
        ("王芳", "2026-06", -40, None),  # negative
        ("王芳", "2026-07", 40, None),
        ("王芳", "2026-07", 40, None),  # twice in the file
        ("王芳", "2026-09", 40, None),  # not yet
        ("王芳", "三月", 40, None),
    )
    with pytest.raises(TableErrors) as refusal:
        run(tree.finance_1, secretary, content)
    assert errors_of(refusal) == [
        (2, "月份", "王芳2026年5月的党费已缴纳"),
        (3, "姓名", "本组织及下级组织的党员名册中没有“张无名”"),
        (4, "金额", "金额不能为负数（-40）"),
        (6, "月份", "与第5行重复"),
        (7, "月份", "2026年9月还未到，不能晚于本月"),
        (8, "月份", "“三月”不是有效的月份，应如 2025-03"),
    ]
    assert DuesPayment.objects.count() == 1
    assert audit_count("dues_payment.imported") == 0


def test_a_name_shared_by_two_members_needs_the_organization(tree, member, reviewer, today):
    MemberFactory(organization=tree.finance_2, name="王芳")
    with pytest.raises(TableErrors) as refusal:
        run(tree.finance, reviewer, sheet(("王芳", "2026-06", 40, None)))
    assert errors_of(refusal) == [(2, "姓名", "有 2 名党员叫“王芳”，请在“党组织”列填写其组织编号")]
    header = ("姓名", "党组织", "月份", "金额")
    assert run(tree.finance, reviewer, sheet(("王芳", "FIN-2", "2026-06", 40), header=header)) == 1
    assert DuesPayment.objects.get().member.organization == tree.finance_2


def test_a_member_outside_the_importing_organization_is_not_found(tree, secretary, today):
    MemberFactory(organization=tree.finance_2, name="赵敏")
    with pytest.raises(TableErrors) as refusal:
        run(tree.finance_1, secretary, sheet(("赵敏", "2026-06", 40, None)))
    assert errors_of(refusal) == [(2, "姓名", "本组织及下级组织的党员名册中没有“赵敏”")]
    assert not DuesPayment.objects.exists()


def test_a_wrong_column_refuses_the_file(tree, member, secretary, today):
    with pytest.raises(TableErrors) as refusal:
        run(tree.finance_1, secretary, sheet(("王芳", "2026-06", 40), header=("姓名", "月份", "工资")))
    assert errors_of(refusal) == [(1, "工资", "未知的列，请按模板填写表头"), (1, "金额", "缺少必填列")]
    assert not DuesPayment.objects.exists()


def test_the_template_has_the_import_headers(tree, secretary):
    response = spreadsheets.template_response(tree.finance_1)
    rows = list(load_workbook(io.BytesIO(response.content)).active.iter_rows(values_only=True))
    assert rows == [("姓名", "党组织", "月份", "金额", "缴纳日期")]
    notes = list(load_workbook(io.BytesIO(response.content))["填写说明"].iter_rows(values_only=True))
    assert ("示例", None, f"张三｜{tree.finance_1.code}｜2025-03｜40.00｜2025-03-15") in notes


def test_a_template_filled_in_below_its_header_imports_only_the_filled_rows(tree, member, secretary, today):
    workbook = load_workbook(io.BytesIO(spreadsheets.template_response(tree.finance_1).content))
    workbook.worksheets[0].append(["王芳", None, "2026-06", 40, None])
    buffer = io.BytesIO()
    workbook.save(buffer)

    assert run(tree.finance_1, secretary, buffer.getvalue()) == 1
    assert list(DuesPayment.objects.values_list("member__name", "month")) == [("王芳", date(2026, 6, 1))]


def test_an_import_into_another_subtree_is_404_and_the_inspector_is_403(tree, member, secretary, inspector, today):
    from django.core.exceptions import PermissionDenied
    from django.http import Http404

    MemberFactory(organization=tree.education_1, name="孙丽")
    with pytest.raises(Http404):
        run(tree.education_1, secretary, sheet(("孙丽", "2026-06", 40, None)))
    with pytest.raises(PermissionDenied):
        run(tree.finance_1, inspector, sheet(("王芳", "2026-06", 40, None)))
    assert not DuesPayment.objects.exists()
