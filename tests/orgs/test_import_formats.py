"""Organization and member imports take what offices save (.xls, .ods, GBK CSV), name organizations by code or
exact name, and hand out templates with the user's own codes.

The ``tree`` fixture (tests/conftest.py): ROOT ─ FIN (党委) ─ FIN-1, FIN-2 (支部); ROOT ─ EDU (党总支) ─ EDU-1.
"""

from __future__ import annotations

import io
from datetime import date

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from openpyxl import load_workbook

from tests.factories import OrganizationFactory
from tests.office_files import csv_bytes, ods_bytes, xls_bytes
from tests.orgs.test_imports import MEMBER_HEADER, ORGANIZATION_HEADER, counts, errors_of, member_row, organization_row
from xingji.accounts.access import visible_organizations
from xingji.orgs.imports import (
    import_members,
    import_organizations,
    member_import_template,
    organization_import_template,
)
from xingji.orgs.models import Member, Organization, OrganizationType

WRITERS = {"xls": xls_bytes, "ods": ods_bytes}


@pytest.fixture
def namesakes(tree):
    """Two branches called 第一党支部: one under FIN, one under EDU."""
    return (
        OrganizationFactory(name="第一党支部", code="FIN-9", parent=tree.finance),
        OrganizationFactory(name="第一党支部", code="EDU-9", parent=tree.education),
    )


@pytest.mark.parametrize("suffix", ["xls", "ods"])
def test_it_imports_members_from_an_old_excel_or_an_ods_file(tree, office_user, suffix):
    content = WRITERS[suffix](
        [MEMBER_HEADER, member_row(出生年份=1985), member_row(组织编号="EDU-1", 所在党组织="", 姓名="李四")],
        sheet="党员",
    )

    result = import_members(
        file=SimpleUploadedFile(f"党员.{suffix}", content),
        actor=office_user,
        user_scope=visible_organizations(office_user),
    )

    assert (result.errors, result.created) == ([], 2)
    assert sorted(Member.objects.values_list("organization__code", "name", "birth_year")) == [
        ("EDU-1", "李四", 1985),
        ("FIN-1", "张三", 1985),
    ]


@pytest.mark.parametrize("suffix", ["xls", "ods"])
def test_it_imports_organizations_from_an_old_excel_or_an_ods_file(tree, office_user, suffix):
    content = WRITERS[suffix]([ORGANIZATION_HEADER, organization_row()], sheet="党组织")

    result = import_organizations(
        file=SimpleUploadedFile(f"组织.{suffix}", content),
        actor=office_user,
        user_scope=visible_organizations(office_user),
    )

    assert result.errors == []
    created = Organization.objects.get(code="FIN-3")
    assert (created.name, Organization.objects.get_parent(created, update=True).code) == ("财政局第三支部", "FIN")


def test_it_reports_a_row_of_an_xls_file_by_its_row_and_column(tree, office_user):
    content = xls_bytes([MEMBER_HEADER, member_row(), member_row(性别="M")])

    result = import_members(file=SimpleUploadedFile("党员.xls", content), actor=office_user, user_scope=None)

    assert errors_of(result) == [(3, "性别", "“M”不是可选的值，应为：男、女")]
    assert Member.objects.count() == 0


def test_a_member_names_its_organization_by_code_or_by_exact_name(tree, office_user):
    rows = [MEMBER_HEADER, member_row(组织编号="财政局第二支部", 所在党组织="", 姓名="甲"), member_row(姓名="乙")]

    result = import_members(
        file=SimpleUploadedFile("党员.csv", csv_bytes(rows)),
        actor=office_user,
        user_scope=visible_organizations(office_user),
    )

    assert result.errors == []
    assert sorted(Member.objects.values_list("name", "organization__code")) == [("乙", "FIN-1"), ("甲", "FIN-2")]


def test_a_name_shared_by_two_organizations_asks_for_the_code_and_writes_nothing(tree, office_user, namesakes):
    before = counts()
    rows = [MEMBER_HEADER, member_row(), member_row(组织编号="第一党支部", 所在党组织="")]

    result = import_members(
        file=SimpleUploadedFile("党员.csv", csv_bytes(rows)),
        actor=office_user,
        user_scope=visible_organizations(office_user),
    )

    assert errors_of(result) == [(3, "组织编号", "名称“第一党支部”对应 2 个党组织，请填写组织编号")]
    assert counts() == before


