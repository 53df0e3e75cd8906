"""Every page bounded (issue 13): what is due, the totals and the tree computed in SQL, agreeing with the rules.

The rule of an election's state is ``overview.election_state``; its SQL form,
``election_conditions`` on the due date the database keeps, must say the same for every last election
(29 February included). The bounded providers' first lines and counts
(``due_page``) must be the first lines and the count of their full lists (``due_items``), in as many
queries for 5 organizations as for 50.
"""

from __future__ import annotations

import sys
import types
from datetime import date, timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from tests.factories import ElectionFactory, MemberFactory, OrganizationFactory
from tests.web.test_query_counts import Grower
from xingji.orgs import due as orgs_due
from xingji.orgs import overview
from xingji.orgs import views as orgs_views
from xingji.orgs.models import Election, Organization, add_years
from xingji.supervision import due as supervision_due
from xingji.web import due

TODAY = date(2026, 6, 1)


# --- the rule in SQL ---------------------------------------------------------------------------------


@pytest.mark.parametrize("today", [date(2026, 6, 1), date(2024, 2, 29), date(2023, 2, 28), date(2024, 3, 1)])
def test_the_conditions_in_sql_say_what_the_election_state_says_for_every_last_election(tree, today):
    # Around both edges (overdue since yesterday, coming due in DUE_SOON_DAYS) for both term lengths,
    # 29 February included: one branch each.
    cases = [
        (add_years(today, -term) + timedelta(days=offset), term)
        for term in (3, 5)
        for edge in (0, overview.DUE_SOON_DAYS)
        for offset in range(edge - 3, edge + 4)
    ] + [(date(2021, 2, 28), 3), (date(2020, 2, 29), 3), (date(2019, 2, 28), 5), (date(2020, 2, 29), 5)]
    Grower(tree).organizations(len(cases))
    Election.objects.filter(organization__code__startswith="BULK-").delete()  # the grower's own
    bulk = list(Organization.objects.filter(code__startswith="BULK-").order_by("path"))
    Election.objects.bulk_create(
        [
            Election(organization=organization, last_election=last, term_years=term)
            for organization, (last, term) in zip(bulk, cases, strict=True)
        ]
    )
    overdue, soon = overview.election_conditions(today)
    branches = Organization.objects.filter(code__startswith="BULK-")

    for organization in branches.select_related("election"):
        expected = overview.election_state(organization.election, today).code
        in_sql = "overdue" if branches.filter(overdue, pk=organization.pk).exists() else "ok"
        if branches.filter(soon, pk=organization.pk).exists():
            in_sql = "due_soon"
        assert in_sql == expected, (today, organization.election.last_election, organization.election.term_years)
    assert set(branches.filter(overview.due_condition(today))) == set(branches.filter(overdue | soon))


def test_the_totals_and_type_counts_in_sql_match_those_of_the_loaded_tree(office_user, tree):
    MemberFactory.create_batch(2, organization=tree.finance_1)
    MemberFactory(organization=tree.education_1)
    ElectionFactory(organization=tree.finance_1, last_election=add_years(TODAY, -3) - timedelta(days=5), term_years=3)
    ElectionFactory(organization=tree.finance_2, last_election=add_years(TODAY, -5) + timedelta(days=30), term_years=5)
    from xingji.accounts.access import visible_organizations
    from xingji.orgs.selectors import organization_list

    rows = overview.tree_rows(organization_list(user=office_user), TODAY)
    scope = visible_organizations(office_user)

    assert overview.subtree_totals(scope, TODAY) == overview.totals(rows)
    assert overview.subtree_type_counts(scope) == overview.type_counts(rows)
    assert overview.subtree_totals(scope, TODAY).overdue == 1
    assert overview.subtree_totals(scope, TODAY).due_soon == 1


# --- what is due: the first lines and the counts -------------------------------------------------------


def grow_elections(tree, count: int) -> None:
    """``count`` more branches under 教育局机关党总支: overdue, coming due and in term, by turns."""
    Grower(tree).organizations(count)
    bulk = Organization.objects.filter(code__startswith="BULK-", election__isnull=True).order_by("path")
    offsets = [-40, 30, 400]
    Election.objects.bulk_create(
        [
            Election(
                organization=organization,
                last_election=add_years(TODAY, -3) + timedelta(days=offsets[index % 3] + index % 7),
                term_years=3,
            )
            for index, organization in enumerate(bulk)
        ]
    )


