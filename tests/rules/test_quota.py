"""Quotas of 五(二) over a population rated together (DESIGN.md, "Quotas").

Five-star organizations at most floor(0.1·N); one-star-or-unrated at least
ceil(0.1·N); modes warn (report only), enforce (move) and off. Ranking for a
move: final score, then base score, then satisfaction (none ranks below any),
then id ascending.
"""

from __future__ import annotations

import pytest

from xingji.rules import Engine, load_scheme, parse_organizations
from xingji.rules.explain import rating_to_dict
from xingji.rules.inputs import Record

SCHEME = load_scheme("anyang-2017")


def rate(records: list[dict], quota_mode: str):
    organizations = parse_organizations(
        [Record(f"第{number}个组织", data) for number, data in enumerate(records, start=1)], SCHEME
    )
    return Engine(SCHEME).rate(organizations, quota_mode=quota_mode)


def fillers(count: int, *, base_score: int = 85, prefix: str = "F") -> list[dict]:
    """Four-star organizations that no quota touches unless they rank lowest."""
    return [{"id": f"{prefix}-{number:02d}", "base_score": base_score} for number in range(count)]


def stars(rating) -> dict[str, int]:
    return {result.id: result.stars for result in rating.results}


def check(rating, code: str):
    [found] = [c for c in rating.quota_checks if c.code == code]
    return found


def quota_reasons(rating) -> dict[str, list[tuple[str, int, int]]]:
    return {
        result.id: [(r.rule, r.from_level, r.to_level) for r in result.reasons if r.effect == "quota"]
        for result in rating.results
        if any(r.effect == "quota" for r in result.reasons)
    }


# Ten organizations: three five-star (95, 93, 91), none at one star or below;
# the lowest-ranked above one star is LOW at 61 (two stars).
TEN = [
    {"id": "TOP-95", "base_score": 95},
    {"id": "TOP-93", "base_score": 93},
    {"id": "TOP-91", "base_score": 91},
    {"id": "LOW", "base_score": 61},
    *fillers(6),
]


# ---------------------------------------------------------------- limits


@pytest.mark.parametrize(
    ("population", "five_star_limit", "one_star_limit"),
    [
        (1, 0, 1),
        (9, 0, 1),
        (10, 1, 1),
        (11, 1, 2),
        (19, 1, 2),
        (20, 2, 2),
        (21, 2, 3),
        (100, 10, 10),
        (101, 10, 11),
    ],
)
def test_it_sets_the_limits_by_floor_and_ceiling_of_ten_percent(population, five_star_limit, one_star_limit):
    # when a population is rated
    rating = rate(fillers(population), "warn")

    # then five stars may be at most floor(0.1·N), one star or none at least ceil(0.1·N)
    ceiling = check(rating, "five_star_ceiling")
    floor = check(rating, "one_star_floor")
    assert (ceiling.bound, ceiling.levels, ceiling.limit) == ("max", [5], five_star_limit)
    assert (floor.bound, floor.levels, floor.limit) == ("min", [0, 1], one_star_limit)


# ---------------------------------------------------------------- warn


def test_it_reports_but_changes_nothing_in_warn_mode():
    # given ten organizations with three five-star and none at one star
    # when rated in warn mode
    rating = rate(TEN, "warn")

    # then no level changes and no quota reason is added
    assert stars(rating) == {"TOP-95": 5, "TOP-93": 5, "TOP-91": 5, "LOW": 2, **{f"F-{n:02d}": 4 for n in range(6)}}
    assert quota_reasons(rating) == {}
    # and the moves that enforce would make are reported
    ceiling = check(rating, "five_star_ceiling")
    assert (ceiling.limit, ceiling.count_before, ceiling.count_after) == (1, 3, 3)
    assert ceiling.moved == ["TOP-93", "TOP-91"]
    assert ceiling.satisfied_before is False
    floor = check(rating, "one_star_floor")
    assert (floor.limit, floor.count_before, floor.count_after) == (1, 0, 0)
    assert floor.moved == ["LOW"]


def test_it_writes_warn_moves_as_would_move_in_the_contract():
    # when a warn rating is written as JSON
    document = rating_to_dict(rate(TEN, "warn"))

    # then each check lists would_move, never moved, and the levels are unchanged
    quota = document["summary"]["quota"]
    assert quota["mode"] == "warn"
    checks = {c["rule"]: c for c in quota["checks"]}
    assert checks["five_star_ceiling"]["would_move"] == ["TOP-93", "TOP-91"]
    assert checks["one_star_floor"]["would_move"] == ["LOW"]
    assert all("moved" not in c for c in quota["checks"])
    assert (checks["five_star_ceiling"]["limit"], checks["five_star_ceiling"]["count"]) == (1, 3)
    assert checks["five_star_ceiling"]["satisfied"] is False
    assert document["summary"]["by_stars"] == {"0": 0, "1": 0, "2": 1, "3": 0, "4": 6, "5": 3}


