"""Every write of the dues (党费): accounts, payments, hardship reductions.

Each service checks its actor (``xingji.dues.access``) inside its transaction
before it writes, and appends its audit entry in the same transaction. A
refusal raises ``TransitionRefused`` naming the field (a negative base, a month
already paid, …) or ``ActionForbidden`` / ``Http404`` (role, subtree), and
changes nothing.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from django.db import IntegrityError, transaction
from django.utils import timezone

from xingji.accounts.access import access_member, access_organization
from xingji.accounts.models import Actor
from xingji.audit.services import append_audit_entries, audit_log, snapshot
from xingji.common.errors import TransitionRefused, required_text
from xingji.dues import access
from xingji.dues.models import (
    DuesAccount,
    DuesCategory,
    DuesPayment,
    DuesReduction,
    PaymentSource,
    ReductionState,
)
from xingji.dues.selectors import computed_amount
from xingji.orgs.models import Member
from xingji.rules.dues import DuesRuleError, dues_rule

ACCOUNT_FIELDS = ("member", "category", "base", "chosen_amount", "since")
PAYMENT_FIELDS = ("member", "month", "amount", "paid_on", "source")
REDUCTION_FIELDS = ("member", "amount", "reason", "state")
MAX_AMOUNT = Decimal("99999999.99")


def _month_label(month: date) -> str:
    return f"{month.year}年{month.month}月"


def _check_account(*, category: str, base: Decimal, chosen_amount: Decimal | None, since: date) -> None:
    if category not in DuesCategory.values:
        raise TransitionRefused({"category": [f"“{category}”不是有效的党费类别"]})
    if base < 0:
        raise TransitionRefused({"base": ["党费基数不能为负数"]})
    if base > MAX_AMOUNT:
        raise TransitionRefused({"base": ["党费基数过大"]})
    if chosen_amount is not None and category != DuesCategory.FARMER:
        raise TransitionRefused({"chosen_amount": ["只有农民党员可以选择月交额"]})
    try:
        dues_rule().monthly_amount(category, base, chosen=chosen_amount)
    except DuesRuleError as error:
        raise TransitionRefused({"chosen_amount": [str(error)]}) from None
    if since.replace(day=1) > timezone.localdate().replace(day=1):
        raise TransitionRefused({"since": ["起缴月份不能晚于本月"]})


def dues_account_set(
    *,
    member: Member,
    category: str,
    base: Decimal,
    since: date,
    actor: Actor,
    chosen_amount: Decimal | None = None,
) -> DuesAccount:
    """Set the member's dues base and category (党费基数), creating the account on first use."""
    with transaction.atomic():
        access_member(actor, member.pk, write=True)
        _check_account(category=category, base=base, chosen_amount=chosen_amount, since=since)
        account = DuesAccount.objects.select_for_update().filter(member_id=member.pk).first()
        before = snapshot(account, ACCOUNT_FIELDS) if account is not None else None
        if account is None:
            account = DuesAccount(member_id=member.pk)
        account.category = category
        account.base = base
        account.chosen_amount = chosen_amount
        account.since = since.replace(day=1)
        account.save()
        action = "dues_account.created" if before is None else "dues_account.updated"
        audit_log(actor=actor, action=action, obj=account, before=before, after=snapshot(account, ACCOUNT_FIELDS))
        return account


def _check_payment(*, month: date, amount: Decimal, paid_on: date) -> None:
    today = timezone.localdate()
    if amount <= 0:
        raise TransitionRefused({"amount": ["金额须大于零"]})
    if amount > MAX_AMOUNT:
        raise TransitionRefused({"amount": ["金额过大"]})
    if month > today.replace(day=1):
        raise TransitionRefused({"month": ["所属月份不能晚于本月"]})
    if paid_on > today:
        raise TransitionRefused({"paid_on": ["缴纳日期不能晚于今天"]})


def dues_payment_record(*, member: Member, month: date, amount: Decimal, paid_on: date, actor: Actor) -> DuesPayment:
    """Record one month's dues of one member (entered by hand); a month already paid is refused."""
    month = month.replace(day=1)
    with transaction.atomic():
        access_member(actor, member.pk, write=True)
        _check_payment(month=month, amount=amount, paid_on=paid_on)
        # The member's row, locked, serializes two recordings of the same month.
        Member.objects.select_for_update().filter(pk=member.pk).first()
        if DuesPayment.objects.filter(member_id=member.pk, month=month).exists():
            raise TransitionRefused({"month": [f"{member.name}{_month_label(month)}的党费已缴纳"]})
        payment = DuesPayment(member_id=member.pk, month=month, amount=amount, paid_on=paid_on, recorded_by=actor)
        try:
            with transaction.atomic():
                payment.save()
        except IntegrityError:
            raise TransitionRefused({"month": [f"{member.name}{_month_label(month)}的党费已缴纳"]}) from None
        audit_log(
            actor=actor,
            action="dues_payment.recorded",
            obj=payment,
            before=None,
            after=snapshot(payment, PAYMENT_FIELDS),
        )
        return payment