def counted(call):
    with CaptureQueriesContext(connection) as context:
        result = call()
    return len(context.captured_queries), result


@pytest.mark.parametrize("role", ["office_user", "reviewer", "secretary", "inspector"])
def test_the_first_election_lines_and_their_count_are_those_of_the_full_list_in_constant_queries(request, tree, role):
    user = request.getfixturevalue(role)
    grow_elections(tree, 5)
    few, _ = counted(lambda: orgs_due.due_page(user, TODAY, 10))
    grow_elections(tree, 45)
    many, (shown, counts) = counted(lambda: orgs_due.due_page(user, TODAY, 10))

    every = sorted(orgs_due.due_items(user, TODAY), key=due.sort_key)
    assert shown == every[:10]
    assert counts == ({"orgs": len(every)} if every else {})
    assert few == many <= 3
    if role == "office_user":
        assert len(every) > 30  # the overdue and coming-due bulk branches are all counted
    assert orgs_due.due_page(user, TODAY, 0) == ([], counts)


def test_the_own_missing_record_comes_after_the_dated_lines(office_user, tree):
    ElectionFactory(organization=tree.finance_1, last_election=add_years(TODAY, -3) - timedelta(days=5), term_years=3)

    shown, counts = orgs_due.due_page(office_user, TODAY, 10)

    assert [item.kind for item in shown] == ["换届已逾期", "未录入换届信息"]
    assert counts == {"orgs": 2}
    assert orgs_due.due_page(office_user, TODAY, 1)[0] == shown[:1]


def test_the_overview_merges_the_bounded_and_the_other_providers_in_order(monkeypatch, office_user):
    early = due.DueItem("a", "甲", "一", "/a/", date(2026, 1, 1), overdue=True)
    late = due.DueItem("a", "甲", "二", "/a/", date(2026, 3, 1))
    middle = due.DueItem("b", "乙", "三", "/b/", date(2026, 2, 1), overdue=True)
    plain = types.ModuleType("tests_due_plain")
    plain.due_items = lambda user, today: [late, early]
    bounded = types.ModuleType("tests_due_bounded")
    bounded.due_items = lambda user, today: pytest.fail("the overview reads due_page where there is one")
    bounded.due_page = lambda user, today, limit: ([middle][:limit], {"b": 7})
    monkeypatch.setitem(sys.modules, "tests_due_plain", plain)
    monkeypatch.setitem(sys.modules, "tests_due_bounded", bounded)
    monkeypatch.setattr(due, "PROVIDERS", ["tests_due_plain", "tests_due_bounded"])

    assert due.due_overview(office_user, TODAY, 2) == ([early, middle], {"a": 2, "b": 7})
    assert due.due_overview(office_user, TODAY, 0) == ([], {"a": 2, "b": 7})
    assert due.due_counts(office_user, TODAY) == {"a": 2, "b": 7}


def test_the_supervision_lines_shown_are_the_first_of_its_full_list(office_user, tree):
    shown, counts = supervision_due.due_page(office_user, TODAY, 2)
    every = sorted(supervision_due.due_items(office_user, TODAY), key=due.sort_key)

    assert shown == every[:2]
    assert counts == ({"supervision": len(every)} if every else {})


# --- the tree page -------------------------------------------------------------------------------------


@pytest.fixture
def login(client):
    def log_in(user):
        client.force_login(user)
        return client

    return log_in


def page_queries(client, url: str) -> int:
    client.get(url)
    with CaptureQueriesContext(connection) as context:
        assert client.get(url).status_code == 200
    return len(context.captured_queries)


@pytest.mark.parametrize("whole_up_to", [100, 0])
def test_the_tree_page_runs_as_many_queries_for_5_organizations_as_for_50(
    login, monkeypatch, office_user, tree, whole_up_to
):
    monkeypatch.setattr(orgs_views, "TREE_WHOLE_UP_TO", whole_up_to)
    client = login(office_user)
    grower = Grower(tree)
    grower.organizations(5)
    url = reverse("orgs:tree") + f"?under={tree.education.pk}"
    few = page_queries(client, url), page_queries(client, reverse("orgs:tree"))
    grower.organizations(45)
    many = page_queries(client, url), page_queries(client, reverse("orgs:tree"))

    assert few == many


