"""The rectification-ledger import takes .xls, .ods and CSV (UTF-8, BOM, GBK), names organizations by code,
"名称（编号）" or exact name, and its template carries the user's own code."""

from __future__ import annotations

import io

import pytest
from openpyxl import load_workbook

from tests.factories import OrganizationFactory
from tests.ledger.conftest import audit_count
from tests.ledger.test_spreadsheets import row
from tests.office_files import csv_bytes, ods_bytes, xls_bytes
from xingji.accounts.access import visible_organizations
from xingji.ledger import spreadsheets
from xingji.ledger.models import RectificationItem
from xingji.records.spreadsheets import ImportRefused

pytestmark = pytest.mark.django_db

FILES = {
    "xls": xls_bytes,
    "ods": ods_bytes,
    "csv": lambda rows: csv_bytes(rows, encoding="utf-8"),
    "csv-bom": lambda rows: csv_bytes(rows, encoding="utf-8-sig"),
    "csv-gbk": lambda rows: csv_bytes(rows, encoding="gbk"),
}


def ledger(rows: list[list]) -> list[list]:
    return [["整改台账"], spreadsheets.HEADERS, *rows]


def run(actor, content: bytes, filename: str) -> int:
    return spreadsheets.import_items(
        content=content, organizations=visible_organizations(actor), actor=actor, filename=filename
    )


@pytest.mark.parametrize("form", list(FILES))
def test_it_imports_a_ledger_in_each_format_offices_save(tree, office_user, form):
    content = FILES[form](ledger([row(), row(organization="财政局第二支部（FIN-2）", problem="第二个")]))

    count = run(office_user, content, f"台账.{form.split('-')[0]}")

    assert count == 2
    assert sorted(RectificationItem.objects.values_list("organization__code", "problem")) == [
        ("FIN-1", "问题"),
        ("FIN-2", "第二个"),
    ]


def test_an_organization_is_named_by_code_by_name_or_by_name_and_code(tree, office_user):
    rows = [
        row(organization="FIN-1", problem="甲"),
        row(organization="财政局第二支部", problem="乙"),
        row(organization="教育局第一支部（EDU-1）", problem="丙"),
    ]

    run(office_user, csv_bytes(ledger(rows), encoding="gbk"), "台账.csv")

    assert sorted(RectificationItem.objects.values_list("problem", "organization__code")) == [
        ("丙", "EDU-1"),
        ("乙", "FIN-2"),
        ("甲", "FIN-1"),
    ]


def test_a_shared_name_asks_for_the_code_and_writes_nothing(tree, office_user):
    OrganizationFactory(name="财政局第二支部", code="EDU-2", parent=tree.education)
    before = (RectificationItem.objects.count(), audit_count())

    with pytest.raises(ImportRefused) as caught:
        run(office_user, csv_bytes(ledger([row(), row(organization="财政局第二支部")])), "台账.csv")

    assert [str(error) for error in caught.value.errors] == [
        "第4行“党组织”列：名称“财政局第二支部”对应 2 个党组织，请填写组织编号"
    ]
    assert (RectificationItem.objects.count(), audit_count()) == before


def test_the_template_of_a_branch_user_carries_that_branchs_code(tree, secretary):
    content = spreadsheets.render_template(organizations=visible_organizations(secretary))

    notes = {line[0]: line[2] for line in load_workbook(io.BytesIO(content))["填写说明"].iter_rows(values_only=True)}
    assert "“财政局第一支部（FIN-1）”或“FIN-1”" in notes["党组织"]
