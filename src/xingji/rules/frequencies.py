"""How often a branch must hold each kind of meeting, and what it owes: pure functions, no Django.

The required frequencies are data (``tables/meetings.toml`` beside this module):
a default per meeting kind and overrides per organization category. From
them, for one branch, one kind and one year, ``compliance`` lists every
period of the year up to today with what was due, what was held and whether
it is missing.

Periods are calendar months, quarters and years. A period is *owed* when
the branch existed on its first day (founded on or before it, or no founding
date known): a branch founded on 15 March owes the April meetings onwards,
not March's nor the first quarter's, nor, being founded after 1 January,
that year's yearly meetings. A meeting held in a period that is not owed
still counts as held. A period that has not ended is *open*: not yet
missing, and due soon when it ends within the caller's warning days.
"""

from __future__ import annotations

import tomllib
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date, timedelta
from enum import StrEnum
from functools import cache
from pathlib import Path

FREQUENCIES_FILE = Path(__file__).parent / "tables" / "meetings.toml"

#: The meeting kinds, in the order pages list them (their Chinese names are ``branchwork.models.MeetingKind``'s).
KINDS: tuple[str, ...] = (
    "party_congress",
    "committee",
    "group_meeting",
    "party_lecture",
    "theme_day",
    "life_meeting",
    "appraisal",
)


class Period(StrEnum):
    MONTH = "month"
    QUARTER = "quarter"
    YEAR = "year"


PERIOD_LABELS: dict[Period, str] = {Period.MONTH: "每月", Period.QUARTER: "每季度", Period.YEAR: "每年"}
NOT_REQUIRED = "none"


class FrequencyError(ValueError):
    """The frequencies file is wrong: which entry, and why."""


@dataclass(frozen=True)
class Frequencies:
    """kind → period by default, and category → kind → period (or None: not required) where a category differs."""

    default: Mapping[str, Period]
    categories: Mapping[str, Mapping[str, Period | None]]

    def period_for(self, category: str, kind: str) -> Period | None:
        """The period ``kind`` is required in for an organization of ``category``; None when not required."""
        overrides = self.categories.get(category, {})
        if kind in overrides:
            return overrides[kind]
        return self.default.get(kind)

    def required(self, category: str) -> dict[str, Period]:
        """kind → period of every kind required of ``category``, in ``KINDS`` order."""
        found: dict[str, Period] = {}
        for kind in KINDS:
            period = self.period_for(category, kind)
            if period is not None:
                found[kind] = period
        return found


def _period(value: object, where: str, *, allow_none: bool) -> Period | None:
    if allow_none and value == NOT_REQUIRED:
        return None
    try:
        return Period(str(value))
    except ValueError:
        allowed = ", ".join(p.value for p in Period) + (f", {NOT_REQUIRED}" if allow_none else "")
        raise FrequencyError(f"{where}: “{value}” is not a period ({allowed})") from None


def _kinds(table: object, where: str, *, allow_none: bool) -> dict[str, Period | None]:
    if not isinstance(table, dict):
        raise FrequencyError(f"{where}: expected a table")
    found: dict[str, Period | None] = {}
    for kind, value in table.items():
        if kind not in KINDS:
            raise FrequencyError(f"{where}.{kind}: unknown meeting kind (known: {', '.join(KINDS)})")
        found[kind] = _period(value, f"{where}.{kind}", allow_none=allow_none)
    return found


def parse_frequencies(text: str) -> Frequencies:
    """The frequencies of a TOML text; ``FrequencyError`` naming the entry that is wrong."""
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as error:
        raise FrequencyError(f"not valid TOML: {error}") from None
    default = _kinds(data.get("default"), "default", allow_none=False)
    missing = [kind for kind in KINDS if kind not in default]
    if missing:
        raise FrequencyError(f"default: missing {', '.join(missing)}")
    categories_table = data.get("categories", {})
    if not isinstance(categories_table, dict):
        raise FrequencyError("categories: expected a table")
    categories = {
        str(name): _kinds(table, f"categories.{name}", allow_none=True) for name, table in categories_table.items()
    }
    return Frequencies(default={kind: p for kind, p in default.items() if p is not None}, categories=categories)


@cache
def load_frequencies(path: Path = FREQUENCIES_FILE) -> Frequencies:
    """The shipped frequencies (read once)."""
    return parse_frequencies(path.read_text(encoding="utf-8"))


# --- periods ---------------------------------------------------------------------------------------


@dataclass(frozen=True, order=True)
class Span:
    """One period: its first and last day."""

    start: date
    end: date
    period: Period

    @property
    def label(self) -> str:
        if self.period is Period.MONTH:
            return f"{self.start.year}年{self.start.month}月"
        if self.period is Period.QUARTER:
            return f"{self.start.year}年第{(self.start.month - 1) // 3 + 1}季度"
        return f"{self.start.year}年"


def _month_end(year: int, month: int) -> date:
    if month == 12:
        return date(year, 12, 31)
    return date(year, month + 1, 1) - timedelta(days=1)


