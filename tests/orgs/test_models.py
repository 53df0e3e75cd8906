"""Computed values of the models: election due dates and overdue days, masked phones."""

from __future__ import annotations

from datetime import date

import pytest

from tests.factories import ElectionFactory, MemberFactory
from xingji.orgs.models import LeadershipPosition, mask_phone


@pytest.mark.parametrize(
    ("last_election", "term_years", "due_date"),
    [
        (date(2022, 6, 1), 3, date(2025, 6, 1)),
        (date(2021, 3, 15), 5, date(2026, 3, 15)),
        (date(2020, 2, 29), 3, date(2023, 2, 28)),
        (date(2020, 2, 29), 5, date(2025, 2, 28)),
    ],
)
def test_it_computes_the_due_date_from_the_last_election_and_the_term(last_election, term_years, due_date):
    election = ElectionFactory.build(last_election=last_election, term_years=term_years)

    assert election.due_date == due_date


@pytest.mark.parametrize(
    ("on", "overdue_days"),
    [
        (date(2024, 12, 31), 0),
        (date(2025, 5, 31), 0),
        (date(2025, 6, 1), 0),
        (date(2025, 6, 2), 1),
        (date(2025, 7, 1), 30),
        (date(2026, 6, 1), 365),
        (date(2026, 6, 2), 366),
    ],
)
def test_it_counts_the_days_overdue_after_the_due_date(on, overdue_days):
    election = ElectionFactory.build(last_election=date(2022, 6, 1), term_years=3)

    assert election.overdue_days(on=on) == overdue_days
    assert election.is_overdue(on=on) is (overdue_days > 0)


def test_it_excuses_an_overdue_election_only_with_an_approved_request():
    requested = ElectionFactory.build(postponement_requested=True, postponement_approved=False)
    approved = ElectionFactory.build(postponement_requested=True, postponement_approved=True)

    assert requested.is_excused is False
    assert approved.is_excused is True


@pytest.mark.parametrize(
    ("phone", "masked"),
    [
        ("13812345678", "138****5678"),
        ("138 1234 5678", "138****5678"),
        ("+8613812345678", "861******5678"),
        ("0372-12345678", "037*****5678"),
        ("2345678", "*****78"),
        ("12", "**"),
        ("", ""),
    ],
)
def test_it_masks_the_middle_of_a_phone_number(phone, masked):
    assert mask_phone(phone) == masked


def test_it_shows_a_members_phone_masked():
    member = MemberFactory.build(phone="13912345678")

    assert member.masked_phone == "139****5678"


def test_it_tells_leadership_team_members_apart():
    assert MemberFactory.build(leadership_position=LeadershipPosition.DEPUTY_SECRETARY).is_leader is True
    assert MemberFactory.build(leadership_position=LeadershipPosition.NONE).is_leader is False
