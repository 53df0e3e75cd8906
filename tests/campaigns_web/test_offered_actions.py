"""Actions offered only when they can succeed: the rating run, the municipal re-review send and its result.

Each page asks the very check the service makes (``services.campaign_rate_check``,
``selectors.municipal_pending``), so that a button is never one the service would refuse.
"""

from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse

from tests.campaigns.steps import evaluation_of, force_evaluated, run_rating
from xingji.campaigns import services
from xingji.campaigns.models import Notice, RatingRun, RunState


def _rating_page(client, campaign) -> str:
    return client.get(reverse("campaigns:rating", args=[campaign.pk])).content.decode()


def _evaluate_all(campaign, scores: dict | None = None) -> None:
    for evaluation in campaign.evaluations.select_related("organization"):
        force_evaluated(evaluation, score=(scores or {}).get(evaluation.organization.code, 8))


def test_the_rating_run_is_offered_only_once_every_evaluation_is_finished(client, campaign, tree, office_user):
    start = reverse("campaigns:rating_start", args=[campaign.pk])
    client.force_login(office_user)

    # given four of the five organizations evaluated: no button, and the service's reason instead
    for organization in (tree.finance, tree.finance_2, tree.education, tree.education_1):
        force_evaluated(evaluation_of(campaign, organization), score=8)
    page = _rating_page(client, campaign)
    assert start not in page
    assert '<p class="muted" id="rate-refusal">还有1个组织未完成考评或五星级审核，不能运行全面评定</p>' in page
    with pytest.raises(ValidationError, match="还有1个组织未完成考评或五星级审核"):
        services.campaign_rate(campaign=campaign, actor=office_user)

    # when the fifth is evaluated too, then the button is offered and no reason shown
    force_evaluated(evaluation_of(campaign, tree.finance_1), score=8)
    page = _rating_page(client, campaign)
    assert f'action="{start}"' in page and 'id="rate-refusal"' not in page


def test_the_rating_run_is_not_offered_while_a_run_is_going_or_after_the_notice(
    client, campaign, office_user, django_capture_on_commit_callbacks
):
    start = reverse("campaigns:rating_start", args=[campaign.pk])
    _evaluate_all(campaign)
    client.force_login(office_user)

    # a run in progress: its progress shows, no second run is offered
    running = RatingRun.objects.create(
        campaign=campaign, requested_by=office_user, state=RunState.RUNNING, total=5, done=2
    )
    assert start not in _rating_page(client, campaign)
    RatingRun.objects.filter(pk=running.pk).delete()

    # a finished run may be repeated until the notice
    run_rating(campaign, office_user, django_capture_on_commit_callbacks)
    assert f'action="{start}"' in _rating_page(client, campaign)

    # after the notice: no button, and the reason
    services.notice_publish(campaign=campaign, title="公示", confirmation="确认发布", actor=office_user)
    page = _rating_page(client, campaign)
    assert start not in page
    assert "不能运行全面评定" in page


def _approved(campaign, office_user, clock, capture, scores: dict | None = None) -> None:
    _evaluate_all(campaign, scores)
    run_rating(campaign, office_user, capture)
    services.notice_publish(campaign=campaign, title="公示", confirmation="确认发布", actor=office_user)
    clock.advance(10)
    services.notice_close(notice=Notice.objects.get(), actor=office_user)
    services.campaign_approve(campaign=campaign, approved_on=clock.today, minutes_number="3号", actor=office_user)


def test_the_municipal_send_is_not_offered_without_an_approved_five_star(
    client, campaign, office_user, clock, django_capture_on_commit_callbacks
):
    # given an approved campaign without any five-star organization
    _approved(campaign, office_user, clock, django_capture_on_commit_callbacks)
    client.force_login(office_user)

    # then the campaign page says there is nothing to send instead of linking to a refusal
    content = client.get(reverse("campaigns:detail", args=[campaign.pk])).content.decode()
    assert reverse("campaigns:municipal_send", args=[campaign.pk]) not in content
    assert "报送市委组织部复审：没有待报送复审的五星级组织" in content
    # nor a result to record, since nothing was sent
    assert reverse("campaigns:municipal_return", args=[campaign.pk]) not in content
    # and the send page, reached directly, says so before anything is posted
    page = client.get(reverse("campaigns:municipal_send", args=[campaign.pk])).content.decode()
    assert "没有待报送复审的五星级组织（工委会批准的五星级组织才报送复审）。" in page
    with pytest.raises(ValidationError, match="没有待报送复审的五星级组织"):
        services.municipal_review_send(campaign=campaign, sent_on=clock.today, actor=office_user)


def test_the_municipal_send_is_offered_with_the_five_stars_it_will_send(
    client, campaign, office_user, clock, django_capture_on_commit_callbacks
):
    # given an approved campaign where 财政局第一支部 is five-star
    _approved(campaign, office_user, clock, django_capture_on_commit_callbacks, {"FIN-1": "9.8"})
    send = reverse("campaigns:municipal_send", args=[campaign.pk])
    client.force_login(office_user)

    # then the campaign page links to the send page, which names what it will send
    content = client.get(reverse("campaigns:detail", args=[campaign.pk])).content.decode()
    assert f'href="{send}"' in content and "没有待报送复审" not in content
    page = client.get(send).content.decode()
    assert "全部已批准的五星级组织一并报送（1个）：财政局第一支部。" in page

    # once sent, there is nothing left to send
    assert client.post(send, {"sent_on": clock.today.isoformat()}).status_code == 302
    content = client.get(reverse("campaigns:detail", args=[campaign.pk])).content.decode()
    assert send not in content and "没有待报送复审的五星级组织" in content
    assert reverse("campaigns:municipal_return", args=[campaign.pk]) in content

    # once its result is recorded, there is no result left to record
    review = campaign.evaluations.get(organization__code="FIN-1").municipal_review
    services.municipal_review_return(review=review, returned_on=clock.today, result="confirmed", actor=office_user)
    content = client.get(reverse("campaigns:detail", args=[campaign.pk])).content.decode()
    assert reverse("campaigns:municipal_return", args=[campaign.pk]) not in content


def test_the_notice_and_the_approval_are_offered_only_with_organizations_to_take(
    client, campaign, office_user, clock, django_capture_on_commit_callbacks
):
    detail = reverse("campaigns:detail", args=[campaign.pk])
    publish = reverse("campaigns:notice_publish", args=[campaign.pk])
    approve = reverse("campaigns:approve", args=[campaign.pk])
    client.force_login(office_user)

    # an open campaign before its rating: nothing to notice, and the page says what it waits for
    content = client.get(detail).content.decode()
    assert publish not in content and "发布公示：全面评定完成后，已评定的组织方可公示" in content

    # rated: the notice is offered
    _evaluate_all(campaign)
    run_rating(campaign, office_user, django_capture_on_commit_callbacks)
    assert f'href="{publish}"' in client.get(detail).content.decode()

    # on notice: nothing to approve until the notice has passed
    services.notice_publish(campaign=campaign, title="公示", confirmation="确认发布", actor=office_user)
    clock.advance(10)
    services.notice_close(notice=Notice.objects.get(), actor=office_user)
    content = client.get(detail).content.decode()
    assert f'href="{approve}"' in content and publish not in content

    # approved: nothing left to approve
    services.campaign_approve(campaign=campaign, approved_on=clock.today, minutes_number="3号", actor=office_user)
    assert approve not in client.get(detail).content.decode()
