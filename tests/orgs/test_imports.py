"""Importing organizations and members from .xlsx/.csv: all or nothing, every error by row and column.

The ``tree`` fixture (tests/conftest.py): ROOT ─ FIN (党委) ─ FIN-1, FIN-2 (支部); ROOT ─ EDU (党总支) ─ EDU-1.
"""

from __future__ import annotations

import csv
import hashlib
import io
from datetime import date, timedelta

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db.transaction import TransactionManagementError
from django.utils import timezone
from openpyxl import Workbook, load_workbook

from tests.factories import MemberFactory, OrganizationFactory
from xingji.accounts.access import visible_organizations
from xingji.audit.chain import verify_chain
from xingji.audit.models import AuditEntry
from xingji.audit.services import append_audit_entries, audit_log
from xingji.orgs import imports
from xingji.orgs.imports import (
    CONCURRENT_CHANGE,
    ImportResult,
    RowError,
    import_error_report,
    import_members,
    import_organizations,
    member_import_template,
    organization_import_template,
)
from xingji.orgs.models import LeadershipPosition, Member, Organization

MEMBER_HEADER = ["组织编号", "所在党组织", "姓名", "性别", "出生年份", "入党日期", "党员类别", "班子职务", "联系电话"]
ORGANIZATION_HEADER = ["组织编号", "组织名称", "组织类型", "类别", "上级组织编号", "成立日期", "是否有效"]


def member_row(**changes) -> list:
    row = {
        "组织编号": "FIN-1",
        "所在党组织": "财政局第一支部",
        "姓名": "张三",
        "性别": "男",
        "出生年份": "1985",
        "入党日期": "2010-07-01",
        "党员类别": "正式党员",
        "班子职务": "",
        "联系电话": "13812345678",
    }
    row.update(changes)
    return [row[header] for header in MEMBER_HEADER]


def organization_row(**changes) -> list:
    row = {
        "组织编号": "FIN-3",
        "组织名称": "财政局第三支部",
        "组织类型": "党支部",
        "类别": "机关",
        "上级组织编号": "FIN",
        "成立日期": "2019-07-01",
        "是否有效": "是",
    }
    row.update(changes)
    return [row[header] for header in ORGANIZATION_HEADER]


def csv_file(rows: list[list], *, encoding: str = "utf-8-sig", name: str = "导入.csv") -> SimpleUploadedFile:
    buffer = io.StringIO()
    csv.writer(buffer, lineterminator="\r\n").writerows(rows)
    return SimpleUploadedFile(name, buffer.getvalue().encode(encoding), content_type="text/csv")


def xlsx_bytes(rows: list[list], *, title: str = "Sheet") -> bytes:
    workbook = Workbook()
    sheet = workbook.active
    sheet.title = title
    for row in rows:
        sheet.append(row)
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def xlsx_file(rows: list[list], *, name: str = "导入.xlsx") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, xlsx_bytes(rows))


def counts() -> tuple[int, int, int]:
    return Organization.objects.count(), Member.objects.count(), AuditEntry.objects.count()


def errors_of(result: ImportResult) -> list[tuple[int | None, str, str]]:
    return [(error.row, error.column, error.message) for error in result.errors]


def member_values(member: Member) -> tuple:
    return (
        member.organization.code,
        member.name,
        member.gender,
        member.birth_year,
        member.joined,
        member.status,
        member.leadership_position,
        member.phone,
    )


# --- members: what is read -------------------------------------------------------------------------


def test_it_imports_members_from_a_csv_file(tree, office_user):
    file = csv_file(
        [
            MEMBER_HEADER,
            member_row(班子职务="书记"),
            member_row(
                组织编号="EDU-1",
                所在党组织="",
                姓名="李四",
                性别="女",
                出生年份="1990",
                入党日期="2015/3/8",
                党员类别="预备党员",
                联系电话="",
            ),
        ]
    )

    result = import_members(file=file, actor=office_user, user_scope=visible_organizations(office_user))

    assert (result.is_success, result.rows, result.created) == (True, 2, 2)
    members = list(Member.objects.filter(pk__in=result.created_ids).order_by("pk"))
    assert [member.pk for member in members] == result.created_ids
    assert [member_values(member) for member in members] == [
        ("FIN-1", "张三", "male", 1985, date(2010, 7, 1), "full", "secretary", "13812345678"),
        ("EDU-1", "李四", "female", 1990, date(2015, 3, 8), "probationary", "none", ""),
    ]
    for member in members:
        member.full_clean()  # the import's own checks let through only what the model accepts