def span_of(day: date, period: Period) -> Span:
    """The period of kind ``period`` that holds ``day``."""
    if period is Period.MONTH:
        return Span(day.replace(day=1), _month_end(day.year, day.month), period)
    if period is Period.QUARTER:
        first_month = (day.month - 1) // 3 * 3 + 1
        return Span(date(day.year, first_month, 1), _month_end(day.year, first_month + 2), period)
    return Span(date(day.year, 1, 1), date(day.year, 12, 31), period)


def spans_of_year(year: int, period: Period) -> list[Span]:
    """Every period of ``year``, in order."""
    return list(_spans_of_year(year, period))


@cache
def _spans_of_year(year: int, period: Period) -> tuple[Span, ...]:
    """``spans_of_year``, computed once a year and period (a rating run asks it for every branch)."""
    spans = []
    day = date(year, 1, 1)
    while day.year == year:
        span = span_of(day, period)
        spans.append(span)
        day = span.end + timedelta(days=1)
    return tuple(spans)


# --- compliance ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class PeriodStatus:
    """One period of one kind for one branch: owed or not, how many meetings were held, whether one is missing."""

    span: Span
    owed: bool
    held: int
    #: The period has not ended yet (today lies in it).
    open: bool

    @property
    def missing(self) -> bool:
        """Owed, ended, and no meeting held."""
        return self.owed and not self.open and self.held == 0

    @property
    def pending(self) -> bool:
        """Owed, still open, and no meeting held yet."""
        return self.owed and self.open and self.held == 0

    def due_soon(self, today: date, warning_days: int) -> bool:
        """Pending and ending within ``warning_days`` of ``today``."""
        return self.pending and (self.span.end - today).days <= warning_days


def is_owed(span: Span, founded: date | None) -> bool:
    """Whether a branch founded on ``founded`` (None: unknown, long before) owes the period ``span``."""
    return founded is None or founded <= span.start


def compliance(
    *, period: Period, year: int, held_on: Iterable[date], founded: date | None, today: date
) -> list[PeriodStatus]:
    """The periods of ``year`` that have begun by ``today``, each with what was owed and held.

    ``held_on``: the dates of the meetings of this kind (any year: the others are ignored).
    """
    counts: dict[date, int] = {}
    for day in held_on:
        if day.year == year:
            start = span_of(day, period).start
            counts[start] = counts.get(start, 0) + 1
    return [
        PeriodStatus(span=span, owed=is_owed(span, founded), held=counts.get(span.start, 0), open=span.end >= today)
        for span in spans_of_year(year, period)
        if span.start <= today
    ]


def _start_of(day: date, period: Period) -> date:
    """``span_of(day, period).start``, without building the span."""
    if period is Period.MONTH:
        return date(day.year, day.month, 1)
    if period is Period.QUARTER:
        return date(day.year, (day.month - 1) // 3 * 3 + 1, 1)
    return date(day.year, 1, 1)


def owed_and_held(
    *,
    required: Mapping[str, Period],
    held_on: Mapping[str, Iterable[date]],
    year: int,
    founded: date | None,
    today: date,
) -> tuple[int, int]:
    """The periods owed and, of them, held, over every kind of ``required``: the counts of 组织生活落实率.

    A period counts when it is owed and has either closed by ``today`` or
    had its meeting held already (an open period still to be held does not
    count against the branch). The same counts as walking ``summarize``'s
    statuses, without building them: a rating run asks it of every branch,
    and some forty frozen ``PeriodStatus`` a branch were most of its cost.
    """
    owed = held = 0
    for kind, period in required.items():
        starts = {_start_of(day, period) for day in held_on.get(kind, ()) if day.year == year}
        for span in _spans_of_year(year, period):
            if span.start > today:
                break
            if founded is not None and founded > span.start:
                continue
            if span.start in starts:
                owed += 1
                held += 1
            elif span.end < today:
                owed += 1
    return owed, held


@dataclass(frozen=True)
class KindSummary:
    """One kind over one year: the periods, and the counts pages show."""

    kind: str
    period: Period
    statuses: tuple[PeriodStatus, ...]

    @property
    def owed(self) -> int:
        return sum(1 for status in self.statuses if status.owed and not status.open)

    @property
    def held(self) -> int:
        return sum(1 for status in self.statuses if status.owed and not status.open and status.held)

    @property
    def missing(self) -> list[PeriodStatus]:
        return [status for status in self.statuses if status.missing]

    @property
    def current(self) -> PeriodStatus | None:
        """The period today lies in (None when the year is over or not begun)."""
        return next((status for status in self.statuses if status.open), None)


def summarize(
    *,
    required: Mapping[str, Period],
    held_on: Mapping[str, Iterable[date]],
    year: int,
    founded: date | None,
    today: date,
) -> list[KindSummary]:
    """One ``KindSummary`` per required kind, in ``required``'s order."""
    return [
        KindSummary(
            kind=kind,
            period=period,
            statuses=tuple(
                compliance(period=period, year=year, held_on=held_on.get(kind, ()), founded=founded, today=today)
            ),
        )
        for kind, period in required.items()
    ]
