"""The rating rules of DESIGN.md ("The rating rules"), each at and around its boundary.

Scores are integer hundredths in the engine: 8999 is 89.99 points. Every
test rates through the public path (``parse_organizations`` then
``Engine.rate``) with quotas off, so that only the rule under test acts.
"""

from __future__ import annotations

import pytest

from xingji.rules import Engine, InputError, load_scheme, parse_organizations
from xingji.rules.explain import rating_to_dict
from xingji.rules.inputs import Problem, Record

SCHEME = load_scheme("anyang-2017")


def rate_all(*records: dict, stage: str = "year_end"):
    organizations = parse_organizations(
        [Record(f"第{number}个组织", data) for number, data in enumerate(records, start=1)], SCHEME
    )
    return Engine(SCHEME, stage=stage).rate(organizations, quota_mode="off")


def rate_one(stage: str = "year_end", **data):
    data.setdefault("id", "JG-001")
    [result] = rate_all(data, stage=stage).results
    return result


def adjustments(result) -> list[tuple[str, int]]:
    return [(reason.rule, reason.points) for reason in result.reasons if reason.points is not None]


def level_changes(result) -> list[tuple[str, str, int, int]]:
    return [
        (reason.rule, reason.effect, reason.from_level, reason.to_level)
        for reason in result.reasons
        if reason.points is None
    ]


def problems_of(*records: dict) -> list[Problem]:
    with pytest.raises(InputError) as caught:
        parse_organizations([Record(f"第{number}个组织", data) for number, data in enumerate(records, start=1)], SCHEME)
    return caught.value.problems


# ---------------------------------------------------------------- bands


@pytest.mark.parametrize(
    ("score", "cents", "stars"),
    [
        ("0", 0, 0),
        ("49.99", 4999, 0),
        ("50.00", 5000, 1),
        ("59.99", 5999, 1),
        ("60", 6000, 2),
        ("69.99", 6999, 2),
        ("70", 7000, 3),
        ("79.99", 7999, 3),
        ("80", 8000, 4),
        ("89.99", 8999, 4),
        ("90.00", 9000, 5),
        ("100", 10000, 5),
    ],
)
def test_it_bands_half_open(score, cents, stars):
    # given an organization with only a base score
    # when it is rated
    result = rate_one(base_score=score)

    # then the band is the half-open one its score falls into
    assert result.final_score == cents
    assert result.band == stars
    assert result.stars == stars
    assert result.reasons == []


def test_it_gives_four_stars_to_a_final_of_89_99_reached_by_a_deduction():
    # given 92.99 less one working-committee criticism
    result = rate_one(base_score="92.99", criticisms={"working_committee": 1})

    # then the final score is 89.99, four stars
    assert result.base_score == 9299
    assert result.final_score == 8999
    assert (result.band, result.stars) == (4, 4)


def test_it_gives_five_stars_to_a_final_of_90_00_reached_by_a_bonus():
    # given 87 plus a city commendation
    result = rate_one(base_score=87, commendations=["city"])

    # then the final score is 90.00, five stars
    assert result.final_score == 9000
    assert (result.band, result.stars) == (5, 5)


def test_it_gives_one_star_at_50_and_none_at_49_99_after_adjustment():
    # given 52.99 and 53 less one working-committee criticism
    below = rate_one(base_score="52.99", criticisms={"working_committee": 1})
    at = rate_one(base_score=53, criticisms={"working_committee": 1})

    # then 49.99 is unrated, 50.00 one star
    assert (below.final_score, below.stars) == (4999, 0)
    assert (at.final_score, at.stars) == (5000, 1)


# ---------------------------------------------------------------- rounding


@pytest.mark.parametrize(
    ("given", "cents", "stars"),
    [
        ("89.995", 9000, 5),
        (89.995, 9000, 5),
        ("89.994", 8999, 4),
        (89.994, 8999, 4),
        ("49.995", 5000, 1),
        ("49.9949", 4999, 0),
    ],
)
def test_it_rounds_the_base_score_half_up_to_two_decimals(given, cents, stars):
    # when a base score with a third decimal is rated
    result = rate_one(base_score=given)

    # then it is kept to two decimals, half-up, before the band
    assert result.base_score == cents
    assert result.final_score == cents
    assert result.stars == stars


