"""Arrears: months due from the first month to the last full one; a warning at 3 in a row, a due item at 6."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from tests.dues.conftest import account, pay
from tests.factories import MemberFactory
from xingji.dues.due import due_items
from xingji.dues.selectors import member_dues, one_member_dues, tree_totals
from xingji.orgs.models import Member, MemberStatus

pytestmark = pytest.mark.django_db


def months_of_2026(*numbers: int) -> list[date]:
    return [date(2026, number, 1) for number in numbers]


def test_the_current_month_is_not_yet_due(member, today):
    account(member, since=date(2026, 1, 1))
    pay(member, *months_of_2026(1, 2, 3, 4, 5, 6, 7))
    dues = one_member_dues(member, today=today, year=2026)
    assert dues.unpaid == ()
    assert dues.consecutive == 0
    assert dues.paid_in_year == Decimal("280.00")
    assert dues.due_in_year == Decimal("280.00")


def test_two_months_unpaid_in_a_row_is_no_warning_three_is(member, today):
    account(member, since=date(2026, 1, 1))
    pay(member, *months_of_2026(1, 2, 3, 4, 5))
    two = one_member_dues(member, today=today, year=2026)
    assert (two.consecutive, two.warned, two.flagged) == (2, False, False)
    assert two.owed == Decimal("80.00")

    member.dues_payments.filter(month=date(2026, 5, 1)).delete()
    three = one_member_dues(member, today=today, year=2026)
    assert (three.consecutive, three.warned, three.flagged) == (3, True, False)


def test_an_old_gap_is_arrears_but_not_a_run(member, today):
    account(member, since=date(2026, 1, 1))
    pay(member, *months_of_2026(4, 5, 6, 7))
    dues = one_member_dues(member, today=today, year=2026)
    assert dues.unpaid == tuple(months_of_2026(1, 2, 3))
    assert dues.consecutive == 0
    assert not dues.warned


def test_six_months_in_a_row_flags_the_member_and_puts_an_item_before_the_branch(tree, member, secretary, today):
    account(member, since=date(2026, 1, 1))
    pay(member, date(2026, 1, 1))
    five = MemberFactory(organization=tree.finance_1, name="李强")
    account(five, since=date(2026, 1, 1))
    pay(five, *months_of_2026(1, 2))  # Mar–Jul unpaid: five months
    dues = one_member_dues(member, today=today, year=2026)
    assert (dues.consecutive, dues.flagged) == (6, True)
    items = due_items(secretary, today)
    assert [(item.kind, item.title) for item in items] == [("党员连续6个月未交党费", "财政局第一支部：王芳")]
    # A flag for people to decide: the member's status is untouched.
    member.refresh_from_db()
    assert member.status == MemberStatus.FULL


def test_an_account_started_less_than_six_months_ago_is_not_flagged(member, secretary, today):
    account(member, since=date(2026, 3, 1))  # Mar–Jul: five months due, none paid
    assert one_member_dues(member, today=today, year=2026).consecutive == 5
    assert due_items(secretary, today) == []


def test_the_due_item_stays_within_the_users_subtree(tree, secretary, reviewer, inspector, today):
    other = MemberFactory(organization=tree.finance_2, name="赵敏")
    account(other, since=date(2025, 1, 1))
    assert due_items(secretary, today) == []  # FIN-2 is not the secretary's
    assert [item.title for item in due_items(reviewer, today)] == ["财政局第二支部：赵敏"]
    assert due_items(inspector, today) == []  # reads only, decides nothing


def test_a_reduction_approved_changes_what_arrears_cost(member, secretary, reviewer, today):
    from xingji.dues import services

    account(member, base="4000", since=date(2026, 6, 1))  # Jun, Jul due
    reduction = services.dues_reduction_propose(member=member, amount=Decimal("2"), reason="困难", actor=secretary)
    assert one_member_dues(member, today=today, year=2026).owed == Decimal("80.00")
    services.dues_reduction_approve(reduction=reduction, actor=reviewer)
    assert one_member_dues(member, today=today, year=2026).owed == Decimal("4.00")


def test_yearly_totals_roll_up_the_tree_and_stay_in_the_subtree(tree, member, office_user, secretary, today):
    account(member, since=date(2026, 1, 1))
    pay(member, *months_of_2026(1, 2, 3))
    second = MemberFactory(organization=tree.finance_2)
    account(second, base="2000", since=date(2026, 1, 1))  # 10.00 a month
    pay(second, *months_of_2026(1, 2, 3, 4, 5, 6, 7), amount="10")
    pay(second, date(2025, 12, 1), amount="10")  # another year
    education = MemberFactory(organization=tree.education_1)
    account(education, since=date(2026, 7, 1))
    entries = {entry.organization.code: entry for entry in tree_totals(office_user, today=today, year=2026)}
    assert entries["FIN-1"].own.paid == Decimal("120.00")
    assert entries["FIN"].subtree.paid == Decimal("190.00")
    assert entries["FIN"].subtree.due == Decimal("350.00")  # 7 × 40 + 7 × 10
    assert entries["FIN"].subtree.in_arrears == 1
    assert entries["FIN"].subtree.warned == 1  # FIN-1's member: Apr–Jul
    assert entries["ROOT"].subtree.members == 3
    assert entries["ROOT"].subtree.owed == Decimal("200.00")  # 4 × 40 + 1 × 40
    mine = tree_totals(secretary, today=today, year=2026)
    assert [entry.organization.code for entry in mine] == ["FIN-1"]


def test_member_dues_runs_a_fixed_number_of_queries(tree, django_assert_num_queries, today):
    for _ in range(5):
        found = MemberFactory(organization=tree.finance_1)
        account(found)
        pay(found, date(2026, 1, 1))
    with django_assert_num_queries(3):
        member_dues(Member.objects.all(), today=today, year=2026)
