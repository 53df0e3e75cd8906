"""Exporting organizations and members to Excel, in the import template's columns, and importing the export again."""

from __future__ import annotations

import io
from datetime import date, datetime

from openpyxl import load_workbook

from tests.factories import MemberFactory, OrganizationFactory
from xingji.accounts.access import visible_members, visible_organizations
from xingji.audit.chain import head_hash
from xingji.audit.models import AuditEntry
from xingji.audit.services import audit_log
from xingji.orgs.exports import export_members, export_organizations
from xingji.orgs.imports import import_members, import_organizations
from xingji.orgs.models import Gender, LeadershipPosition, Member, MemberStatus, Organization, OrganizationType
from xingji.orgs.selectors import member_list, organization_list

MEMBER_HEADER = ("组织编号", "所在党组织", "姓名", "性别", "出生年份", "入党日期", "党员类别", "班子职务", "联系电话")
ORGANIZATION_HEADER = ("组织编号", "组织名称", "组织类型", "类别", "上级组织编号", "成立日期", "是否有效")


def sheet_rows(content: bytes, title: str) -> list[tuple]:
    """The sheet's values; Excel date cells (read back as naive datetimes) as dates."""
    sheet = load_workbook(io.BytesIO(content))[title]
    return [
        tuple(value.date() if isinstance(value, datetime) else value for value in row)
        for row in sheet.iter_rows(values_only=True)
    ]


def make_members(tree) -> None:
    MemberFactory(
        organization=tree.finance_1,
        name="张三",
        gender=Gender.MALE,
        birth_year=1975,
        joined=date(1999, 7, 1),
        leadership_position=LeadershipPosition.SECRETARY,
        phone="13812345678",
    )
    MemberFactory(
        organization=tree.finance_1,
        name="李四",
        gender=Gender.FEMALE,
        birth_year=1992,
        joined=date(2024, 6, 30),
        status=MemberStatus.PROBATIONARY,
        phone="",
    )
    MemberFactory(
        organization=tree.education_1,
        name="王五",
        birth_year=1988,
        joined=date(2012, 5, 4),
        leadership_position=LeadershipPosition.COMMITTEE_MEMBER,
        phone="0372-1234567",
    )


def member_values() -> list[tuple]:
    return sorted(
        Member.objects.values_list(
            "organization__code",
            "name",
            "gender",
            "birth_year",
            "joined",
            "status",
            "leadership_position",
            "phone",
        )
    )


def test_it_exports_members_in_the_template_columns_with_phones_masked(tree, office_user):
    make_members(tree)

    content = export_members(member_list(user=office_user))

    assert sheet_rows(content, "党员") == [
        MEMBER_HEADER,
        ("FIN-1", "财政局第一支部", "张三", "男", 1975, date(1999, 7, 1), "正式党员", "书记", "138****5678"),
        ("FIN-1", "财政局第一支部", "李四", "女", 1992, date(2024, 6, 30), "预备党员", None, None),
        ("EDU-1", "教育局第一支部", "王五", "女", 1988, date(2012, 5, 4), "正式党员", "委员", "037****4567"),
    ]


def test_it_reveals_phones_only_when_asked(tree, office_user):
    make_members(tree)

    content = export_members(member_list(user=office_user), reveal_phone=True)

    assert [row[8] for row in sheet_rows(content, "党员")] == ["联系电话", "13812345678", None, "0372-1234567"]
    assert sheet_rows(content, "导出信息")[2] == ("联系电话", "完整号码")


def test_it_exports_only_the_members_it_is_given(tree, secretary):
    make_members(tree)

    content = export_members(member_list(user=secretary))

    assert [row[2] for row in sheet_rows(content, "党员")] == ["姓名", "张三", "李四"]


def test_a_member_export_imports_again_to_the_same_members(tree, office_user):
    # Given an export with full phones, and the members gone
    make_members(tree)
    before = member_values()
    content = export_members(member_list(user=office_user), reveal_phone=True)
    Member.objects.all().delete()

    # When the export is imported
    result = import_members(file=content, actor=office_user, user_scope=visible_organizations(office_user))

    # Then the same members are back
    assert (result.errors, result.created) == ([], 3)
    assert member_values() == before


