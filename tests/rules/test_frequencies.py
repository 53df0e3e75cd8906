"""The meeting frequencies: the shipped data, the periods at their boundaries, what a branch owes and misses."""

from __future__ import annotations

from datetime import date

import pytest

from xingji.rules.frequencies import (
    KINDS,
    FrequencyError,
    Period,
    compliance,
    is_owed,
    load_frequencies,
    parse_frequencies,
    span_of,
    spans_of_year,
    summarize,
)

DEFAULT = """
[default]
party_congress = "quarter"
committee = "month"
group_meeting = "month"
party_lecture = "quarter"
theme_day = "month"
life_meeting = "year"
appraisal = "year"
"""


def test_it_ships_the_regulations_default_frequencies():
    frequencies = load_frequencies()
    assert frequencies.required("机关") == {
        "party_congress": Period.QUARTER,
        "committee": Period.MONTH,
        "group_meeting": Period.MONTH,
        "party_lecture": Period.QUARTER,
        "theme_day": Period.MONTH,
        "life_meeting": Period.YEAR,
        "appraisal": Period.YEAR,
    }


def test_a_category_overrides_the_default_and_may_drop_a_kind():
    frequencies = parse_frequencies(DEFAULT + '\n[categories."村"]\nparty_congress = "month"\ngroup_meeting = "none"\n')
    assert frequencies.period_for("村", "party_congress") is Period.MONTH
    assert frequencies.period_for("村", "committee") is Period.MONTH
    assert "group_meeting" not in frequencies.required("村")
    assert frequencies.period_for("机关", "party_congress") is Period.QUARTER


@pytest.mark.parametrize(
    ("text", "message"),
    [
        (DEFAULT.replace('appraisal = "year"', ""), "default: missing appraisal"),
        (DEFAULT.replace('committee = "month"', 'committee = "weekly"'), "default.committee: “weekly” is not a period"),
        (DEFAULT + 'picnic = "year"\n', "default.picnic: unknown meeting kind"),
        (DEFAULT.replace('committee = "month"', 'committee = "none"'), "default.committee: “none” is not a period"),
        ("[default", "not valid TOML"),
    ],
)
def test_a_wrong_frequencies_file_is_refused_naming_the_entry(text, message):
    with pytest.raises(FrequencyError, match=message):
        parse_frequencies(text)


@pytest.mark.parametrize(
    ("day", "period", "start", "end"),
    [
        (date(2026, 1, 31), Period.MONTH, date(2026, 1, 1), date(2026, 1, 31)),
        (date(2026, 2, 1), Period.MONTH, date(2026, 2, 1), date(2026, 2, 28)),
        (date(2024, 2, 29), Period.MONTH, date(2024, 2, 1), date(2024, 2, 29)),
        (date(2026, 12, 31), Period.MONTH, date(2026, 12, 1), date(2026, 12, 31)),
        (date(2026, 3, 31), Period.QUARTER, date(2026, 1, 1), date(2026, 3, 31)),
        (date(2026, 4, 1), Period.QUARTER, date(2026, 4, 1), date(2026, 6, 30)),
        (date(2026, 9, 30), Period.QUARTER, date(2026, 7, 1), date(2026, 9, 30)),
        (date(2026, 10, 1), Period.QUARTER, date(2026, 10, 1), date(2026, 12, 31)),
        (date(2026, 1, 1), Period.YEAR, date(2026, 1, 1), date(2026, 12, 31)),
        (date(2026, 12, 31), Period.YEAR, date(2026, 1, 1), date(2026, 12, 31)),
    ],
)
def test_a_day_lies_in_its_calendar_period(day, period, start, end):
    span = span_of(day, period)
    assert (span.start, span.end) == (start, end)


def test_a_year_has_twelve_months_four_quarters_and_one_year():
    assert [len(spans_of_year(2026, period)) for period in Period] == [12, 4, 1]
    assert [span.label for span in spans_of_year(2026, Period.QUARTER)] == [
        "2026年第1季度",
        "2026年第2季度",
        "2026年第3季度",
        "2026年第4季度",
    ]


def test_a_month_without_its_meeting_is_missing_once_it_has_ended():
    # given a committee held on 31 January and none in February
    held = [date(2026, 1, 31)]
    # when February is still running, and when it has ended
    during = compliance(period=Period.MONTH, year=2026, held_on=held, founded=None, today=date(2026, 2, 28))
    after = compliance(period=Period.MONTH, year=2026, held_on=held, founded=None, today=date(2026, 3, 1))
    # then February is pending on its last day and missing on the first of March
    assert [(s.span.label, s.held, s.missing, s.pending) for s in during] == [
        ("2026年1月", 1, False, False),
        ("2026年2月", 0, False, True),
    ]
    assert [(s.span.label, s.missing) for s in after] == [
        ("2026年1月", False),
        ("2026年2月", True),
        ("2026年3月", False),
    ]


