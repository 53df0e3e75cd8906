"""The home page of each role."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from tests.factories import ElectionFactory, MemberFactory, OrganizationFactory
from xingji.orgs.models import LeadershipPosition


@pytest.fixture
def login(client):
    def log_in(user):
        client.force_login(user)
        return client

    return log_in


def years_ago(years: int, plus_days: int = 0):
    today = timezone.localdate()
    return today.replace(year=today.year - years, day=min(today.day, 28)) + timedelta(days=plus_days)


def test_the_office_sees_its_whole_tree_with_counts_and_totals(login, office_user, tree):
    MemberFactory.create_batch(2, organization=tree.finance_1)
    MemberFactory(organization=tree.education_1)

    response = login(office_user).get("/")

    rows = {row.organization.code: (row.level, row.members, row.subtree_members) for row in response.context["rows"]}
    totals = response.context["totals"]
    # The page reads its node and the level below (bounded at any size); the totals cover the whole tree.
    assert rows == {
        "ROOT": (0, 0, 3),
        "FIN": (1, 0, 2),
        "EDU": (1, 0, 1),
    }
    assert (totals.organizations, totals.branches, totals.members) == (6, 3, 3)
    assert "组织架构" in response.content.decode()


def test_the_office_home_counts_organizations_by_type_and_lists_only_the_first_ten_under_its_node(
    login, office_user, tree
):
    # given 12 more branches directly under the root: 14 organizations under it, 18 in all
    for number in range(12):
        OrganizationFactory(name=f"直属支部{number:02d}", code=f"ROOT-{number:02d}", parent=tree.root)
    MemberFactory.create_batch(2, organization=tree.finance_1)

    response = login(office_user).get("/")

    page = response.content.decode()
    counts = [(count.label, count.organizations, count.members) for count in response.context["type_counts"]]
    assert counts == [("党委", 2, 0), ("党总支", 1, 0), ("党支部", 15, 2)]
    assert [row.organization.code for row in response.context["subordinates"]] == [
        "FIN",
        "EDU",
        *(f"ROOT-{number:02d}" for number in range(8)),
    ]
    assert response.context["subordinates_more"] == 4
    assert "直属支部07" in page and "直属支部08" not in page
    # the organizations further down are on the tree page, not on the home page
    assert "财政局第一支部" not in page
    assert 'href="/orgs/"' in page and "查看全部组织" in page and "还有 4 个直属下级组织" in page
    assert 'href="/orgs/?org_type=branch"' in page


def test_the_reviewer_sees_only_the_organizations_under_its_node(login, reviewer, tree):
    response = login(reviewer).get("/")

    assert [row.organization.code for row in response.context["rows"]] == ["FIN", "FIN-1", "FIN-2"]


def test_the_office_sees_overdue_and_coming_due_elections_first(login, office_user, tree):
    ElectionFactory(organization=tree.finance_1, last_election=years_ago(3, plus_days=-40), term_years=3)
    ElectionFactory(organization=tree.finance_2, last_election=years_ago(3, plus_days=20), term_years=3)
    ElectionFactory(organization=tree.education_1, last_election=years_ago(1), term_years=3)

    response = login(office_user).get("/")

    due = [
        (item.kind, item.title.split("：")[0])
        for item in response.context["due_items"]
        if item.kind in ("换届已逾期", "换届即将到期")
    ]
    assert due == [("换届已逾期", "财政局第一支部"), ("换届即将到期", "财政局第二支部")]
    assert response.context["totals"].overdue == 1


def test_the_secretary_sees_its_branch_members_and_what_is_due(login, secretary, tree):
    MemberFactory(organization=tree.finance_1, name="周书记", leadership_position=LeadershipPosition.SECRETARY)
    MemberFactory(organization=tree.finance_1, status="probationary")
    ElectionFactory(organization=tree.finance_1, last_election=years_ago(3, plus_days=-10), term_years=3)

    response = login(secretary).get("/")

    page = response.content.decode()
    assert response.templates[0].name == "web/home_secretary.html"
    assert (response.context["full_members"], response.context["probationary_members"]) == (1, 1)
    assert [leader.name for leader in response.context["leaders"]] == ["周书记"]
    assert response.context["own"].election.code == "overdue"
    assert "换届已逾期" in page
    assert "财政局第二支部" not in page


def test_the_secretary_is_told_to_record_a_missing_election(login, secretary, tree):
    response = login(secretary).get("/")

    assert "未录入换届信息" in response.content.decode()


def test_the_inspector_sees_the_subtree_without_editing_links(login, inspector, tree):
    MemberFactory(organization=tree.finance_1)
    client = login(inspector)

    home = client.get("/").content.decode()
    detail = client.get(f"/orgs/{tree.finance_1.pk}/").content.decode()
    members = client.get(f"/orgs/{tree.finance_1.pk}/members/").content.decode()

    assert "督导组账户" in home
    for page in (detail, members):
        assert "新增党员" not in page
        assert "编辑" not in page


def test_the_navigation_follows_the_role(login, office_user, secretary, tree):
    office = [item.label for item in login(office_user).get("/").context["nav_items"]]
    branch = [item.label for item in login(secretary).get("/").context["nav_items"]]

    assert office == [
        "首页",
        "组织架构",
        "党员名册",
        "证据记录",
        "评星定级",
        "整改台账",
        "晋位争星",
        "组织生活",
        "复检督导",
        "结果运用",
        "党费",
        "审计日志",
        "用户管理",
        "数据接口",
    ]  # no 后台管理: the back office is for administrators only (tests/accounts/test_admin_gate.py)
    assert branch == [
        "首页",
        "组织架构",
        "党员名册",
        "证据记录",
        "评星定级",
        "整改台账",
        "晋位争星",
        "组织生活",
        "结果运用",
        "党费",
    ]


def test_the_home_pages_count_the_rectification_items_and_their_overdue_ones(
    login, office_user, reviewer, secretary, tree
):
    # given two items of FIN-1 opened by its reviewer, one of them overdue
    from xingji.ledger.models import ItemSource, RectificationItem
    from xingji.ledger.services import item_open

    today = timezone.localdate()
    for problem in ("会议记录不全", "党费收缴不及时"):
        item_open(
            organization=tree.finance_1,
            problem=problem,
            source=ItemSource.RECHECK,
            target="规范",
            measures="补齐",
            responsible="张书记",
            deadline=today + timedelta(days=5),
            actor=reviewer,
        )
    RectificationItem.objects.filter(problem="党费收缴不及时").update(deadline=today - timedelta(days=1))

    # then the office and the branch see both items and the overdue one, linked to the overdue filter
    for user in (office_user, secretary):
        page = login(user).get("/")
        assert page.context["ledger_counts"]["open"] == 2 and page.context["ledger_counts"]["overdue"] == 1
        assert "逾期 1 项" in page.content.decode() and "?overdue=1" in page.content.decode()
    # and EDU's reviewer, outside FIN, sees none
    from tests.factories import UserFactory
    from xingji.accounts.models import Role

    other = UserFactory(username="edu-reviewer", organization=tree.education, role=Role.REVIEWER)
    page = login(other).get("/")
    assert page.context["ledger_counts"]["open"] == 0 and "无逾期" in page.content.decode()