@dataclass(frozen=True)
class PaymentRow:
    """One payment read from the bank's sheet, already matched to its member."""

    number: int
    member: Member
    month: date
    amount: Decimal
    paid_on: date


def dues_payments_import(*, rows: Sequence[PaymentRow], actor: Actor) -> list[DuesPayment]:
    """Write the payments of an import, all or none, inside the caller's transaction (or its own).

    Refuses with ``TransitionRefused`` (naming the row) a member the actor may not write, or a month
    already paid; the import runner turns it into its row errors.
    """
    with transaction.atomic():
        for organization_id in sorted({row.member.organization_id for row in rows}):
            access_organization(actor, organization_id, write=True)
        for row in rows:
            try:
                _check_payment(month=row.month, amount=row.amount, paid_on=row.paid_on)
            except TransitionRefused as error:
                raise TransitionRefused(f"第{row.number}行：{'；'.join(error.messages)}") from None
        payments = [
            DuesPayment(
                member_id=row.member.pk,
                month=row.month,
                amount=row.amount,
                paid_on=row.paid_on,
                source=PaymentSource.IMPORT,
                recorded_by=actor,
            )
            for row in rows
        ]
        try:
            with transaction.atomic():
                created = DuesPayment.objects.bulk_create(payments)
        except IntegrityError:
            raise TransitionRefused("有党员的同一月份党费已缴纳（可能刚由他人登记），请重新导入") from None
        append_audit_entries(
            actor=actor,
            entries=[
                ("dues_payment.imported", payment, None, snapshot(payment, PAYMENT_FIELDS)) for payment in created
            ],
        )
        return created


def dues_reduction_propose(*, member: Member, amount: Decimal, reason: str, actor: Actor) -> DuesReduction:
    """The branch proposes a hardship reduction (困难减免); it applies once the next level approves it."""
    with transaction.atomic():
        access.require_propose(actor, member)
        text = required_text(reason, "减免理由", maximum=1000)
        account = DuesAccount.objects.filter(member_id=member.pk).first()
        if account is None:
            raise TransitionRefused({"amount": ["请先填写该党员的党费基数"]})
        computed = computed_amount(account)
        if amount < 0:
            raise TransitionRefused({"amount": ["减免后月交额不能为负数"]})
        if computed is not None and amount >= computed:
            raise TransitionRefused({"amount": [f"减免后月交额应低于按规定计算的 {computed} 元"]})
        Member.objects.select_for_update().filter(pk=member.pk).first()
        if DuesReduction.objects.filter(member_id=member.pk, state=ReductionState.PROPOSED).exists():
            raise TransitionRefused("该党员已有一项待审批的减免申请")
        reduction = DuesReduction.objects.create(member_id=member.pk, amount=amount, reason=text, proposed_by=actor)
        audit_log(
            actor=actor,
            action="dues_reduction.proposed",
            obj=reduction,
            before=None,
            after=snapshot(reduction, REDUCTION_FIELDS),
        )
        return reduction


def _decide(*, reduction: DuesReduction, actor: Actor, state: str, action: str) -> DuesReduction:
    with transaction.atomic():
        current = DuesReduction.objects.select_for_update(of=("self",)).select_related("member").get(pk=reduction.pk)
        access.require_decide(actor, current.member)
        if current.state != ReductionState.PROPOSED:
            raise TransitionRefused(f"该减免申请{current.get_state_display()}，不能再审批")
        before = snapshot(current, REDUCTION_FIELDS)
        current.state = state
        current.decided_by = actor
        current.decided_at = timezone.now()
        current.save(update_fields=["state", "decided_by", "decided_at"])
        audit_log(actor=actor, action=action, obj=current, before=before, after=snapshot(current, REDUCTION_FIELDS))
        return current


def dues_reduction_approve(*, reduction: DuesReduction, actor: Actor) -> DuesReduction:
    """The next level approves: the reduced amount applies from now on."""
    return _decide(reduction=reduction, actor=actor, state=ReductionState.APPROVED, action="dues_reduction.approved")


def dues_reduction_reject(*, reduction: DuesReduction, actor: Actor) -> DuesReduction:
    """The next level refuses: the computed amount stays."""
    return _decide(reduction=reduction, actor=actor, state=ReductionState.REJECTED, action="dues_reduction.rejected")
