"""Who may do what: roles and subtrees, refused with nothing changed."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import AnonymousUser
from django.core.exceptions import PermissionDenied
from django.http import Http404

from tests.campaigns.steps import (
    audit_count,
    evaluate,
    evaluation_of,
    noticed_campaign,
    record_survey,
    self_evaluate,
    snapshot,
    uniform,
)
from tests.factories import OrganizationFactory, UserFactory
from xingji.accounts.models import Role
from xingji.campaigns import access, selectors, services
from xingji.common.errors import ActionForbidden
from xingji.orgs.models import OrganizationType

OFFICE_ONLY = "只有市直工委组织部可以进行这项操作"


def test_it_hides_another_branch_evaluation_as_not_found(tree, campaign, secretary_2):
    # given FIN-1's draft and the secretary of FIN-2
    evaluation = evaluation_of(campaign, tree.finance_1)
    before = snapshot(evaluation)

    # when FIN-2's secretary saves FIN-1's self-evaluation, then it does not exist for them
    with pytest.raises(Http404):
        services.self_evaluation_save_draft(evaluation=evaluation, scores=uniform(9), actor=secretary_2)
    assert snapshot(evaluation) == before


def test_it_refuses_a_self_evaluation_to_anyone_but_the_organization(tree, campaign, reviewer, office_user):
    evaluation = evaluation_of(campaign, tree.finance_1)
    before = snapshot(evaluation)

    for user in (reviewer, office_user):
        with pytest.raises(ActionForbidden) as refusal:
            services.self_evaluation_save_draft(evaluation=evaluation, scores=uniform(9), actor=user)
        assert str(refusal.value) == "只有本组织的书记可以填写本组织的自评"
    assert snapshot(evaluation) == before


def test_it_refuses_the_superior_evaluation_to_the_organization_itself(
    tree, campaign, secretary, reviewer, office_user
):
    # given FIN-1 and FIN with their self-evaluations and survey figures in
    branch = evaluation_of(campaign, tree.finance_1)
    self_evaluate(branch, secretary)
    record_survey(branch, secretary)
    committee = evaluation_of(campaign, tree.finance)
    self_evaluate(committee, reviewer)
    record_survey(committee, reviewer)
    before = (snapshot(branch), snapshot(committee))

    # when each evaluates itself as its superior, then it is refused
    for evaluation, user in ((branch, secretary), (committee, reviewer)):
        with pytest.raises(ActionForbidden) as refusal:
            services.superior_evaluate(evaluation=evaluation, scores=uniform(8), actor=user)
        assert str(refusal.value) == "只有上级党组织可以考评或退回本组织的评定"
    assert (snapshot(branch), snapshot(committee)) == before


def test_it_hides_an_evaluation_from_the_reviewer_of_another_branch(tree, campaign, secretary, edu_reviewer):
    evaluation = evaluation_of(campaign, tree.finance_1)
    self_evaluate(evaluation, secretary)
    record_survey(evaluation, secretary)
    before = snapshot(evaluation)

    with pytest.raises(Http404):
        services.superior_evaluate(evaluation=evaluation, scores=uniform(8), actor=edu_reviewer)
    with pytest.raises(Http404):
        services.self_evaluation_return(evaluation=evaluation, reason="退回", actor=edu_reviewer)
    assert snapshot(evaluation) == before


def test_it_refuses_every_change_to_the_read_only_inspector(tree, campaign, secretary, inspector):
    evaluation = evaluation_of(campaign, tree.finance_1)
    self_evaluate(evaluation, secretary)
    record_survey(evaluation, secretary)
    before = snapshot(evaluation)

    with pytest.raises(PermissionDenied) as refusal:
        services.superior_evaluate(evaluation=evaluation, scores=uniform(8), actor=inspector)
    assert str(refusal.value) == "当前角色只能查看，不能修改"
    with pytest.raises(PermissionDenied):
        services.survey_figures_record(
            evaluation=evaluation,
            member_count=9,
            participant_count=9,
            satisfaction="1",
            meeting_on=evaluation.survey_meeting_on,
            actor=inspector,
        )
    assert snapshot(evaluation) == before


def test_it_refuses_anonymous_users(tree, campaign):
    evaluation = evaluation_of(campaign, tree.finance_1)
    before = snapshot(evaluation)

    with pytest.raises(Http404):
        services.self_evaluation_save_draft(evaluation=evaluation, scores=uniform(9), actor=AnonymousUser())
    with pytest.raises(Http404):
        services.campaign_rate(campaign=campaign, actor=AnonymousUser())
    assert snapshot(evaluation) == before


def test_it_refuses_the_office_actions_to_a_reviewer(
    tree, campaign, clock, secretary, reviewer, office_user, django_capture_on_commit_callbacks
):
    # given a five-star proposal awaiting review
    evaluation = evaluation_of(campaign, tree.finance_1)
    evaluate(evaluation, secretary, reviewer, score="9.5")
    before = snapshot(evaluation)

    # when the reviewer acts as the office, then each is refused
    calls = [
        lambda: services.five_star_review_approve(evaluation=evaluation, actor=reviewer),
        lambda: services.five_star_review_return(evaluation=evaluation, reason="退回", actor=reviewer),
        lambda: services.campaign_rate(campaign=campaign, actor=reviewer),
        lambda: services.notice_publish(campaign=campaign, title="公示", confirmation="确认发布", actor=reviewer),
        lambda: services.campaign_approve(
            campaign=campaign, approved_on=clock.today, minutes_number="1", actor=reviewer
        ),
        lambda: services.campaign_create(root=tree.finance, year=2025, kind="year_end", actor=reviewer),
    ]
    for call in calls:
        with pytest.raises(ActionForbidden) as refusal:
            call()
        assert str(refusal.value) == OFFICE_ONLY
    assert snapshot(evaluation) == before


def test_it_refuses_objection_answers_to_a_reviewer(
    tree, campaign, clock, reviewer, office_user, django_capture_on_commit_callbacks
):
    notice = noticed_campaign(campaign, office_user, django_capture_on_commit_callbacks)
    filed = services.objection_file(notice=notice, evaluation=evaluation_of(campaign, tree.finance_1), content="异议")
    count = audit_count()

    with pytest.raises(ActionForbidden):
        services.objection_answer(objection=filed.objection, upheld=True, answer="成立", actor=reviewer)

    filed.objection.refresh_from_db()
    assert (filed.objection.state, audit_count()) == ("open", count)


def test_it_hides_a_campaign_from_an_office_of_another_tree(tree, campaign):
    # given a committee office at the root of another tree
    other_root = OrganizationFactory(code="OTHER", org_type=OrganizationType.PARTY_COMMITTEE)
    stranger = UserFactory(username="stranger", organization=other_root, role=Role.COMMITTEE_OFFICE)
    count = audit_count()

    with pytest.raises(Http404):
        services.campaign_rate(campaign=campaign, actor=stranger)
    with pytest.raises(Http404):
        access.access_campaign(stranger, campaign.pk)
    with pytest.raises(Http404):
        access.access_evaluation(stranger, evaluation_of(campaign, tree.finance_1).pk)
    assert list(selectors.campaign_list(user=stranger)) == []
    assert audit_count() == count


def test_it_shows_a_campaign_to_every_user_inside_its_scope(
    tree, campaign, office_user, reviewer, secretary, inspector
):
    # given a campaign over the root: everyone below sees it, and only their own subtree's evaluations
    for user in (office_user, reviewer, secretary, inspector):
        assert list(selectors.campaign_list(user=user)) == [campaign]
    assert [e.organization.code for e in selectors.evaluation_list(user=reviewer, campaign=campaign)] == [
        "FIN",
        "FIN-1",
        "FIN-2",
    ]
    assert [e.organization.code for e in selectors.evaluation_list(user=secretary, campaign=campaign)] == ["FIN-1"]
    assert access.access_campaign(office_user, campaign.pk, write=True) == campaign
    with pytest.raises(ActionForbidden):
        access.access_campaign(reviewer, campaign.pk, write=True)


def test_it_shows_published_notices_to_anyone_and_objections_only_to_the_office(
    tree,
    campaign,
    clock,
    office_user,
    reviewer,
    django_capture_on_commit_callbacks,
):
    notice = noticed_campaign(campaign, office_user, django_capture_on_commit_callbacks)
    filed = services.objection_file(notice=notice, evaluation=evaluation_of(campaign, tree.finance_1), content="异议")

    assert access.public_notice(notice.pk) == notice
    assert list(selectors.public_notices()) == [notice]
    assert access.access_objection(office_user, filed.objection.pk) == filed.objection
    with pytest.raises(Http404):
        access.access_objection(reviewer, filed.objection.pk)
    with pytest.raises(Http404):
        access.public_notice(notice.pk + 1000)