def test_it_reads_a_csv_file_saved_by_excel_in_gbk(tree, office_user):
    file = csv_file([MEMBER_HEADER, member_row(姓名="欧阳娜娜", 入党日期="2012年7月1日")], encoding="gbk")

    result = import_members(file=file, actor=office_user, user_scope=visible_organizations(office_user))

    assert result.errors == []
    member = Member.objects.get(pk=result.created_ids[0])
    assert (member.name, member.joined) == ("欧阳娜娜", date(2012, 7, 1))


def test_it_reads_a_csv_file_in_utf8_without_bom_separated_by_semicolons(tree, office_user):
    text = ";".join(MEMBER_HEADER) + "\n" + ";".join(member_row(姓名="王五")) + "\n"
    file = SimpleUploadedFile("members.csv", text.encode("utf-8"))

    result = import_members(file=file, actor=office_user, user_scope=None)

    assert result.errors == []
    assert Member.objects.get(pk=result.created_ids[0]).name == "王五"


def test_it_reads_excel_date_cells_and_each_way_of_writing_a_date(tree, office_user):
    file = xlsx_file(
        [
            MEMBER_HEADER,
            member_row(姓名="甲", 入党日期=date(2010, 7, 1), 出生年份=1985),
            member_row(姓名="乙", 入党日期=date(2011, 8, 2), 出生年份=1986.0),
            member_row(姓名="丙", 入党日期="2012/9/3"),
            member_row(姓名="丁", 入党日期="2013年10月4日"),
            member_row(姓名="戊", 入党日期="2014.11.5"),
            member_row(姓名="己", 入党日期="2015-12-06 00:00:00", 联系电话=13912345678),
        ]
    )

    result = import_members(file=file, actor=office_user, user_scope=visible_organizations(office_user))

    assert result.errors == []
    members = Member.objects.filter(pk__in=result.created_ids).order_by("pk")
    assert [(member.name, member.joined) for member in members] == [
        ("甲", date(2010, 7, 1)),
        ("乙", date(2011, 8, 2)),
        ("丙", date(2012, 9, 3)),
        ("丁", date(2013, 10, 4)),
        ("戊", date(2014, 11, 5)),
        ("己", date(2015, 12, 6)),
    ]
    assert [member.birth_year for member in members][:2] == [1985, 1986]
    assert members.last().phone == "13912345678"


def test_it_accepts_english_field_names_stored_values_and_columns_in_any_order(tree, office_user):
    file = csv_file(
        [
            [
                "phone",
                "name",
                "organization",
                "gender",
                "birth_year",
                "joined",
                "status",
                "leadership_position",
                "备注",
            ],
            ["", "赵六", "FIN-2", "female", "1979", "2001-07-01", "full", "deputy_secretary", "调入"],
        ]
    )

    result = import_members(file=file, actor=office_user, user_scope=visible_organizations(office_user))

    assert result.errors == []
    assert member_values(Member.objects.get(pk=result.created_ids[0])) == (
        "FIN-2",
        "赵六",
        "female",
        1979,
        date(2001, 7, 1),
        "full",
        "deputy_secretary",
        "",
    )


# --- members: what is refused, by row and column, with nothing written -------------------------------------