def test_it_reports_nothing_to_move_when_the_quotas_are_met():
    # given ten organizations with one five-star and one unrated
    records = [{"id": "TOP", "base_score": 95}, {"id": "NONE", "base_score": 40}, *fillers(8)]

    # when rated in warn and in enforce mode
    for mode in ("warn", "enforce"):
        rating = rate(records, mode)

        # then nothing would move and nothing moves
        assert [(c.code, c.count_before, c.moved, c.ties) for c in rating.quota_checks] == [
            ("five_star_ceiling", 1, [], []),
            ("one_star_floor", 1, [], []),
        ]
        assert all(c.satisfied_before for c in rating.quota_checks)
        assert stars(rating)["TOP"] == 5
        assert stars(rating)["NONE"] == 0
        assert quota_reasons(rating) == {}


# ---------------------------------------------------------------- enforce


def test_it_moves_the_five_stars_beyond_the_ceiling_and_fills_the_floor_in_enforce_mode():
    # when the same ten are rated in enforce mode
    rating = rate(TEN, "enforce")

    # then the two lowest-ranked five-star go to four, and the lowest above one star goes to one
    assert stars(rating) == {"TOP-95": 5, "TOP-93": 4, "TOP-91": 4, "LOW": 1, **{f"F-{n:02d}": 4 for n in range(6)}}
    assert quota_reasons(rating) == {
        "TOP-93": [("five_star_ceiling", 5, 4)],
        "TOP-91": [("five_star_ceiling", 5, 4)],
        "LOW": [("one_star_floor", 2, 1)],
    }
    ceiling = check(rating, "five_star_ceiling")
    assert (ceiling.count_before, ceiling.count_after, ceiling.moved) == (3, 1, ["TOP-93", "TOP-91"])
    floor = check(rating, "one_star_floor")
    assert (floor.count_before, floor.count_after, floor.moved) == (0, 1, ["LOW"])


def test_it_explains_each_quota_move():
    # when moved by enforce
    rating = rate(TEN, "enforce")

    # then each moved result carries a quota reason with clause and sentence, scores untouched
    moved_down = rating.find("TOP-93")
    reason = moved_down.reasons[-1]
    assert (reason.rule, reason.clause, reason.effect, reason.points) == ("five_star_ceiling", "五(二)", "quota", None)
    assert reason.message == "五星级数量超过总数的10%（限1个），按排名由五星级调整为四星级（五(二)）"
    assert (moved_down.final_score, moved_down.band) == (9300, 5)
    floor_reason = rating.find("LOW").reasons[-1]
    assert (floor_reason.rule, floor_reason.effect) == ("one_star_floor", "quota")
    assert floor_reason.message == "一星级及以下数量不足总数的10%（应至少1个），按排名由二星级调整为一星级（五(二)）"
    assert rating.find("TOP-95").reasons == []


def test_it_writes_enforce_moves_as_moved_in_the_contract():
    # when an enforce rating is written as JSON
    document = rating_to_dict(rate(TEN, "enforce"))

    # then checks list moved, the moved organizations show effect "quota"
    quota = document["summary"]["quota"]
    assert quota["mode"] == "enforce"
    checks = {c["rule"]: c for c in quota["checks"]}
    assert checks["five_star_ceiling"]["moved"] == ["TOP-93", "TOP-91"]
    assert checks["five_star_ceiling"]["count"] == 1
    assert checks["one_star_floor"]["moved"] == ["LOW"]
    assert all("would_move" not in c for c in quota["checks"])
    organizations = {o["id"]: o for o in document["organizations"]}
    assert organizations["TOP-93"]["stars"] == 4
    assert organizations["TOP-93"]["band_stars"] == 5
    assert organizations["TOP-93"]["reasons"][-1]["effect"] == "quota"
    assert organizations["LOW"]["stars"] == 1
    assert document["summary"]["by_stars"] == {"0": 0, "1": 1, "2": 0, "3": 0, "4": 8, "5": 1}


def test_it_moves_every_five_star_under_ten_organizations():
    # given nine organizations, two of them five-star: floor(0.9) = 0
    records = [
        {"id": "A", "base_score": 99},
        {"id": "B", "base_score": 92},
        {"id": "NONE", "base_score": 10},
        *fillers(6),
    ]

    # when enforced
    rating = rate(records, "enforce")

    # then no five-star remains
    assert stars(rating)["A"] == 4
    assert stars(rating)["B"] == 4
    assert check(rating, "five_star_ceiling").moved == ["A", "B"]
    assert rating.by_level()[5] == 0


