"""Properties of the rating that hold for every input (hypothesis).

- One more deduction never raises a level or a final score.
- warn never changes a level compared with off.
- After enforce the five-star count is at most floor(0.1·N) and the
  one-star-or-unrated count at least ceil(0.1·N).
- Results do not depend on the order of the input, in every quota mode.
"""

from __future__ import annotations

import math

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from xingji.rules import Engine, load_scheme, parse_organizations
from xingji.rules.inputs import Record

SCHEME = load_scheme("anyang-2017")
ENGINES = {stage: Engine(SCHEME, stage=stage) for stage in ("year_end", "mid_year")}
QUOTA_MODES = ("warn", "enforce", "off")

PROPERTY_SETTINGS = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def score_text(cents: int) -> str:
    return f"{cents // 100}.{cents % 100:02d}"


# Boundaries are drawn often so that ties and band edges are common.
cents = st.one_of(
    st.integers(min_value=0, max_value=10000),
    st.sampled_from([0, 200, 4999, 5000, 5999, 6000, 8999, 9000, 9500, 9999, 10000]),
)
satisfactions = st.one_of(
    st.none(),
    st.sampled_from(["0", "0.4999", "0.5", "0.5999", "0.6", "0.9", "1"]),
    st.integers(min_value=0, max_value=10000).map(lambda n: f"{n / 10000:.4f}"),
)
honours = st.lists(st.sampled_from(["city", "province", "national"]), max_size=3)
small = st.integers(min_value=0, max_value=4)

facts = st.fixed_dictionaries(
    {
        "base_score": cents.map(score_text),
        "satisfaction": satisfactions,
        "commendations": honours,
        "innovations": honours,
        "criticisms": st.fixed_dictionaries({"working_committee": small, "municipal_committee": small}),
        "leader_discipline": st.fixed_dictionaries({"light": small, "heavy": small}),
        "member_violations": small,
        "absences": st.integers(min_value=0, max_value=5),
        "election": st.fixed_dictionaries(
            {
                "overdue": st.booleans(),
                "excused": st.booleans(),
                "overdue_days": st.one_of(st.sampled_from([0, 365, 366]), st.integers(min_value=0, max_value=900)),
            }
        ),
    }
)


@st.composite
def populations(draw, min_size: int = 1, max_size: int = 30) -> list[dict]:
    records = draw(st.lists(facts, min_size=min_size, max_size=max_size))
    return [{"id": f"JG-{number:03d}", **record} for number, record in enumerate(records)]


def parse(records: list[dict]):
    return parse_organizations(
        [Record(f"第{number}个组织", data) for number, data in enumerate(records, start=1)], SCHEME
    )


def rate(records: list[dict], quota_mode: str, stage: str = "year_end"):
    return ENGINES[stage].rate(parse(records), quota_mode=quota_mode)


def per_id(rating) -> dict[str, tuple]:
    return {
        result.id: (result.base_score, result.final_score, result.band, result.stars, tuple(result.reasons))
        for result in rating.results
    }


def checks(rating) -> list[tuple]:
    return [(c.code, c.limit, c.count_before, c.count_after, tuple(c.moved), repr(c.ties)) for c in rating.quota_checks]


# ---------------------------------------------------------------- deductions


DEDUCTIONS = {
    "criticisms.working_committee": ("criticisms", "working_committee"),
    "criticisms.municipal_committee": ("criticisms", "municipal_committee"),
    "leader_discipline.light": ("leader_discipline", "light"),
    "leader_discipline.heavy": ("leader_discipline", "heavy"),
    "member_violations": ("member_violations", None),
    "absences": ("absences", None),
}


def with_one_more(record: dict, deduction: str) -> dict:
    field, key = DEDUCTIONS[deduction]
    changed = {**record}
    if key is None:
        changed[field] = record[field] + 1
    else:
        changed[field] = {**record[field], key: record[field][key] + 1}
    return changed


@PROPERTY_SETTINGS
@given(
    record=facts,
    deduction=st.sampled_from(sorted(DEDUCTIONS)),
    stage=st.sampled_from(["year_end", "mid_year"]),
)
def test_it_never_raises_a_level_for_one_more_deduction(record, deduction, stage):
    # given an organization, and the same with one more criticism, violation or absence
    before = {"id": "JG-001", **record}
    after = with_one_more(before, deduction)

    # when both are rated alone, without quotas
    [rated_before] = rate([before], "off", stage).results
    [rated_after] = rate([after], "off", stage).results

    # then neither the final score nor the level rises
    assert rated_after.final_score <= rated_before.final_score
    assert rated_after.band <= rated_before.band
    assert rated_after.stars <= rated_before.stars


# ---------------------------------------------------------------- warn against off


@PROPERTY_SETTINGS
@given(records=populations(), stage=st.sampled_from(["year_end", "mid_year"]))
def test_it_never_changes_a_level_in_warn_mode(records, stage):
    # when one population is rated with quotas off and in warn mode
    off = rate(records, "off", stage)
    warned = rate(records, "warn", stage)

    # then every result is the same: levels, scores and reasons
    assert per_id(warned) == per_id(off)
    assert all(reason.effect != "quota" for result in warned.results for reason in result.reasons)


# ---------------------------------------------------------------- enforce


@PROPERTY_SETTINGS
@given(records=populations(max_size=40), stage=st.sampled_from(["year_end", "mid_year"]))
def test_it_meets_both_quotas_after_enforce(records, stage):
    # when a population is rated with quotas enforced
    rating = rate(records, "enforce", stage)

    # then five-star ≤ floor(0.1·N) and one-star-or-unrated ≥ ceil(0.1·N)
    population = len(records)
    levels = [result.stars for result in rating.results]
    five = sum(1 for level in levels if level == 5)
    low = sum(1 for level in levels if level <= 1)
    assert five <= math.floor(population / 10)
    assert low >= math.ceil(population / 10)
    # and the checks report the counts found
    by_code = {c.code: c for c in rating.quota_checks}
    assert by_code["five_star_ceiling"].count_after == five
    assert by_code["one_star_floor"].count_after == low


@PROPERTY_SETTINGS
@given(records=populations(max_size=40), stage=st.sampled_from(["year_end", "mid_year"]))
def test_it_only_lowers_levels_when_enforcing(records, stage):
    # when a population is rated with quotas off and enforced
    off = {result.id: result for result in rate(records, "off", stage).results}
    enforced = rate(records, "enforce", stage)

    # then every level is the same or lower, and every change carries a quota reason
    for result in enforced.results:
        before = off[result.id]
        assert result.stars <= before.stars
        assert result.final_score == before.final_score
        quota_moves = [r for r in result.reasons if r.effect == "quota"]
        if result.stars == before.stars:
            assert quota_moves == []
        else:
            assert quota_moves[0].from_level == before.stars
            assert quota_moves[-1].to_level == result.stars


# ---------------------------------------------------------------- input order


@PROPERTY_SETTINGS
@given(
    data=st.data(),
    records=populations(max_size=25),
    quota_mode=st.sampled_from(QUOTA_MODES),
    stage=st.sampled_from(["year_end", "mid_year"]),
)
def test_it_does_not_depend_on_input_order(data, records, quota_mode, stage):
    # given a population and a permutation of it
    permuted = data.draw(st.permutations(records))

    # when both are rated the same way
    original = rate(records, quota_mode, stage)
    shuffled = rate(permuted, quota_mode, stage)

    # then each organization has the same scores, level and reasons, and the checks agree
    assert per_id(shuffled) == per_id(original)
    assert checks(shuffled) == checks(original)
    assert [result.id for result in shuffled.results] == [record["id"] for record in permuted]
