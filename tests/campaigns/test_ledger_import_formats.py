"""The star-ledger import takes .xls, .ods and CSV (UTF-8, BOM, GBK), names organizations by code,
"名称（编号）" or exact name, and its template carries the user's own code."""

from __future__ import annotations

import io

import pytest
from django.urls import reverse
from openpyxl import load_workbook

from tests.campaigns.test_ledger_import import BODY, HEADERS, LAST_YEAR, refused
from tests.factories import OrganizationFactory, UserFactory
from tests.office_files import csv_bytes, ods_bytes, xls_bytes
from xingji.accounts.access import visible_organizations
from xingji.accounts.models import Role
from xingji.campaigns import ledger_import
from xingji.campaigns.ledger_import import import_file
from xingji.campaigns.selectors import current_level

pytestmark = pytest.mark.django_db

FILES = {
    "xls": xls_bytes,
    "ods": ods_bytes,
    "csv": lambda rows: csv_bytes(rows, encoding="utf-8"),
    "csv-bom": lambda rows: csv_bytes(rows, encoding="utf-8-sig"),
    "csv-gbk": lambda rows: csv_bytes(rows, encoding="gbk"),
}


def ledger(rows) -> list[list]:
    return [["星级管理台账"], HEADERS, *[list(line) for line in rows]]


@pytest.mark.parametrize("form", list(FILES))
def test_it_imports_a_ledger_in_each_format_offices_save(tree, office_user, form):
    content = FILES[form](
        ledger(
            [
                ("财政局第一支部（FIN-1）", "四星级", "2025-12-28", BODY, "2025年度"),
                ("FIN-2", 3, "2025-12-28", BODY, "2025年度"),
            ]
        )
    )

    entries = import_file(content=content, actor=office_user, filename=f"台账.{form.split('-')[0]}")

    assert len(entries) == 2
    assert (current_level(tree.finance_1), current_level(tree.finance_2)) == (4, 3)


def test_an_organization_is_named_by_its_exact_name(tree, office_user):
    import_file(
        content=csv_bytes(ledger([("教育局第一支部", "五星级", LAST_YEAR, BODY, "2025年度")])), actor=office_user
    )

    assert current_level(tree.education_1) == 5


def test_a_shared_name_asks_for_the_code_and_an_unknown_or_hidden_one_is_not_found(tree):
    OrganizationFactory(name="第一党支部", code="FIN-9", parent=tree.finance)
    OrganizationFactory(name="第一党支部", code="FIN-8", parent=tree.finance)
    finance_office = UserFactory(username="fin_office", organization=tree.finance, role=Role.COMMITTEE_OFFICE)
    rows = [
        ("第一党支部", 3, LAST_YEAR, BODY, "2025年度"),
        ("教育局第一支部", 3, LAST_YEAR, BODY, "2025年度"),
        ("第九党支部", 3, LAST_YEAR, BODY, "2025年度"),
    ]

    errors = refused(csv_bytes(ledger(rows)), finance_office)

    assert [(error.row, error.column, error.message) for error in errors] == [
        (3, "党组织", "名称“第一党支部”对应 2 个党组织，请填写组织编号"),
        (4, "党组织", "找不到编号为“教育局第一支部”的党组织"),
        (5, "党组织", "找不到编号为“第九党支部”的党组织"),
    ]


def test_the_template_of_a_branch_users_office_carries_its_code(tree):
    branch_office = UserFactory(username="branch_office", organization=tree.finance_1, role=Role.COMMITTEE_OFFICE)

    content = ledger_import.render_template(organizations=visible_organizations(branch_office))

    notes = {line[0]: line[2] for line in load_workbook(io.BytesIO(content))["填写说明"].iter_rows(values_only=True)}
    assert "“财政局第一支部（FIN-1）”或“FIN-1”" in notes["党组织"]
    assert notes["示例"].startswith("财政局第一支部（FIN-1）｜")


def test_the_page_offers_every_format_and_the_template_carries_the_users_tree(client, tree, office_user):
    client.force_login(office_user)

    page = client.get(reverse("campaigns:ledger_import")).content.decode()
    template = client.get(reverse("campaigns:ledger_import_template"))

    assert 'accept=".xlsx,.xls,.ods,.csv"' in page
    notes = {
        line[0]: line[2] for line in load_workbook(io.BytesIO(template.content))["填写说明"].iter_rows(values_only=True)
    }
    assert "FIN-1" in notes["党组织"]