def test_it_fills_the_floor_from_the_bottom_of_the_ranking():
    # given twenty organizations with no one-star: ceil(2.0) = 2 must be moved
    records = [
        {"id": "TWO-60", "base_score": 60},
        {"id": "THREE-70", "base_score": 70},
        {"id": "TWO-65", "base_score": 65},
        *fillers(17),
    ]

    # when enforced
    rating = rate(records, "enforce")

    # then the two lowest-ranked above one star become one star, lowest first
    floor = check(rating, "one_star_floor")
    assert floor.moved == ["TWO-65", "TWO-60"]
    assert (stars(rating)["TWO-60"], stars(rating)["TWO-65"], stars(rating)["THREE-70"]) == (1, 1, 3)
    assert (floor.count_before, floor.count_after) == (0, 2)


def test_it_counts_unrated_organizations_towards_the_floor():
    # given ten organizations, one unrated by satisfaction veto although it scores 95
    records = [{"id": "VETOED", "base_score": 100, "satisfaction": 0.3}, *fillers(9)]

    # when enforced
    rating = rate(records, "enforce")

    # then the floor is met and nothing moves
    floor = check(rating, "one_star_floor")
    assert (floor.count_before, floor.moved) == (1, [])
    assert quota_reasons(rating) == {}


# ---------------------------------------------------------------- off


def test_it_checks_nothing_when_off():
    # when the ten are rated with quotas off
    rating = rate(TEN, "off")

    # then there are no checks and no level moved
    assert rating.quota_checks == []
    assert stars(rating) == stars(rate(TEN, "warn"))
    assert quota_reasons(rating) == {}
    assert rating_to_dict(rating)["summary"]["quota"] == {"mode": "off", "checks": []}


def test_it_refuses_an_unknown_quota_mode():
    with pytest.raises(ValueError):
        Engine(SCHEME).rate([], quota_mode="strict")


# ---------------------------------------------------------------- ranking


def test_it_ranks_by_final_score_first():
    # given two five-star: one with the higher base, the other with the higher final score
    records = [
        {"id": "A-HIGH-BASE", "base_score": 98, "criticisms": {"municipal_committee": 1}},  # 93
        {"id": "B-HIGH-FINAL", "base_score": 90, "commendations": ["national"]},  # 98
        *fillers(7),
        {"id": "NONE", "base_score": 10},
    ]

    # when enforced
    rating = rate(records, "enforce")

    # then the higher final score keeps five stars
    assert stars(rating)["B-HIGH-FINAL"] == 5
    assert stars(rating)["A-HIGH-BASE"] == 4
    assert check(rating, "five_star_ceiling").ties == []


def test_it_breaks_a_final_score_tie_by_base_score():
    # given equal final scores of 95, from base 95 and from base 90 + 5
    records = [
        {"id": "A-BONUS", "base_score": 90, "innovations": ["province"]},
        {"id": "B-BASE", "base_score": 95},
        *fillers(7),
        {"id": "NONE", "base_score": 10},
    ]

    # when enforced
    rating = rate(records, "enforce")

    # then the higher base score keeps five stars, and the tie is reported
    assert stars(rating)["B-BASE"] == 5
    assert stars(rating)["A-BONUS"] == 4
    assert check(rating, "five_star_ceiling").ties == [
        {"final_score": "95.00", "kept": ["B-BASE"], "moved": ["A-BONUS"], "decided_by": "base_score"}
    ]


def test_it_breaks_a_tie_of_final_and_base_by_satisfaction():
    # given equal final and base scores, satisfaction 80 % and 90 %
    records = [
        {"id": "A-LOWER", "base_score": 95, "satisfaction": 0.8},
        {"id": "B-HIGHER", "base_score": 95, "satisfaction": 0.9},
        *fillers(7),
        {"id": "NONE", "base_score": 10},
    ]

    # when enforced
    rating = rate(records, "enforce")

    # then the higher satisfaction keeps five stars
    assert stars(rating)["B-HIGHER"] == 5
    assert stars(rating)["A-LOWER"] == 4
    assert check(rating, "five_star_ceiling").ties == [
        {"final_score": "95.00", "kept": ["B-HIGHER"], "moved": ["A-LOWER"], "decided_by": "satisfaction"}
    ]


