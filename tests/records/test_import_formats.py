"""The records import takes what offices save (.xls, .ods, CSV in UTF-8, BOM or GBK), names organizations by
code or exact name, and its template carries the user's own code."""

from __future__ import annotations

import io

import pytest
from openpyxl import load_workbook

from tests.factories import OrganizationFactory
from tests.office_files import csv_bytes, ods_bytes, xls_bytes
from tests.records.test_spreadsheets import COMMENDATION_HEADERS, commendation_row
from xingji.accounts.access import visible_organizations
from xingji.audit.models import AuditEntry
from xingji.records.kinds import KINDS
from xingji.records.models import Commendation
from xingji.records.spreadsheets import ImportRefused, import_records, render_template

FILES = {
    "xls": lambda rows: xls_bytes(rows),
    "ods": lambda rows: ods_bytes(rows),
    "csv": lambda rows: csv_bytes(rows, encoding="utf-8"),
    "csv-bom": lambda rows: csv_bytes(rows, encoding="utf-8-sig"),
    "csv-gbk": lambda rows: csv_bytes(rows, encoding="gbk"),
}


def run(user, content: bytes, filename: str) -> int:
    return import_records(
        kind=KINDS["commendations"],
        content=content,
        organizations=visible_organizations(user),
        actor=user,
        filename=filename,
    )


def refused(user, rows: list[list], filename: str = "记录.csv") -> list[tuple]:
    with pytest.raises(ImportRefused) as caught:
        run(user, csv_bytes(rows), filename)
    assert (Commendation.objects.count(), AuditEntry.objects.count()) == (0, 0)
    return [(error.row, error.column, error.message) for error in caught.value.errors]


@pytest.mark.parametrize("form", list(FILES))
def test_it_imports_a_file_in_each_format_offices_save(tree, reviewer, form):
    rows = [COMMENDATION_HEADERS, commendation_row("FIN-1", "先进基层党组织"), commendation_row("FIN-2", "优秀党务")]
    suffix = form.split("-")[0]

    created = run(reviewer, FILES[form](rows), f"表彰.{suffix}")

    assert created == 2
    assert sorted(Commendation.objects.values_list("organization__code", "title", "issuer")) == [
        ("FIN-1", "先进基层党组织", "中共安阳市委"),
        ("FIN-2", "优秀党务", "中共安阳市委"),
    ]


def test_a_gbk_csv_reports_its_errors_by_row_and_column(tree, reviewer):
    rows = [COMMENDATION_HEADERS, commendation_row(), commendation_row(level="区级")]

    with pytest.raises(ImportRefused) as caught:
        run(reviewer, csv_bytes(rows, encoding="gbk"), "表彰.csv")

    assert [(error.row, error.column, error.message) for error in caught.value.errors] == [
        (3, "级别", "“区级”不是有效的级别，可填：市级、省级、国家级")
    ]
    assert Commendation.objects.count() == 0


def test_an_organization_is_named_by_its_code_or_its_exact_name(tree, reviewer):
    rows = [COMMENDATION_HEADERS, commendation_row("财政局第二支部", "甲"), commendation_row("FIN-1", "乙")]

    run(reviewer, csv_bytes(rows), "表彰.csv")

    assert sorted(Commendation.objects.values_list("title", "organization__code")) == [("乙", "FIN-1"), ("甲", "FIN-2")]


def test_a_shared_name_asks_for_the_code_and_an_unknown_one_is_not_found(tree, office_user):
    OrganizationFactory(name="第一党支部", code="FIN-9", parent=tree.finance)
    OrganizationFactory(name="第一党支部", code="EDU-9", parent=tree.education)
    OrganizationFactory(name="第一党支部", code="EDU-8", parent=tree.education)
    rows = [COMMENDATION_HEADERS, commendation_row("第一党支部", "甲"), commendation_row("第九党支部", "乙")]

    assert refused(office_user, rows) == [
        (2, "组织编号", "名称“第一党支部”对应 3 个党组织，请填写组织编号"),
        (3, "组织编号", "找不到编号为“第九党支部”的党组织"),
    ]


def test_a_name_outside_the_subtree_is_answered_like_an_unknown_one(tree, reviewer):
    assert refused(reviewer, [COMMENDATION_HEADERS, commendation_row("教育局第一支部")]) == [
        (2, "组织编号", "找不到编号为“教育局第一支部”的党组织")
    ]


def test_the_template_of_a_branch_user_carries_that_branchs_code(tree, secretary):
    workbook = load_workbook(
        io.BytesIO(render_template(KINDS["commendations"], organizations=visible_organizations(secretary)))
    )

    notes = {row[0]: row[2] for row in workbook["填写说明"].iter_rows(values_only=True)}
    assert "“FIN-1”或“财政局第一支部”" in notes["组织编号"]
    assert "FIN-1" in workbook.worksheets[0]["A1"].comment.text


def test_a_row_the_records_rules_refuse_is_named_and_nothing_is_written(tree, secretary):
    # Given a branch secretary, who may not enter a deduction (an absence) for the own branch
    rows = [
        ["组织编号", "日期", "类型", "事项"],
        ["FIN-1", "2025-04-01", "会议", "季度会议"],
    ]

    with pytest.raises(ImportRefused) as caught:
        import_records(
            kind=KINDS["absences"],
            content=xls_bytes(rows),
            organizations=visible_organizations(secretary),
            actor=secretary,
            filename="缺席.xls",
        )

    [error] = caught.value.errors
    assert (error.row, error.column) == (2, "组织编号")
    assert "上级党组织" in error.message
    assert AuditEntry.objects.count() == 0
