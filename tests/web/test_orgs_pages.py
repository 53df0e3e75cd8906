"""The organization, member and election pages: forms, validation messages, lists, exports and imports."""

from __future__ import annotations

import io
from datetime import date, timedelta

import pytest
from django.utils import timezone
from openpyxl import Workbook, load_workbook

from tests.factories import ElectionFactory, MemberFactory, OrganizationFactory
from xingji.audit.models import AuditEntry
from xingji.orgs.models import (
    Election,
    LeadershipPosition,
    Member,
    Organization,
    OrganizationMove,
    OrganizationType,
)


@pytest.fixture
def login(client):
    def log_in(user):
        client.force_login(user)
        return client

    return log_in


def form_errors(response) -> dict[str, list[str]]:
    return {name: [str(error) for error in errors] for name, errors in response.context["form"].errors.items()}


def sheet_rows(response, sheet: str) -> list[tuple]:
    workbook = load_workbook(io.BytesIO(response.content), read_only=True)
    return list(workbook[sheet].iter_rows(values_only=True))


# --- organizations ---------------------------------------------------------------------------------


def test_it_creates_a_child_organization_through_the_service(login, reviewer, tree):
    response = login(reviewer).post(
        f"/orgs/{tree.finance.pk}/new/",
        {
            "name": "财政局第三支部",
            "code": "FIN-3",
            "org_type": "branch",
            "category": "机关",
            "is_active": "on",
        },
    )

    created = Organization.objects.get(code="FIN-3")
    assert response.status_code == 302
    assert response["Location"] == f"/orgs/{created.pk}/"
    assert Organization.objects.get_parent(created).pk == tree.finance.pk
    assert AuditEntry.objects.get(action="organization.created").actor_id == reviewer.pk


def test_it_refuses_a_child_under_a_branch_with_the_services_message(login, secretary, tree):
    response = login(secretary).post(
        f"/orgs/{tree.finance_1.pk}/new/",
        {
            "name": "小组",
            "code": "FIN-1-A",
            "org_type": "branch",
            "category": "机关",
            "is_active": "on",
        },
    )

    assert response.status_code == 200
    assert form_errors(response) == {"__all__": ["党支部下不能再设党组织"]}
    assert not Organization.objects.filter(code="FIN-1-A").exists()
    assert not AuditEntry.objects.exists()


def test_it_refuses_a_duplicate_code_on_the_code_field(login, office_user, tree):
    response = login(office_user).post(
        f"/orgs/{tree.root.pk}/new/",
        {
            "name": "重复",
            "code": "FIN-1",
            "org_type": "party_committee",
            "category": "机关",
            "is_active": "on",
        },
    )

    assert form_errors(response) == {"code": ["具有 组织编号 的 党组织 已存在。"]}


def test_it_updates_only_the_changed_fields(login, reviewer, tree):
    organization = tree.finance_1
    response = login(reviewer).post(
        f"/orgs/{organization.pk}/edit/",
        {
            "name": "财政局机关第一支部",
            "code": "FIN-1",
            "org_type": "branch",
            "category": "机关",
            "founded": "2010-07-01",
            "is_active": "on",
        },
    )

    entry = AuditEntry.objects.get(action="organization.updated")
    assert response.status_code == 302
    assert entry.before == {"name": "财政局第一支部"}
    assert entry.after == {"name": "财政局机关第一支部"}


def test_it_refuses_a_founding_date_in_the_future(login, reviewer, tree):
    tomorrow = timezone.localdate() + timedelta(days=1)
    response = login(reviewer).post(
        f"/orgs/{tree.finance_1.pk}/edit/",
        {
            "name": "财政局第一支部",
            "code": "FIN-1",
            "org_type": "branch",
            "category": "机关",
            "founded": tomorrow.isoformat(),
            "is_active": "on",
        },
    )

    assert form_errors(response) == {"founded": ["日期不能晚于今天"]}


