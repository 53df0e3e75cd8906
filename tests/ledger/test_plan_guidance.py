"""The improvement plan (晋位争星方案) pre-filled with what the rating engine says the target level needs, and tracked.

The campaign is ``tests.campaigns.conftest``'s (mid-year 2025, anyang-2017); the plan is this year's, so each
target is recomputed from this year's evidence (records dated this year) with the 2025 superior scores.
"""

from __future__ import annotations

import io
from datetime import date

import pytest
from django.urls import reverse
from django.utils import timezone
from docx import Document

from tests.campaigns.conftest import campaign  # noqa: F401  (fixture)
from tests.campaigns_web.guidance_givens import ledger_line, rated
from tests.factories import ElectionFactory
from tests.records.factories import CommendationFactory
from xingji.audit.models import AuditEntry
from xingji.common.errors import TransitionRefused
from xingji.ledger import services
from xingji.ledger.documents import plan_docx
from xingji.ledger.models import ImprovementPlan
from xingji.records.models import HonourLevel, RecordStatus

pytestmark = pytest.mark.django_db


def form_page(client, user, organization, **params):
    client.force_login(user)
    return client.get(reverse("ledger:plan_create", args=[organization.pk]), params)


def create(client, organization, target_level: int, measures: str = "按目标逐项落实"):
    return client.post(
        reverse("ledger:plan_create", args=[organization.pk]),
        {"target_level": target_level, "measures": measures, "responsible": "书记", "milestones": ""},
    )


def test_the_form_is_pre_filled_with_the_next_level_and_what_it_needs(client, campaign, tree, secretary, office_user):  # noqa: F811
    # given FIN-1 at 85 points, four stars in the star ledger
    rated(campaign, tree.finance_1, score="8.5")
    ledger_line(tree.finance_1, office_user, level=4, name="四星级")

    # when its secretary opens the plan form
    response = form_page(client, secretary, tree.finance_1)

    # then the target is five stars, and the measures list what five stars need
    form = response.context["form"]
    assert form.initial["target_level"] == 5
    assert form.initial["measures"].startswith("1. 各项评分合计还需提高5分")
    assert "达到五星级：各项评分合计还需提高5分" in response.content.decode()


def test_creating_the_plan_stores_the_targets_of_the_level_chosen(client, campaign, tree, secretary, office_user):  # noqa: F811
    # given FIN-1 at 85 points, four stars
    rated(campaign, tree.finance_1, score="8.5")
    ledger_line(tree.finance_1, office_user, level=4, name="四星级")
    form_page(client, secretary, tree.finance_1)

    # when the secretary saves a plan for five stars
    create(client, tree.finance_1, 5)

    # then the plan keeps the engine's target for five stars, and the audit entry records it
    plan = ImprovementPlan.objects.get()
    assert [(t["kind"], t["amount"]) for t in plan.targets] == [("points", "5.00")]
    assert plan.targets[0]["message"].startswith("各项评分合计还需提高5分")
    entry = AuditEntry.objects.filter(action="improvement_plan.created").get()
    assert entry.after["targets"] == plan.targets


def test_a_level_the_scheme_lacks_prefills_nothing_and_says_why(client, campaign, tree, secretary):  # noqa: F811
    rated(campaign, tree.finance_1, score="8.5")

    response = form_page(client, secretary, tree.finance_1, level="9")

    assert response.status_code == 200
    assert "等级 9 高于评定方案" in response.content.decode()
    assert "measures" not in response.context["form"].initial


def test_an_organization_never_rated_gets_the_form_without_targets(client, tree, secretary):
    response = form_page(client, secretary, tree.finance_1)

    assert response.status_code == 200
    assert "本组织尚无评定结果" in response.content.decode()
    create(client, tree.finance_1, 1)
    assert ImprovementPlan.objects.get().targets == []


