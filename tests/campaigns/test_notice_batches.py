"""A notice covers exactly what the office selected: a subtree, or organizations ticked in it; batches follow."""

from __future__ import annotations

import pytest

from tests.campaigns.steps import rated_campaign
from xingji.campaigns import selectors, services
from xingji.campaigns.models import EvaluationState as E
from xingji.campaigns.models import Notice
from xingji.common.errors import TransitionRefused

WITHIN_QUOTAS = {"FIN-1": "5.5"}


def _states(campaign) -> dict[str, str]:
    return dict(campaign.evaluations.values_list("organization__code", "state"))


def test_a_scoped_notice_covers_only_the_subtree(tree, campaign, office_user, django_capture_on_commit_callbacks):
    rated_campaign(campaign, office_user, django_capture_on_commit_callbacks, scores=WITHIN_QUOTAS)
    preview = selectors.notice_preview(campaign, root=tree.finance)
    assert {line.evaluation.organization.code for line in preview.lines} == {"FIN", "FIN-1", "FIN-2"}
    notice = services.notice_publish(campaign=campaign, title="财政公示", root=tree.finance, actor=office_user)
    assert set(notice.entries.values_list("organization__code", flat=True)) == {"FIN", "FIN-1", "FIN-2"}
    states = _states(campaign)
    assert (states["FIN-1"], states["EDU"], states["EDU-1"]) == (E.ON_NOTICE, E.RATED, E.RATED)


def test_ticked_organizations_then_a_second_notice_for_the_rest_and_approval_per_batch(
    tree, campaign, clock, office_user, django_capture_on_commit_callbacks
):
    rated_campaign(campaign, office_user, django_capture_on_commit_callbacks, scores=WITHIN_QUOTAS)
    first = services.notice_publish(
        campaign=campaign, title="第一批", root=tree.root, organizations=[tree.education_1], actor=office_user
    )
    assert list(first.entries.values_list("organization__code", flat=True)) == ["EDU-1"]
    clock.advance(10)
    services.notice_close(notice=first, actor=office_user)
    services.campaign_approve(campaign=campaign, approved_on=clock.today, minutes_number="1号", actor=office_user)
    assert _states(campaign)["EDU-1"] == E.APPROVED
    # the overlap is refused, naming the organization
    with pytest.raises(TransitionRefused, match="教育|EDU|已在公示") as refusal:
        services.notice_publish(campaign=campaign, title="重复", organizations=[tree.education_1], actor=office_user)
    assert refusal.value.code == "already_noticed"
    second = services.notice_publish(campaign=campaign, title="第二批", actor=office_user)
    assert second.entries.count() == 4
    ends = clock.advance(10)
    services.notice_close(notice=second, actor=office_user)
    with pytest.raises(TransitionRefused, match="公示期满"):
        services.campaign_approve(
            campaign=campaign, approved_on=second.ends_on, minutes_number="2号", actor=office_user
        )
    services.campaign_approve(campaign=campaign, approved_on=ends, minutes_number="2号", actor=office_user)
    assert set(_states(campaign).values()) == {E.APPROVED}


def test_a_chosen_organization_not_rated_is_refused(tree, campaign, office_user, django_capture_on_commit_callbacks):
    rated_campaign(campaign, office_user, django_capture_on_commit_callbacks, scores=WITHIN_QUOTAS)
    with pytest.raises(TransitionRefused, match="不在"):
        services.notice_publish(
            campaign=campaign, title="公示", root=tree.finance, organizations=[tree.education], actor=office_user
        )


def test_the_notice_pages_carry_the_ticked_organizations_to_the_notice(
    client, tree, campaign, office_user, django_capture_on_commit_callbacks
):
    rated_campaign(campaign, office_user, django_capture_on_commit_callbacks, scores=WITHIN_QUOTAS)
    client.force_login(office_user)
    url = f"/campaigns/{campaign.pk}/notice/"
    scope = {"title": "第一批", "root": tree.finance.pk, "organizations": [tree.finance_1.pk, tree.finance_2.pk]}
    response = client.post(url, scope)
    assert response.status_code == 200 and Notice.objects.count() == 0
    preview = response.context["preview"]
    assert {line.evaluation.organization.code for line in preview.lines} == {"FIN-1", "FIN-2"}
    page = response.content.decode()
    assert f'name="organizations" value="{tree.finance_1.pk}"' in page
    response = client.post(url, {**scope, "confirm": "1", "digest": preview.digest, "confirmation": ""})
    assert response.status_code == 302
    assert set(Notice.objects.get().entries.values_list("organization__code", flat=True)) == {"FIN-1", "FIN-2"}
