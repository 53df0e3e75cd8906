"""``xingji setup``: the first run of a real office — root, first office account, optional tree — all or nothing."""

from __future__ import annotations

import csv
import io

import pytest

from tests.ops.conftest import run_xingji
from xingji.accounts.models import Role, User
from xingji.audit.models import AuditEntry
from xingji.ops.setup import SetupRefused, first_setup
from xingji.orgs.models import Member, Organization

PASSWORD = "Xingji-2026-setup"
ROOT_NAME = "中共某市直属机关工作委员会"
ORGANIZATION_HEADER = ["组织编号", "组织名称", "组织类型", "类别", "上级组织编号", "成立日期", "是否有效"]
MEMBER_HEADER = ["组织编号", "所在党组织", "姓名", "性别", "出生年份", "入党日期", "党员类别", "班子职务", "联系电话"]


def write_csv(path, rows):
    buffer = io.StringIO()
    csv.writer(buffer).writerows(rows)
    path.write_text(buffer.getvalue(), encoding="utf-8")
    return path


@pytest.fixture
def files(tmp_path):
    organizations = write_csv(
        tmp_path / "组织.csv",
        [
            ORGANIZATION_HEADER,
            ["FIN", "市财政局机关党委", "党委", "机关", "SZJG", "2001-07-01", "是"],
            ["FIN-1", "市财政局第一支部", "党支部", "机关", "FIN", "2001-07-01", "是"],
        ],
    )
    members = write_csv(
        tmp_path / "党员.csv",
        [MEMBER_HEADER, ["FIN-1", "", "张三", "男", "1985", "2010-07-01", "正式党员", "", "13812345678"]],
    )
    return organizations, members


def setup(**changes):
    arguments = {"root_name": ROOT_NAME, "root_code": "SZJG", "username": "office", "password": PASSWORD}
    arguments.update(changes)
    return first_setup(**arguments)


@pytest.mark.django_db
def test_it_creates_the_root_and_an_office_account_that_can_log_in(client):
    result = setup(name="王主任", email="office@example.org")

    root = Organization.objects.get()
    assert (root.name, root.code, root.depth) == ("中共某市直属机关工作委员会", "SZJG", 1)
    office = User.objects.get(username="office")
    assert (office.organization, office.role, office.name) == (root, Role.COMMITTEE_OFFICE, "王主任")
    assert result.root == root and result.office == office
    assert office.check_password(PASSWORD)
    assert set(AuditEntry.objects.values_list("action", flat=True)) == {"organization.created", "user.created"}


@pytest.mark.django_db
def test_it_imports_the_tree_and_the_members_with_the_new_account_as_actor(files):
    organizations, members = files
    result = setup(organizations_file=organizations, members_file=members)

    assert (result.organizations, result.members) == (2, 1)
    branch = Organization.objects.get(code="FIN-1")
    assert branch.get_parent().code == "FIN" and branch.get_parent().get_parent().code == "SZJG"
    assert Member.objects.get().organization == branch
    assert AuditEntry.objects.filter(actor=result.office).exists()


@pytest.mark.django_db
def test_a_second_setup_is_refused_and_writes_nothing():
    setup()
    before = (Organization.objects.count(), User.objects.count(), AuditEntry.objects.count())
    with pytest.raises(SetupRefused) as refused:
        setup(root_code="OTHER", username="second")
    assert refused.value.problems == [f"数据库中已有党组织（{ROOT_NAME}），不能再次初始化；请登录后在“组织管理”中维护"]
    assert (Organization.objects.count(), User.objects.count(), AuditEntry.objects.count()) == before


@pytest.mark.django_db
def test_a_weak_password_leaves_no_root_behind():
    with pytest.raises(SetupRefused) as refused:
        setup(password="short")
    assert refused.value.problems and all(problem.startswith("工委账户：") for problem in refused.value.problems)
    assert Organization.objects.count() == 0 and User.objects.count() == 0 and AuditEntry.objects.count() == 0


@pytest.mark.django_db
def test_a_bad_code_is_named():
    with pytest.raises(SetupRefused) as refused:
        setup(root_code="市直工委")
    assert "顶级组织：组织编号 编号只能包含字母、数字、点、下划线和连字符" in refused.value.problems
    assert Organization.objects.count() == 0


@pytest.mark.django_db
def test_a_bad_row_of_the_members_file_undoes_the_root_the_account_and_the_tree(files, tmp_path):
    organizations, _ = files
    members = write_csv(
        tmp_path / "党员有误.csv",
        [MEMBER_HEADER, ["FIN-1", "", "张三", "M", "1985", "2010-07-01", "正式党员", "", "13812345678"]],
    )
    with pytest.raises(SetupRefused) as refused:
        setup(organizations_file=organizations, members_file=members)
    assert len(refused.value.problems) == 1
    assert refused.value.problems[0].startswith("党员名册 党员有误.csv：第2行")
    assert "性别" in refused.value.problems[0]
    assert (Organization.objects.count(), User.objects.count(), Member.objects.count()) == (0, 0, 0)
    assert AuditEntry.objects.count() == 0


def test_the_command_sets_up_a_fresh_data_directory_once(tmp_path):
    data_dir = tmp_path / "data"
    arguments = ["setup", "--root-name", "中共某市直属机关工作委员会", "--root-code", "SZJG", "--username", "office"]

    first = run_xingji(*arguments, "--data", data_dir, XINGJI_SETUP_PASSWORD=PASSWORD)
    assert first.returncode == 0, first.stderr
    assert "已设立顶级组织：中共某市直属机关工作委员会（SZJG）" in first.stdout
    assert "xingji serve" in first.stdout

    again = run_xingji(*arguments, "--data", data_dir, XINGJI_SETUP_PASSWORD=PASSWORD)
    assert again.returncode != 0
    assert "不能再次初始化" in again.stderr

    without_password = run_xingji(*arguments, "--data", tmp_path / "other")
    assert without_password.returncode != 0
    assert "XINGJI_SETUP_PASSWORD" in without_password.stderr
