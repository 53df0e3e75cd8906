"""Reading meetings and computing compliance: what each branch owes, held and missed, in a fixed number of queries.

Compliance is computed here from the meetings' dates by
``xingji.rules.frequencies`` and never stored: a meeting recorded late
changes the answer at once.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from django.db.models import Count, F, Q, QuerySet

from xingji.accounts.access import visible_organizations
from xingji.accounts.models import User
from xingji.branchwork.access import visible_meetings
from xingji.branchwork.models import (
    Appraisal,
    AppraisalGrade,
    Attendance,
    AttendanceStatus,
    Grade,
    Meeting,
    MeetingKind,
    UnitAttendance,
)
from xingji.orgs.models import Member, Organization
from xingji.orgs.services import BRANCH_TYPES
from xingji.rules.frequencies import (
    KindSummary,
    Period,
    PeriodStatus,
    load_frequencies,
    owed_and_held,
    span_of,
    summarize,
)


@dataclass(frozen=True)
class BranchCompliance:
    """One branch over one year: a summary per required kind."""

    organization: Organization
    year: int
    kinds: tuple[KindSummary, ...]

    @property
    def missing_count(self) -> int:
        return sum(len(kind.missing) for kind in self.kinds)

    @property
    def pending(self) -> list[KindSummary]:
        """The kinds whose current period has no meeting yet."""
        return [kind for kind in self.kinds if (current := kind.current) is not None and current.pending]


def kind_label(kind: str) -> str:
    return str(MeetingKind(kind).label)


def meeting_list(*, user: User, organization: Organization, year: int | None = None) -> QuerySet[Meeting]:
    """The branch's meetings (newest first) with their attendance counts."""
    meetings = visible_meetings(user).filter(organization=organization)
    if year is not None:
        meetings = meetings.filter(held_on__year=year)
    return meetings.annotate(
        present_count=Count("attendances", filter=Q(attendances__status=AttendanceStatus.PRESENT)),
        leave_count=Count("attendances", filter=Q(attendances__status=AttendanceStatus.LEAVE)),
        absent_count=Count("attendances", filter=Q(attendances__status=AttendanceStatus.ABSENT)),
    ).order_by("-held_on", "-pk")


def meeting_with_attendance(meeting: Meeting) -> list[Attendance]:
    return list(meeting.attendances.select_related("member").order_by("member__id"))


def convened_meetings(*, user: User, organization: Organization, year: int | None = None) -> QuerySet[Meeting]:
    """The meetings the organization convened for its subordinates (newest first) with their units' counts."""
    meetings = visible_meetings(user).filter(organization=organization)
    if year is not None:
        meetings = meetings.filter(held_on__year=year)
    units = "unit_attendances"
    return meetings.annotate(
        present_count=Count(units, filter=Q(unit_attendances__status=AttendanceStatus.PRESENT)),
        leave_count=Count(units, filter=Q(unit_attendances__status=AttendanceStatus.LEAVE)),
        absent_count=Count(units, filter=Q(unit_attendances__status=AttendanceStatus.ABSENT)),
    ).order_by("-held_on", "-pk")


def meeting_units(meeting: Meeting) -> list[UnitAttendance]:
    """The organizations invited to the meeting, in tree order, with their evidence records."""
    return list(meeting.unit_attendances.select_related("organization", "absence").order_by("organization__path"))


def subordinate_units(organization: Organization) -> list[Organization]:
    """The active organizations directly below the convener, in tree order: the units a meeting form offers."""
    return list(
        Organization.objects.filter(
            path__startswith=organization.path, depth=organization.depth + 1, is_active=True
        ).order_by("path")
    )


def roll(organization: Organization) -> QuerySet[Member]:
    """The branch's member roll, in roll order."""
    return Member.objects.filter(organization=organization).order_by("id")


def _dates_by_branch(organization_ids: Iterable[int], years: Sequence[int]) -> dict[int, dict[str, list[date]]]:
    """branch id → kind → dates of its meetings in ``years`` (one query)."""
    found: dict[int, dict[str, list[date]]] = defaultdict(lambda: defaultdict(list))
    rows = Meeting.objects.filter(organization_id__in=list(organization_ids), held_on__year__in=list(years))
    for organization_id, kind, held_on in rows.values_list("organization_id", "kind", "held_on"):
        found[organization_id][kind].append(held_on)
    return found


