"""What each role can and cannot see, in real Chromium (Debian's, through Playwright).

The tree of ``tests/conftest.py``::

    市直工委 [ROOT]                 committee office "office"
    ├── 财政局机关党委 [FIN]        reviewer "reviewer", inspector "inspector"
    │   ├── 财政局第一支部 [FIN-1]   branch secretary "secretary"
    │   └── 财政局第二支部 [FIN-2]
    └── 教育局机关党总支 [EDU]
        └── 教育局第一支部 [EDU-1]

Every user logs in through the login form, as a person would: username and
password typed, the button clicked.
"""

from __future__ import annotations

import re
from datetime import date
from urllib.parse import urlsplit

import pytest
from playwright.sync_api import Page, expect

from tests.factories import PASSWORD, MemberFactory
from xingji.orgs.models import LeadershipPosition, MemberStatus
from xingji.orgs.services import member_create, member_update

ALL_ORGANIZATIONS = [
    "市直工委",
    "财政局机关党委",
    "财政局第一支部",
    "财政局第二支部",
    "教育局机关党总支",
    "教育局第一支部",
]
NOT_FOUND_TEXT = "没有找到该页面或对象，或者它不在您的管理范围内。"
PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
#: Links that only a writing role may be offered: forms that create, change, move, import or delete.
WRITE_LINK = re.compile(r"/(new|edit|move|election|delete)/$|/import/")
PHONE_WIDTH = 360
#: Rounding of sub-pixel layout; anything wider is a real horizontal scroll.
WIDTH_TOLERANCE = 2
#: The page's scroll width, and the three boxes reaching furthest right outside the tables' own
#: scroll areas (``.table-wrap``), to name the culprit when the page is too wide.
PAGE_WIDTHS = """() => ({
    page: document.documentElement.scrollWidth,
    widest: [...document.querySelectorAll('body *')]
        .filter(box => box.closest('.table-wrap') === null || box.matches('.table-wrap'))
        .map(box => [Math.round(box.getBoundingClientRect().right), box.tagName + '.' + box.className])
        .sort((a, b) => b[0] - a[0])
        .slice(0, 3),
})"""


def log_in(page: Page, username: str, password: str = PASSWORD) -> None:
    page.goto("/accounts/login/")
    page.get_by_label("用户名").fill(username)
    page.get_by_label("密码").fill(password)
    page.get_by_role("button", name="登录").click()


def url(page: Page, path: str) -> str:
    """The absolute URL of ``path`` on the live server the page is on."""
    here = urlsplit(page.url)
    return f"{here.scheme}://{here.netloc}{path}"


def nav_labels(page: Page) -> list[str]:
    """The navigation's labels, without the counts of what is due beside them."""
    return [text.split()[0] for text in page.locator("nav.nav a").all_inner_texts()]


def tree_names(page: Page) -> list[str]:
    return page.locator("table.tree-table tbody td:first-child a").all_inner_texts()


def hrefs(page: Page) -> list[str]:
    return page.locator("a[href]").evaluate_all("links => links.map(link => link.getAttribute('href'))")


@pytest.fixture
def branch_members(tree):
    """Two members in the secretary's branch (one its secretary), one in each other branch."""
    return {
        "own": [
            MemberFactory(organization=tree.finance_1, name="张三", leadership_position=LeadershipPosition.SECRETARY),
            MemberFactory(organization=tree.finance_1, name="李四", status=MemberStatus.PROBATIONARY),
        ],
        "sibling": MemberFactory(organization=tree.finance_2, name="王五"),
        "other_committee": MemberFactory(organization=tree.education_1, name="赵六"),
    }


# --- branch secretary -------------------------------------------------------------------