def test_it_moves_a_branch_and_offers_neither_its_own_subtree_nor_its_current_parent(login, office_user, tree):
    client = login(office_user)
    page = client.get(f"/orgs/{tree.finance.pk}/move/")
    offered = {organization.code for organization in page.context["form"].fields["new_parent"].queryset}

    into_own_subtree = client.post(f"/orgs/{tree.finance.pk}/move/", {"new_parent": tree.finance_1.pk})
    moved = client.post(f"/orgs/{tree.finance_2.pk}/move/", {"new_parent": tree.education.pk})

    assert offered == {"EDU"}
    assert form_errors(into_own_subtree) == {"new_parent": ["选择一个有效的选项： 该选择不在可用的选项中。"]}
    assert moved.status_code == 302
    assert Organization.objects.get_parent(Organization.objects.get(pk=tree.finance_2.pk)).code == "EDU"


MOVE_BUTTON = "调整上级"


@pytest.mark.parametrize(
    ("user_fixture", "node", "reason"),
    [
        # a branch secretary on its own branch: never re-parents itself
        ("secretary", "finance_1", "只有上级党组织可以调整该组织的上级"),
        # a 机关党委 on its own node, the office on the root: their parents are out of their reach
        ("reviewer", "finance", "只有上级党组织可以调整该组织的上级"),
        ("office_user", "root", "只有上级党组织可以调整该组织的上级"),
        # a 机关党委 over a branch, with no other committee or general branch under it to take it
        ("reviewer", "finance_1", "管辖范围内没有其他可以接收该组织的党委或党总支"),
    ],
    ids=["secretary-own-branch", "reviewer-own-node", "office-root", "reviewer-nowhere-to-go"],
)
def test_it_neither_offers_nor_opens_a_move_that_cannot_work(request, login, tree, user_fixture, node, reason):
    client = login(request.getfixturevalue(user_fixture))
    organization = getattr(tree, node)

    detail = client.get(f"/orgs/{organization.pk}/").content.decode()
    page = client.get(f"/orgs/{organization.pk}/move/")
    posted = client.post(f"/orgs/{organization.pk}/move/", {"new_parent": tree.education.pk})

    assert "编辑" in detail and MOVE_BUTTON not in detail
    assert (page.status_code, posted.status_code) == (403, 403)
    assert reason in page.content.decode()
    assert Organization.objects.get_parent(Organization.objects.get(pk=organization.pk)) == (
        Organization.objects.get_parent(organization)
    )
    assert not AuditEntry.objects.filter(action="organization.moved").exists()


def test_a_reviewer_moves_a_branch_between_the_parents_inside_its_subtree(login, reviewer, tree):
    # given a general branch under the reviewer's 机关党委
    general = OrganizationFactory(
        name="财政局机关党总支", code="FIN-GB", org_type=OrganizationType.GENERAL_BRANCH, parent=tree.finance
    )
    client = login(reviewer)

    detail = client.get(f"/orgs/{tree.finance_1.pk}/").content.decode()
    page = client.get(f"/orgs/{tree.finance_1.pk}/move/")
    moved = client.post(f"/orgs/{tree.finance_1.pk}/move/", {"new_parent": general.pk})

    assert MOVE_BUTTON in detail
    assert [organization.code for organization in page.context["form"].fields["new_parent"].queryset] == ["FIN-GB"]
    assert moved.status_code == 302
    assert Organization.objects.get_parent(Organization.objects.get(pk=tree.finance_1.pk)).code == "FIN-GB"


def test_the_office_sees_the_move_button_below_its_node(login, office_user, tree):
    detail = login(office_user).get(f"/orgs/{tree.finance_1.pk}/").content.decode()

    assert MOVE_BUTTON in detail


def test_it_shows_the_tree_with_member_counts_per_node_and_subtree(login, office_user, tree):
    MemberFactory.create_batch(3, organization=tree.finance_1)
    MemberFactory.create_batch(2, organization=tree.finance_2)
    MemberFactory(organization=tree.education_1)

    response = login(office_user).get("/orgs/")

    counts = {row.organization.code: (row.members, row.subtree_members) for row in response.context["rows"]}
    assert counts == {"ROOT": (0, 6), "FIN": (0, 5), "FIN-1": (3, 3), "FIN-2": (2, 2), "EDU": (0, 1), "EDU-1": (1, 1)}
    assert response.context["totals"].members == 6


def test_it_searches_the_tree_by_name_or_code(login, reviewer, tree):
    response = login(reviewer).get("/orgs/", {"q": "第二"})

    assert [row.organization.code for row in response.context["rows"]] == ["FIN-2"]
    assert response.context["filtered"] is True


