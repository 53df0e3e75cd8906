"""What is due costs a fixed number of queries, for ten rows and for a hundred; the navigation reads a cache."""

from __future__ import annotations

import sys
import types
from datetime import date, timedelta
from decimal import Decimal

import pytest
from django.core.cache import cache
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from tests.campaigns.conftest import campaign  # noqa: F401
from xingji.campaigns import due as campaigns_due
from xingji.campaigns.models import Evaluation, EvaluationState, Notice, Objection
from xingji.orgs import due as orgs_due
from xingji.orgs.models import Election, Organization, OrganizationCategory, OrganizationType
from xingji.web import due

TODAY = date(2026, 6, 1)
SMALL, LARGE = 10, 100


@pytest.fixture(autouse=True)
def only_these_providers(monkeypatch):
    monkeypatch.setattr(due, "PROVIDERS", ["xingji.orgs.due", "xingji.campaigns.due"])
    cache.clear()
    yield
    cache.clear()


class Grower:
    """Adds branches under 财政局机关党委, each with an overdue election and an evaluation waiting on someone."""

    def __init__(self, tree, campaign, office_user):  # noqa: F811
        self.parent = tree.finance
        self.campaign = campaign
        self.notice = Notice.objects.create(
            campaign=campaign,
            title="公示",
            starts_on=TODAY,
            ends_on=TODAY + timedelta(days=2),
            published_by=office_user,
        )
        self.added = 0

    def grow(self, count: int) -> None:
        parent = Organization.objects.get(pk=self.parent.pk)
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
        Election.objects.bulk_create(
            [
                Election(organization=branch, last_election=date(2022, 1, 1) + timedelta(days=index), term_years=3)
                for index, branch in enumerate(created)
            ]
        )
        # (state, whether a valid survey wrote its figures): a submitted self-evaluation with and without them.
        states = [
            (EvaluationState.SELF_SUBMITTED, True),
            (EvaluationState.SELF_SUBMITTED, False),
            (EvaluationState.REEVALUATION, True),
            (EvaluationState.REVIEW_PENDING, True),
        ]
        givens = [states[(self.added + index) % len(states)] for index in range(count)]
        evaluations = Evaluation.objects.bulk_create(
            [
                Evaluation(
                    campaign=self.campaign,
                    organization=branch,
                    state=state,
                    survey_member_count=10 if surveyed else None,
                    survey_participant_count=9 if surveyed else None,
                    survey_satisfaction=Decimal("0.9") if surveyed else None,
                )
                for branch, (state, surveyed) in zip(created, givens, strict=True)
            ]
        )
        Objection.objects.bulk_create(
            [
                Objection(
                    notice=self.notice,
                    evaluation=evaluation,
                    content="异议",
                    receipt_digest=f"{self.added + index:064x}",
                )
                for index, evaluation in enumerate(evaluations)
            ]
        )
        self.added += count


def queries(call) -> tuple[int, int]:
    with CaptureQueriesContext(connection) as context:
        result = call()
    return len(context.captured_queries), len(result)


@pytest.mark.parametrize(
    ("role", "module", "expected"),
    [
        ("office_user", orgs_due, 1),
        ("reviewer", orgs_due, 1),
        ("secretary", orgs_due, 1),
        ("inspector", orgs_due, 1),
        ("office_user", campaigns_due, 4),
        ("reviewer", campaigns_due, 2),
        ("secretary", campaigns_due, 1),
        ("inspector", campaigns_due, 0),
    ],
)
def test_each_provider_runs_the_same_queries_for_ten_rows_and_for_a_hundred(
    request, tree, office_user, campaign, role, module, expected
):  # noqa: F811
    user = request.getfixturevalue(role)
    grower = Grower(tree, campaign, office_user)

    grower.grow(SMALL)
    few, few_lines = queries(lambda: module.due_items(user, TODAY))
    grower.grow(LARGE - SMALL)
    many, many_lines = queries(lambda: module.due_items(user, TODAY))

    assert few == many == expected
    if module is orgs_due and role in ("office_user", "reviewer", "inspector"):
        assert many_lines - few_lines == LARGE - SMALL  # one line per election: they grew


def test_the_whole_list_of_the_office_runs_five_queries_for_ten_rows_and_for_a_hundred(
    tree, office_user, campaign, django_assert_num_queries
):  # noqa: F811
    grower = Grower(tree, campaign, office_user)
    grower.grow(SMALL)
    with django_assert_num_queries(5):
        due.due_for(office_user, TODAY)
    grower.grow(LARGE - SMALL)
    with django_assert_num_queries(5):
        items = due.due_for(office_user, TODAY)

    assert {item.kind: item.title for item in items if item.section == "campaigns"} == {
        "待上级考评": f"{campaign.name}：25 个组织自评已提交，待上级考评",
        "待完成测评": f"{campaign.name}：25 个组织自评已提交，尚待完成党员群众测评",
        "退回重新考评": f"{campaign.name}：25 个组织退回上级重新考评",
        "五星级待审核": f"{campaign.name}：25 个五星级建议待审核",
        "异议待答复": f"{campaign.name}：100 件异议待答复",
        "公示即将结束": f"{campaign.name}：“公示”{TODAY + timedelta(days=2):%Y-%m-%d} 截止",
    }


def test_a_page_other_than_home_reads_the_counts_from_the_cache(client, monkeypatch, settings, office_user):
    settings.XINGJI_DUE_COUNT_SECONDS = 60
    calls = []
    module = types.ModuleType("tests_due_counting")
    module.due_items = lambda user, today: calls.append(user.pk) or []
    monkeypatch.setitem(sys.modules, "tests_due_counting", module)
    monkeypatch.setattr(due, "PROVIDERS", ["tests_due_counting"])
    client.force_login(office_user)

    for _ in range(3):
        assert client.get(reverse("orgs:tree")).status_code == 200

    assert calls == [office_user.pk]


def test_the_home_page_computes_afresh_and_the_navigation_reuses_its_counts(client, monkeypatch, settings, office_user):
    settings.XINGJI_DUE_COUNT_SECONDS = 0  # the navigation would compute again, were it not handed the counts
    calls = []
    module = types.ModuleType("tests_due_counting")
    module.due_items = lambda user, today: calls.append(user.pk) or []
    monkeypatch.setitem(sys.modules, "tests_due_counting", module)
    monkeypatch.setattr(due, "PROVIDERS", ["tests_due_counting"])
    client.force_login(office_user)

    client.get(reverse("orgs:tree"))
    client.get(reverse("web:home"))
    client.get(reverse("web:due"))

    assert calls == [office_user.pk] * 3