def test_the_plan_page_tracks_each_target_from_this_years_facts(client, campaign, tree, secretary, office_user):  # noqa: F811
    # given FIN-1 at 85 points with a plan for five stars (5 points missing)
    rated(campaign, tree.finance_1, score="8.5")
    ledger_line(tree.finance_1, office_user, level=4, name="四星级")
    form_page(client, secretary, tree.finance_1)
    create(client, tree.finance_1, 5)
    plan = ImprovementPlan.objects.get()
    url = reverse("ledger:plan_detail", args=[plan.pk])

    # when the plan page is read before anything changed
    before = client.get(url).context["tracking"]

    # then the target is not yet met
    assert [row.met for row in before.targets] == [False]
    assert before.targets[0].now.startswith("各项评分合计还需提高5分")

    # when a provincial commendation (+5, 五(三)1) is recorded this year
    this_year = timezone.localdate().year
    CommendationFactory(
        organization=tree.finance_1,
        level=HonourLevel.PROVINCE,
        date=date(this_year, 1, 2),
        status=RecordStatus.CONFIRMED,
    )
    after = client.get(url)

    # then the points are reached: the target is met
    assert [row.met for row in after.context["tracking"].targets] == [True]
    assert after.context["tracking"].reached
    assert 'data-met="1"' in after.content.decode()


def test_an_overdue_election_is_a_target_met_once_the_election_is_held(
    client,
    campaign,  # noqa: F811
    tree,
    secretary,
    office_user,
):
    # given FIN-1 at 95 points but its election overdue by more than a year: three stars
    election = ElectionFactory(organization=tree.finance_1, last_election=date(2020, 1, 1), term_years=3)
    rated(campaign, tree.finance_1, score="9.5")
    ledger_line(tree.finance_1, office_user, level=3, name="三星级")
    form_page(client, secretary, tree.finance_1)
    create(client, tree.finance_1, 5)
    plan = ImprovementPlan.objects.get()
    assert [t["kind"] for t in plan.targets] == ["election"]
    url = reverse("ledger:plan_detail", args=[plan.pk])
    assert [row.met for row in client.get(url).context["tracking"].targets] == [False]

    # when the election is held
    election.last_election = timezone.localdate()
    election.save()

    # then the target is met
    assert [row.met for row in client.get(url).context["tracking"].targets] == [True]


def test_changing_the_target_level_recomputes_the_targets(client, campaign, tree, secretary, office_user):  # noqa: F811
    # given a plan for five stars at 75 points (15 missing)
    rated(campaign, tree.finance_1, score="7.5")
    ledger_line(tree.finance_1, office_user, level=3, name="三星级")
    form_page(client, secretary, tree.finance_1)
    create(client, tree.finance_1, 5)
    plan = ImprovementPlan.objects.get()
    assert plan.targets[0]["amount"] == "15.00"

    # when it is changed to four stars
    client.post(
        reverse("ledger:plan_edit", args=[plan.pk]),
        {"target_level": 4, "measures": "m", "responsible": "书记", "milestones": ""},
    )

    # then its targets are four stars' (5 points)
    plan.refresh_from_db()
    assert (plan.target_level, plan.targets[0]["amount"]) == (4, "5.00")


def test_the_service_refuses_a_target_without_a_message(tree, secretary):
    with pytest.raises(TransitionRefused) as refused:
        services.plan_create(
            organization=tree.finance_1,
            year=timezone.localdate().year,
            target_level=4,
            measures="m",
            responsible="r",
            targets=[{"kind": "points", "message": ""}],
            actor=secretary,
        )

    assert "第1项争星目标缺少类型或内容" in str(refused.value)
    assert ImprovementPlan.objects.count() == 0


def test_the_word_document_lists_the_targets_first(tree, secretary):
    # given a plan with one target (made through the service)
    plan = services.plan_create(
        organization=tree.finance_1,
        year=timezone.localdate().year,
        target_level=5,
        measures="逐项落实",
        responsible="书记",
        targets=[
            {"kind": "points", "clause": "五(一)、五(二)", "message": "各项评分合计还需提高5分", "amount": "5.00"}
        ],
        actor=secretary,
    )

    # when it is written as Word
    text = [paragraph.text for paragraph in Document(io.BytesIO(plan_docx(plan))).paragraphs]

    # then the targets come first, and the headings are numbered after them
    assert (
        text.index("一、争星目标（按评定规则计算）")
        < text.index("1. 各项评分合计还需提高5分")
        < text.index("二、主要措施")
    )
    assert "三、时间节点" in text
