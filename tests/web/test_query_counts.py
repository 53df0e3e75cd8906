"""Every list page issues the same number of SQL queries with 10 rows and with 1,000.

Rows are added in bulk (paths, members, users, audit entries written
directly), since what is measured is the page, not how the rows came.
"""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from xingji.accounts.models import Role, User
from xingji.audit.models import AuditEntry
from xingji.orgs import views as orgs_views
from xingji.orgs.models import Election, Member, Organization, OrganizationCategory, OrganizationType

SMALL, LARGE = 10, 1000


class Grower:
    """Adds rows of one kind under the test tree, ``n`` more at each call."""

    def __init__(self, tree):
        self.tree = tree
        self.added = 0

    def organizations(self, count: int) -> None:
        # New branches under 教育局机关党总支, each with two members and (every other one) an election.
        parent = Organization.objects.get(pk=self.tree.education.pk)
        start = parent.numchild
        branches = [
            Organization(
                name=f"批量支部{start + index}",
                code=f"BULK-{start + index:05d}",
                org_type=OrganizationType.BRANCH,
                category=OrganizationCategory.GOVERNMENT,
                depth=parent.depth + 1,
                numchild=0,
                path=Organization._get_path(parent.path, parent.depth + 1, start + index + 1),
            )
            for index in range(count)
        ]
        Organization.objects.bulk_create(branches)
        Organization.objects.filter(pk=parent.pk).update(numchild=start + count)
        created = list(Organization.objects.filter(code__in=[branch.code for branch in branches]))
        Member.objects.bulk_create(
            [
                Member(
                    organization=branch,
                    name=f"党员{branch.code}-{number}",
                    gender="male",
                    birth_year=1980,
                    joined=date(2005, 7, 1),
                    phone="13812345678",
                )
                for branch in created
                for number in range(2)
            ]
        )
        Election.objects.bulk_create(
            [
                Election(organization=branch, last_election=date(2021, 1, 1) + timedelta(days=index), term_years=3)
                for index, branch in enumerate(created)
                if index % 2 == 0
            ]
        )

    def members(self, count: int) -> None:
        Member.objects.bulk_create(
            [
                Member(
                    organization=self.tree.finance_1,
                    name=f"党员{self.added + index}",
                    gender="female",
                    birth_year=1990,
                    joined=date(2015, 7, 1),
                    phone="13912345678",
                    status="probationary" if index % 3 == 0 else "full",
                )
                for index in range(count)
            ]
        )
        self.added += count

    def users(self, count: int) -> None:
        User.objects.bulk_create(
            [
                User(
                    username=f"bulk{self.added + index}",
                    name=f"用户{index}",
                    organization=self.tree.finance_1,
                    role=Role.BRANCH_SECRETARY,
                    password="!",
                )
                for index in range(count)
            ]
        )
        self.added += count

    def audit_entries(self, count: int) -> None:
        # The page never verifies the chain; the hashes need only be unique.
        last = AuditEntry.objects.order_by("-sequence").values_list("sequence", flat=True).first() or 0
        now = timezone.now()
        AuditEntry.objects.bulk_create(
            [
                AuditEntry(
                    sequence=sequence,
                    created_at=now,
                    actor=None,
                    actor_name="系统",
                    action="member.created",
                    object_type="orgs.member",
                    object_id=str(sequence),
                    object_repr=f"党员{sequence}",
                    before=None,
                    after={"name": f"党员{sequence}"},
                    previous_hash=f"{sequence - 1:064x}",
                    hash=f"{sequence:064x}",
                )
                for sequence in range(last + 1, last + count + 1)
            ]
        )