def test_a_large_tree_opens_a_level_at_a_time_with_subtree_totals(login, monkeypatch, office_user, tree):
    monkeypatch.setattr(orgs_views, "TREE_WHOLE_UP_TO", 3)
    MemberFactory.create_batch(2, organization=tree.finance_1)

    response = login(office_user).get(reverse("orgs:tree"))

    rows = [
        (row.organization.code, row.level, row.subtree_organizations, row.subtree_members)
        for row in response.context["rows"]
    ]
    assert rows == [("ROOT", 0, 6, 2), ("FIN", 1, 3, 2), ("EDU", 1, 2, 0)]
    page = response.content.decode()
    assert f"?under={tree.finance.pk}" in page and "展开 2 个下级" in page

    opened = login(office_user).get(reverse("orgs:tree"), {"under": tree.finance.pk})

    assert [row.organization.code for row in opened.context["rows"]] == ["FIN", "FIN-1", "FIN-2"]
    assert opened.context["totals"].organizations == 3
    assert "市直工委" in opened.content.decode()  # the way back up


def test_the_tree_opens_nothing_outside_the_users_subtree(login, reviewer, tree):
    client = login(reviewer)

    assert client.get(reverse("orgs:tree"), {"under": tree.education.pk}).status_code == 404
    assert client.get(reverse("orgs:tree"), {"under": "x"}).status_code == 404
    assert client.get(reverse("orgs:tree"), {"under": tree.finance_1.pk}).status_code == 200


def test_the_search_pages_through_its_results(login, office_user, tree):
    for number in range(30):
        OrganizationFactory(name=f"直属支部{number:02d}", code=f"ROOT-{number:02d}", parent=tree.root)

    response = login(office_user).get(reverse("orgs:tree"), {"q": "直属", "page": 2})

    assert response.context["found"] == 30
    assert [row.organization.code for row in response.context["rows"]] == [f"ROOT-{n:02d}" for n in range(25, 30)]
    assert "找到 30 个党组织" in response.content.decode()


# --- an organization's page, the full list of what is due ------------------------------------------------


def test_an_organizations_page_shows_a_page_of_its_children_and_the_first_elections_due(login, office_user, tree):
    Grower(tree).organizations(30)  # 30 branches under 教育局机关党总支, two members each, every other one elected
    education = Organization.objects.get(pk=tree.education.pk)
    client = login(office_user)

    first = client.get(reverse("orgs:detail", args=[education.pk]))
    second = client.get(reverse("orgs:detail", args=[education.pk]), {"page": 2})

    children = list(Organization.objects.filter(path__startswith=education.path, depth=education.depth + 1))
    children.sort(key=lambda organization: organization.path)
    assert first.context["children_count"] == len(children) == 31
    shown = [row.organization.pk for row in first.context["children"]] + [
        row.organization.pk for row in second.context["children"]
    ]
    assert shown == [organization.pk for organization in children]
    own = first.context["own"]
    assert (own.subtree_organizations, own.subtree_members) == (32, 60)
    # The elections due below it: the first ten of the rule's full list, in its order, and their count.
    from xingji.orgs.selectors import organization_list

    today = timezone.localdate()
    rows = overview.tree_rows(organization_list(user=office_user, under=education), today)
    every = overview.due_rows(rows[1:])
    assert [row.organization.pk for row in first.context["due"]] == [row.organization.pk for row in every[:10]]
    assert first.context["due_count"] == len(every) == 15
    assert "共 15 个" in first.content.decode()


def test_the_full_list_of_what_is_due_pages_through_every_line_in_order(login, office_user, tree):
    Grower(tree).organizations(60)
    client = login(office_user)
    every = due.due_for(office_user, timezone.localdate())
    assert len(every) > 30

    pages = [client.get(reverse("web:due"), {"page": number}) for number in (1, 2)]

    assert list(pages[0].context["page_obj"].object_list) == every[:25]
    assert list(pages[1].context["page_obj"].object_list) == every[25:50]
    assert pages[0].context["page_obj"].paginator.count == len(every)
    orgs_only = client.get(reverse("web:due"), {"section": "orgs", "page": 2})
    expected = [item for item in every if item.section == "orgs"]
    assert list(orgs_only.context["page_obj"].object_list) == expected[25:50]
    assert orgs_only.context["shown"] == len(expected)
    found = client.get(reverse("web:due"), {"q": "批量支部1"})
    assert list(found.context["page_obj"].object_list) == [item for item in every if "批量支部1" in item.title][:25]