# ---------------------------------------------------------------- base score sources


def test_it_prefers_an_explicit_base_score_to_criteria_and_components():
    # given all three sources
    result = rate_one(
        base_score=80,
        criteria={"1": 10, "2": 10},
        components={"self": 92, "survey": 88, "superior": 85},
    )

    # then the explicit base score is used
    assert result.base_source == "base_score"
    assert result.base_score == 8000
    assert result.final_score == 8000


def test_it_prefers_criteria_to_components():
    # given criteria and components
    result = rate_one(criteria={"1": 9, "2": "8.5"}, components={"self": 92, "survey": 88, "superior": 85})

    # then the criteria sum is used, the eight criteria not given counting 0
    assert result.base_source == "criteria"
    assert result.base_score == 1750
    assert result.final_score == 1750
    assert result.stars == 0


def test_it_sums_all_ten_criteria():
    # given every criterion scored
    criteria = {str(code): 9 for code in range(1, 11)}
    criteria["10"] = "9.5"

    # when rated
    result = rate_one(criteria=criteria)

    # then the base score is their sum
    assert result.base_source == "criteria"
    assert result.base_score == 9050
    assert result.stars == 5


def test_it_counts_a_missing_criterion_as_zero():
    # given nine criteria at full marks and criterion 7 not given
    criteria = {str(code): 10 for code in range(1, 11) if code != 7}

    # when rated
    result = rate_one(criteria=criteria)

    # then the base score is 90, not 100 nor an average
    assert result.base_score == 9000
    assert result.stars == 5


def test_it_weighs_the_composite_0_2_0_3_0_5():
    # given self 92, survey 88, superior 85
    result = rate_one(components={"self": 92, "survey": 88, "superior": 85})

    # then 0.2·92 + 0.3·88 + 0.5·85 = 87.30
    assert result.base_source == "components"
    assert result.base_score == 8730
    assert result.final_score == 8730
    assert result.stars == 4


@pytest.mark.parametrize(
    ("superior", "cents", "stars"),
    [
        # 0.2·90 + 0.3·90 + 0.5·89.99 = 89.995 → 90.00 (half-up, not half-even)
        ("89.99", 9000, 5),
        # 0.2·90 + 0.3·90 + 0.5·90.01 = 90.005 → 90.01
        ("90.01", 9001, 5),
        # 0.2·90 + 0.3·90 + 0.5·89.97 = 89.985 → 89.99
        ("89.97", 8999, 4),
    ],
)
def test_it_rounds_the_composite_half_up(superior, cents, stars):
    # when the weighted composite has a half hundredth
    result = rate_one(components={"self": 90, "survey": 90, "superior": superior})

    # then it is rounded half-up to two decimals
    assert result.base_score == cents
    assert result.stars == stars


# ---------------------------------------------------------------- bonuses


@pytest.mark.parametrize(
    ("levels", "points"),
    [
        (["city"], 300),
        (["province"], 500),
        (["national"], 800),
        (["city", "province"], 500),
        (["city", "province", "national"], 800),
        (["national", "city"], 800),
        (["city", "city", "city"], 300),
    ],
)
def test_it_counts_only_the_highest_commendation(levels, points):
    # when an organization has several commendations in a year
    result = rate_one(base_score=70, commendations=levels)

    # then only the highest one counts
    assert adjustments(result) == [("commendation", points)]
    assert result.final_score == 7000 + points


@pytest.mark.parametrize(
    ("levels", "points"),
    [
        (["city"], 300),
        (["province", "city"], 500),
        (["city", "province", "national"], 800),
    ],
)
def test_it_counts_only_the_highest_innovation(levels, points):
    # when an organization has several innovations
    result = rate_one(base_score=70, innovations=levels)

    # then only the highest one counts
    assert adjustments(result) == [("innovation", points)]
    assert result.final_score == 7000 + points


def test_it_adds_the_commendation_and_innovation_rows_together():
    # given the highest of both rows
    result = rate_one(base_score=70, commendations=["city", "national"], innovations=["national", "province"])

    # then both count, +16 in all
    assert adjustments(result) == [("commendation", 800), ("innovation", 800)]
    assert result.final_score == 8600
    assert result.stars == 4


