"""The results' use through its services: who may do what, and that a refusal changes nothing."""

from __future__ import annotations

from datetime import date

import pytest
from django.core.exceptions import PermissionDenied
from django.http import Http404

from tests.campaigns.steps import audit_count, evaluation_of
from tests.reports.conftest import approve
from xingji.audit.chain import head_hash
from xingji.campaigns import services as campaign_services
from xingji.campaigns.models import MunicipalResult, StarLedgerEntry
from xingji.common.errors import ActionForbidden, TransitionRefused
from xingji.orgs.models import Organization
from xingji.records.models import Commendation, HonourLevel
from xingji.reports import selectors, services
from xingji.reports.models import (
    CommendationRecommendation,
    DemonstrationSite,
    Plaque,
    RecommendationState,
    ResultPublication,
)

YEAR = 2025


def _all():
    return Organization.objects.all()


# --- the year's results ------------------------------------------------------------------------------------


def test_it_lists_the_years_five_star_organizations_in_tree_order(tree, approved):
    results = selectors.top_results(_all(), YEAR)
    assert [(result.organization, result.level, result.level_name) for result in results] == [
        (tree.finance_1, 5, "五星级"),
        (tree.education_1, 5, "五星级"),
    ]
    assert results[0].minutes_number == "工委会纪要〔2026〕3号"
    assert str(results[0].final_score) == "95.00"
    assert selectors.year_results(_all(), YEAR)[tree.finance_2.pk].level_name == "四星级"
    assert selectors.top_results(_all(), 2024) == []


def test_it_takes_the_year_end_result_over_the_mid_year_one(
    tree, approved, clock, office_user, django_capture_on_commit_callbacks
):
    # given FIN-1 five stars mid-year, then the year-end re-check approves it at four
    year_end = campaign_services.campaign_create(root=tree.root, year=YEAR, kind="year_end", actor=office_user)
    year_end = campaign_services.campaign_open(campaign=year_end, actor=office_user)
    approve(
        year_end,
        clock,
        office_user,
        django_capture_on_commit_callbacks,
        scores={"EDU-1": "9.3"},
        minutes="工委会纪要〔2026〕9号",
    )

    # then the year's five-star list is the year-end one
    results = selectors.top_results(_all(), YEAR)
    assert [(result.organization, result.campaign) for result in results] == [(tree.education_1, year_end)]
    assert selectors.year_results(_all(), YEAR)[tree.finance_1.pk].level == 4


def test_it_counts_a_not_confirmed_municipal_re_review_at_the_level_it_gave(tree, approved, clock, office_user):
    # given FIN-1 and EDU-1 sent to the municipal re-review, FIN-1 not confirmed (four stars)
    reviews = campaign_services.municipal_review_send(campaign=approved, sent_on=clock.today, actor=office_user)
    review = next(review for review in reviews if review.evaluation.organization_id == tree.finance_1.pk)
    campaign_services.municipal_review_return(
        review=review, returned_on=clock.today, result=MunicipalResult.NOT_CONFIRMED, result_level=4, actor=office_user
    )
    # then FIN-1 is no longer a five-star organization of the year
    assert [result.organization for result in selectors.top_results(_all(), YEAR)] == [tree.education_1]


# --- plaques -----------------------------------------------------------------------------------------------


def test_the_office_issues_numbered_plaques_for_the_five_star_organizations(tree, approved, office_user):
    before = audit_count()
    made = services.plaques_issue(year=YEAR, actor=office_user)
    assert [(plaque.organization, plaque.serial, plaque.title, plaque.issuing_body) for plaque in made] == [
        (tree.finance_1, "2025-001", "五星级服务型党组织", "市直工委"),
        (tree.education_1, "2025-002", "五星级服务型党组织", "市直工委"),
    ]
    assert made[0].evaluation == evaluation_of(approved, tree.finance_1)
    assert audit_count() == before + 2


def test_it_keeps_serials_and_refuses_when_every_plaque_is_made(tree, approved, office_user):
    services.plaques_issue(
        year=YEAR, issuing_body="中共安阳市直机关工委", issued_on=date(2026, 1, 5), actor=office_user
    )
    before = (list(Plaque.objects.values_list("pk", "number", "issuing_body")), audit_count())
    with pytest.raises(TransitionRefused, match="2025年度没有尚未授牌的五星级党组织"):
        services.plaques_issue(year=YEAR, issuing_body="另一个单位", actor=office_user)
    assert (list(Plaque.objects.values_list("pk", "number", "issuing_body")), audit_count()) == before
    assert before[0][0][2] == "中共安阳市直机关工委"


