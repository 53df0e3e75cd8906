"""Two office users deciding the same change of level at the same moment: one ledger line (PostgreSQL)."""

from __future__ import annotations

import pytest
from django.db import connection
from django.utils import timezone

from tests.campaigns.test_concurrency import at_once
from tests.supervision.conftest import rate
from xingji.audit.chain import verify_chain
from xingji.audit.models import AuditEntry
from xingji.campaigns.models import StarLedgerEntry
from xingji.campaigns.selectors import current_level
from xingji.common.errors import TransitionRefused
from xingji.supervision import services
from xingji.supervision.models import ChangeState, LevelChange

pytestmark = pytest.mark.skipif(connection.vendor != "postgresql", reason="row locks need PostgreSQL")


@pytest.mark.django_db(transaction=True)
def test_two_simultaneous_approvals_write_one_ledger_line(tree, office_user, office_user_2, reviewer):
    # given a three-star branch with a downgrade proposed
    rate(tree.finance_1, 3, approver=office_user)
    change = services.level_change_propose(organization=tree.finance_1, to_level=2, reason="复检不达标", actor=reviewer)
    today = timezone.localdate()

    # when two office users record the approval at the same moment
    outcomes = at_once(
        lambda: services.level_change_approve(
            change=change, meeting_on=today, minutes_number="纪要1号", actor=office_user
        ),
        lambda: services.level_change_approve(
            change=change, meeting_on=today, minutes_number="纪要1号", actor=office_user_2
        ),
    )

    # then exactly one approval went through, the other was told why, and the ledger has one new line
    refused = [outcome for outcome in outcomes if isinstance(outcome, Exception)]
    approved = [outcome for outcome in outcomes if not isinstance(outcome, Exception)]
    assert len(approved) == 1 and len(refused) == 1
    assert isinstance(refused[0], TransitionRefused)
    assert refused[0].messages == ["“财政局第一支部”的星级调整当前状态为“已批准”，不能批准"]
    assert StarLedgerEntry.objects.filter(organization=tree.finance_1).count() == 2
    assert current_level(tree.finance_1) == 2
    assert AuditEntry.objects.filter(action="star_ledger.recorded").count() == 1
    assert verify_chain() is None


@pytest.mark.django_db(transaction=True)
def test_two_simultaneous_proposals_leave_one_pending(tree, office_user, reviewer):
    rate(tree.finance_1, 3, approver=office_user)
    outcomes = at_once(
        lambda: services.level_change_propose(organization=tree.finance_1, to_level=2, reason="甲", actor=reviewer),
        lambda: services.level_change_propose(organization=tree.finance_1, to_level=1, reason="乙", actor=office_user),
    )
    refused = [outcome for outcome in outcomes if isinstance(outcome, Exception)]
    assert len(refused) == 1 and isinstance(refused[0], TransitionRefused)
    assert LevelChange.objects.filter(organization=tree.finance_1, state=ChangeState.PROPOSED).count() == 1
    assert AuditEntry.objects.filter(action="level_change.proposed").count() == 1