def test_it_explains_the_highest_commendation():
    # given three commendations
    result = rate_one(base_score=70, commendations=["city", "province", "national"])

    # then the reason names the count, the level that counted, the points and the clause
    [reason] = result.reasons
    assert reason.rule == "commendation"
    assert reason.clause == "五(三)1"
    assert reason.points == 800
    assert reason.message == "当年度党组织或书记受到表彰、发表署名文章3项，以最高的国家级为准，加8分（五(三)1）"


# ---------------------------------------------------------------- deductions


@pytest.mark.parametrize(
    ("field", "value", "rule", "points"),
    [
        ("criticisms", {"working_committee": 1}, "criticism_working_committee", -300),
        ("criticisms", {"working_committee": 2}, "criticism_working_committee", -600),
        ("criticisms", {"municipal_committee": 1}, "criticism_municipal_committee", -500),
        ("criticisms", {"municipal_committee": 3}, "criticism_municipal_committee", -1500),
        ("leader_discipline", {"light": 1}, "leader_discipline_light", -300),
        ("leader_discipline", {"light": 2}, "leader_discipline_light", -600),
        ("leader_discipline", {"heavy": 1}, "leader_discipline_heavy", -500),
        ("leader_discipline", {"heavy": 2}, "leader_discipline_heavy", -1000),
        ("member_violations", 1, "member_violation", -200),
        ("member_violations", 3, "member_violation", -600),
        ("absences", 1, "absence", -300),
        ("absences", 2, "absence", -600),
    ],
)
def test_it_deducts_per_count(field, value, rule, points):
    # given a base of 75 and one kind of deduction
    result = rate_one(base_score=75, **{field: value})

    # then each count costs its points
    assert adjustments(result) == [(rule, points)]
    assert result.final_score == 7500 + points
    assert level_changes(result) == []


def test_it_adds_criticisms_of_both_committees():
    # given two working-committee and one municipal-committee criticisms
    result = rate_one(base_score=80, criticisms={"working_committee": 2, "municipal_committee": 1})

    # then 2·3 + 5 = 11 points are deducted
    assert adjustments(result) == [("criticism_working_committee", -600), ("criticism_municipal_committee", -500)]
    assert result.final_score == 6900
    assert result.stars == 2


def test_it_adds_light_and_heavy_leader_discipline():
    # given one light and one heavy person-time
    result = rate_one(base_score=80, leader_discipline={"light": 1, "heavy": 1})

    # then 3 + 5 = 8 points are deducted
    assert adjustments(result) == [("leader_discipline_light", -300), ("leader_discipline_heavy", -500)]
    assert result.final_score == 7200


def test_it_deducts_nothing_for_zero_counts():
    # given every count present and zero
    result = rate_one(
        base_score=90,
        criticisms={"working_committee": 0, "municipal_committee": 0},
        leader_discipline={"light": 0, "heavy": 0},
        member_violations=0,
        absences=0,
        commendations=[],
        innovations=[],
    )

    # then nothing is adjusted
    assert result.reasons == []
    assert (result.final_score, result.stars) == (9000, 5)


@pytest.mark.parametrize(
    ("data", "rule", "clause", "message"),
    [
        (
            {"criticisms": {"municipal_committee": 1}},
            "criticism_municipal_committee",
            "五(三)3",
            "受市委通报批评1次，扣5分（五(三)3）",
        ),
        (
            {"criticisms": {"working_committee": 2}},
            "criticism_working_committee",
            "五(三)3",
            "受市直工委通报批评2次，扣6分（五(三)3）",
        ),
        (
            {"leader_discipline": {"light": 1}},
            "leader_discipline_light",
            "五(三)3",
            "领导班子成员受严重警告以下处分1人次，扣3分（五(三)3）",
        ),
        (
            {"leader_discipline": {"heavy": 2}},
            "leader_discipline_heavy",
            "五(三)3",
            "领导班子成员受撤销党内职务以上处分2人次，扣10分（五(三)3）",
        ),
        ({"member_violations": 3}, "member_violation", "五(三)3", "一般党员违法违纪3人次，扣6分（五(三)3）"),
        (
            {"innovations": ["province"]},
            "innovation",
            "五(三)2",
            "党建重大创新被上级认可推广1项，以最高的省级为准，加5分（五(三)2）",
        ),
        (
            {"satisfaction": "0.55"},
            "low_satisfaction",
            "五(三)4",
            "民主评议满意率55%，低于60%，扣5分（五(三)4）",
        ),
        (
            {"absences": 2},
            "absence",
            "五(三)6",
            "无故缺席市直工委会议、培训或未按时完成任务2次，扣6分（五(三)6）",
        ),
    ],
)
def test_it_explains_every_adjustment_with_rule_clause_and_chinese_message(data, rule, clause, message):
    # when an organization has one adjustment
    result = rate_one(base_score=80, **data)

    # then its reason carries the rule code, the seed clause and a Chinese sentence
    [reason] = result.reasons
    assert (reason.rule, reason.clause, reason.message) == (rule, clause, message)