def test_it_continues_the_years_serials_for_a_later_issue(tree, approved, office_user):
    # given EDU-1's plaque was made alone by an office over EDU
    Plaque.objects.create(
        organization=tree.education_1,
        year=YEAR,
        number=7,
        evaluation=evaluation_of(approved, tree.education_1),
        level=5,
        level_name="五星级",
        title="五星级服务型党组织",
        organization_name=tree.education_1.name,
        issuing_body="市直工委",
        issued_on=date(2026, 1, 5),
        created_by=office_user,
    )
    made = services.plaques_issue(year=YEAR, actor=office_user)
    assert [(plaque.organization, plaque.serial) for plaque in made] == [(tree.finance_1, "2025-008")]


@pytest.mark.parametrize("role", ["reviewer", "secretary", "inspector"])
def test_only_the_office_issues_plaques(request, approved, role):
    before = audit_count()
    with pytest.raises(ActionForbidden):
        services.plaques_issue(year=YEAR, actor=request.getfixturevalue(role))
    assert (Plaque.objects.count(), audit_count()) == (0, before)


def test_it_refuses_a_plaque_date_in_the_future(approved, office_user):
    with pytest.raises(TransitionRefused, match="授牌日期不能晚于今天"):
        services.plaques_issue(year=YEAR, issued_on=date(2100, 1, 1), actor=office_user)
    assert Plaque.objects.count() == 0


def test_another_office_issues_nothing_for_this_tree(approved, other_office):
    with pytest.raises(TransitionRefused):
        services.plaques_issue(year=YEAR, actor=other_office[0])
    assert Plaque.objects.count() == 0


# --- demonstration sites ---------------------------------------------------------------------------------------


def test_the_office_chooses_a_five_star_organization_as_a_demonstration_site(tree, approved, office_user):
    before = audit_count()
    site = services.demonstration_site_choose(
        organization=tree.finance_1, year=YEAR, reason="班子战斗力强", actor=office_user
    )
    assert (site.organization, site.year, site.reason, site.chosen_by, site.is_active) == (
        tree.finance_1,
        YEAR,
        "班子战斗力强",
        office_user,
        True,
    )
    assert audit_count() == before + 1


def test_it_refuses_a_site_that_is_not_five_star_that_year(tree, approved, office_user):
    before = audit_count()
    with pytest.raises(TransitionRefused, match="财政局第二支部不是2025年度经批准的五星级党组织，不能确定为示范点"):
        services.demonstration_site_choose(organization=tree.finance_2, year=YEAR, reason="好", actor=office_user)
    with pytest.raises(TransitionRefused, match="不是2024年度经批准的五星级党组织"):
        services.demonstration_site_choose(organization=tree.finance_1, year=2024, reason="好", actor=office_user)
    assert (DemonstrationSite.objects.count(), audit_count()) == (0, before)


def test_it_refuses_a_second_site_for_the_same_organization_and_year(tree, approved, office_user):
    services.demonstration_site_choose(organization=tree.finance_1, year=YEAR, reason="一", actor=office_user)
    before = audit_count()
    with pytest.raises(TransitionRefused, match="财政局第一支部已是2025年度示范点"):
        services.demonstration_site_choose(organization=tree.finance_1, year=YEAR, reason="二", actor=office_user)
    assert (DemonstrationSite.objects.count(), audit_count()) == (1, before)


def test_a_revoked_site_can_be_chosen_again(tree, approved, office_user):
    site = services.demonstration_site_choose(organization=tree.finance_1, year=YEAR, reason="一", actor=office_user)
    revoked = services.demonstration_site_revoke(site=site, reason="受到通报批评", actor=office_user)
    assert (revoked.is_active, revoked.revoke_reason, revoked.revoked_by) == (False, "受到通报批评", office_user)
    before = audit_count()
    with pytest.raises(TransitionRefused, match="该示范点已撤销"):
        services.demonstration_site_revoke(site=site, reason="再次", actor=office_user)
    assert audit_count() == before
    again = services.demonstration_site_choose(
        organization=tree.finance_1, year=YEAR, reason="整改到位", actor=office_user
    )
    assert again.is_active and DemonstrationSite.objects.count() == 2


def test_it_refuses_an_empty_reason(tree, approved, office_user):
    with pytest.raises(TransitionRefused, match="请填写确定理由"):
        services.demonstration_site_choose(organization=tree.finance_1, year=YEAR, reason="  ", actor=office_user)
    assert DemonstrationSite.objects.count() == 0


