"""Givens for the supervision tests: a second office user, rated organizations, item rows."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from django.utils import timezone

from tests.factories import UserFactory
from xingji.accounts.models import Role, User
from xingji.audit.models import AuditEntry
from xingji.campaigns.models import StarLedgerEntry
from xingji.campaigns.services import campaign_create


@pytest.fixture
def office_user_2(tree) -> User:
    return UserFactory(username="office2", organization=tree.root, role=Role.COMMITTEE_OFFICE)


@pytest.fixture
def campaign(tree, office_user):
    """A (draft) campaign under anyang-2017: its scheme names the levels of the organizations it rated."""
    return campaign_create(root=tree.root, year=2025, kind="mid_year", actor=office_user)


def rate(organization, level: int, *, approver, on: date | None = None, campaign=None) -> StarLedgerEntry:
    """A line of the star ledger written directly (no audit entry), as a campaign approval would."""
    names = {0: "不定星级", 1: "一星级", 2: "二星级", 3: "三星级", 4: "四星级", 5: "五星级"}
    return StarLedgerEntry.objects.create(
        organization=organization,
        level=level,
        level_name=names[level],
        previous_level=None,
        effective_on=on or date(2025, 7, 1),
        campaign=campaign,
        approving_body="市直工委工委会",
        reason="2025年度评定",
        approver=approver,
    )


def item_row(**changes) -> dict:
    row = {
        "problem": "三会一课记录不全",
        "target": "记录完整规范",
        "measures": "补齐记录，每月检查",
        "responsible": "张书记",
        "deadline": timezone.localdate() + timedelta(days=30),
    }
    row.update(changes)
    return row


def audit_count() -> int:
    return AuditEntry.objects.count()