# ---------------------------------------------------------------- clipping


def test_it_clips_the_final_score_at_100():
    # given full marks and both bonus rows at their highest
    result = rate_one(base_score=100, commendations=["national"], innovations=["national"])

    # then the +16 is recorded but the final score stops at 100
    assert adjustments(result) == [("commendation", 800), ("innovation", 800)]
    assert result.base_score == 10000
    assert result.final_score == 10000
    assert result.stars == 5


def test_it_clips_the_final_score_at_0():
    # given 2 points and deductions far beyond them
    result = rate_one(
        base_score=2,
        criticisms={"municipal_committee": 3},
        leader_discipline={"heavy": 2},
        member_violations=4,
    )

    # then the final score is 0, not negative
    assert adjustments(result) == [
        ("criticism_municipal_committee", -1500),
        ("leader_discipline_heavy", -1000),
        ("member_violation", -800),
    ]
    assert result.final_score == 0
    assert (result.band, result.stars) == (0, 0)


def test_it_clips_after_summing_all_adjustments():
    # given 98 + 8 − 5: the sum is 101, clipped once at the end
    result = rate_one(base_score=98, commendations=["national"], criticisms={"municipal_committee": 1})

    # then the final score is 100 (not 95 from clipping before the deduction)
    assert result.final_score == 10000


# ---------------------------------------------------------------- satisfaction


def test_it_vetoes_the_star_and_deducts_below_50_percent():
    # given 95 and satisfaction 49.99 %
    result = rate_one(base_score=95, satisfaction="0.4999")

    # then 5 points are deducted and the level is set to no star whatever the score
    assert adjustments(result) == [("low_satisfaction", -500)]
    assert result.final_score == 9000
    assert result.band == 5
    assert result.stars == 0
    assert level_changes(result) == [("satisfaction_veto", "set", 5, 0)]
    assert result.reasons[-1].clause == "五(三)4"
    assert result.reasons[-1].message == "民主评议满意率49.99%，低于50%，不定星级，由五星级调整为不定星级（五(三)4）"


def test_it_deducts_but_does_not_veto_at_exactly_50_percent():
    # given satisfaction exactly 50 %
    result = rate_one(base_score=95, satisfaction="0.5")

    # then only the −5 applies; the star stands
    assert adjustments(result) == [("low_satisfaction", -500)]
    assert result.final_score == 9000
    assert result.stars == 5
    assert level_changes(result) == []


def test_it_deducts_at_59_99_percent():
    # given satisfaction just below 60 %
    result = rate_one(base_score=95, satisfaction=0.5999)

    # then 5 points are deducted, no level rule
    assert adjustments(result) == [("low_satisfaction", -500)]
    assert result.final_score == 9000
    assert result.stars == 5
    assert level_changes(result) == []


def test_it_does_nothing_at_exactly_60_percent():
    # given satisfaction exactly 60 %
    result = rate_one(base_score=95, satisfaction=0.6)

    # then there is no deduction and no level rule
    assert result.reasons == []
    assert (result.final_score, result.stars) == (9500, 5)