@pytest.mark.parametrize(
    ("changes", "column", "message"),
    [
        ({"姓名": ""}, "姓名", "必填，不能为空"),
        ({"姓名": "长" * 51}, "姓名", "不能超过50个字（现有51个）"),
        ({"性别": "M"}, "性别", "“M”不是可选的值，应为：男、女"),
        ({"出生年份": "85"}, "出生年份", "“85”不是四位年份，应写作如 1985"),
        ({"出生年份": "1850"}, "出生年份", "年份应在1900至2100之间"),
        ({"入党日期": ""}, "入党日期", "必填，不能为空"),
        ({"入党日期": "2020-02-30"}, "入党日期", "“2020-02-30”不是有效的日期（该月没有这一天）"),
        ({"入党日期": "去年"}, "入党日期", "“去年”不是日期，应写作 2020-05-01、2020/5/1 或 2020年5月1日"),
        ({"党员类别": "群众"}, "党员类别", "“群众”不是可选的值，应为：正式党员、预备党员"),
        ({"班子职务": "组长"}, "班子职务", "“组长”不是可选的值，应为：无、书记、副书记、委员，或留空"),
        ({"联系电话": "电话号码"}, "联系电话", "“电话号码”不是有效的电话号码"),
        ({"联系电话": "138****5678"}, "联系电话", "“138****5678”是隐藏了中间位的号码，请填写完整号码或留空"),
        ({"组织编号": ""}, "组织编号", "必填，不能为空"),
        ({"组织编号": "NOPE"}, "组织编号", "组织编号“NOPE”不存在或不在您管理的范围内"),
        (
            {"所在党组织": "财政局第二支部"},
            "所在党组织",
            "“财政局第二支部”与组织编号“FIN-1”的组织名称“财政局第一支部”不符",
        ),
    ],
)
def test_it_names_the_row_and_the_column_of_a_wrong_member_value_and_writes_nothing(
    tree, office_user, changes, column, message
):
    before = counts()
    file = csv_file([MEMBER_HEADER, member_row(姓名="正确"), member_row(**changes)])

    result = import_members(file=file, actor=office_user, user_scope=visible_organizations(office_user))

    assert errors_of(result) == [(3, column, message)]
    assert (result.is_success, result.created_ids) == (False, [])
    assert counts() == before


def test_it_refuses_a_joining_date_in_the_future(tree, office_user):
    tomorrow = timezone.localdate() + timedelta(days=1)
    file = csv_file([MEMBER_HEADER, member_row(入党日期=tomorrow.isoformat())])

    result = import_members(file=file, actor=office_user, user_scope=None)

    assert errors_of(result) == [(2, "入党日期", "日期不能晚于今天")]
    assert Member.objects.count() == 0


def test_it_reports_every_error_of_every_row_in_order_and_writes_nothing(tree, office_user):
    before = counts()
    file = csv_file(
        [
            MEMBER_HEADER,
            member_row(性别="未知", 出生年份="八五"),
            member_row(),
            member_row(组织编号="NOPE", 所在党组织="", 联系电话="x"),
        ]
    )

    result = import_members(file=file, actor=office_user, user_scope=visible_organizations(office_user))

    assert errors_of(result) == [
        (2, "性别", "“未知”不是可选的值，应为：男、女"),
        (2, "出生年份", "“八五”不是四位年份，应写作如 1985"),
        (4, "组织编号", "组织编号“NOPE”不存在或不在您管理的范围内"),
        (4, "联系电话", "“x”不是有效的电话号码"),
    ]
    assert result.rows == 3
    assert counts() == before


def test_it_names_the_column_as_the_file_spells_it(tree, office_user):
    file = csv_file(
        [
            ["organization", "name", "gender", "birth_year", "joined", "status"],
            ["FIN-1", "张三", "男", "1985", "2010-07-01", "党员"],
        ]
    )

    result = import_members(file=file, actor=office_user, user_scope=None)

    assert errors_of(result) == [(2, "status", "“党员”不是可选的值，应为：正式党员、预备党员")]


def test_it_refuses_an_organization_outside_the_users_subtree_as_if_it_did_not_exist(tree, secretary):
    before = counts()
    file = csv_file(
        [
            MEMBER_HEADER,
            member_row(),
            member_row(组织编号="FIN-2", 所在党组织=""),
            member_row(组织编号="GONE", 所在党组织=""),
        ]
    )

    result = import_members(file=file, actor=secretary, user_scope=visible_organizations(secretary))

    assert errors_of(result) == [
        (3, "组织编号", "组织编号“FIN-2”不存在或不在您管理的范围内"),
        (4, "组织编号", "组织编号“GONE”不存在或不在您管理的范围内"),
    ]
    assert counts() == before


