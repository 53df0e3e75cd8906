"""What the dues pages read: each member's amount and arrears, each organization's totals up the tree.

A member's monthly amount is the rule's (``xingji.rules.dues``) from the
account's base and category, or the last *approved* hardship reduction; a
reduction still awaiting the superior changes nothing. Months are due from the
account's first month (起缴月份) to the last full month (the current month is
paid during the month); a member without an account owes nothing yet and is
shown as such. Arrears use the amount of today (a change of base is not
back-dated). Three months unpaid in a row is a warning, six a flag for the
branch (自行脱党 under the rule), to be decided by people.

Every function runs a fixed number of queries, whatever the number of members.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal

from django.db.models import QuerySet, Sum

from xingji.accounts.access import visible_members, visible_organizations
from xingji.accounts.models import User
from xingji.dues.models import DuesAccount, DuesPayment, DuesReduction, ReductionState
from xingji.orgs.models import Member, Organization
from xingji.rules.dues import DuesRuleError, dues_rule

#: Months unpaid in a row that warn the branch, and that flag the member for its decision (自行脱党).
WARNING_MONTHS = 3
FLAG_MONTHS = 6
ZERO = Decimal("0.00")


def next_month(month: date) -> date:
    return date(month.year + 1, 1, 1) if month.month == 12 else date(month.year, month.month + 1, 1)


def previous_month(month: date) -> date:
    return date(month.year - 1, 12, 1) if month.month == 1 else date(month.year, month.month - 1, 1)


def last_due_month(today: date) -> date:
    """The last month whose dues are due: the one before today's."""
    return previous_month(today.replace(day=1))


def months(first: date, last: date) -> list[date]:
    """The first days of the months from ``first`` to ``last``, both included."""
    found = []
    month = first.replace(day=1)
    while month <= last:
        found.append(month)
        month = next_month(month)
    return found


def computed_amount(account: DuesAccount) -> Decimal | None:
    """The rule's monthly amount for the account; None when the stored values no longer fit the rule."""
    try:
        return dues_rule().monthly_amount(account.category, account.base, chosen=account.chosen_amount)
    except DuesRuleError:
        return None


@dataclass(frozen=True)
class MemberDues:
    member: Member
    account: DuesAccount | None
    computed: Decimal | None
    #: The last approved reduction (it replaces the computed amount), and one awaiting approval.
    reduction: DuesReduction | None
    pending: DuesReduction | None
    #: The months due and unpaid, oldest first; the unpaid run ending with the last due month.
    unpaid: tuple[date, ...]
    consecutive: int
    paid_in_year: Decimal
    due_in_year: Decimal

    @property
    def amount(self) -> Decimal | None:
        """What the member pays a month now."""
        if self.reduction is not None:
            return self.reduction.amount
        return self.computed

    @property
    def owed(self) -> Decimal:
        return (self.amount or ZERO) * len(self.unpaid)

    @property
    def warned(self) -> bool:
        return self.consecutive >= WARNING_MONTHS

    @property
    def flagged(self) -> bool:
        return self.consecutive >= FLAG_MONTHS


def _trailing_run(due: list[date], paid: set[date]) -> int:
    run = 0
    for month in reversed(due):
        if month in paid:
            break
        run += 1
    return run


def _reductions(member_ids: list[int]) -> tuple[dict[int, DuesReduction], dict[int, DuesReduction]]:
    approved: dict[int, DuesReduction] = {}
    pending: dict[int, DuesReduction] = {}
    found = DuesReduction.objects.filter(
        member_id__in=member_ids, state__in=[ReductionState.APPROVED, ReductionState.PROPOSED]
    ).order_by("decided_at", "proposed_at", "pk")
    for reduction in found:
        target = approved if reduction.state == ReductionState.APPROVED else pending
        target[reduction.member_id] = reduction  # the latest wins
    return approved, pending