def test_it_reads_satisfaction_as_a_percentage():
    # given satisfaction written as 49.99%
    result = rate_one(base_score=95, satisfaction="49.99%")

    # then it is the same as 0.4999
    assert adjustments(result) == [("low_satisfaction", -500)]
    assert result.stars == 0


def test_it_applies_no_survey_rule_without_satisfaction():
    # given no satisfaction at all
    result = rate_one(base_score=95)

    # then neither the deduction nor the veto applies
    assert result.reasons == []
    assert result.satisfaction is None
    assert (result.final_score, result.stars) == (9500, 5)


def test_it_vetoes_a_zero_satisfaction():
    # given satisfaction 0
    result = rate_one(base_score=100, satisfaction=0)

    # then the star is vetoed
    assert adjustments(result) == [("low_satisfaction", -500)]
    assert result.stars == 0


# ---------------------------------------------------------------- elections


def test_it_caps_at_four_when_overdue_365_days_without_excuse():
    # given an election overdue one year exactly, no special reason
    result = rate_one(base_score=95, election={"overdue": True, "excused": False, "overdue_days": 365})

    # then at most four stars; the more-than-a-year rule does not apply
    assert result.band == 5
    assert result.stars == 4
    assert level_changes(result) == [("election_overdue", "cap", 5, 4)]
    assert result.reasons[0].clause == "五(三)5"
    assert result.reasons[0].message == "无特殊理由、无请示未按期换届，不得定为五星级，由五星级调整为四星级（五(三)5）"


def test_it_caps_at_three_when_overdue_366_days_even_when_excused():
    # given an election overdue more than a year with an approved request
    result = rate_one(base_score=95, election={"overdue": True, "excused": True, "overdue_days": 366})

    # then at most three stars, whatever the reason
    assert result.stars == 3
    assert level_changes(result) == [("election_overdue_year", "cap", 5, 3)]
    assert result.reasons[0].message == "换届逾期366天，超过一年，不得定为四星级及以上，由五星级调整为三星级（五(三)5）"


def test_it_caps_at_three_when_overdue_366_days_without_excuse():
    # given an election overdue more than a year, no reason
    result = rate_one(base_score=95, election={"overdue": True, "excused": False, "overdue_days": 366})

    # then both caps apply, ending at three
    assert result.stars == 3
    assert level_changes(result) == [
        ("election_overdue", "cap", 5, 4),
        ("election_overdue_year", "cap", 4, 3),
    ]


@pytest.mark.parametrize("days", [0, 1, 200, 365])
def test_it_does_not_cap_an_excused_overdue_election_of_at_most_a_year(days):
    # given an overdue election with a special reason, at most a year late
    result = rate_one(base_score=95, election={"overdue": True, "excused": True, "overdue_days": days})

    # then five stars stand
    assert result.stars == 5
    assert level_changes(result) == []


def test_it_caps_an_unexcused_overdue_election_given_without_days():
    # given only the overdue flag
    result = rate_one(base_score=95, election={"overdue": True})

    # then the default of no excuse caps at four
    assert result.stars == 4


def test_it_does_not_cap_an_election_on_time():
    # given an election that is not overdue
    result = rate_one(base_score=95, election={"overdue": False, "excused": False, "overdue_days": 0})

    # then five stars stand
    assert result.stars == 5
    assert result.reasons == []


def test_it_leaves_a_level_under_the_election_cap_unchanged():
    # given three stars and an unexcused overdue election
    result = rate_one(base_score=75, election={"overdue": True, "excused": False, "overdue_days": 30})

    # then the cap of four does not touch the level
    assert (result.band, result.stars) == (3, 3)
    assert all(reason.from_level == reason.to_level for reason in result.reasons)


# ---------------------------------------------------------------- absences


def test_it_does_not_demote_after_two_absences():
    # given full marks and two absences
    result = rate_one(base_score=100, absences=2)

    # then −6, and the level stays five stars
    assert adjustments(result) == [("absence", -600)]
    assert result.final_score == 9400
    assert result.stars == 5
    assert level_changes(result) == []


def test_it_demotes_after_three_absences_at_year_end():
    # given 98 and three absences: 89 is four stars by band
    result = rate_one(base_score=98, absences=3)

    # then −9, and the year-end rating demotes one level to three
    assert adjustments(result) == [("absence", -900)]
    assert result.final_score == 8900
    assert result.band == 4
    assert result.stars == 3
    assert level_changes(result)[0] == ("absence_demotion", "demote", 4, 3)
    assert result.reasons[1].clause == "五(三)6"