# --- members ------------------------------------------------------------------------------------------


def member_data(**overrides) -> dict:
    data = {
        "name": "王芳",
        "gender": "female",
        "birth_year": "1988",
        "joined": "2012-07-01",
        "status": "full",
        "leadership_position": "none",
        "phone": "13912345678",
    }
    data.update(overrides)
    return data


def test_it_creates_a_member_and_audits_only_the_masked_phone(login, secretary, tree):
    response = login(secretary).post(f"/orgs/{tree.finance_1.pk}/members/new/", member_data())

    member = Member.objects.get(name="王芳")
    assert response.status_code == 302
    assert member.organization_id == tree.finance_1.pk
    assert AuditEntry.objects.get(action="member.created").after["phone"] == "139****5678"


def test_it_refuses_a_second_secretary_with_a_clear_message(login, secretary, tree):
    MemberFactory(organization=tree.finance_1, leadership_position=LeadershipPosition.SECRETARY)

    response = login(secretary).post(
        f"/orgs/{tree.finance_1.pk}/members/new/", member_data(leadership_position="secretary")
    )

    assert response.status_code == 200
    assert form_errors(response) == {"__all__": ["该组织已有书记"]}
    assert Member.objects.filter(name="王芳").count() == 0


def test_it_explains_invalid_member_fields_in_chinese(login, secretary, tree):
    response = login(secretary).post(
        f"/orgs/{tree.finance_1.pk}/members/new/", member_data(phone="abc", birth_year="1800", name="")
    )

    assert form_errors(response) == {
        "name": ["这个字段是必填项。"],
        "birth_year": ["确保该值大于或等于1900。"],
        "phone": ["请输入有效的电话号码"],
    }


def test_it_transfers_a_member_only_within_the_subtree(login, reviewer, tree):
    member = MemberFactory(organization=tree.finance_1)
    client = login(reviewer)

    outside = client.post(
        f"/orgs/members/{member.pk}/edit/", member_data(name=member.name, organization=tree.education_1.pk)
    )
    inside = client.post(
        f"/orgs/members/{member.pk}/edit/", member_data(name=member.name, organization=tree.finance_2.pk)
    )

    assert "organization" in form_errors(outside)
    assert inside.status_code == 302
    member.refresh_from_db()
    assert member.organization_id == tree.finance_2.pk
    assert AuditEntry.objects.get(action="member.updated").after["organization_id"] == tree.finance_2.pk


def test_it_deletes_a_member_after_confirmation(login, secretary, tree):
    member = MemberFactory(organization=tree.finance_1, name="李四")
    client = login(secretary)

    confirm = client.get(f"/orgs/members/{member.pk}/delete/")
    response = client.post(f"/orgs/members/{member.pk}/delete/")

    assert "确认删除" in confirm.content.decode()
    assert response["Location"] == f"/orgs/{tree.finance_1.pk}/members/"
    assert not Member.objects.filter(pk=member.pk).exists()
    assert AuditEntry.objects.get(action="member.deleted").before["name"] == "李四"


def test_it_lists_members_with_masked_phones_filters_and_pages_of_25(login, reviewer, tree):
    MemberFactory.create_batch(30, organization=tree.finance_1, phone="13812345678")
    MemberFactory(
        organization=tree.finance_2, name="张预备", status="probationary", leadership_position="committee_member"
    )
    MemberFactory(organization=tree.education_1, name="张外部")
    client = login(reviewer)

    first = client.get(f"/orgs/{tree.finance.pk}/members/")
    second = client.get(f"/orgs/{tree.finance.pk}/members/", {"page": 2})
    searched = client.get(f"/orgs/{tree.finance.pk}/members/", {"q": "张"})
    by_status = client.get(f"/orgs/{tree.finance.pk}/members/", {"status": "probationary"})
    by_position = client.get(f"/orgs/{tree.finance.pk}/members/", {"position": "committee_member"})

    page = first.content.decode()
    assert first.context["page_obj"].paginator.count == 31
    assert len(first.context["page_obj"]) == 25
    assert len(second.context["page_obj"]) == 6
    assert "138****5678" in page
    assert "13812345678" not in page
    assert [member.name for member in searched.context["page_obj"]] == ["张预备"]
    assert [member.name for member in by_status.context["page_obj"]] == ["张预备"]
    assert [member.name for member in by_position.context["page_obj"]] == ["张预备"]