def test_it_ranks_an_organization_without_survey_below_any_with_one():
    # given equal scores, one without survey and one at the lowest satisfaction that costs nothing
    records = [
        {"id": "A-NO-SURVEY", "base_score": 95},
        {"id": "B-SURVEY", "base_score": 95, "satisfaction": 0.6},
        *fillers(7),
        {"id": "NONE", "base_score": 10},
    ]

    # when enforced
    rating = rate(records, "enforce")

    # then the one with a survey keeps five stars
    assert stars(rating)["B-SURVEY"] == 5
    assert stars(rating)["A-NO-SURVEY"] == 4
    assert check(rating, "five_star_ceiling").ties == [
        {"final_score": "95.00", "kept": ["B-SURVEY"], "moved": ["A-NO-SURVEY"], "decided_by": "satisfaction"}
    ]


def test_it_moves_the_organization_without_survey_first_on_the_floor():
    # given two two-star organizations at 60, one surveyed at 60 % and one not surveyed
    records = [
        {"id": "A-SURVEY", "base_score": 60, "satisfaction": 0.6},
        {"id": "B-NO-SURVEY", "base_score": 60},
        *fillers(8),
    ]

    # when enforced: one must go to one star
    rating = rate(records, "enforce")

    # then the one without survey ranks lower and is moved
    assert check(rating, "one_star_floor").moved == ["B-NO-SURVEY"]
    assert stars(rating)["A-SURVEY"] == 2
    assert check(rating, "one_star_floor").ties == [
        {"final_score": "60.00", "kept": ["A-SURVEY"], "moved": ["B-NO-SURVEY"], "decided_by": "satisfaction"}
    ]


def test_it_breaks_a_full_tie_by_id_ascending():
    # given two identical five-star organizations
    records = [
        {"id": "JG-B", "base_score": 95, "satisfaction": 0.9},
        {"id": "JG-A", "base_score": 95, "satisfaction": 0.9},
        *fillers(7),
        {"id": "NONE", "base_score": 10},
    ]

    # when enforced
    rating = rate(records, "enforce")

    # then the smaller id keeps five stars
    assert stars(rating)["JG-A"] == 5
    assert stars(rating)["JG-B"] == 4
    assert check(rating, "five_star_ceiling").ties == [
        {"final_score": "95.00", "kept": ["JG-A"], "moved": ["JG-B"], "decided_by": "id"}
    ]


def test_it_reports_the_tie_at_the_cut_line_in_warn_mode_too():
    # given the id tie rated in warn mode
    records = [
        {"id": "JG-B", "base_score": 95},
        {"id": "JG-A", "base_score": 95},
        *fillers(7),
        {"id": "NONE", "base_score": 10},
    ]

    # when rated
    rating = rate(records, "warn")
    document = rating_to_dict(rating)

    # then the tie is in the check and in the JSON, and nothing moved
    ties = [{"final_score": "95.00", "kept": ["JG-A"], "moved": ["JG-B"], "decided_by": "id"}]
    assert check(rating, "five_star_ceiling").ties == ties
    [ceiling] = [c for c in document["summary"]["quota"]["checks"] if c["rule"] == "five_star_ceiling"]
    assert ceiling["ties"] == ties
    assert stars(rating)["JG-B"] == 5


def test_it_lists_every_tied_organization_on_each_side_of_the_cut_line():
    # given twenty organizations (ceiling 2) with three five-star tied at 95 and one above
    records = [
        {"id": "TOP", "base_score": 99},
        {"id": "T-3", "base_score": 95},
        {"id": "T-1", "base_score": 95},
        {"id": "T-2", "base_score": 95},
        {"id": "NONE-1", "base_score": 10},
        {"id": "NONE-2", "base_score": 10},
        *fillers(14),
    ]

    # when enforced
    rating = rate(records, "enforce")

    # then one tied organization is kept and two moved, all named
    assert check(rating, "five_star_ceiling").ties == [
        {"final_score": "95.00", "kept": ["T-1"], "moved": ["T-2", "T-3"], "decided_by": "id"}
    ]
    assert [r.id for r in rating.results if r.stars == 5] == ["TOP", "T-1"]


def test_it_reports_no_tie_when_the_cut_line_separates_different_scores():
    # given five-star at 95 and 94.99
    records = [
        {"id": "A", "base_score": "94.99"},
        {"id": "B", "base_score": 95},
        *fillers(7),
        {"id": "NONE", "base_score": 10},
    ]

    # when enforced
    rating = rate(records, "enforce")

    # then no tie is reported
    assert check(rating, "five_star_ceiling").moved == ["A"]
    assert check(rating, "five_star_ceiling").ties == []


def test_it_keeps_results_in_input_order_after_moves():
    # when enforced
    rating = rate(TEN, "enforce")

    # then the results are still in the order given
    assert [r.id for r in rating.results] == [record["id"] for record in TEN]