def test_it_demotes_five_stars_to_four_after_three_absences_at_year_end():
    # given 100 and three absences: 91 is five stars by band
    result = rate_one(base_score=100, absences=3)

    # then demoted to four (and the cap of four holds)
    assert result.final_score == 9100
    assert result.band == 5
    assert result.stars == 4
    assert level_changes(result)[0] == ("absence_demotion", "demote", 5, 4)


def test_it_caps_but_does_not_demote_after_three_absences_at_mid_year():
    # given the same organizations rated mid-year
    five = rate_one(base_score=100, absences=3, stage="mid_year")
    four = rate_one(base_score=98, absences=3, stage="mid_year")

    # then only the cap of four applies
    assert (five.final_score, five.stars) == (9100, 4)
    assert level_changes(five) == [("absence_cap", "cap", 5, 4)]
    assert (four.final_score, four.stars) == (8900, 4)
    assert all(reason.rule != "absence_demotion" for reason in four.reasons)


def test_it_demotes_after_more_than_three_absences():
    # given four absences
    result = rate_one(base_score=95, absences=4)

    # then −12 → 83, four stars by band, demoted to three
    assert result.final_score == 8300
    assert result.stars == 3


def test_it_does_not_demote_below_no_star():
    # given an unrated organization with three absences
    result = rate_one(base_score=40, absences=3)

    # then it stays unrated
    assert result.final_score == 3100
    assert result.stars == 0


# ---------------------------------------------------------------- level rules together


def test_it_applies_the_level_rules_in_order():
    # given three absences, an election overdue more than a year and satisfaction 49 %
    result = rate_one(
        base_score=100,
        absences=3,
        satisfaction="0.49",
        election={"overdue": True, "excused": False, "overdue_days": 400},
    )

    # then demotion, caps and the veto apply in the scheme's order, ending at no star
    assert result.final_score == 8600
    assert result.band == 4
    assert [reason.rule for reason in result.reasons if reason.points is None] == [
        "absence_demotion",
        "absence_cap",
        "election_overdue",
        "election_overdue_year",
        "satisfaction_veto",
    ]
    assert result.stars == 0


# ---------------------------------------------------------------- explanation in the contract


def test_it_writes_reasons_into_the_contract_json():
    # given one organization with a deduction and a level rule
    rating = rate_all(
        {"id": "JG-001", "base_score": 95, "criticisms": {"municipal_committee": 1}, "satisfaction": 0.45}
    )

    # when written as the contract's JSON
    document = rating_to_dict(rating)

    # then scores are two-decimal strings, stars integers, reasons carry rule, clause, points or effect
    [organization] = document["organizations"]
    assert document["scheme"] == "anyang-2017"
    assert organization["id"] == "JG-001"
    assert organization["base_score"] == "95.00"
    assert organization["final_score"] == "85.00"
    assert organization["band_stars"] == 4
    assert organization["stars"] == 0
    assert [(r["rule"], r["clause"], r.get("points"), r.get("effect")) for r in organization["reasons"]] == [
        ("criticism_municipal_committee", "五(三)3", "-5.00", None),
        ("low_satisfaction", "五(三)4", "-5.00", None),
        ("satisfaction_veto", "五(三)4", None, "set"),
    ]
    assert organization["reasons"][0]["message"] == "受市委通报批评1次，扣5分（五(三)3）"
    assert document["summary"]["count"] == 1
    assert document["summary"]["by_stars"] == {"0": 1, "1": 0, "2": 0, "3": 0, "4": 0, "5": 0}


# ---------------------------------------------------------------- input errors


def test_it_refuses_a_criterion_score_above_its_maximum():
    problems = problems_of({"id": "JG-001", "criteria": {"1": "10.5", "2": 9}})

    assert [(p.organization, p.field) for p in problems] == [("JG-001", "criteria.1")]
    assert problems[0].message == "分数 10.5 超过该项满分 10.00"