def test_it_keeps_the_filters_in_the_page_links(login, reviewer, tree):
    MemberFactory.create_batch(30, organization=tree.finance_1, status="probationary")

    response = login(reviewer).get(f"/orgs/{tree.finance.pk}/members/", {"status": "probationary"})

    assert 'href="?status=probationary&amp;page=2"' in response.content.decode()


# --- elections ------------------------------------------------------------------------------------------


def test_it_records_an_election_and_shows_it_due(login, secretary, tree):
    last = timezone.localdate().replace(year=timezone.localdate().year - 3) + timedelta(days=30)

    response = login(secretary).post(
        f"/orgs/{tree.finance_1.pk}/election/",
        {
            "last_election": last.isoformat(),
            "term_years": "3",
        },
    )
    home = login(secretary).get("/")

    assert Election.objects.get(organization=tree.finance_1).last_election == last

    assert response.status_code == 302
    election = Election.objects.get(organization=tree.finance_1)
    days_left = (election.due_date - timezone.localdate()).days
    assert home.context["own"].election.code == "due_soon"
    assert f"换届 {days_left} 天后到期" in home.content.decode()


def test_it_lets_the_superior_but_not_the_branch_itself_approve_a_postponement(login, secretary, reviewer, tree):
    data = {
        "last_election": "2020-01-01",
        "term_years": "3",
        "postponement_requested": "on",
        "postponement_approved": "on",
    }

    login(secretary).post(f"/orgs/{tree.finance_1.pk}/election/", data)
    by_branch = Election.objects.get(organization=tree.finance_1)
    login(reviewer).post(f"/orgs/{tree.finance_1.pk}/election/", data)
    by_superior = Election.objects.get(organization=tree.finance_1)

    assert (by_branch.postponement_requested, by_branch.postponement_approved) == (True, False)
    assert (by_superior.postponement_requested, by_superior.postponement_approved) == (True, True)


def test_it_refuses_an_approval_without_a_request(login, reviewer, tree):
    response = login(reviewer).post(
        f"/orgs/{tree.finance_1.pk}/election/",
        {
            "last_election": "2020-01-01",
            "term_years": "3",
            "postponement_approved": "on",
        },
    )

    assert form_errors(response) == {"__all__": ["未请示的延期不能批准"]}
    assert not Election.objects.exists()


# --- exports and imports ----------------------------------------------------------------------------------


def test_it_exports_the_users_organizations_in_the_import_columns(login, reviewer, tree):
    ElectionFactory(organization=tree.finance_1, last_election=date(2022, 6, 1))

    response = login(reviewer).get("/orgs/export.xlsx")

    rows = sheet_rows(response, "党组织")
    assert response["Content-Type"].startswith("application/vnd.openxmlformats")
    assert rows[0][:3] == ("组织编号", "组织名称", "组织类型")
    assert [row[0] for row in rows[1:]] == ["FIN", "FIN-1", "FIN-2"]
    # The parent of the reviewer's own node lies outside its subtree: left blank.
    assert [row[4] for row in rows[1:]] == [None, "FIN", "FIN"]


def test_it_exports_members_masked_and_full_phones_only_to_writers(login, reviewer, inspector, tree):
    MemberFactory(organization=tree.finance_1, name="赵六", phone="13812345678")

    masked = login(reviewer).get(f"/orgs/{tree.finance.pk}/members/export.xlsx")
    full = login(reviewer).get(f"/orgs/{tree.finance.pk}/members/export.xlsx", {"phones": "full"})
    inspected = login(inspector).get(f"/orgs/{tree.finance.pk}/members/export.xlsx", {"phones": "full"})

    assert sheet_rows(masked, "党员")[1][-1] == "138****5678"
    assert sheet_rows(full, "党员")[1][-1] == "13812345678"
    assert sheet_rows(inspected, "党员")[1][-1] == "138****5678"


def upload(rows: list[list]) -> io.BytesIO:
    workbook = Workbook()
    sheet = workbook.active
    for row in rows:
        sheet.append(row)
    buffer = io.BytesIO()
    workbook.save(buffer)
    buffer.seek(0)
    buffer.name = "members.xlsx"
    return buffer


