from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from tests.factories import MemberFactory
from xingji.audit.models import AuditEntry
from xingji.dues.models import DuesAccount, DuesPayment


def audit_count(action: str) -> int:
    return AuditEntry.objects.filter(action=action).count()


def account(member, *, category="employed", base="4000", since=date(2026, 1, 1)) -> DuesAccount:
    return DuesAccount.objects.create(member=member, category=category, base=Decimal(base), since=since)


def pay(member, *months: date, amount: str = "40") -> None:
    DuesPayment.objects.bulk_create(
        DuesPayment(member=member, month=month, amount=Decimal(amount), paid_on=month) for month in months
    )


@pytest.fixture
def member(tree):
    return MemberFactory(organization=tree.finance_1, name="王芳")


@pytest.fixture
def today(monkeypatch):
    """Today is 2026-08-15 for every dues test: the last due month is July 2026."""
    fixed = date(2026, 8, 15)
    monkeypatch.setattr("django.utils.timezone.localdate", lambda *args, **kwargs: fixed)
    return fixed