def _compliance(organization: Organization, dates: dict[str, list[date]], year: int, today: date) -> BranchCompliance:
    return BranchCompliance(
        organization=organization,
        year=year,
        kinds=tuple(
            summarize(
                required=load_frequencies().required(organization.category),
                held_on=dates,
                year=year,
                founded=organization.founded,
                today=today,
            )
        ),
    )


def branch_compliance(*, organization: Organization, year: int, today: date) -> BranchCompliance:
    """What the branch owed, held and missed in ``year`` up to ``today`` (one query)."""
    dates = _dates_by_branch([organization.pk], [year]).get(organization.pk, {})
    return _compliance(organization, dates, year, today)


def compliance_of(organizations: Sequence[Organization], *, year: int, today: date) -> list[BranchCompliance]:
    """``branch_compliance`` of several branches at once (one query)."""
    dates = _dates_by_branch([organization.pk for organization in organizations], [year])
    return [_compliance(organization, dates.get(organization.pk, {}), year, today) for organization in organizations]


def meeting_counts_of(organizations: Sequence[Organization], *, year: int, today: date) -> dict[int, tuple[int, int]]:
    """By pk, (periods owed, of them held) of each branch: what ``branch_indicators`` reads of ``compliance_of``.

    The same one query, but counted by ``owed_and_held`` without building the
    periods' statuses, which a rating run of every branch of a province would
    otherwise spend most of its indicator time on.
    """
    dates = _dates_by_branch([organization.pk for organization in organizations], [year])
    frequencies = load_frequencies()
    required: dict[str, dict[str, Period]] = {}
    found: dict[int, tuple[int, int]] = {}
    for organization in organizations:
        category = organization.category
        if category not in required:
            required[category] = frequencies.required(category)
        found[organization.pk] = owed_and_held(
            required=required[category],
            held_on=dates.get(organization.pk, {}),
            year=year,
            founded=organization.founded,
            today=today,
        )
    return found


def branches_under(*, user: User, under: Organization | None = None, search: str = "") -> QuerySet[Organization]:
    """The active branches of the user's subtree (under ``under`` when given), in tree order, searchable by
    name or code."""
    branches = visible_organizations(user).filter(org_type__in=BRANCH_TYPES, is_active=True)
    if under is not None:
        branches = branches.filter(path__startswith=under.path)
    if search:
        branches = branches.filter(Q(name__icontains=search) | Q(code__icontains=search))
    return branches.order_by("path")


def current_compliance_of(branches: QuerySet[Organization], *, today: date) -> list[BranchCompliance]:
    """The branches' compliance in the periods today lies in (two queries).

    Only the meetings of the current periods are read: of the summaries, only each kind's ``current``
    and the branch's ``pending`` are meaningful, never the earlier periods.
    """
    organizations = list(branches)
    frequencies = load_frequencies()
    starts: dict[str, date] = {}
    for category in {organization.category for organization in organizations}:
        for kind, period in frequencies.required(category).items():
            start = span_of(today, period).start
            starts[kind] = min(starts.get(kind, start), start)
    condition = Q(pk__in=[])
    for kind, start in starts.items():
        condition |= Q(kind=kind, held_on__gte=start, held_on__lte=today)
    dates: dict[int, dict[str, list[date]]] = defaultdict(lambda: defaultdict(list))
    rows = Meeting.objects.filter(condition, organization__in=branches)
    for organization_id, kind, held_on in rows.values_list("organization_id", "kind", "held_on"):
        dates[organization_id][kind].append(held_on)
    return [
        _compliance(organization, dates.get(organization.pk, {}), today.year, today) for organization in organizations
    ]


def current_statuses(compliance: BranchCompliance) -> list[tuple[str, PeriodStatus | None]]:
    """(kind, the status of its current period) for every kind, for the overview's columns."""
    return [(kind.kind, kind.current) for kind in compliance.kinds]