def test_it_imports_members_from_a_file(login, secretary, tree):
    header = ["组织编号", "姓名", "性别", "出生年份", "入党日期", "党员类别"]
    file = upload([header, ["FIN-1", "钱七", "男", 1980, "2005-07-01", "正式党员"]])

    response = login(secretary).post("/orgs/import/members/", {"file": file})

    assert response.status_code == 302
    assert Member.objects.get(name="钱七").organization_id == tree.finance_1.pk


def test_it_lists_every_row_error_and_imports_nothing(login, secretary, tree):
    header = ["组织编号", "姓名", "性别", "出生年份", "入党日期", "党员类别"]
    file = upload(
        [
            header,
            ["FIN-2", "孙八", "男", 1980, "2005-07-01", "正式党员"],
            ["FIN-1", "周九", "未知", 1980, "2005-07-01", "正式党员"],
        ]
    )

    response = login(secretary).post("/orgs/import/members/", {"file": file})

    errors = response.context["result"].errors
    assert response.status_code == 200
    assert [(error.row, error.column) for error in errors] == [(2, "组织编号"), (3, "性别")]
    assert "导入失败：共 2 个错误" in response.content.decode()
    assert not Member.objects.exists()


def test_it_downloads_the_import_templates(login, inspector, tree):
    response = login(inspector).get("/orgs/import/organizations/template.xlsx")

    assert response.status_code == 200
    assert sheet_rows(response, "党组织")[0][0] == "组织编号"


def test_the_office_renames_the_root_it_works_for(login, office_user, tree):
    root = tree.root
    client = login(office_user)
    page = client.get(f"/orgs/{root.pk}/")
    assert f"/orgs/{root.pk}/edit/" in page.content.decode()
    response = client.post(
        f"/orgs/{root.pk}/edit/",
        {
            "name": "中共某市直属机关工作委员会",
            "code": root.code,
            "org_type": root.org_type,
            "category": root.category,
            "founded": root.founded.isoformat() if root.founded else "",
            "is_active": "on",
        },
    )

    assert response.status_code == 302
    root.refresh_from_db()
    assert root.name == "中共某市直属机关工作委员会"
    entry = AuditEntry.objects.get(action="organization.updated")
    assert entry.after == {"name": "中共某市直属机关工作委员会"}


def test_a_reviewer_cannot_edit_the_root_above_it(login, reviewer, tree):
    assert login(reviewer).get(f"/orgs/{tree.root.pk}/edit/").status_code == 404


# --- history: election terms, moves, renames, merges, dissolutions (issue 17 item 4) -------------------------


def test_the_election_page_records_the_team_from_the_roll_and_lists_the_history(login, secretary, tree):
    leader = MemberFactory(organization=tree.finance_1, name="张书记", leadership_position=LeadershipPosition.SECRETARY)
    member = MemberFactory(organization=tree.finance_1, name="李委员")
    client = login(secretary)
    client.post(f"/orgs/{tree.finance_1.pk}/election/", {"last_election": "2020-05-20", "term_years": "3"})

    # the form offers the roll, today's secretary first chosen
    page = client.get(f"/orgs/{tree.finance_1.pk}/election/")
    assert page.context["form"]["secretary"].value() == leader.pk
    saved = client.post(
        f"/orgs/{tree.finance_1.pk}/election/",
        {
            "last_election": "2023-05-21",
            "term_years": "5",
            "secretary": str(member.pk),
            "committee_members": [str(leader.pk)],
            "note": "第二届",
        },
    )
    history = client.get(f"/orgs/{tree.finance_1.pk}/election/")

    assert saved.status_code == 302
    assert [term.elected_on for term in history.context["terms"]] == [date(2023, 5, 21), date(2020, 5, 20)]
    content = history.content.decode()
    assert "书记：李委员；委员：张书记" in content
    assert content.index("2023-05-21") < content.index("2020-05-20")


def test_the_election_page_refuses_a_member_in_two_posts(login, secretary, tree):
    member = MemberFactory(organization=tree.finance_1, name="李委员")

    response = login(secretary).post(
        f"/orgs/{tree.finance_1.pk}/election/",
        {
            "last_election": "2023-05-21",
            "term_years": "3",
            "secretary": str(member.pk),
            "deputy_secretaries": [str(member.pk)],
        },
    )

    assert form_errors(response) == {"__all__": ["“李委员”只能担任一个职务"]}
    assert not Election.objects.exists()