def test_it_refuses_a_second_secretary_of_one_organization_within_the_file(tree, office_user):
    file = csv_file(
        [
            MEMBER_HEADER,
            member_row(姓名="甲", 班子职务="书记"),
            member_row(姓名="乙", 班子职务="副书记"),
            member_row(姓名="丙", 班子职务="书记"),
            member_row(组织编号="FIN-2", 所在党组织="", 姓名="丁", 班子职务="书记"),
        ]
    )

    result = import_members(file=file, actor=office_user, user_scope=None)

    assert errors_of(result) == [(4, "班子职务", "组织“FIN-1”只能有一名书记，第2行已是该组织的书记")]
    assert Member.objects.count() == 0


def test_it_refuses_a_secretary_where_the_organization_already_has_one(tree, office_user):
    MemberFactory(organization=tree.finance_1, name="老书记", leadership_position=LeadershipPosition.SECRETARY)
    before = counts()
    file = csv_file([MEMBER_HEADER, member_row(姓名="新书记", 班子职务="书记")])

    result = import_members(file=file, actor=office_user, user_scope=None)

    assert errors_of(result) == [(2, "班子职务", "组织“FIN-1”已有书记（老书记），每个组织只能有一名书记")]
    assert counts() == before


def test_it_refuses_members_for_an_organization_that_was_dissolved(tree, office_user):
    Organization.objects.filter(pk=tree.finance_2.pk).update(is_active=False)
    file = csv_file([MEMBER_HEADER, member_row(组织编号="FIN-2", 所在党组织="")])

    result = import_members(file=file, actor=office_user, user_scope=None)

    assert errors_of(result) == [(2, "组织编号", "组织“FIN-2”已撤销，不能再调入党员")]
    assert Member.objects.count() == 0


def test_it_writes_nothing_when_the_database_refuses_a_row_after_the_checks(tree, office_user, monkeypatch):
    # Given a secretary who appears between the checks and the write (another user, at the same moment)
    insert = imports._insert_members

    def insert_after_a_concurrent_secretary(rows):
        MemberFactory(organization=tree.finance_1, leadership_position=LeadershipPosition.SECRETARY)
        return insert(rows)

    monkeypatch.setattr(imports, "_insert_members", insert_after_a_concurrent_secretary)
    file = csv_file([MEMBER_HEADER, member_row(班子职务="书记"), member_row(姓名="李四")])

    # When
    result = import_members(file=file, actor=office_user, user_scope=None)

    # Then the import rolled back whole, the concurrent secretary with it (one savepoint)
    assert errors_of(result) == [(None, "", CONCURRENT_CHANGE)]
    assert Member.objects.count() == 0
    assert AuditEntry.objects.count() == 0


# --- the file as a whole --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "content", "message"),
    [
        ("members.csv", b"", "文件是空的"),
        ("members.csv", b"\r\n , ,\r\n", "文件是空的"),
        ("members.pdf", b"%PDF-1.4 ...", "不支持“.pdf”类型的文件，请上传 .xlsx、.xls、.ods、.csv 文件"),
        (
            "members.xls",
            b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\0" * 100,
            "无法读取该 Excel 文件：文件可能已损坏或设置了打开密码，请在 Excel 中“另存为”不加密的 .xlsx 后再导入",
        ),
        ("members.xlsx", b"PK\x03\x04 not really a zip", "不是有效的 Excel（.xlsx）文件，文件可能已损坏"),
        ("members.xlsx", b"just text", "不是有效的 Excel（.xlsx）文件，文件可能已损坏"),
        ("members.csv", b"\x00\x01\x02\x03binary", "不是 CSV 文本文件，请上传 .xlsx、.xls、.ods、.csv 文件"),
        ("members.csv", ",".join(MEMBER_HEADER).encode(), "文件中没有数据（只有表头）"),
        (
            "members.csv",
            "组织编号,姓名,性别,出生年份,入党日期,党员类别,籍贯\r\n".encode(),
            "表头有误：无法识别的列“籍贯”。请使用下载的导入模板",
        ),
        (
            "members.csv",
            "组织编号,姓名,出生年份,姓名\r\n".encode(),
            "表头有误：“姓名”与“姓名”是同一列，重复了；缺少必填列：“性别”、“入党日期”、“党员类别”。请使用下载的导入模板",
        ),
        (
            "members.csv",
            (
                "组织编号,姓名,性别,出生年份,入党日期,党员类别\r\nFIN-1,张三,男,1985,2010-07-01,正式党员,多出来的\r\n"
            ).encode(),
            "第2行在表头之外的列中有内容，请删除或为该列加上表头",
        ),
    ],
)
def test_it_explains_a_file_it_cannot_read_without_a_traceback(tree, office_user, name, content, message):
    before = counts()

    result = import_members(file=SimpleUploadedFile(name, content), actor=office_user, user_scope=None)

    assert errors_of(result) == [(None, "", message)]
    assert str(result.errors[0]) == f"文件：{message}"
    assert counts() == before