def test_a_name_is_counted_only_inside_the_users_subtree(tree, reviewer, namesakes):
    # Given a reviewer of FIN: of the two 第一党支部 only FIN-9 lies in the subtree
    rows = [MEMBER_HEADER, member_row(组织编号="第一党支部", 所在党组织="")]

    result = import_members(
        file=SimpleUploadedFile("党员.csv", csv_bytes(rows)),
        actor=reviewer,
        user_scope=visible_organizations(reviewer),
    )

    assert result.errors == []
    assert Member.objects.get().organization.code == "FIN-9"


def test_a_name_outside_the_subtree_is_answered_like_an_unknown_one(tree, reviewer):
    rows = [MEMBER_HEADER, member_row(组织编号="教育局第一支部", 所在党组织=""), member_row(组织编号="没有这个支部")]

    result = import_members(
        file=SimpleUploadedFile("党员.csv", csv_bytes(rows)),
        actor=reviewer,
        user_scope=visible_organizations(reviewer),
    )

    assert errors_of(result) == [
        (2, "组织编号", "组织编号“教育局第一支部”不存在或不在您管理的范围内"),
        (3, "组织编号", "组织编号“没有这个支部”不存在或不在您管理的范围内"),
    ]


def test_a_second_secretary_is_caught_when_one_row_names_the_organization_by_name(tree, office_user):
    rows = [
        MEMBER_HEADER,
        member_row(姓名="甲", 班子职务="书记"),
        member_row(组织编号="财政局第一支部", 所在党组织="", 姓名="乙", 班子职务="书记"),
    ]

    result = import_members(file=SimpleUploadedFile("党员.csv", csv_bytes(rows)), actor=office_user, user_scope=None)

    assert errors_of(result) == [(3, "班子职务", "组织“FIN-1”只能有一名书记，第2行已是该组织的书记")]


def test_an_organizations_parent_may_be_named_by_its_exact_name(tree, office_user):
    rows = [
        ORGANIZATION_HEADER,
        organization_row(组织编号="TAX", 组织名称="税务局机关党委", 组织类型="党委", 上级组织编号="市直工委"),
        organization_row(组织编号="TAX-1", 组织名称="税务局第一支部", 上级组织编号="税务局机关党委"),
        organization_row(组织编号="FIN-3", 上级组织编号="财政局机关党委"),
    ]

    result = import_organizations(
        file=SimpleUploadedFile("组织.csv", csv_bytes(rows)),
        actor=office_user,
        user_scope=visible_organizations(office_user),
    )

    assert result.errors == []
    parent = {
        code: Organization.objects.get_parent(Organization.objects.get(code=code), update=True).code
        for code in ("TAX", "TAX-1", "FIN-3")
    }
    assert parent == {"TAX": "ROOT", "TAX-1": "TAX", "FIN-3": "FIN"}


def test_a_parent_name_shared_by_two_organizations_or_unknown_is_refused(tree, office_user):
    OrganizationFactory(
        name="财政局机关党委", code="FIN-B", org_type=OrganizationType.PARTY_COMMITTEE, parent=tree.root
    )
    before = counts()
    rows = [
        ORGANIZATION_HEADER,
        organization_row(上级组织编号="财政局机关党委"),
        organization_row(组织编号="FIN-4", 上级组织编号="财政局党委"),
    ]

    result = import_organizations(
        file=SimpleUploadedFile("组织.csv", csv_bytes(rows)),
        actor=office_user,
        user_scope=visible_organizations(office_user),
    )

    assert errors_of(result) == [
        (2, "上级组织编号", "名称“财政局机关党委”对应 2 个党组织，请填写组织编号"),
        (3, "上级组织编号", "上级组织编号“财政局党委”不存在或不在您管理的范围内"),
    ]
    assert counts() == before


