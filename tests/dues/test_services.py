"""The dues services: accounts, payments, the two-step reduction, and who may do what."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404

from tests.dues.conftest import account, audit_count
from tests.factories import MemberFactory
from xingji.dues import services
from xingji.dues.models import DuesAccount, DuesPayment, DuesReduction, ReductionState
from xingji.dues.selectors import one_member_dues

pytestmark = pytest.mark.django_db


def test_it_sets_the_base_and_the_amount_follows_the_rule(member, secretary, today):
    services.dues_account_set(
        member=member, category="employed", base=Decimal("5000"), since=date(2026, 3, 9), actor=secretary
    )
    stored = DuesAccount.objects.get(member=member)
    assert stored.since == date(2026, 3, 1)
    assert one_member_dues(member, today=today, year=2026).amount == Decimal("50.00")
    assert audit_count("dues_account.created") == 1


def test_a_negative_wage_is_refused_naming_the_field_and_nothing_is_written(member, secretary, today):
    with pytest.raises(ValidationError) as refusal:
        services.dues_account_set(
            member=member, category="employed", base=Decimal("-1"), since=date(2026, 1, 1), actor=secretary
        )
    assert refusal.value.message_dict == {"base": ["党费基数不能为负数"]}
    assert not DuesAccount.objects.exists()
    assert audit_count("dues_account.created") == 0


def test_a_chosen_amount_outside_the_farmers_range_is_refused(member, secretary, today):
    with pytest.raises(ValidationError) as refusal:
        services.dues_account_set(
            member=member,
            category="farmer",
            base=Decimal(0),
            chosen_amount=Decimal("2"),
            since=date(2026, 1, 1),
            actor=secretary,
        )
    assert "chosen_amount" in refusal.value.message_dict
    assert not DuesAccount.objects.exists()


def test_a_member_outside_the_subtree_is_404_and_the_inspector_is_403(tree, member, inspector, today):
    outsider = MemberFactory(organization=tree.education_1)
    reviewer_of_finance = inspector  # the inspector's node is FIN: it sees FIN-1 but may not write
    with pytest.raises(PermissionDenied):
        services.dues_account_set(
            member=member, category="employed", base=Decimal(1), since=date(2026, 1, 1), actor=reviewer_of_finance
        )
    with pytest.raises(Http404):
        services.dues_payment_record(
            member=outsider, month=date(2026, 1, 1), amount=Decimal(1), paid_on=today, actor=inspector
        )
    assert not DuesAccount.objects.exists()
    assert not DuesPayment.objects.exists()


def test_a_month_already_paid_is_refused(member, secretary, today):
    account(member)
    services.dues_payment_record(
        member=member, month=date(2026, 3, 1), amount=Decimal(40), paid_on=today, actor=secretary
    )
    with pytest.raises(ValidationError) as refusal:
        services.dues_payment_record(
            member=member, month=date(2026, 3, 20), amount=Decimal(40), paid_on=today, actor=secretary
        )
    assert refusal.value.message_dict == {"month": ["王芳2026年3月的党费已缴纳"]}
    assert DuesPayment.objects.count() == 1
    assert audit_count("dues_payment.recorded") == 1


@pytest.mark.parametrize(
    ("month", "amount", "field"),
    [(date(2026, 9, 1), "40", "month"), (date(2026, 3, 1), "0", "amount"), (date(2026, 3, 1), "-5", "amount")],
)
def test_a_future_month_or_an_amount_not_above_zero_is_refused(member, secretary, today, month, amount, field):
    with pytest.raises(ValidationError) as refusal:
        services.dues_payment_record(member=member, month=month, amount=Decimal(amount), paid_on=today, actor=secretary)
    assert list(refusal.value.message_dict) == [field]
    assert not DuesPayment.objects.exists()


def test_a_reduction_applies_only_once_the_next_level_approves_it(member, secretary, reviewer, today):
    account(member, base="4000")  # 40.00 a month by the rule
    reduction = services.dues_reduction_propose(
        member=member, amount=Decimal("5"), reason="家庭困难，长期患病", actor=secretary
    )
    assert one_member_dues(member, today=today, year=2026).amount == Decimal("40.00")
    with pytest.raises(PermissionDenied, match="上一级党组织审批"):
        services.dues_reduction_approve(reduction=reduction, actor=secretary)
    services.dues_reduction_approve(reduction=reduction, actor=reviewer)
    reduction.refresh_from_db()
    assert reduction.state == ReductionState.APPROVED
    assert reduction.decided_by == reviewer
    assert one_member_dues(member, today=today, year=2026).amount == Decimal("5.00")
    assert audit_count("dues_reduction.proposed") == 1
    assert audit_count("dues_reduction.approved") == 1


def test_a_rejected_reduction_leaves_the_computed_amount_and_cannot_be_decided_again(
    member, secretary, reviewer, today
):
    account(member, base="4000")
    reduction = services.dues_reduction_propose(member=member, amount=Decimal("5"), reason="困难", actor=secretary)
    services.dues_reduction_reject(reduction=reduction, actor=reviewer)
    assert one_member_dues(member, today=today, year=2026).amount == Decimal("40.00")
    with pytest.raises(ValidationError, match="不能再审批"):
        services.dues_reduction_approve(reduction=reduction, actor=reviewer)
    assert DuesReduction.objects.get().state == ReductionState.REJECTED
    assert audit_count("dues_reduction.approved") == 0


def test_only_the_members_branch_proposes_a_reduction(member, reviewer, secretary, today):
    account(member, base="4000")
    with pytest.raises(PermissionDenied, match="所在支部提出"):
        services.dues_reduction_propose(member=member, amount=Decimal("5"), reason="困难", actor=reviewer)
    with pytest.raises(ValidationError) as refusal:
        services.dues_reduction_propose(member=member, amount=Decimal("40"), reason="困难", actor=secretary)
    assert "amount" in refusal.value.message_dict
    with pytest.raises(ValidationError, match="请填写减免理由"):
        services.dues_reduction_propose(member=member, amount=Decimal("5"), reason="  ", actor=secretary)
    assert not DuesReduction.objects.exists()