def test_it_reads_a_file_given_as_a_path_or_as_bytes(tree, office_user, tmp_path):
    path = tmp_path / "members.xlsx"
    path.write_bytes(xlsx_bytes([MEMBER_HEADER, member_row(姓名="路径")]))

    from_path = import_members(file=path, actor=office_user, user_scope=None)
    from_bytes = import_members(
        file=xlsx_bytes([MEMBER_HEADER, member_row(姓名="字节")]), actor=office_user, user_scope=None
    )

    assert (from_path.errors, from_bytes.errors) == ([], [])
    assert sorted(Member.objects.values_list("name", flat=True)) == ["字节", "路径"]


def test_it_picks_the_sheet_that_holds_the_data_and_skips_blank_rows(tree, office_user):
    workbook = Workbook()
    workbook.active.title = "封面"
    workbook.active.append(["2026年党员名册"])
    data = workbook.create_sheet("名册")
    data.append([])  # row 1, blank
    data.append(MEMBER_HEADER)  # row 2
    data.append(member_row(姓名="甲"))  # row 3
    data.append([])  # row 4, blank
    data.append(member_row(姓名="乙", 性别="男人"))  # row 5
    buffer = io.BytesIO()
    workbook.save(buffer)

    result = import_members(file=buffer.getvalue(), actor=office_user, user_scope=None)

    assert errors_of(result) == [(5, "性别", "“男人”不是可选的值，应为：男、女")]


# --- members: audit --------------------------------------------------------------------------------------


def test_it_writes_one_audit_entry_per_organization_with_the_ids_of_its_new_members(tree, office_user):
    file = csv_file(
        [
            MEMBER_HEADER,
            member_row(姓名="甲"),
            member_row(组织编号="FIN-2", 所在党组织="", 姓名="乙"),
            member_row(姓名="丙"),
        ],
        name="财政局党员.csv",
    )
    digest = hashlib.sha256(file.read()).hexdigest()

    result = import_members(file=file, actor=office_user, user_scope=visible_organizations(office_user))

    first, second, third = result.created_ids
    entries = list(AuditEntry.objects.order_by("sequence"))
    assert [(entry.action, entry.object_type, entry.object_id, entry.actor_id) for entry in entries] == [
        ("member.imported", "orgs.organization", str(tree.finance_1.pk), office_user.pk),
        ("member.imported", "orgs.organization", str(tree.finance_2.pk), office_user.pk),
    ]
    assert [entry.after for entry in entries] == [
        {"count": 2, "member_ids": [first, third], "source": {"file": "财政局党员.csv", "sha256": digest}},
        {"count": 1, "member_ids": [second], "source": {"file": "财政局党员.csv", "sha256": digest}},
    ]
    assert [entry.before for entry in entries] == [None, None]
    assert verify_chain() is None


def test_its_audit_entries_continue_the_chain_of_single_entries(tree, office_user):
    audit_log(
        actor=office_user, action="organization.updated", obj=tree.root, before={"name": "a"}, after={"name": "b"}
    )
    import_members(file=csv_file([MEMBER_HEADER, member_row()]), actor=office_user, user_scope=None)
    audit_log(actor=None, action="organization.updated", obj=tree.root, before={"name": "b"}, after={"name": "c"})

    assert list(AuditEntry.objects.order_by("sequence").values_list("sequence", "action")) == [
        (1, "organization.updated"),
        (2, "member.imported"),
        (3, "organization.updated"),
    ]
    assert verify_chain() is None