def test_it_shows_a_secretary_only_their_own_branch(page, secretary, tree, branch_members, tmp_path):
    # Given a secretary of 财政局第一支部, with members in every branch
    # When they log in through the form
    log_in(page, "secretary")

    # Then they land on the home page of their branch, its leader and counts shown
    expect(page).to_have_url(url(page, "/"))
    expect(page).to_have_title("首页 · 星级创建管理平台")
    expect(page.locator("h1")).to_have_text("财政局第一支部")
    expect(page.locator(".stats .card").first).to_contain_text("党员2正式 1 · 预备 1")
    expect(page.locator(".stats")).to_contain_text("张三（书记）")
    expect(page.locator(".who-name")).to_have_text(f"{secretary.name} · 支部书记")
    # and no other organization is named anywhere in the page, hidden markup included
    html = page.content()
    for name in ["市直工委", "财政局机关党委", "财政局第二支部", "教育局机关党总支", "教育局第一支部", "王五", "赵六"]:
        assert name not in html, f"the secretary's home page mentions {name}"
    # and the navigation offers neither the audit log nor user management
    assert nav_labels(page) == [
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
    assert not [href for href in hrefs(page) if href.startswith(("/audit/", "/accounts/users/"))]

    # When the home page is captured
    shot = tmp_path / "secretary-home.png"
    page.screenshot(path=shot, full_page=True)

    # Then the screenshot is a non-empty PNG
    assert shot.read_bytes().startswith(PNG_SIGNATURE)
    assert shot.stat().st_size > 1000


def test_it_lists_the_secretary_s_members_and_nobody_else_s(page, secretary, tree, branch_members):
    # Given a logged-in secretary
    log_in(page, "secretary")

    # When they open the member list from their home page
    page.locator("main").get_by_role("link", name="党员名册").click()

    # Then they see their branch's two members, in the order they were entered, and only them
    expect(page).to_have_url(url(page, f"/orgs/{tree.finance_1.pk}/members/"))
    expect(page.locator("h1")).to_have_text("党员名册")
    rows = page.locator("table.list tbody tr")
    expect(rows).to_have_count(2)
    assert [row.locator("td").all_inner_texts()[:2] for row in rows.all()] == [["张三", "女"], ["李四", "女"]]
    # and, a writing role, the links to add and change them (which the inspector's test expects absent)
    expect(page.locator("main").get_by_role("link", name="新增党员", exact=True)).to_have_count(1)
    expect(page.locator("table.list tbody").get_by_role("link", name="编辑", exact=True)).to_have_count(2)
    expect(page.locator("main")).to_contain_text("含下级组织的党员，共 2 人。")
    assert "王五" not in page.content()
    assert "赵六" not in page.content()


def test_it_answers_a_secretary_s_typed_url_of_another_branch_with_the_404_page(page, secretary, tree):
    # Given a logged-in secretary of 财政局第一支部
    log_in(page, "secretary")
    expect(page).to_have_url(url(page, "/"))

    for other in (tree.finance_2, tree.education_1, tree.finance):
        # When they type the address of an organization outside their branch
        response = page.goto(f"/orgs/{other.pk}/")

        # Then the site's 404 page answers, and does not name the organization
        assert response.status == 404
        expect(page).to_have_title("没有找到 · 星级创建管理平台")
        expect(page.locator("main h1")).to_have_text("没有找到")
        expect(page.locator("main")).to_contain_text(NOT_FOUND_TEXT)
        assert other.name not in page.content()

    # And the audit log and user management, typed in, answer with the 403 page
    for path, reason in [
        ("/audit/", "只有市直工委组织部可以查看审计日志"),
        ("/accounts/users/", "只有市直工委组织部可以管理用户"),
    ]:
        response = page.goto(path)
        assert response.status == 403
        expect(page.locator("main h1")).to_have_text("无权操作")
        expect(page.locator("main")).to_contain_text(reason)


# --- committee office and reviewers --------------------------------------------------------


def test_it_shows_the_committee_office_the_whole_tree_and_the_audit_log(page, office_user, tree):
    # Given two changes made by the office, so the audit log has two entries
    member = member_create(
        organization=tree.finance_1,
        name="张三",
        gender="female",
        birth_year=1985,
        joined=date(2008, 7, 1),
        actor=office_user,
    )
    member_update(member=member, data={"name": "张叁"}, actor=office_user)

    # When the office logs in
    log_in(page, "office")

    # Then its home page shows the root and the organizations directly under it; the whole tree is a link away
    expect(page).to_have_url(url(page, "/"))
    expect(page.locator("h1")).to_have_text("市直工委")
    assert tree_names(page) == ["财政局机关党委", "教育局机关党总支"]
    assert nav_labels(page) == [
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
    ]

    # When it opens the tree page from the home page, then all six organizations are listed
    page.locator("main").get_by_role("link", name="查看全部组织").click()
    expect(page).to_have_url(url(page, "/orgs/"))
    assert tree_names(page) == ALL_ORGANIZATIONS

    # When it opens the audit log from the navigation
    page.locator("nav.nav").get_by_role("link", name="审计日志").click()

    # Then it sees both entries, newest first, with who did what to which object
    expect(page).to_have_url(url(page, "/audit/"))
    expect(page.locator("h1")).to_have_text("审计日志")
    expect(page.locator("main")).to_contain_text("共 2 条。")
    rows = page.locator("table.audit > tbody > tr")
    expect(rows).to_have_count(2)
    cells = [row.locator("td").all_inner_texts()[:4] for row in rows.all()]
    assert [[sequence, actor, action] for sequence, _, actor, action in cells] == [
        ["2", str(office_user), "修改党员"],
        ["1", str(office_user), "新建党员"],
    ]


def test_it_hides_the_other_committee_from_a_reviewer(page, reviewer, tree, branch_members):
    # Given a reviewer of 财政局机关党委
    # When they log in
    log_in(page, "reviewer")

    # Then their home page shows their committee and its two branches only
    expect(page).to_have_url(url(page, "/"))
    expect(page.locator("h1")).to_have_text("财政局机关党委")
    assert tree_names(page) == ["财政局第一支部", "财政局第二支部"]
    html = page.content()
    for name in ["市直工委", "教育局机关党总支", "教育局第一支部", "赵六"]:
        assert name not in html, f"the reviewer's home page mentions {name}"
    assert "审计日志" not in nav_labels(page)
    assert "用户管理" not in nav_labels(page)

    # When they open one of their branches, then its breadcrumbs stop at their own node
    page.locator("table.tree-table").get_by_role("link", name="财政局第二支部").click()
    expect(page).to_have_url(url(page, f"/orgs/{tree.finance_2.pk}/"))
    expect(page.locator("h1")).to_have_text("财政局第二支部")
    assert page.locator("nav.crumbs a").all_inner_texts() == ["财政局机关党委"]
    expect(page.locator("main table.list")).to_contain_text("王五")

    # When they type the address of the other committee's branch, or of the root
    for other in (tree.education_1, tree.education, tree.root):
        response = page.goto(f"/orgs/{other.pk}/")

        # Then the 404 page answers
        assert response.status == 404
        expect(page.locator("main h1")).to_have_text("没有找到")
        assert other.name not in page.content()


# --- inspector ----------------------------------------------------------------------------


def test_it_gives_an_inspector_pages_without_any_edit_button(page, inspector, tree, branch_members):
    # Given an inspector (督导组) attached to 财政局机关党委
    log_in(page, "inspector")
    expect(page).to_have_url(url(page, "/"))
    expect(page.locator("main .note")).to_have_text("督导组账户：可以查看本组织及下级组织的全部信息，不能修改。")

    # When they open the tree, a branch, its member list and the records
    visited = {}
    for path in [
        "/",
        "/orgs/",
        f"/orgs/{tree.finance_1.pk}/",
        f"/orgs/{tree.finance_1.pk}/members/",
        "/records/",
        "/records/commendations/",
    ]:
        response = page.goto(path)
        assert response.status == 200, path
        visited[path] = [href for href in hrefs(page) if WRITE_LINK.search(href)]

    # Then every page opens, and none offers a link to a form that changes data
    assert visited == dict.fromkeys(visited, [])
    page.goto(f"/orgs/{tree.finance_1.pk}/members/")
    assert page.locator("table.list thead th").all_inner_texts() == [
        "姓名",
        "性别",
        "出生年份",
        "入党日期",
        "类别",
        "班子职务",
        "联系电话",
        "所在党组织",
    ]
    for label in ["新增党员", "导入党员", "编辑", "删除"]:
        expect(page.get_by_role("link", name=label, exact=True)).to_have_count(0)


def test_it_answers_an_inspector_s_typed_edit_url_with_the_403_page(page, inspector, tree, branch_members):
    # Given a logged-in inspector
    log_in(page, "inspector")
    expect(page).to_have_url(url(page, "/"))
    member = branch_members["own"][0]

    for path in [
        f"/orgs/{tree.finance_1.pk}/edit/",
        f"/orgs/{tree.finance_1.pk}/members/new/",
        f"/orgs/members/{member.pk}/edit/",
        "/records/commendations/new/",
    ]:
        # When they type the address of a form that changes data
        response = page.goto(path)

        # Then the 403 page answers, saying why
        assert response.status == 403, path
        expect(page).to_have_title("无权操作 · 星级创建管理平台")
        expect(page.locator("main h1")).to_have_text("无权操作")
        expect(page.locator("main")).to_contain_text("当前角色只能查看，不能修改")
        expect(page.locator("form")).to_have_count(1)  # the logout button's form only


# --- phone-sized screen ----------------------------------------------------------------------


@pytest.mark.parametrize("username", ["secretary", "office"])
def test_it_fits_the_member_list_on_a_360_px_screen(new_page, username, secretary, office_user, tree, branch_members):
    # Given a phone-sized browser window and a logged-in user who may edit members
    page = new_page(viewport={"width": PHONE_WIDTH, "height": 740})
    log_in(page, username)
    expect(page).to_have_url(url(page, "/"))

    # When they open the member list of 财政局第一支部
    page.goto(f"/orgs/{tree.finance_1.pk}/members/")
    expect(page.locator("h1")).to_have_text("党员名册")

    # Then the page itself does not scroll sideways (a wide table scrolls inside its own box)
    widths = page.evaluate(PAGE_WIDTHS)
    assert widths["page"] <= PHONE_WIDTH + WIDTH_TOLERANCE, widths


# --- lockout -------------------------------------------------------------------------------


def test_it_locks_the_login_after_five_wrong_passwords(page, secretary):
    # Given a secretary's account
    # When four wrong passwords are typed, then the form says each time that they are wrong
    for _ in range(4):
        log_in(page, "secretary", "Wrong-Password-1")
        expect(page.get_by_role("alert")).to_have_text("用户名或密码不正确。注意：连续失败多次后账户将被暂时锁定。")

    # When a fifth wrong password is typed
    log_in(page, "secretary", "Wrong-Password-1")

    # Then the lockout page says why and for how long
    expect(page).to_have_title("账户已锁定 · 星级创建管理平台")
    expect(page.locator("main h1")).to_have_text("登录已被暂时锁定")
    expect(page.locator("main")).to_contain_text(
        "由于连续 5 次登录失败，账户“secretary”在本机的登录已被暂时锁定，还需等待 30 分钟。"
    )

    # And even the right password is refused now
    log_in(page, "secretary")
    expect(page.locator("main h1")).to_have_text("登录已被暂时锁定")
    expect(page).to_have_url(url(page, "/accounts/login/"))
