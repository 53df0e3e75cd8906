"""Fixtures of the results tests: the campaign fixtures, and the 2025 mid-year campaign approved.

Approved levels (scores by criterion ×10): FIN-1 9.5 and EDU-1 9.2 → five stars; FIN, FIN-2, EDU 8 → four.
"""

from __future__ import annotations

import pytest

from tests.campaigns.conftest import campaign, clock, immediate_runner  # noqa: F401 (fixtures)
from tests.campaigns.steps import noticed_campaign
from tests.factories import OrganizationFactory, UserFactory
from xingji.accounts.models import Role
from xingji.campaigns import services as campaign_services
from xingji.orgs.models import OrganizationType

SCORES = {"FIN-1": "9.5", "EDU-1": "9.2"}
MINUTES = "工委会纪要〔2026〕3号"


def approve(campaign, clock, office_user, capture, scores=None, minutes=MINUTES):  # noqa: F811
    notice = noticed_campaign(campaign, office_user, capture, scores=scores if scores is not None else SCORES)
    clock.advance(notice.ends_on.toordinal() - clock.today.toordinal() + 1)
    campaign_services.notice_close(notice=notice, actor=office_user)
    return campaign_services.campaign_approve(
        campaign=campaign, approved_on=clock.today, minutes_number=minutes, actor=office_user
    )


@pytest.fixture
def approved(campaign, clock, office_user, django_capture_on_commit_callbacks):  # noqa: F811
    """The 2025 mid-year campaign, approved: FIN-1 and EDU-1 five stars, the others four."""
    approve(campaign, clock, office_user, django_capture_on_commit_callbacks)
    campaign.refresh_from_db()
    return campaign


@pytest.fixture
def other_office(db):
    """The office of another tree, and one of its branches."""
    root = OrganizationFactory(name="另一工委", code="OTHER", org_type=OrganizationType.PARTY_COMMITTEE)
    branch = OrganizationFactory(name="另一支部", code="OTHER-1", parent=root)
    user = UserFactory(username="other-office", organization=root, role=Role.COMMITTEE_OFFICE)
    return user, branch