@pytest.mark.django_db(transaction=True)
def test_the_bulk_append_refuses_to_run_outside_a_transaction():
    organization = OrganizationFactory()

    with pytest.raises(TransactionManagementError):
        append_audit_entries(actor=None, entries=[("member.imported", organization, None, {})])

    assert AuditEntry.objects.count() == 0


# --- organizations -------------------------------------------------------------------------------------


def test_it_imports_organizations_children_before_or_after_their_parents(tree, office_user):
    file = xlsx_file(
        [
            ORGANIZATION_HEADER,
            organization_row(
                组织编号="TAX-1", 组织名称="税务局第一支部", 上级组织编号="TAX", 成立日期=date(2018, 3, 1)
            ),
            organization_row(
                组织编号="TAX", 组织名称="税务局机关党委", 组织类型="党委", 上级组织编号="ROOT", 成立日期=""
            ),
            organization_row(组织编号="FIN-3", 组织名称="财政局第三支部", 类别="事业单位", 是否有效="否"),
            organization_row(组织编号="TAX-2", 组织名称="税务局第二支部", 组织类型="联合党支部", 上级组织编号="TAX"),
        ]
    )

    result = import_organizations(file=file, actor=office_user, user_scope=visible_organizations(office_user))

    assert (result.errors, result.rows, result.created) == ([], 4, 4)
    created = {org.code: org for org in Organization.objects.filter(pk__in=result.created_ids)}
    assert [created[code].pk for code in ("TAX-1", "TAX", "FIN-3", "TAX-2")] == result.created_ids
    parent = {code: Organization.objects.get_parent(org, update=True).code for code, org in created.items()}
    assert parent == {"TAX-1": "TAX", "TAX": "ROOT", "FIN-3": "FIN", "TAX-2": "TAX"}
    assert [node.code for node in Organization.objects.get_children(created["TAX"])] == ["TAX-1", "TAX-2"]
    assert [
        (created[code].org_type, created[code].category, created[code].founded, created[code].is_active)
        for code in ("TAX-1", "TAX", "FIN-3", "TAX-2")
    ] == [
        ("branch", "机关", date(2018, 3, 1), True),
        ("party_committee", "机关", None, True),
        ("branch", "事业单位", date(2019, 7, 1), False),
        ("joint_branch", "机关", date(2019, 7, 1), True),
    ]
    assert Organization.objects.find_problems() == ([], [], [], [], [])


def test_it_audits_each_imported_organization_with_its_values_and_source_row(tree, office_user):
    file = csv_file([ORGANIZATION_HEADER, organization_row()], name="组织.csv")
    digest = hashlib.sha256(file.read()).hexdigest()

    result = import_organizations(file=file, actor=office_user, user_scope=visible_organizations(office_user))

    entry = AuditEntry.objects.get()
    assert (entry.action, entry.object_type, entry.object_id, entry.object_repr) == (
        "organization.imported",
        "orgs.organization",
        str(result.created_ids[0]),
        "财政局第三支部（FIN-3）",
    )
    assert entry.before is None
    assert entry.after == {
        "name": "财政局第三支部",
        "code": "FIN-3",
        "org_type": "branch",
        "category": "机关",
        "founded": "2019-07-01",
        "is_active": True,
        "parent_id": tree.finance.pk,
        "source": {"file": "组织.csv", "sha256": digest, "row": 2},
    }
    assert verify_chain() is None


def test_it_creates_a_new_root_only_for_an_unrestricted_import(db, superuser):
    file = csv_file([ORGANIZATION_HEADER, organization_row(组织编号="TOP", 组织类型="党委", 上级组织编号="")])

    result = import_organizations(file=file, actor=superuser, user_scope=None)

    assert result.errors == []
    assert Organization.objects.get(code="TOP").is_root()


