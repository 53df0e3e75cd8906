"""The export in the national system's shape: its item names, the token's subtree, phones masked, JSON and XLSX."""

from __future__ import annotations

import io

from openpyxl import load_workbook

from xingji.api import scopes

BOTH = [scopes.read("orgs"), scopes.read("members")]


def test_it_exports_the_subtrees_organizations_and_members_by_the_national_items(tree, world, caller):
    api = caller(tree.finance, BOTH)

    body = api.get("/export/national").json()

    assert [row["组织编码"] for row in body["organizations"]] == ["FIN", "FIN-1", "FIN-2"]
    fin_1 = body["organizations"][1]
    assert fin_1["上级党组织编码"] == "FIN" and fin_1["党组织类别"] == "党支部" and fin_1["党员人数"] == 1
    assert fin_1["本届届满日期"] is not None
    assert [(row["所在党支部编码"], row["联系电话"], row["人员类别"]) for row in body["members"]] == [
        ("FIN-1", "138****5678", "正式党员")
    ]
    assert "公民身份号码" in body["not_kept"]


def test_the_personal_scope_shows_phones(tree, world, caller):
    api = caller(tree.finance, [*BOTH, scopes.PERSONAL])

    assert [row["联系电话"] for row in api.get("/export/national").json()["members"]] == ["13812345678"]


def test_it_needs_both_read_scopes_and_a_visible_node(tree, world, caller):
    assert caller(tree.finance, [scopes.read("orgs")]).get("/export/national").status_code == 403
    assert caller(tree.finance, [scopes.read("members")]).get("/export/national.xlsx").status_code == 403
    assert caller(tree.finance, BOTH).get("/export/national", {"under": tree.education.pk}).status_code == 404


def test_the_xlsx_holds_the_same_two_tables(tree, world, caller):
    api = caller(tree.finance, BOTH)

    response = api.get("/export/national.xlsx")

    assert response.status_code == 200
    workbook = load_workbook(io.BytesIO(response.content))
    assert workbook.sheetnames == ["党组织信息", "党员信息"]
    organizations = list(workbook["党组织信息"].iter_rows(values_only=True))
    assert organizations[0][:2] == ("组织编码", "党组织名称")
    assert [row[0] for row in organizations[1:]] == ["FIN", "FIN-1", "FIN-2"]
    members = list(workbook["党员信息"].iter_rows(values_only=True))
    assert len(members) == 2 and members[1][8] == "138****5678"
