"""A campaign's guard rails before and while it runs: deadlines, the quota mode, the scope it opens over."""

from __future__ import annotations

from datetime import date

import pytest

from tests.campaigns.steps import YEAR, actions, audit_count, rated_campaign
from tests.factories import OrganizationFactory
from xingji.audit.models import AuditEntry
from xingji.campaigns import services
from xingji.campaigns.models import CampaignState, QuotaMode
from xingji.campaigns.scope import scope_organizations
from xingji.common.errors import ActionForbidden, TransitionRefused

# --- deadlines ---------------------------------------------------------------------------------------------------


def test_the_default_deadline_is_the_kinds_while_it_is_ahead():
    today = date(2026, 3, 1)
    assert services.default_deadline(2026, "mid_year", today=today) == date(2026, 6, 5)
    assert services.default_deadline(2026, "year_end", today=today) == date(2026, 12, 31)
    assert services.default_deadline(2026, "mid_year", today=date(2026, 6, 5)) == date(2026, 6, 5)


def test_the_default_deadline_is_never_a_past_day():
    today = date(2026, 12, 3)
    assert services.default_deadline(2026, "mid_year", today=today) == date(2026, 12, 17)
    assert services.default_deadline(2025, "year_end", today=today) == date(2026, 12, 17)


def test_a_deadline_before_today_is_refused_with_both_dates():
    services.deadline_check(date(2026, 12, 3), today=date(2026, 12, 3))
    with pytest.raises(TransitionRefused) as refusal:
        services.deadline_check(date(2026, 12, 2), today=date(2026, 12, 3))
    assert refusal.value.messages == ["截止日期2026-12-02已过（今天是2026-12-03），请改为今天或以后的日期"]


# --- the quota mode ----------------------------------------------------------------------------------------------


def test_the_office_changes_the_quota_mode_of_an_open_campaign_before_any_rating_run(campaign, office_user):
    assert (campaign.state, campaign.quota_mode) == (CampaignState.OPEN, QuotaMode.WARN)

    services.campaign_quota_mode_change(campaign=campaign, quota_mode=QuotaMode.ENFORCE, actor=office_user)

    campaign.refresh_from_db()
    assert campaign.quota_mode == QuotaMode.ENFORCE
    entry = AuditEntry.objects.filter(action="campaign.quota_mode_changed").get()
    assert (entry.before, entry.after) == ({"quota_mode": "warn"}, {"quota_mode": "enforce"})


def test_it_refuses_to_change_the_quota_mode_after_the_first_rating_run(
    campaign, office_user, django_capture_on_commit_callbacks
):
    rated_campaign(campaign, office_user, django_capture_on_commit_callbacks)
    count = audit_count()

    with pytest.raises(TransitionRefused) as refusal:
        services.campaign_quota_mode_change(campaign=campaign, quota_mode=QuotaMode.ENFORCE, actor=office_user)

    assert refusal.value.messages == ["已运行全面评定，比例控制方式不能再修改"]
    campaign.refresh_from_db()
    assert (campaign.quota_mode, audit_count()) == (QuotaMode.WARN, count)


def test_it_refuses_an_unknown_quota_mode_and_a_reviewer(campaign, office_user, reviewer):
    count = audit_count()
    with pytest.raises(TransitionRefused):
        services.campaign_quota_mode_change(campaign=campaign, quota_mode="strict", actor=office_user)
    with pytest.raises(ActionForbidden):
        services.campaign_quota_mode_change(campaign=campaign, quota_mode=QuotaMode.OFF, actor=reviewer)
    campaign.refresh_from_db()
    assert (campaign.quota_mode, audit_count()) == (QuotaMode.WARN, count)


def test_a_draft_changes_its_quota_mode_with_its_other_settings(tree, office_user):
    created = services.campaign_create(root=tree.root, year=YEAR, kind="mid_year", actor=office_user)
    services.campaign_update(campaign=created, data={"quota_mode": QuotaMode.OFF}, actor=office_user)
    created.refresh_from_db()
    assert created.quota_mode == QuotaMode.OFF
    assert actions("campaign.") == ["campaign.created", "campaign.updated"]


# --- the scope ---------------------------------------------------------------------------------------------------


def test_opening_creates_an_evaluation_for_exactly_the_scope_listed_before(tree, office_user):
    # given a draft campaign, a new branch under EDU, an inactive one under FIN and an organization of another tree
    OrganizationFactory(name="教育局第二支部", code="EDU-2", parent=tree.education)
    OrganizationFactory(name="财政局已撤销支部", code="FIN-X", parent=tree.finance, is_active=False)
    OrganizationFactory(name="另一个工委", code="OTHER")
    created = services.campaign_create(root=tree.root, year=YEAR, kind="mid_year", actor=office_user)
    listed = list(scope_organizations(created).values_list("code", flat=True))
    assert listed == ["FIN", "FIN-1", "FIN-2", "EDU", "EDU-1", "EDU-2"]

    # when it opens
    opened = services.campaign_open(campaign=created, actor=office_user)

    # then its evaluations are those organizations, and the scope of the open campaign is still the same list
    evaluated = list(opened.evaluations.order_by("organization__path").values_list("organization__code", flat=True))
    assert evaluated == listed
    assert list(scope_organizations(opened).values_list("code", flat=True)) == listed