@pytest.mark.parametrize("role", ["reviewer", "inspector", "secretary"])
def test_only_the_office_chooses_sites(request, tree, approved, role):
    before = audit_count()
    with pytest.raises(PermissionDenied):
        services.demonstration_site_choose(
            organization=tree.finance_1, year=YEAR, reason="好", actor=request.getfixturevalue(role)
        )
    assert (DemonstrationSite.objects.count(), audit_count()) == (0, before)


def test_an_office_cannot_reach_an_organization_outside_its_tree(tree, approved, other_office):
    user, _ = other_office
    with pytest.raises(Http404):
        services.demonstration_site_choose(organization=tree.finance_1, year=YEAR, reason="好", actor=user)
    with pytest.raises(Http404):
        services.recommendation_create(organization=tree.finance_1, year=YEAR, deeds="好", actor=user)
    assert DemonstrationSite.objects.count() == CommendationRecommendation.objects.count() == 0


# --- commendation recommendations ------------------------------------------------------------------------------


def test_the_office_drafts_submits_and_records_an_adopted_recommendation(tree, approved, office_user):
    recommendation = services.recommendation_create(
        organization=tree.finance_1, year=YEAR, deeds="服务群众成效显著", actor=office_user
    )
    assert recommendation.state == RecommendationState.DRAFT
    submitted = services.recommendations_submit(year=YEAR, actor=office_user)
    assert [item.state for item in submitted] == [RecommendationState.SUBMITTED]

    before = audit_count()
    decided = services.recommendation_decide(
        recommendation=recommendation,
        adopted=True,
        note="市直工委表彰",
        record_commendation=True,
        commended_on=date(2026, 1, 10),
        issuer="中共安阳市直机关工委",
        document_number="安直工〔2026〕1号",
        actor=office_user,
    )

    assert decided.state == RecommendationState.ADOPTED
    commendation = Commendation.objects.get()
    assert decided.commendation == commendation
    assert (
        commendation.organization,
        commendation.level,
        commendation.title,
        commendation.date,
        commendation.issuer,
    ) == (tree.finance_1, HonourLevel.CITY, "先进基层党组织", date(2026, 1, 10), "中共安阳市直机关工委")
    # the commendation's own entry, then the decision's
    assert audit_count() == before + 2


def test_a_not_adopted_recommendation_records_no_commendation(tree, approved, office_user):
    recommendation = services.recommendation_create(
        organization=tree.finance_1, year=YEAR, deeds="事迹", actor=office_user
    )
    services.recommendations_submit(year=YEAR, actor=office_user)
    before = audit_count()
    with pytest.raises(TransitionRefused, match="未表彰的推荐不能记为表彰记录"):
        services.recommendation_decide(
            recommendation=recommendation,
            adopted=False,
            record_commendation=True,
            commended_on=date(2026, 1, 10),
            issuer="工委",
            actor=office_user,
        )
    assert (CommendationRecommendation.objects.get().state, audit_count()) == (RecommendationState.SUBMITTED, before)
    decided = services.recommendation_decide(recommendation=recommendation, adopted=False, actor=office_user)
    assert decided.state == RecommendationState.NOT_ADOPTED
    assert Commendation.objects.count() == 0


def test_it_refuses_to_decide_a_draft_and_to_submit_nothing(tree, approved, office_user):
    recommendation = services.recommendation_create(
        organization=tree.finance_1, year=YEAR, deeds="事迹", actor=office_user
    )
    before = audit_count()
    with pytest.raises(TransitionRefused, match="只有已报送的推荐可以录入表彰结果"):
        services.recommendation_decide(recommendation=recommendation, adopted=True, actor=office_user)
    with pytest.raises(TransitionRefused, match="2024年度推荐名单中没有待报送的草稿"):
        services.recommendations_submit(year=2024, actor=office_user)
    assert (CommendationRecommendation.objects.get().state, audit_count()) == (RecommendationState.DRAFT, before)


def test_it_refuses_a_recommendation_that_is_not_five_star_or_twice(tree, approved, office_user):
    before = audit_count()
    with pytest.raises(TransitionRefused, match="不能推荐为先进基层党组织"):
        services.recommendation_create(organization=tree.finance_2, year=YEAR, deeds="事迹", actor=office_user)
    assert (CommendationRecommendation.objects.count(), audit_count()) == (0, before)
    services.recommendation_create(organization=tree.finance_1, year=YEAR, deeds="事迹", actor=office_user)
    before = audit_count()
    with pytest.raises(TransitionRefused, match="已在2025年度推荐名单中"):
        services.recommendation_create(organization=tree.finance_1, year=YEAR, deeds="又一次", actor=office_user)
    assert (CommendationRecommendation.objects.count(), audit_count()) == (1, before)