def test_a_meeting_on_the_first_day_of_a_quarter_counts_for_that_quarter_only():
    statuses = compliance(
        period=Period.QUARTER, year=2026, held_on=[date(2026, 4, 1)], founded=None, today=date(2026, 7, 1)
    )
    assert [(s.span.label, s.held, s.missing) for s in statuses] == [
        ("2026年第1季度", 0, True),
        ("2026年第2季度", 1, False),
        ("2026年第3季度", 0, False),
    ]


def test_a_meeting_of_another_year_does_not_count():
    statuses = compliance(
        period=Period.YEAR, year=2026, held_on=[date(2025, 12, 31)], founded=None, today=date(2027, 1, 1)
    )
    assert [(s.held, s.missing, s.open) for s in statuses] == [(0, True, False)]


def test_the_year_is_open_until_its_last_day():
    statuses = compliance(period=Period.YEAR, year=2026, held_on=[], founded=None, today=date(2026, 12, 31))
    assert [(s.open, s.missing, s.pending) for s in statuses] == [(True, False, True)]


def test_a_branch_founded_mid_year_owes_only_the_periods_that_begin_after_its_founding():
    # given a branch founded on 15 March 2026, with no meeting at all, seen on 1 January 2027
    founded = date(2026, 3, 15)
    today = date(2027, 1, 1)
    months = compliance(period=Period.MONTH, year=2026, held_on=[], founded=founded, today=today)
    quarters = compliance(period=Period.QUARTER, year=2026, held_on=[], founded=founded, today=today)
    years = compliance(period=Period.YEAR, year=2026, held_on=[], founded=founded, today=today)
    # then it owed April to December, the second to fourth quarters, and no yearly meeting
    assert [s.span.start.month for s in months if s.owed] == list(range(4, 13))
    assert sum(s.missing for s in months) == 9
    assert [s.span.label for s in quarters if s.missing] == ["2026年第2季度", "2026年第3季度", "2026年第4季度"]
    assert [s.owed for s in years] == [False]


def test_a_branch_founded_on_the_first_day_of_a_period_owes_that_period():
    assert is_owed(span_of(date(2026, 4, 1), Period.QUARTER), date(2026, 4, 1))
    assert not is_owed(span_of(date(2026, 4, 1), Period.QUARTER), date(2026, 4, 2))
    assert is_owed(span_of(date(2026, 1, 1), Period.YEAR), date(2026, 1, 1))
    assert is_owed(span_of(date(2026, 1, 1), Period.YEAR), None)


def test_a_meeting_held_in_a_period_not_owed_still_counts_as_held():
    statuses = compliance(
        period=Period.MONTH, year=2026, held_on=[date(2026, 3, 20)], founded=date(2026, 3, 15), today=date(2026, 4, 2)
    )
    march = statuses[2]
    assert (march.owed, march.held, march.missing) == (False, 1, False)


def test_a_branch_not_yet_founded_in_a_year_owes_nothing_that_year():
    statuses = compliance(period=Period.MONTH, year=2025, held_on=[], founded=date(2026, 3, 15), today=date(2026, 5, 1))
    assert len(statuses) == 12
    assert not any(status.owed for status in statuses)


def test_due_soon_is_a_pending_period_ending_within_the_warning_days():
    statuses = compliance(period=Period.MONTH, year=2026, held_on=[], founded=None, today=date(2026, 5, 17))
    may = statuses[-1]
    assert may.due_soon(date(2026, 5, 17), 14)
    assert not may.due_soon(date(2026, 5, 16), 14)


def test_the_summary_counts_ended_periods_and_names_the_current_one():
    summary = summarize(
        required={"committee": Period.MONTH, "life_meeting": Period.YEAR},
        held_on={"committee": [date(2026, 1, 10), date(2026, 1, 20), date(2026, 3, 5)]},
        year=2026,
        founded=None,
        today=date(2026, 4, 10),
    )
    committee, life = summary
    assert (committee.owed, committee.held, [s.span.label for s in committee.missing]) == (3, 2, ["2026年2月"])
    assert committee.current is not None and committee.current.span.label == "2026年4月"
    assert (life.owed, life.held, life.missing, life.current.pending) == (0, 0, [], True)
    assert [kind.kind for kind in summary] == ["committee", "life_meeting"]
    assert set(KINDS) >= {"committee", "life_meeting"}
