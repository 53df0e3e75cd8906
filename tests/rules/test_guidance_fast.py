"""The fast paths behind guidance agree with the engine's full rating, on every shipped scheme (hypothesis).

* ``Engine.score`` (final score and stars without reasons), and its parts
  ``adjustment_points`` and ``level_after_rules``, give what ``rate_one`` gives;
* guidance with one engine over many organizations — plans shared between
  organizations whose facts agree, including different satisfaction figures
  and base scores — gives exactly the steps that a fresh engine gives each
  organization on its own, and steps for exactly the levels above the
  organization's ``rate_one`` result;
* the same when the organizations differ only in a count the scheme
  compares with a threshold (days overdue, absences…), on either side of it:
  plans noting the comparisons made with a count serve only counts comparing
  the same way.
"""

from __future__ import annotations

from bisect import bisect_right
from dataclasses import replace
from decimal import Decimal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from tests.rules.test_guidance_properties import SCHEMES, SETTINGS, organizations

from xingji.rules import Engine
from xingji.rules.guidance import guidance, guidance_for_level
from xingji.rules.inputs import Organization
from xingji.rules.scheme import Scheme

IDS = [scheme.id for scheme in SCHEMES]
#: Each example rates a group of organizations, level by level, twice over: fewer examples than elsewhere.
GROUPS = settings(SETTINGS, max_examples=40)
FIGURES = [None, Decimal("0"), Decimal("0.3"), Decimal("0.49"), Decimal("0.5"), Decimal("0.55"), Decimal("0.599")]
FIGURES += [Decimal("0.6"), Decimal("0.75"), Decimal("0.9"), Decimal("0.995"), Decimal("1")]


@pytest.mark.parametrize("scheme", SCHEMES, ids=IDS)
def test_score_agrees_with_rate_one(scheme: Scheme) -> None:
    @SETTINGS
    @given(organizations(scheme), st.sampled_from(["year_end", "mid_year"]))
    def check(organization: Organization, stage: str) -> None:
        engine = Engine(scheme, stage=stage)
        result = engine.rate_one(organization)
        assert engine.score(organization) == (result.final_score, result.stars)
        adjusted = result.base_score + engine.adjustment_points(organization)
        assert min(max(adjusted, 0), scheme.full_marks_cents) == result.final_score
        band = engine.band_at[bisect_right(engine.band_minimums, result.final_score)]
        assert band == result.band
        assert engine.level_after_rules(organization, band) == result.stars

    check()


@st.composite
def relatives(draw: st.DrawFn, scheme: Scheme) -> list[Organization]:
    """An organization and others with the same facts but the base score or the satisfaction figure."""
    first = draw(organizations(scheme))
    full = scheme.full_marks_cents
    others = [first]
    for number in range(draw(st.integers(min_value=1, max_value=6))):
        figure = draw(st.one_of(st.sampled_from(FIGURES), st.integers(0, 1000).map(lambda n: Decimal(n) / 1000)))
        if first.satisfaction is None and draw(st.booleans()):
            figure = None
        other = replace(first, id=f"R{number}", satisfaction=figure)
        if first.base_score is not None or draw(st.booleans()):
            other = replace(other, base_score=draw(st.integers(min_value=0, max_value=full)))
        others.append(other)
    return others


@pytest.mark.parametrize("scheme", SCHEMES, ids=IDS)
def test_shared_plans_give_what_each_organization_gets_alone(scheme: Scheme) -> None:
    @GROUPS
    @given(relatives(scheme))
    def check(group: list[Organization]) -> None:
        shared = Engine(scheme)
        for organization in group:
            steps = guidance(organization, scheme, engine=shared)
            assert steps == guidance(organization, scheme)
            order = shared.level_order
            current = order.index(shared.rate_one(organization).stars)
            assert [step.level for step in steps] == order[current + 1 :]
            for level in order:
                assert guidance_for_level(organization, scheme, level, engine=shared) == guidance_for_level(
                    organization, scheme, level
                )

    check()


#: Counts on either side of the thresholds the shipped schemes compare them with (3 absences, 365 days…).
COUNTS = {
    "election_overdue_days": [0, 1, 30, 364, 365, 366, 367, 900],
    "absences": [0, 1, 2, 3, 4, 5],
    "member_violations": [0, 1, 2, 3],
    "criticisms_working_committee": [0, 1, 2, 3],
    "leader_discipline_light": [0, 1, 2],
}


@st.composite
def count_relatives(draw: st.DrawFn, scheme: Scheme) -> list[Organization]:
    """An organization and others with the same facts but one count (and maybe the base score or the figure)."""
    first = draw(organizations(scheme))
    name = draw(st.sampled_from(sorted(COUNTS)))
    others = [first]
    for number in range(draw(st.integers(min_value=1, max_value=6))):
        value = draw(st.sampled_from(COUNTS[name]))
        other = replace(first, id=f"C{number}", **{name: value})
        if name == "election_overdue_days" and value > 0:
            other.election_overdue = True
        if first.base_score is not None and draw(st.booleans()):
            other.base_score = draw(st.integers(min_value=0, max_value=scheme.full_marks_cents))
        if first.satisfaction is not None and draw(st.booleans()):
            other.satisfaction = draw(st.sampled_from(FIGURES[1:]))
        others.append(other)
    return others


@pytest.mark.parametrize("scheme", SCHEMES, ids=IDS)
def test_plans_shared_across_counts_give_what_each_organization_gets_alone(scheme: Scheme) -> None:
    @GROUPS
    @given(count_relatives(scheme))
    def check(group: list[Organization]) -> None:
        shared = Engine(scheme)
        for organization in group:
            steps = guidance(organization, scheme, engine=shared)
            assert steps == guidance(organization, scheme)
            order = shared.level_order
            current = order.index(shared.rate_one(organization).stars)
            assert [step.level for step in steps] == order[current + 1 :]

    check()