def test_it_refuses_a_negative_criterion_score():
    problems = problems_of({"id": "JG-001", "criteria": {"3": -1}})

    assert [(p.organization, p.field) for p in problems] == [("JG-001", "criteria.3")]


def test_it_refuses_a_criterion_the_scheme_does_not_have():
    problems = problems_of({"id": "JG-001", "criteria": {"11": 5}})

    assert [(p.organization, p.field) for p in problems] == [("JG-001", "criteria.11")]


def test_it_refuses_a_base_score_above_full_marks():
    problems = problems_of({"id": "JG-001", "base_score": "100.01"})

    assert [(p.organization, p.field) for p in problems] == [("JG-001", "base_score")]


def test_it_refuses_a_satisfaction_above_one():
    problems = problems_of({"id": "JG-002", "base_score": 80, "satisfaction": 1.2})

    assert [(p.organization, p.field) for p in problems] == [("JG-002", "satisfaction")]
    assert problems[0].message == "满意率 1.2 应在 0 到 1 之间（如 0.72 或 72%）"


def test_it_refuses_an_unknown_commendation_level():
    problems = problems_of({"id": "JG-003", "base_score": 80, "commendations": ["city", "county"]})

    assert [(p.organization, p.field) for p in problems] == [("JG-003", "commendations")]
    assert "county" in problems[0].message


def test_it_refuses_an_unknown_innovation_level():
    problems = problems_of({"id": "JG-003", "base_score": 80, "innovations": ["world"]})

    assert [(p.organization, p.field) for p in problems] == [("JG-003", "innovations")]


def test_it_refuses_a_duplicate_id():
    problems = problems_of({"id": "JG-001", "base_score": 80}, {"id": "JG-001", "base_score": 70})

    assert [(p.where, p.organization, p.field) for p in problems] == [("第2个组织", "JG-001", "id")]
    assert problems[0].message == "编号重复（与第1个组织相同）"


def test_it_refuses_a_missing_base_score():
    problems = problems_of({"id": "JG-004", "name": "市财政局机关第一支部", "satisfaction": 0.8})

    assert [(p.organization, p.field) for p in problems] == [("JG-004", "base_score")]


def test_it_refuses_an_incomplete_composite():
    problems = problems_of({"id": "JG-004", "components": {"self": 90, "survey": 80}})

    assert [(p.organization, p.field) for p in problems] == [("JG-004", "components.superior")]


def test_it_refuses_an_unknown_field():
    problems = problems_of({"id": "JG-005", "base_score": 80, "colour": "red"})

    assert [(p.organization, p.field) for p in problems] == [("JG-005", "colour")]
    assert problems[0].message == "未知字段"


def test_it_refuses_an_unknown_nested_field():
    problems = problems_of({"id": "JG-005", "base_score": 80, "criticisms": {"county_committee": 1}})

    assert [(p.organization, p.field) for p in problems] == [("JG-005", "criticisms")]


def test_it_refuses_a_negative_or_fractional_count():
    problems = problems_of({"id": "JG-006", "base_score": 80, "absences": -1, "member_violations": "1.5"})

    assert sorted((p.organization, p.field) for p in problems) == [
        ("JG-006", "absences"),
        ("JG-006", "member_violations"),
    ]


def test_it_refuses_a_missing_id():
    problems = problems_of({"name": "无编号", "base_score": 80})

    assert [(p.where, p.organization, p.field) for p in problems] == [("第1个组织", "", "id")]


def test_it_reports_every_problem_of_every_organization_and_rates_none():
    # given three organizations, two of them bad
    records = (
        {"id": "JG-001", "base_score": 80},
        {"id": "JG-002", "base_score": 80, "satisfaction": 1.2, "colour": "red"},
        {"id": "JG-003", "commendations": ["county"]},
    )

    # when parsed
    problems = problems_of(*records)

    # then every problem is listed with its organization and field, nothing is returned
    assert sorted((p.organization, p.field) for p in problems) == [
        ("JG-002", "colour"),
        ("JG-002", "satisfaction"),
        ("JG-003", "base_score"),
        ("JG-003", "commendations"),
    ]
    assert all(str(p).startswith(p.where) and p.organization in str(p) and p.field in str(p) for p in problems)
