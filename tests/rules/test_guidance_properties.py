"""晋位争星 guidance, proved by the engine on every shipped scheme (hypothesis).

For every level above an organization's result, the step's changes, made to
the inputs and re-rated, reach at least that level; and a strictly smaller
change of the same kind — 0.01 fewer points, one percent less satisfaction,
any one yes/no remedy left out — does not. A level said to be out of reach
is not reached even at full marks with every remedy.
"""

from __future__ import annotations

from dataclasses import replace
from decimal import Decimal

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from xingji.rules import Engine, list_schemes, load_scheme
from xingji.rules.guidance import (
    COMMENDATION,
    ELECTION,
    INNOVATION_PROJECT,
    POINTS,
    SATISFACTION,
    Change,
    apply_changes,
    guidance,
    headroom,
)
from xingji.rules.inputs import Organization
from xingji.rules.scheme import Scheme

SCHEMES = [load_scheme(info["id"]) for info in list_schemes()]
SETTINGS = settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@st.composite
def organizations(draw: st.DrawFn, scheme: Scheme) -> Organization:
    full = scheme.full_marks_cents
    category = draw(st.one_of(st.none(), st.sampled_from(sorted(scheme.categories) or [None])))
    criteria = scheme.criteria_for(category)
    sources = ["base_score"] + (["criteria"] if criteria else []) + (["components"] if scheme.weights else [])
    source = draw(st.sampled_from(sources))
    score = st.integers(min_value=0, max_value=full)
    organization = Organization(id="X", category=category)
    if source == "base_score":
        organization.base_score = draw(st.one_of(score, st.sampled_from([level.min_cents for level in scheme.levels])))
    elif source == "criteria":
        organization.criteria = {
            c.code: draw(st.integers(min_value=0, max_value=c.max_cents)) for c in criteria if draw(st.booleans())
        }
    else:
        organization.components = {"self": draw(score), "survey": draw(score), "superior": draw(score)}
    organization.satisfaction = draw(
        st.one_of(
            st.none(),
            st.sampled_from([Decimal("0.49"), Decimal("0.5"), Decimal("0.599"), Decimal("0.6"), Decimal("0.89")]),
            st.integers(min_value=0, max_value=1000).map(lambda n: Decimal(n) / 1000),
        )
    )
    honours = st.lists(st.sampled_from(["city", "province", "national"]), max_size=2).map(tuple)
    organization.commendations = draw(honours)
    organization.innovations = draw(honours)
    small = st.integers(min_value=0, max_value=2)
    organization.criticisms_working_committee = draw(small)
    organization.leader_discipline_light = draw(small)
    organization.member_violations = draw(small)
    organization.absences = draw(st.integers(min_value=0, max_value=4))
    organization.election_overdue_days = draw(st.sampled_from([0, 0, 30, 366]))
    organization.election_overdue = organization.election_overdue_days > 0 or draw(st.booleans())
    organization.election_excused = draw(st.booleans())
    organization.previous_stars = draw(st.one_of(st.none(), st.sampled_from(scheme.level_values())))
    organization.newly_founded = draw(st.sampled_from([False, False, False, True]))
    organization.innovation_project = draw(st.booleans())
    return organization


def reached(engine: Engine, organization: Organization) -> int:
    return engine.level_order.index(engine.rate_one(organization).stars)


def smaller(change: Change) -> Change | None:
    """The same kind of change, strictly smaller by one unit; None when there is none."""
    assert change.amount is not None
    step = Decimal("0.01")
    if change.amount - step < 0:
        return None
    return replace(change, amount=change.amount - step)


@pytest.mark.parametrize("scheme", SCHEMES, ids=[scheme.id for scheme in SCHEMES])
def test_each_step_is_reached_and_minimal(scheme: Scheme) -> None:
    engine = Engine(scheme)

    @SETTINGS
    @given(organizations(scheme))
    def check(organization: Organization) -> None:
        current = reached(engine, organization)
        steps = guidance(organization, scheme)
        assert [engine.level_order.index(step.level) for step in steps] == list(
            range(current + 1, len(engine.level_order))
        )
        for step in steps:
            target = engine.level_order.index(step.level)
            if not step.reachable:
                best = apply_changes(
                    organization,
                    scheme,
                    (
                        Change(ELECTION, "", ""),
                        Change(INNOVATION_PROJECT, "", ""),
                        Change(COMMENDATION, "", ""),
                        Change(SATISFACTION, "", "", amount=Decimal(1))
                        if organization.satisfaction is not None
                        else Change(POINTS, "", "", amount=Decimal(0)),
                        Change(POINTS, "", "", amount=Decimal(headroom(organization, scheme)) / 100),
                    ),
                )
                assert reached(engine, best) < target
                assert any(note.kind == "veto" and note.message for note in step.notes)
                continue
            assert step.changes, "a higher level needs some change"
            assert all(change.message for change in step.changes)
            changed = apply_changes(organization, scheme, step.changes)
            assert reached(engine, changed) >= target
            for index, change in enumerate(step.changes):
                others = step.changes[:index] + step.changes[index + 1 :]
                if change.kind == POINTS:
                    assert change.amount is not None and change.amount > 0
                    assert change.amount * 100 <= headroom(organization, scheme)
                    assert change.clause
                if change.kind in (POINTS, SATISFACTION):
                    less = smaller(change)
                    if change.kind == SATISFACTION:
                        assert organization.satisfaction is not None
                        assert change.amount is not None and change.amount > organization.satisfaction
                        if less is not None and less.amount is not None and less.amount < organization.satisfaction:
                            less = None  # one percent less is below today's figure: no change at all
                    trial = others + ((less,) if less is not None else ())
                else:
                    trial = others
                assert reached(engine, apply_changes(organization, scheme, trial)) < target, (change, step)

    check()


def test_criteria_points_stay_within_each_criterion() -> None:
    scheme = load_scheme("anyang-2017")
    organization = Organization("A", criteria={str(i): 700 for i in range(1, 11)})
    step = guidance(organization, scheme)[-1]
    changed = apply_changes(organization, scheme, step.changes)
    assert changed.criteria is not None
    assert all(changed.criteria[c.code] <= c.max_cents for c in scheme.criteria)
    assert sum(changed.criteria.values()) == 9000
    (points,) = step.changes
    assert points.amount == Decimal("20.00")
    assert [row[2] for row in points.headroom] == [Decimal("3.00")] * 10