@pytest.mark.parametrize(
    ("changes", "column", "message"),
    [
        ({"组织编号": ""}, "组织编号", "必填，不能为空"),
        ({"组织编号": "财政-3"}, "组织编号", "编号只能包含字母、数字、点、下划线和连字符"),
        ({"组织编号": "FIN-1"}, "组织编号", "组织编号“FIN-1”已被使用"),
        ({"组织名称": ""}, "组织名称", "必填，不能为空"),
        ({"组织类型": "小组"}, "组织类型", "“小组”不是可选的值，应为：党委、党总支、党支部、联合党支部、临时党支部"),
        ({"类别": "企业"}, "类别", "“企业”不是可选的值，应为：机关、国企、事业单位、学校、村、社区、两新"),
        ({"上级组织编号": ""}, "上级组织编号", "必填，不能为空"),
        ({"上级组织编号": "NOPE"}, "上级组织编号", "上级组织编号“NOPE”不存在或不在您管理的范围内"),
        ({"上级组织编号": "EDU"}, "上级组织编号", "上级组织编号“EDU”不存在或不在您管理的范围内"),
        ({"上级组织编号": "FIN-1"}, "上级组织编号", "上级组织“FIN-1”是党支部，其下不能再设党组织"),
        ({"上级组织编号": "FIN-3"}, "上级组织编号", "上级组织不能是它自己"),
        ({"成立日期": "2019-13-01"}, "成立日期", "“2019-13-01”不是有效的日期（该月没有这一天）"),
        ({"是否有效": "也许"}, "是否有效", "“也许”应为“是”或“否”"),
    ],
)
def test_it_names_the_row_and_the_column_of_a_wrong_organization_value_and_writes_nothing(
    tree, reviewer, changes, column, message
):
    # Given a reviewer attached to FIN: EDU exists but lies outside the reviewer's subtree
    before = counts()
    file = csv_file(
        [ORGANIZATION_HEADER, organization_row(组织编号="FIN-9", 组织名称="正确"), organization_row(**changes)]
    )

    result = import_organizations(file=file, actor=reviewer, user_scope=visible_organizations(reviewer))

    assert errors_of(result) == [(3, column, message)]
    assert counts() == before


def test_it_refuses_a_code_used_twice_in_the_file_and_a_parent_that_is_dissolved(tree, office_user):
    Organization.objects.filter(pk=tree.education.pk).update(is_active=False)
    before = counts()
    file = csv_file(
        [
            ORGANIZATION_HEADER,
            organization_row(组织编号="NEW", 组织类型="党总支"),
            organization_row(组织编号="NEW"),
            organization_row(组织编号="EDU-2", 上级组织编号="EDU"),
            organization_row(组织编号="NEW-1", 上级组织编号="NEW", 成立日期="2030-01-01"),
        ]
    )

    result = import_organizations(file=file, actor=office_user, user_scope=visible_organizations(office_user))

    assert errors_of(result) == [
        (3, "组织编号", "组织编号“NEW”与第2行重复"),
        (4, "上级组织编号", "上级组织“EDU”已撤销，不能在其下设立组织"),
        (5, "成立日期", "日期不能晚于今天"),
    ]
    assert counts() == before


def test_it_refuses_parents_that_name_each_other_in_a_circle(tree, office_user):
    before = counts()
    file = csv_file(
        [
            ORGANIZATION_HEADER,
            organization_row(组织编号="A", 组织类型="党委", 上级组织编号="B"),
            organization_row(组织编号="B", 组织类型="党委", 上级组织编号="A"),
            organization_row(组织编号="C", 上级组织编号="FIN"),
        ]
    )

    result = import_organizations(file=file, actor=office_user, user_scope=visible_organizations(office_user))

    assert errors_of(result) == [
        (2, "上级组织编号", "上级组织编号之间形成了循环，找不到已有的上级组织"),
        (3, "上级组织编号", "上级组织编号之间形成了循环，找不到已有的上级组织"),
    ]
    assert counts() == before


def test_it_refuses_a_parent_in_the_file_that_is_a_branch(tree, office_user):
    file = csv_file(
        [
            ORGANIZATION_HEADER,
            organization_row(组织编号="B1", 组织类型="党支部"),
            organization_row(组织编号="B1-1", 上级组织编号="B1"),
        ]
    )

    result = import_organizations(file=file, actor=office_user, user_scope=None)

    assert errors_of(result) == [(3, "上级组织编号", "上级组织“B1”是党支部，其下不能再设党组织")]
    assert Organization.objects.count() == 6


def test_it_explains_an_organization_file_with_a_missing_column(tree, office_user):
    file = csv_file([["组织编号", "组织名称", "类别"], ["X", "某支部", "机关"]])

    result = import_organizations(file=file, actor=office_user, user_scope=None)

    assert errors_of(result) == [
        (None, "", "表头有误：缺少必填列：“组织类型”、“上级组织编号”。请使用下载的导入模板"),
    ]