def test_only_a_draft_is_deleted(tree, approved, office_user):
    draft = services.recommendation_create(organization=tree.finance_1, year=YEAR, deeds="事迹", actor=office_user)
    services.recommendation_create(organization=tree.education_1, year=YEAR, deeds="事迹", actor=office_user)
    services.recommendation_delete(recommendation=draft, actor=office_user)
    services.recommendations_submit(year=YEAR, actor=office_user)
    submitted = CommendationRecommendation.objects.get()
    before = audit_count()
    with pytest.raises(TransitionRefused, match="只能删除草稿状态的推荐"):
        services.recommendation_delete(recommendation=submitted, actor=office_user)
    assert (CommendationRecommendation.objects.count(), audit_count()) == (1, before)


@pytest.mark.parametrize("role", ["reviewer", "inspector"])
def test_only_the_office_recommends(request, tree, approved, role):
    before = audit_count()
    with pytest.raises(PermissionDenied):
        services.recommendation_create(
            organization=tree.finance_1, year=YEAR, deeds="事迹", actor=request.getfixturevalue(role)
        )
    with pytest.raises(ActionForbidden):
        services.recommendations_submit(year=YEAR, actor=request.getfixturevalue(role))
    assert (CommendationRecommendation.objects.count(), audit_count()) == (0, before)


# --- publication ---------------------------------------------------------------------------------------------


def test_the_office_publishes_the_years_results_with_the_chain_head(tree, approved, office_user):
    before = audit_count()
    publication = services.results_publish(root=tree.root, year=YEAR, confirmation="确认发布", actor=office_user)
    assert publication.title == "市直工委2025年度基层服务型党组织星级评定结果"
    assert [(row["organization"], row["level_name"]) for row in publication.rows] == [
        ("财政局第一支部", "五星级"),
        ("教育局第一支部", "五星级"),
        ("财政局机关党委", "四星级"),
        ("财政局第二支部", "四星级"),
        ("教育局机关党总支", "四星级"),
    ]
    assert audit_count() == before + 1
    publication.refresh_from_db()
    assert publication.head_hash == head_hash()


def test_it_refuses_a_second_publication_and_an_empty_year(tree, approved, office_user):
    services.results_publish(root=tree.root, year=YEAR, confirmation="确认发布", actor=office_user)
    before = audit_count()
    with pytest.raises(TransitionRefused, match="市直工委2025年度的评定结果已公布"):
        services.results_publish(root=tree.root, year=YEAR, confirmation="确认发布", actor=office_user)
    with pytest.raises(TransitionRefused, match="2024年度没有经批准的评定结果，不能公布"):
        services.results_publish(root=tree.root, year=2024, confirmation="确认发布", actor=office_user)
    assert (ResultPublication.objects.count(), audit_count()) == (1, before)


@pytest.mark.parametrize("role", ["reviewer", "inspector", "secretary"])
def test_only_the_office_publishes(request, tree, approved, role):
    before = audit_count()
    with pytest.raises(ActionForbidden):
        services.results_publish(
            root=tree.finance, year=YEAR, confirmation="确认发布", actor=request.getfixturevalue(role)
        )
    assert (ResultPublication.objects.count(), audit_count()) == (0, before)


def test_published_rows_stay_as_published_after_a_later_ledger_change(tree, approved, office_user):
    publication = services.results_publish(root=tree.root, year=YEAR, confirmation="确认发布", actor=office_user)
    StarLedgerEntry.objects.create(
        organization=tree.finance_1,
        level=2,
        level_name="二星级",
        previous_level=5,
        effective_on=date(2026, 9, 1),
        approving_body="市直工委",
        reason="复验降级",
        approver=office_user,
    )
    tree.finance_1.name = "财政局第一支部（更名）"
    tree.finance_1.save()
    publication.refresh_from_db()
    assert publication.rows[0] == {
        "organization": "财政局第一支部",
        "level": 5,
        "level_name": "五星级",
        "organization_id": tree.finance_1.pk,
    }
    # and the public rows say what changed since, read from the ledger
    assert selectors.publication_rows(publication)[0]["changed"] == "2026-09-01起为二星级"
    assert selectors.publication_rows(publication)[1]["changed"] == ""