# --- the yearly appraisal (民主评议党员) --------------------------------------------------------------


@dataclass(frozen=True)
class AppraisalSummary:
    """A branch's appraisal of one year: who of the roll is graded, and how many of each grade.

    The coverage compares the members of the current roll who hold a grade with the roll; the counts
    take every grade of the appraisal (a member who has left the branch since keeps the grade given).
    """

    organization: Organization
    year: int
    appraisal: Appraisal | None
    roll_count: int
    graded_count: int
    counts: dict[str, int]

    @property
    def complete(self) -> bool:
        return self.appraisal is not None and self.graded_count >= self.roll_count

    @property
    def coverage(self) -> Decimal:
        """The share of the roll graded, from 0 to 1 (1 for an empty roll)."""
        if not self.roll_count:
            return Decimal(1)
        return (Decimal(self.graded_count) / Decimal(self.roll_count)).quantize(Decimal("0.0001"))

    @property
    def coverage_text(self) -> str:
        return f"{self.graded_count}/{self.roll_count}"

    @property
    def count_rows(self) -> list[tuple[str, str, int]]:
        """(grade, its label, its count) in the grades' order."""
        return [(value, str(label), self.counts.get(value, 0)) for value, label in Grade.choices]


@dataclass(frozen=True)
class SheetRow:
    member: Member
    grade: AppraisalGrade | None
    on_roll: bool


def appraisal_summaries(organizations: Sequence[Organization], *, year: int) -> list[AppraisalSummary]:
    """The appraisals of ``year`` of the branches (three queries whatever their number)."""
    ids = [organization.pk for organization in organizations]
    appraisals = {row.organization_id: row for row in Appraisal.objects.filter(organization_id__in=ids, year=year)}
    rolls = dict(
        Member.objects.filter(organization_id__in=ids)
        .values("organization_id")
        .annotate(count=Count("pk"))
        .values_list("organization_id", "count")
    )
    counts: dict[int, dict[str, int]] = defaultdict(dict)
    graded: dict[int, int] = defaultdict(int)
    rows = (
        AppraisalGrade.objects.filter(appraisal__organization_id__in=ids, appraisal__year=year)
        .values("appraisal__organization_id", "grade")
        .annotate(
            count=Count("pk"),
            on_roll=Count("pk", filter=Q(member__organization_id=F("appraisal__organization_id"))),
        )
    )
    for row in rows:
        organization_id = row["appraisal__organization_id"]
        counts[organization_id][row["grade"]] = row["count"]
        graded[organization_id] += row["on_roll"]
    return [
        AppraisalSummary(
            organization=organization,
            year=year,
            appraisal=appraisals.get(organization.pk),
            roll_count=rolls.get(organization.pk, 0),
            graded_count=graded[organization.pk],
            counts=counts[organization.pk],
        )
        for organization in organizations
    ]


def appraisal_summary(*, organization: Organization, year: int) -> AppraisalSummary:
    return appraisal_summaries([organization], year=year)[0]


def appraisal_sheet(*, organization: Organization, appraisal: Appraisal | None) -> list[SheetRow]:
    """The roll with each member's grade (and its follow-up), then the graded members no longer on it."""
    grades: dict[int, AppraisalGrade] = {}
    if appraisal is not None:
        grades = {
            row.member_id: row for row in appraisal.grades.select_related("member", "follow_up", "follow_up__item")
        }
    rows = [SheetRow(member=member, grade=grades.pop(member.pk, None), on_roll=True) for member in roll(organization)]
    rows.extend(SheetRow(member=row.member, grade=row, on_roll=False) for row in grades.values())
    return rows


__all__ = [
    "AppraisalSummary",
    "SheetRow",
    "appraisal_sheet",
    "appraisal_summaries",
    "appraisal_summary",
    "BranchCompliance",
    "branch_compliance",
    "branches_under",
    "compliance_of",
    "current_compliance_of",
    "current_statuses",
    "kind_label",
    "meeting_counts_of",
    "meeting_list",
    "meeting_with_attendance",
    "roll",
]
