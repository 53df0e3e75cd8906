"""What is due on the home pages, the full list (``/due/``) and the navigation's badges."""

from __future__ import annotations

import re
import sys
import types
from datetime import date, timedelta

import pytest
from django.core.cache import cache
from django.urls import reverse
from django.utils import timezone

from tests.campaigns.conftest import campaign  # noqa: F401
from tests.campaigns.steps import evaluation_of
from tests.factories import ElectionFactory
from xingji.common.due import DueItem
from xingji.orgs.models import add_years
from xingji.web import due


@pytest.fixture(autouse=True)
def only_these_providers(monkeypatch):
    monkeypatch.setattr(due, "PROVIDERS", ["xingji.orgs.due", "xingji.campaigns.due"])
    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def overdue_election(tree):
    today = timezone.localdate()
    return ElectionFactory(
        organization=tree.finance_1, last_election=add_years(today, -3) - timedelta(days=40), term_years=3
    )


@pytest.fixture
def many(monkeypatch):
    """A provider of ``n`` lines in section "campaigns", the first five overdue."""

    def make(count: int):
        items = [
            DueItem(
                "campaigns",
                "测试事项",
                f"事项{number:02d}",
                f"/item/{number}/",
                date(2026, 1, 1) + timedelta(days=number),
                overdue=number < 5,
            )
            for number in range(count)
        ]
        module = types.ModuleType("tests_due_many")
        module.due_items = lambda user, today: list(items)
        monkeypatch.setitem(sys.modules, "tests_due_many", module)
        monkeypatch.setattr(due, "PROVIDERS", ["tests_due_many"])
        return items

    return make


def text(response) -> str:
    return re.sub(r"\s+", " ", response.content.decode())


def nav_badge(label: str, count: int) -> str:
    return (
        f'{label} <span class="badge amber" title="待办 {count} 项">{count}<span class="sr-only"> 项待办</span></span>'
    )


def test_the_office_home_starts_with_what_is_due_and_keeps_the_tree(client, office_user, tree, overdue_election):
    client.force_login(office_user)

    response = client.get(reverse("web:home"))
    page = text(response)

    block = page[page.index("待办事项") : page.index("组织架构</h2>")]
    assert "待办事项（2 项）" in block
    assert (
        f'<span class="badge">换届已逾期</span> <a href="{reverse("orgs:election", args=[tree.finance_1.pk])}">'
        "财政局第一支部：换届逾期 40 天</a>"
    ) in block
    assert '<span class="badge red">已逾期</span>' in block
    assert "未录入换届信息" in block
    assert "导出 Excel" in page


def test_the_navigation_shows_the_count_per_section_and_the_total_by_the_user_menu(
    client, office_user, tree, overdue_election
):
    client.force_login(office_user)

    page = text(client.get(reverse("orgs:tree")))

    assert nav_badge("组织架构", 2) in page
    assert "评星定级</a>" in page  # nothing due there: no badge
    assert (
        f'<a href="{reverse("web:due")}" class="due-total">待办 <span class="badge amber">2'
        '<span class="sr-only"> 项</span></span></a>'
    ) in page


def test_the_navigation_counts_are_attached_to_the_entries(client, office_user, tree, overdue_election):
    client.force_login(office_user)

    response = client.get(reverse("web:home"))

    assert {item.label: item.count for item in response.context["nav_items"]}["组织架构"] == 2
    assert response.context["due_total"] == 2


def test_the_secretary_home_lists_its_self_evaluation_and_survey_with_their_deadline(client, secretary, campaign):  # noqa: F811
    evaluation = evaluation_of(campaign, secretary.organization)
    client.force_login(secretary)

    page = text(client.get(reverse("web:home")))

    link = reverse("campaigns:self_evaluation", args=[evaluation.pk])
    assert (
        f'<span class="badge">自评待提交</span> <a href="{link}">'
        f'{campaign.name}：财政局第一支部自评待填写提交</a> <span class="muted">期限 2025-06-05</span> '
        '<span class="badge red">已逾期</span>'
    ) in page
    survey = reverse("surveys:evaluation", args=[evaluation.pk])
    assert (
        f'<span class="badge">党员群众测评待完成</span> <a href="{survey}">'
        f"{campaign.name}：财政局第一支部尚未完成党员群众测评（参加党员须达到规定比例），"
        "完成后上级方可考评</a>"
    ) in page
    assert nav_badge("评星定级", 2) in page
    assert nav_badge("组织架构", 1) in page  # its election is not recorded
    assert "党员名册" in page and "常用" in page


def test_the_inspector_home_lists_the_elections_with_reading_links_only(client, inspector, tree, overdue_election):
    client.force_login(inspector)

    page = text(client.get(reverse("web:home")))

    assert f'<a href="{reverse("orgs:detail", args=[tree.finance_1.pk])}">财政局第一支部：换届逾期 40 天</a>' in page
    assert reverse("orgs:election", args=[tree.finance_1.pk]) not in page
    assert "督导组账户" in page


def test_the_home_page_says_when_nothing_is_due(client, edu_reviewer_with_election):
    client.force_login(edu_reviewer_with_election)

    page = text(client.get(reverse("web:home")))

    assert "暂无待办事项。" in page
    assert '待办<span class="sr-only">：无</span>' in page


@pytest.fixture
def edu_reviewer_with_election(tree):
    from tests.factories import UserFactory
    from xingji.accounts.models import Role

    ElectionFactory(organization=tree.education, last_election=add_years(timezone.localdate(), -1), term_years=3)
    return UserFactory(username="edu_reviewer", organization=tree.education, role=Role.REVIEWER)


def test_the_home_page_shows_ten_lines_and_links_to_the_rest(client, office_user, many):
    many(13)
    client.force_login(office_user)

    response = client.get(reverse("web:home"))
    page = text(response)

    assert [item.title for item in response.context["due_items"]] == [f"事项{number:02d}" for number in range(10)]
    assert "还有 3 项，查看全部待办" in page
    assert "事项10" not in page


def test_the_full_list_pages_through_every_line(client, office_user, many):
    many(30)
    client.force_login(office_user)

    first = client.get(reverse("web:due"))
    second = client.get(reverse("web:due") + "?page=2")

    assert [item.title for item in first.context["page_obj"]] == [f"事项{number:02d}" for number in range(25)]
    assert [item.title for item in second.context["page_obj"]] == [f"事项{number:02d}" for number in range(25, 30)]
    assert "第 1 / 2 页，共 30 条" in text(first)
    assert text(first).count('<span class="badge red">已逾期</span>') == 5


def test_the_full_list_filters_by_section_and_words(client, office_user, tree, overdue_election, campaign):  # noqa: F811
    client.force_login(office_user)

    by_section = client.get(reverse("web:due") + "?section=orgs")
    by_words = client.get(reverse("web:due") + "?q=第一支部")
    nothing = client.get(reverse("web:due") + "?q=不存在的事项")

    assert [item.kind for item in by_section.context["page_obj"]] == ["换届已逾期", "未录入换届信息"]
    assert [item.title for item in by_words.context["page_obj"]] == ["财政局第一支部：换届逾期 40 天"]
    assert "没有符合条件的待办事项。" in text(nothing)
    assert by_section.context["sections"] == [("orgs", "换届", 2)]