def test_a_masked_export_is_refused_row_by_row_when_imported_again(tree, office_user):
    make_members(tree)
    content = export_members(member_list(user=office_user))
    Member.objects.all().delete()

    result = import_members(file=content, actor=office_user, user_scope=None)

    assert [(error.row, error.column) for error in result.errors] == [(2, "联系电话"), (4, "联系电话")]
    assert result.errors[0].message == "“138****5678”是隐藏了中间位的号码，请填写完整号码或留空"
    assert Member.objects.count() == 0


def test_it_exports_organizations_with_their_parents_codes(tree, office_user):
    Organization.objects.filter(pk=tree.finance_2.pk).update(is_active=False, founded=None)

    content = export_organizations(organization_list(user=office_user), user_scope=visible_organizations(office_user))

    assert sheet_rows(content, "党组织") == [
        ORGANIZATION_HEADER,
        ("ROOT", "市直工委", "党委", "机关", None, date(2010, 7, 1), "是"),
        ("FIN", "财政局机关党委", "党委", "机关", "ROOT", date(2010, 7, 1), "是"),
        ("FIN-1", "财政局第一支部", "党支部", "机关", "FIN", date(2010, 7, 1), "是"),
        ("FIN-2", "财政局第二支部", "党支部", "机关", "FIN", None, "否"),
        ("EDU", "教育局机关党总支", "党总支", "机关", "ROOT", date(2010, 7, 1), "是"),
        ("EDU-1", "教育局第一支部", "党支部", "机关", "EDU", date(2010, 7, 1), "是"),
    ]


def test_it_leaves_out_the_code_of_a_parent_above_the_users_node(tree, reviewer):
    content = export_organizations(organization_list(user=reviewer), user_scope=visible_organizations(reviewer))

    assert [(row[0], row[4]) for row in sheet_rows(content, "党组织")] == [
        ("组织编号", "上级组织编号"),
        ("FIN", None),
        ("FIN-1", "FIN"),
        ("FIN-2", "FIN"),
    ]


def test_an_organization_export_imports_again_to_the_same_tree(tree, office_user):
    # Given an export of the finance subtree (with a third branch), and the subtree gone
    OrganizationFactory(
        name="财政局第三支部",
        code="FIN-3",
        org_type=OrganizationType.JOINT_BRANCH,
        category="事业单位",
        founded=None,
        is_active=False,
        parent=tree.finance,
    )
    subtree = Organization.objects.filter(path__startswith=tree.finance.path).order_by("path")
    before = [
        (org.code, org.name, org.org_type, org.category, org.founded, org.is_active, org.depth) for org in subtree
    ]
    content = export_organizations(subtree)
    Organization.objects.get(code="FIN").delete()

    # When the export is imported
    result = import_organizations(file=content, actor=office_user, user_scope=visible_organizations(office_user))

    # Then the subtree is back under ROOT, in the same shape
    assert (result.errors, result.created) == ([], 4)
    after = Organization.objects.filter(path__startswith=Organization.objects.get(code="FIN").path).order_by("path")
    assert [
        (org.code, org.name, org.org_type, org.category, org.founded, org.is_active, org.depth) for org in after
    ] == before
    assert Organization.objects.find_problems() == ([], [], [], [], [])


def test_a_name_that_looks_like_a_formula_is_exported_as_text(tree, office_user):
    MemberFactory(organization=tree.finance_1, name='=HYPERLINK("http://x","点我")')

    content = export_members(visible_members(office_user))

    workbook = load_workbook(io.BytesIO(content))
    cell = workbook["党员"]["C2"]
    assert (cell.value, cell.data_type) == ('=HYPERLINK("http://x","点我")', "s")


def test_it_records_the_export_time_the_row_count_and_the_audit_head_hash(tree, office_user):
    audit_log(actor=office_user, action="organization.updated", obj=tree.root, before={}, after={})
    make_members(tree)

    content = export_members(member_list(user=office_user))

    info = dict(row for row in sheet_rows(content, "导出信息"))
    assert set(info) == {"导出时间", "记录数", "联系电话", "审计链头哈希"}
    assert (info["记录数"], info["审计链头哈希"]) == (3, head_hash())
    assert info["审计链头哈希"] == AuditEntry.objects.get().hash
