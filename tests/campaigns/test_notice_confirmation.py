"""A public notice goes out on purpose: its preview, every quota it breaks, and a typed confirmation then.

The campaign fixture's five evaluations (tests/campaigns/conftest.py), rated together; anyang-2017 allows
floor(10 % · 5) = 0 five-star organizations and asks for ceil(10 % · 5) = 1 at one star or none.
"""

from __future__ import annotations

import pytest

from tests.campaigns.steps import audit_count, rated_campaign
from xingji.audit.models import AuditEntry
from xingji.campaigns import selectors, services
from xingji.campaigns.models import EvaluationState, Notice
from xingji.common.confirmation import CONFIRMATION_PHRASE
from xingji.common.errors import TransitionRefused

FIVE_STARS = {"FIN-1": "9.5", "EDU-1": "9.2"}
#: One organization at one star (55 points), the others at four: both quotas kept.
WITHIN_QUOTAS = {"FIN-1": "5.5"}
CEILING = "五星级不超过10%（五(二)）：5个组织中五星级2个，占40%，超过上限（最多0个）"


def _states(campaign) -> set[str]:
    return set(campaign.evaluations.values_list("state", flat=True))


def test_the_preview_lists_the_notice_with_every_quota_warning(
    campaign, office_user, django_capture_on_commit_callbacks
):
    rated_campaign(campaign, office_user, django_capture_on_commit_callbacks, scores=FIVE_STARS)
    preview = selectors.notice_preview(campaign)
    assert [(line.evaluation.organization.code, line.level_name) for line in preview.lines] == [
        ("FIN-1", "五星级"),
        ("EDU-1", "五星级"),
        ("FIN", "四星级"),
        ("FIN-2", "四星级"),
        ("EDU", "四星级"),
    ]
    assert (preview.population, preview.supplementary) == (5, False)
    assert preview.warning_messages[0] == CEILING
    assert len(preview.warnings) == 2


def test_it_refuses_a_notice_over_a_broken_quota_without_the_typed_confirmation(
    campaign, office_user, django_capture_on_commit_callbacks
):
    rated_campaign(campaign, office_user, django_capture_on_commit_callbacks, scores=FIVE_STARS)
    before = audit_count()
    with pytest.raises(TransitionRefused, match="核对无误后请输入“确认发布”再发布") as refusal:
        services.notice_publish(campaign=campaign, title="公示", confirmation="", actor=office_user)
    assert refusal.value.code == "confirmation_required"
    assert CEILING in refusal.value.messages[0]
    campaign.refresh_from_db()
    assert (Notice.objects.count(), audit_count(), _states(campaign)) == (0, before, {EvaluationState.RATED})


def test_it_publishes_the_notice_with_the_typed_confirmation_and_logs_the_warnings(
    campaign, office_user, django_capture_on_commit_callbacks
):
    rated_campaign(campaign, office_user, django_capture_on_commit_callbacks, scores=FIVE_STARS)
    preview = selectors.notice_preview(campaign)
    notice = services.notice_publish(
        campaign=campaign,
        title="公示",
        confirmation=CONFIRMATION_PHRASE,
        preview_digest=preview.digest,
        actor=office_user,
    )
    assert notice.entries.count() == 5
    assert _states(campaign) == {EvaluationState.ON_NOTICE}
    assert AuditEntry.objects.get(action="notice.published").after["quota_warnings"] == preview.warning_messages


def test_a_notice_within_the_quotas_needs_no_confirmation(campaign, office_user, django_capture_on_commit_callbacks):
    rated_campaign(campaign, office_user, django_capture_on_commit_callbacks, scores=WITHIN_QUOTAS)
    assert selectors.notice_preview(campaign).warnings == []
    notice = services.notice_publish(campaign=campaign, title="公示", actor=office_user)
    assert notice.entries.count() == 5
    assert AuditEntry.objects.get(action="notice.published").after["quota_warnings"] == []


def test_a_stale_preview_is_refused(campaign, tree, office_user, django_capture_on_commit_callbacks):
    rated_campaign(campaign, office_user, django_capture_on_commit_callbacks, scores=WITHIN_QUOTAS)
    stale = selectors.notice_preview(campaign)
    # given one evaluation's level changed after the preview (as a re-rating would)
    campaign.evaluations.filter(organization=tree.finance_2).update(level=3)
    before = audit_count()
    with pytest.raises(TransitionRefused, match="确认后待发布的内容已发生变化"):
        services.notice_publish(campaign=campaign, title="公示", preview_digest=stale.digest, actor=office_user)
    assert (Notice.objects.count(), audit_count()) == (0, before)


def test_the_notice_pages_walk_through_the_confirmation(
    client, campaign, office_user, django_capture_on_commit_callbacks
):
    rated_campaign(campaign, office_user, django_capture_on_commit_callbacks, scores=FIVE_STARS)
    client.force_login(office_user)
    url = f"/campaigns/{campaign.pk}/notice/"
    # step one: the title leads to the confirmation page with the warnings; nothing is published yet
    response = client.post(url, {"title": "2025年度评定结果公示"})
    page = response.content.decode()
    assert response.status_code == 200 and Notice.objects.count() == 0
    assert CEILING in page and 'name="confirmation"' in page
    digest = response.context["preview"].digest
    data = {"title": "2025年度评定结果公示", "confirm": "1", "digest": digest}
    # step two without the phrase: the refusal on the same page
    response = client.post(url, {**data, "confirmation": "好的"})
    assert response.status_code == 200 and "核对无误后请输入“确认发布”再发布" in response.content.decode()
    assert Notice.objects.count() == 0
    # with it: published
    response = client.post(url, {**data, "confirmation": CONFIRMATION_PHRASE})
    assert response.status_code == 302
    assert Notice.objects.get().title == "2025年度评定结果公示"