PAGES = {
    # page: (user fixture, URL, what grows)
    "office home": ("office_user", lambda tree: reverse("web:home"), "organizations"),
    "reviewer home": ("reviewer", lambda tree: reverse("web:home"), "organizations"),
    "tree": ("office_user", lambda tree: reverse("orgs:tree"), "organizations"),
    "tree, filtered": ("office_user", lambda tree: reverse("orgs:tree") + "?q=批量", "organizations"),
    "organization with children": (
        "office_user",
        lambda tree: reverse("orgs:detail", args=[tree.education.pk]),
        "organizations",
    ),
    "root organization": ("office_user", lambda tree: reverse("orgs:detail", args=[tree.root.pk]), "organizations"),
    "what is due": ("office_user", lambda tree: reverse("web:due"), "organizations"),
    "what is due, page 2": ("office_user", lambda tree: reverse("web:due") + "?page=2", "organizations"),
    "what is due, one section": ("office_user", lambda tree: reverse("web:due") + "?section=orgs", "organizations"),
    "focus list": ("office_user", lambda tree: reverse("supervision:focus_list"), "organizations"),
    "results": ("office_user", lambda tree: reverse("reports:index"), "organizations"),
    "member list": ("secretary", lambda tree: reverse("orgs:member_list", args=[tree.finance_1.pk]), "members"),
    "member list, filtered": (
        "office_user",
        lambda tree: reverse("orgs:member_list", args=[tree.root.pk]) + "?q=党员&status=probationary&page=2",
        "members",
    ),
    "secretary home": ("secretary", lambda tree: reverse("web:home"), "members"),
    "user list": ("office_user", lambda tree: reverse("accounts:user_list"), "users"),
    "audit log": ("office_user", lambda tree: reverse("audit:entry_list"), "audit_entries"),
    "audit log, filtered": (
        "office_user",
        lambda tree: reverse("audit:entry_list") + "?action=member&page=3",
        "audit_entries",
    ),
}


def count_queries(client, url: str) -> int:
    client.get(url)  # warm up: the session, caches of content types
    with CaptureQueriesContext(connection) as context:
        response = client.get(url)
    assert response.status_code == 200
    return len(context.captured_queries)


@pytest.mark.parametrize("page", list(PAGES))
def test_it_issues_as_many_queries_for_a_thousand_rows_as_for_ten(client, request, monkeypatch, tree, page):
    # The tree page shows a small subtree whole, a larger one a level at a time: measure the latter at both sizes.
    monkeypatch.setattr(orgs_views, "TREE_WHOLE_UP_TO", 0)
    fixture, url_of, kind = PAGES[page]
    user = request.getfixturevalue(fixture)
    client.force_login(user)
    grow = getattr(Grower(tree), kind)
    url = url_of(tree)

    grow(SMALL)
    few = count_queries(client, url)
    grow(LARGE - SMALL)
    many = count_queries(client, url)

    assert many == few


def test_it_shows_a_thousand_organizations_a_level_and_a_page_at_a_time(client, office_user, tree):
    Grower(tree).organizations(LARGE)
    client.force_login(office_user)

    response = client.get(reverse("orgs:tree"))

    # The root and its two children, each with its subtree's totals; the totals count all 1,006.
    rows = {row.organization.code: (row.level, row.subtree_organizations) for row in response.context["rows"]}
    assert rows == {"ROOT": (0, LARGE + 6), "FIN": (1, 3), "EDU": (1, LARGE + 2)}
    assert response.context["totals"].organizations == LARGE + 6
    assert response.context["totals"].members == 2 * LARGE
    assert f"?under={tree.education.pk}" in response.content.decode()

    opened = client.get(reverse("orgs:tree"), {"under": tree.education.pk, "page": 2})

    codes = [row.organization.code for row in opened.context["rows"]]
    assert codes[0] == "EDU" and len(codes) == 1 + 25
    assert codes[1:] == [f"BULK-{number:05d}" for number in range(25, 50)]  # page 1: EDU-1, BULK-00001…
    assert opened.context["totals"].organizations == LARGE + 2
    assert opened.context["page_obj"].paginator.count == LARGE + 1
