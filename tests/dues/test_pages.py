"""The dues pages: what each role sees and may press, the forms' refusals, the finance export's content."""

from __future__ import annotations

import io
from datetime import date
from decimal import Decimal

import pytest
from django.urls import reverse
from openpyxl import load_workbook

from tests.dues.conftest import account, pay
from tests.dues.test_import import sheet
from tests.factories import MemberFactory
from xingji.dues.models import DuesAccount, DuesPayment, DuesReduction

pytestmark = pytest.mark.django_db


def test_the_branch_page_lists_each_member_with_the_arrears_warning(client, tree, member, secretary, today):
    account(member, since=date(2026, 1, 1))
    pay(member, *(date(2026, month, 1) for month in (1, 2, 3, 4)))
    client.force_login(secretary)
    page = client.get(reverse("dues:branch", args=[tree.finance_1.pk])).content.decode()
    assert "王芳" in page
    assert "连续3个月未交" in page
    assert "导入银行缴费明细" in page


def test_a_negative_wage_in_the_form_is_shown_on_the_field_and_not_saved(client, member, secretary, today):
    client.force_login(secretary)
    response = client.post(
        reverse("dues:account_edit", args=[member.pk]), {"category": "employed", "base": "-100", "since": "2026-01"}
    )
    assert response.status_code == 200
    assert "党费基数不能为负数" in response.content.decode()
    assert not DuesAccount.objects.exists()


def test_a_payment_entered_by_hand_is_recorded(client, member, secretary, today):
    account(member)
    client.force_login(secretary)
    response = client.post(
        reverse("dues:payment_create", args=[member.pk]), {"month": "2026-07", "amount": "40", "paid_on": "2026-08-01"}
    )
    assert response.status_code == 302
    assert DuesPayment.objects.get().month == date(2026, 7, 1)


def test_the_approve_button_is_offered_to_the_superior_only(client, member, secretary, reviewer, today):
    account(member)
    DuesReduction.objects.create(member=member, amount=Decimal(1), reason="困难")
    url = reverse("dues:member", args=[member.pk])
    client.force_login(secretary)
    assert "批准</button>" not in client.get(url).content.decode()
    client.force_login(reviewer)
    assert "批准</button>" in client.get(url).content.decode()


def test_the_import_page_lists_the_rows_errors(client, tree, member, secretary, today):
    client.force_login(secretary)
    upload = io.BytesIO(sheet(("无此人", "2026-06", 40, None)))
    upload.name = "bank.xlsx"
    response = client.post(reverse("dues:payment_import", args=[tree.finance_1.pk]), {"file": upload})
    assert response.status_code == 200
    page = response.content.decode()
    assert "未导入任何缴费记录" in page
    assert "本组织及下级组织的党员名册中没有“无此人”" in page
    assert not DuesPayment.objects.exists()


def test_the_pages_of_another_subtree_are_404(client, tree, secretary, today):
    outsider = MemberFactory(organization=tree.education_1)
    client.force_login(secretary)
    assert client.get(reverse("dues:branch", args=[tree.education_1.pk])).status_code == 404
    assert client.get(reverse("dues:member", args=[outsider.pk])).status_code == 404


def test_the_inspector_reads_but_may_not_record(client, member, inspector, today):
    client.force_login(inspector)
    assert client.get(reverse("dues:member", args=[member.pk])).status_code == 200
    assert client.get(reverse("dues:payment_create", args=[member.pk])).status_code == 403


def test_the_export_gives_the_finance_office_the_years_totals_rolled_up(client, tree, member, reviewer, today):
    account(member, since=date(2026, 1, 1))
    pay(member, date(2026, 1, 1), date(2026, 2, 1))
    other = MemberFactory(organization=tree.education_1)
    account(other, since=date(2026, 1, 1))
    pay(other, date(2026, 1, 1), amount="99")
    client.force_login(reviewer)
    response = client.get(reverse("dues:export") + "?year=2026")
    assert response["Content-Type"].startswith("application/vnd.openxmlformats")
    rows = list(load_workbook(io.BytesIO(response.content)).active.iter_rows(values_only=True))
    assert rows[0][:5] == ("组织编号", "党组织", "党员数", "本年应交（元）", "本年实交（元）")
    by_code = {row[0]: row for row in rows[1:] if row and row[1]}
    assert set(by_code) == {"FIN", "FIN-1", "FIN-2"}  # the reviewer's subtree only
    assert by_code["FIN"][2:10] == (1, 280, 80, 1, 1, 0, 200, 0)
    assert by_code["FIN-1"][4] == 80


def test_a_committees_page_lists_the_organizations_below_with_their_totals(client, tree, member, reviewer, today):
    account(member, since=date(2026, 1, 1))
    client.force_login(reviewer)
    response = client.get(reverse("dues:branch", args=[tree.finance.pk]))
    assert [entry.organization.code for entry in response.context["below"]] == ["FIN-1", "FIN-2"]
    assert response.context["totals"].subtree.in_arrears == 1
    assert "下级党组织" in response.content.decode()


def test_the_six_month_item_reaches_the_home_pages_due_list(tree, member, secretary, today):
    from xingji.web.due import SECTION_LABELS, due_for

    account(member, since=date(2025, 1, 1))
    items = [item for item in due_for(secretary, today) if item.section == "dues"]
    assert [item.title for item in items] == ["财政局第一支部：王芳"]
    assert items[0].url == reverse("dues:member", args=[member.pk])
    assert SECTION_LABELS["dues"] == "党费"