# --- templates and the error report --------------------------------------------------------------------


def test_the_member_template_has_the_headers_an_example_and_a_sheet_explaining_each_column():
    workbook = load_workbook(io.BytesIO(member_import_template()))

    assert workbook.sheetnames == ["党员", "说明"]
    # Only the header: the example is on the 说明 sheet, never a row that could be imported
    assert list(workbook["党员"].iter_rows(values_only=True)) == [tuple(MEMBER_HEADER)]
    help_rows = list(workbook["说明"].iter_rows(values_only=True))
    assert ("示例：JG-001-01｜市财政局机关第一党支部｜张三｜男｜1985｜2010-07-01｜正式党员｜书记｜13812345678",) in [
        row[:1] for row in help_rows
    ]
    help_rows = list(workbook["说明"].iter_rows(values_only=True))
    table = help_rows[help_rows.index(("列名", "是否必填", "可填写的值", "说明", "示例")) + 1 :]
    assert [(row[0], row[1], row[2]) for row in table] == [
        ("组织编号", "必填", "—"),
        ("所在党组织", "选填", "—"),
        ("姓名", "必填", "—"),
        ("性别", "必填", "男、女"),
        ("出生年份", "必填", "—"),
        ("入党日期", "必填", "—"),
        ("党员类别", "必填", "正式党员、预备党员"),
        ("班子职务", "选填", "无、书记、副书记、委员"),
        ("联系电话", "选填", "—"),
    ]
    assert workbook["党员"].column_dimensions["A"].number_format == "@"
    lists = {
        str(validation.sqref): validation.formula1 for validation in workbook["党员"].data_validations.dataValidation
    }
    assert lists == {
        "D2:D100000": '"男,女"',
        "G2:G100000": '"正式党员,预备党员"',
        "H2:H100000": '"无,书记,副书记,委员"',
    }


def test_the_organization_template_lists_each_column_and_its_allowed_values():
    workbook = load_workbook(io.BytesIO(organization_import_template()))

    assert workbook.sheetnames == ["党组织", "说明"]
    assert next(workbook["党组织"].iter_rows(values_only=True)) == tuple(ORGANIZATION_HEADER)
    help_rows = list(workbook["说明"].iter_rows(values_only=True))
    table = help_rows[help_rows.index(("列名", "是否必填", "可填写的值", "说明", "示例")) + 1 :]
    assert [(row[0], row[1], row[2]) for row in table] == [
        ("组织编号", "必填", "—"),
        ("组织名称", "必填", "—"),
        ("组织类型", "必填", "党委、党总支、党支部、联合党支部、临时党支部"),
        ("类别", "必填", "机关、国企、事业单位、学校、村、社区、两新"),
        ("上级组织编号", "必填", "—"),
        ("成立日期", "选填", "—"),
        ("是否有效", "选填", "是、否"),
    ]


def test_a_filled_in_template_imports(tree, office_user):
    # Given the downloaded template filled in below its header
    workbook = load_workbook(io.BytesIO(member_import_template()))
    sheet = workbook["党员"]
    sheet.append(["FIN-1", "财政局第一支部", "李四", "男", 1985, date(2010, 7, 1), "正式党员", "书记", "13812345678"])
    buffer = io.BytesIO()
    workbook.save(buffer)

    result = import_members(file=SimpleUploadedFile("模板.xlsx", buffer.getvalue()), actor=office_user, user_scope=None)

    assert result.errors == []
    assert member_values(Member.objects.get()) == (
        "FIN-1",
        "李四",
        "male",
        1985,
        date(2010, 7, 1),
        "full",
        "secretary",
        "13812345678",
    )


def test_the_error_report_lists_row_column_and_reason():
    result = ImportResult(rows=2, errors=[RowError(None, "", "文件是空的"), RowError(3, "性别", "=不对")])

    rows = list(load_workbook(io.BytesIO(import_error_report(result)))["错误报告"].iter_rows(values_only=True))

    assert rows == [("行号", "列", "原因"), ("（整个文件）", "—", "文件是空的"), (3, "性别", "=不对")]
