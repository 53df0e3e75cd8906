"""Entering the yearly appraisal (民主评议党员) on a phone (390 px wide) in Debian's Chromium.

The secretary of 财政局第一支部 opens the branch's page, follows its appraisal of the year, grades the
roll (优秀, 合格, 合格, 不合格) with the branch's conclusion, saves, and sees the coverage and the counts;
the page never scrolls sideways.
"""

from __future__ import annotations

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from tests.browser.test_roles_in_browser import log_in
from tests.factories import MemberFactory
from xingji.branchwork.models import Appraisal

PHONE = {"width": 390, "height": 844}


@pytest.fixture(autouse=True)
def attachments_root(attachments_root):
    """Every browser test keeps files in the scratch folder of ``tests/conftest.py``."""
    return attachments_root


def fits(page) -> bool:
    return page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]


def test_the_secretary_grades_the_roll_on_a_phone(new_page, tree, secretary):
    names = ("张伟", "王芳", "李强", "赵敏")
    members = [MemberFactory(organization=tree.finance_1, name=name) for name in names]
    year = timezone.localdate().year

    page = new_page(PHONE)
    log_in(page, "secretary")
    page.goto(f"/branchwork/branches/{tree.finance_1.pk}/")
    assert fits(page)
    page.get_by_role("link", name=f"{year}年度民主评议党员").click()

    expect(page.get_by_role("heading", level=1)).to_have_text(f"财政局第一支部 {year}年度民主评议党员")
    expect(page.locator("#coverage")).to_have_text("0/4")
    assert fits(page)
    for member, grade in zip(members, ("优秀", "合格", "合格", "不合格"), strict=True):
        page.locator(f"#grade-{member.pk}").get_by_label(member.name).select_option(label=grade)
    page.get_by_label("支部评议结论").fill("全体党员参加评议，总体表现良好。")
    assert fits(page)
    page.get_by_role("button", name="保存评议").click()

    expect(page.get_by_text(f"已保存{year}年度民主评议党员")).to_be_visible()
    expect(page.locator("#coverage")).to_have_text("4/4")
    expect(page.locator("#appraisal-summary")).to_contain_text("已完成")
    expect(page.locator("#grade-counts li")).to_have_text(["优秀：1", "合格：2", "基本合格：0", "不合格：1"])
    assert fits(page)

    appraisal = Appraisal.objects.get()
    assert (appraisal.organization, appraisal.year) == (tree.finance_1, year)
    assert appraisal.conclusion == "全体党员参加评议，总体表现良好。"
    assert sorted(appraisal.grades.values_list("member__name", "grade")) == sorted(
        [("张伟", "excellent"), ("王芳", "qualified"), ("李强", "qualified"), ("赵敏", "unqualified")]
    )