def member_dues(members: QuerySet[Member], *, today: date, year: int) -> list[MemberDues]:
    """Each member's dues, in three queries (members with accounts, reductions, payments)."""
    listed = list(members.select_related("organization", "dues_account").order_by("organization__path", "name", "pk"))
    ids = [member.pk for member in listed]
    approved, pending = _reductions(ids)
    paid: dict[int, set[date]] = defaultdict(set)
    paid_in_year: dict[int, Decimal] = defaultdict(lambda: ZERO)
    for member_id, month, amount in DuesPayment.objects.filter(member_id__in=ids).values_list(
        "member_id", "month", "amount"
    ):
        paid[member_id].add(month)
        if month.year == year:
            paid_in_year[member_id] += amount
    last = last_due_month(today)
    rows = []
    for member in listed:
        account: DuesAccount | None = getattr(member, "dues_account", None)
        computed = computed_amount(account) if account is not None else None
        due = months(account.since, last) if account is not None else []
        unpaid = tuple(month for month in due if month not in paid[member.pk])
        reduction = approved.get(member.pk)
        monthly = reduction.amount if reduction is not None else computed
        due_in_year = (monthly or ZERO) * sum(1 for month in due if month.year == year)
        rows.append(
            MemberDues(
                member=member,
                account=account,
                computed=computed,
                reduction=reduction,
                pending=pending.get(member.pk),
                unpaid=unpaid,
                consecutive=_trailing_run(due, paid[member.pk]),
                paid_in_year=paid_in_year[member.pk],
                due_in_year=due_in_year,
            )
        )
    return rows


def one_member_dues(member: Member, *, today: date, year: int) -> MemberDues:
    return member_dues(Member.objects.filter(pk=member.pk), today=today, year=year)[0]


def member_payments(member: Member) -> QuerySet[DuesPayment]:
    return DuesPayment.objects.filter(member=member).select_related("recorded_by").order_by("-month")


def member_reductions(member: Member) -> QuerySet[DuesReduction]:
    return DuesReduction.objects.filter(member=member).select_related("proposed_by", "decided_by")


@dataclass
class Totals:
    members: int = 0
    without_account: int = 0
    due: Decimal = ZERO
    paid: Decimal = ZERO
    owed: Decimal = ZERO
    in_arrears: int = 0
    warned: int = 0
    flagged: int = 0

    def add(self, other: Totals) -> None:
        self.members += other.members
        self.without_account += other.without_account
        self.due += other.due
        self.paid += other.paid
        self.owed += other.owed
        self.in_arrears += other.in_arrears
        self.warned += other.warned
        self.flagged += other.flagged


@dataclass
class OrganizationTotals:
    organization: Organization
    #: Its own members' figures, and its subtree's (itself and every organization below).
    own: Totals = field(default_factory=Totals)
    subtree: Totals = field(default_factory=Totals)

    @property
    def indent(self) -> str:
        """Ideographic spaces by depth, to show the tree in a table."""
        return "\u3000" * (self.organization.depth - 1)


def _member_totals(row: MemberDues) -> Totals:
    return Totals(
        members=1,
        without_account=int(row.account is None),
        due=row.due_in_year,
        paid=row.paid_in_year,
        owed=row.owed,
        in_arrears=int(bool(row.unpaid)),
        warned=int(row.warned),
        flagged=int(row.flagged),
    )


def organization_totals(organizations: Iterable[Organization], rows: Iterable[MemberDues]) -> list[OrganizationTotals]:
    """The year's figures of each organization, its own and rolled up its subtree (in tree order)."""
    by_path = {organization.path: OrganizationTotals(organization) for organization in organizations}
    by_id = {entry.organization.pk: entry for entry in by_path.values()}
    for row in rows:
        entry = by_id.get(row.member.organization_id)
        if entry is None:
            continue
        figures = _member_totals(row)
        entry.own.add(figures)
        path = entry.organization.path
        step = Organization.steplen
        for length in range(step, len(path) + 1, step):
            ancestor = by_path.get(path[:length])
            if ancestor is not None:
                ancestor.subtree.add(figures)
    return [by_path[path] for path in sorted(by_path)]


def tree_totals(user: User, *, today: date, year: int, under: Organization | None = None) -> list[OrganizationTotals]:
    """Every organization the user sees (or the subtree of ``under``) with its year's figures."""
    organizations = visible_organizations(user)
    members = visible_members(user)
    if under is not None:
        organizations = organizations.filter(path__startswith=under.path)
        members = members.filter(organization__path__startswith=under.path)
    return organization_totals(list(organizations), member_dues(members, today=today, year=year))


def paid_total(members: QuerySet[Member], year: int) -> Decimal:
    total = DuesPayment.objects.filter(member__in=members, month__year=year).aggregate(total=Sum("amount"))["total"]
    return total if total is not None else ZERO