def test_a_parent_named_by_the_name_of_a_branch_is_still_refused_as_a_branch(tree, office_user):
    rows = [ORGANIZATION_HEADER, organization_row(上级组织编号="财政局第一支部")]

    result = import_organizations(
        file=SimpleUploadedFile("组织.csv", csv_bytes(rows)), actor=office_user, user_scope=None
    )

    assert errors_of(result) == [(2, "上级组织编号", "上级组织“财政局第一支部”是党支部，其下不能再设党组织")]


# --- templates --------------------------------------------------------------------------------------


def help_rows(content: bytes) -> list[tuple]:
    return list(load_workbook(io.BytesIO(content))["说明"].iter_rows(values_only=True))


def test_the_member_template_of_a_branch_user_carries_that_branchs_code_and_name(client, tree, secretary):
    client.force_login(secretary)

    response = client.get(reverse("orgs:import_template", args=["members"]))

    assert list(load_workbook(io.BytesIO(response.content))["党员"].iter_rows(values_only=True)) == [
        tuple(MEMBER_HEADER)
    ]
    examples = [row[0] for row in help_rows(response.content) if str(row[0]).startswith("示例：")]
    assert len(examples) == 1
    assert examples[0].startswith("示例：FIN-1｜财政局第一支部｜")


def test_the_organization_template_names_a_real_parent_and_a_free_code(tree, reviewer):
    OrganizationFactory(name="已有", code="FIN-01", parent=tree.finance)

    content = organization_import_template(organizations=visible_organizations(reviewer))

    rows = help_rows(content)
    column_examples = {row[0]: row[4] for row in rows if len(row) > 4}
    assert (column_examples["组织编号"], column_examples["上级组织编号"]) == ("FIN-02", "FIN")
    assert len(list(load_workbook(io.BytesIO(content))["党组织"].iter_rows(values_only=True))) == 1


@pytest.mark.parametrize("kind", ["members", "organizations"])
def test_a_template_filled_in_below_its_header_imports_only_the_filled_rows(tree, secretary, reviewer, kind):
    # Given a downloaded template, filled in by an office from row 2 on, with the user's real codes
    if kind == "members":
        actor, template, importer = secretary, member_import_template, import_members
        rows = [
            ["FIN-1", "", "李四", "男", 1980, date(2005, 7, 1), "正式党员", "", ""],
            ["FIN-1", "", "赵六", "女", 1990, date(2015, 7, 1), "预备党员", "", ""],
        ]
    else:
        actor, template, importer = reviewer, organization_import_template, import_organizations
        rows = [["FIN-07", "财政局第七支部", "党支部", "机关", "FIN", None, "是"]]
    workbook = load_workbook(io.BytesIO(template(organizations=visible_organizations(actor))))
    for row in rows:
        workbook.worksheets[0].append(row)
    buffer = io.BytesIO()
    workbook.save(buffer)
    members, organizations = Member.objects.count(), Organization.objects.count()

    result = importer(
        file=SimpleUploadedFile("模板.xlsx", buffer.getvalue()), actor=actor, user_scope=visible_organizations(actor)
    )

    # Then exactly the filled rows are imported, never the template's example
    assert result.errors == []
    if kind == "members":
        assert sorted(Member.objects.values_list("name", flat=True)) == ["李四", "赵六"]
        assert Member.objects.count() == members + 2
    else:
        assert Organization.objects.count() == organizations + 1
        assert Organization.objects.filter(code="FIN-07").exists()
        assert not Organization.objects.filter(code="FIN-01").exists()


def test_an_untouched_template_imports_nothing(tree, secretary):
    content = member_import_template(organizations=visible_organizations(secretary))

    result = import_members(
        file=SimpleUploadedFile("模板.xlsx", content), actor=secretary, user_scope=visible_organizations(secretary)
    )

    assert result.errors
    assert not Member.objects.exists()


def test_the_upload_form_takes_every_format_offices_save(client, tree, office_user):
    client.force_login(office_user)

    html = client.get(reverse("orgs:import", args=["members"])).content.decode()

    assert 'accept=".xlsx,.xls,.ods,.csv"' in html
    assert "GBK" in html