def test_the_move_page_takes_the_date(login, office_user, tree):
    response = login(office_user).post(
        f"/orgs/{tree.finance_1.pk}/move/", {"new_parent": tree.education.pk, "moved_on": "2026-01-01"}
    )
    detail = login(office_user).get(f"/orgs/{tree.finance_1.pk}/")

    assert response.status_code == 302
    assert OrganizationMove.objects.get().moved_on == date(2026, 1, 1)
    assert "2026-01-01：财政局机关党委 → 教育局机关党总支" in detail.content.decode()


def test_the_merge_page_merges_after_confirmation_and_the_target_links_the_source(login, reviewer, tree):
    MemberFactory(organization=tree.finance_1)
    client = login(reviewer)
    data = {"into": tree.finance_2.pk, "on": "2026-01-01", "reason": "支部调整"}

    unconfirmed = client.post(f"/orgs/{tree.finance_1.pk}/merge/", data)
    assert "confirm" in form_errors(unconfirmed)
    assert Organization.objects.get(pk=tree.finance_1.pk).is_active

    merged = client.post(f"/orgs/{tree.finance_1.pk}/merge/", {**data, "confirm": "on"})
    target = client.get(f"/orgs/{tree.finance_2.pk}/")
    source = client.get(f"/orgs/{tree.finance_1.pk}/")

    assert merged.status_code == 302
    assert merged["Location"] == f"/orgs/{tree.finance_2.pk}/"
    content = target.content.decode()
    assert "合并前：" in content
    assert f'href="/campaigns/ledger/{tree.finance_1.pk}/"' in content
    assert "已合并" in source.content.decode()
    assert source.context["can_end"] is False


def test_the_merge_page_offers_no_branch_for_an_organization_with_children(login, office_user, tree):
    page = login(office_user).get(f"/orgs/{tree.finance.pk}/merge/")

    offered = [organization.code for organization in page.context["form"].fields["into"].queryset]
    assert offered == ["ROOT", "EDU"]


def test_the_dissolve_page_names_what_remains(login, reviewer, tree):
    MemberFactory.create_batch(3, organization=tree.finance_1)

    response = login(reviewer).post(
        f"/orgs/{tree.finance_1.pk}/dissolve/", {"on": "2026-01-01", "reason": "撤销", "confirm": "on"}
    )

    assert form_errors(response) == {"__all__": ["该组织还有党员 3 名，请先转出党员、调整或撤销下级组织后再撤销"]}
    assert Organization.objects.get(pk=tree.finance_1.pk).is_active


def test_the_dissolve_page_dissolves_an_empty_branch(login, reviewer, tree):
    response = login(reviewer).post(
        f"/orgs/{tree.finance_2.pk}/dissolve/", {"on": "2026-01-01", "reason": "单位撤销", "confirm": "on"}
    )
    detail = login(reviewer).get(f"/orgs/{tree.finance_2.pk}/")

    assert response.status_code == 302
    assert "撤销日期" in detail.content.decode()
    assert "2026-01-01（单位撤销）" in detail.content.decode()


@pytest.mark.parametrize("page", ["merge", "dissolve"])
def test_the_end_pages_are_refused_outside_the_subtree_to_the_inspector_and_to_the_branch_itself(
    login, reviewer, inspector, secretary, tree, page
):
    assert login(reviewer).get(f"/orgs/{tree.education_1.pk}/{page}/").status_code == 404
    assert login(inspector).get(f"/orgs/{tree.finance_1.pk}/{page}/").status_code == 403
    assert login(secretary).get(f"/orgs/{tree.finance_1.pk}/{page}/").status_code == 403
    assert login(reviewer).get(f"/orgs/{tree.finance_1.pk}/{page}/").status_code == 200


def test_the_detail_page_offers_merging_only_to_a_superior(login, reviewer, secretary, tree):
    assert login(reviewer).get(f"/orgs/{tree.finance_1.pk}/").context["can_end"] is True
    assert login(secretary).get(f"/orgs/{tree.finance_1.pk}/").context["can_end"] is False
