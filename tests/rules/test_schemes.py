"""The shipped schemes rate as their sources say, and a broken scheme is refused.

Every scheme in ``src/xingji/rules/schemes/`` must load and rate; the band
table below pins, for each one, concrete scores to the levels its source
gives, so a new scheme without its own expectations fails here.
"""

from __future__ import annotations

import pytest

from xingji.rules.engine import Engine, Rating
from xingji.rules.inputs import InputError, Record, parse_organizations
from xingji.rules.scheme import SCHEMES_DIR, SchemeError, list_schemes, load_scheme, parse_scheme

SHIPPED = sorted(path.stem for path in SCHEMES_DIR.glob("*.toml"))

# Per scheme: (score, level) pairs at and just below each band line, and the
# facts every sample organization needs so that only the band decides.
BANDS: dict[str, tuple[dict, list[tuple[str, int]]]] = {
    "anyang-2017": (
        {},
        [
            ("100", 5),
            ("90", 5),
            ("89.99", 4),
            ("80", 4),
            ("79.99", 3),
            ("70", 3),
            ("69.99", 2),
            ("60", 2),
            ("59.99", 1),
            ("50", 1),
            ("49.99", 0),
            ("0", 0),
        ],
    ),
    "zucheng-2022": (
        {},
        [
            ("100", 5),
            ("90", 5),
            ("89.99", 4),
            ("80", 4),
            ("79.99", 3),
            ("70", 3),
            ("69.99", 2),
            ("60", 2),
            ("59.99", 1),
            ("0", 1),
        ],
    ),
    "xiqing-tianjin": (
        {},
        [
            ("100", 5),
            ("95", 5),
            ("94.99", 4),
            ("85", 4),
            ("84.99", 3),
            ("75", 3),
            ("74.99", 2),
            ("65", 2),
            ("64.99", 1),
            ("60", 1),
            ("59.99", 0),
            ("0", 0),
        ],
    ),
    "zutingzi-2012-6": (
        {},
        [
            ("100", 4),
            ("90", 4),
            ("89.99", 3),
            ("80", 3),
            ("79.99", 2),
            ("60", 2),
            ("59.99", 1),
            ("0", 1),
        ],
    ),
    "wuxing-chuangping": (
        {"innovation_project": True},
        [
            ("110", 5),
            ("90", 5),
            ("89.99", 4),
            ("80", 4),
            ("79.99", 3),
            ("70", 3),
            ("69.99", 2),
            ("60", 2),
            ("59.99", 1),
            ("50", 1),
            ("49.99", 0),
            ("0", 0),
        ],
    ),
    "shounian-xianzhi": (
        {},
        [
            ("100", 5),
            ("90", 5),
            ("89.99", 4),
            ("80", 4),
            ("79.99", 3),
            ("70", 3),
            ("69.99", 2),
            ("60", 2),
            ("59.99", 1),
            ("0", 1),
        ],
    ),
    "xingjihua-guanli": (
        {},
        [
            ("100", 5),
            ("90", 5),
            ("89.99", 4),
            ("80", 4),
            ("79.99", 3),
            ("70", 3),
            ("69.99", 0),
            ("0", 0),
        ],
    ),
}


def rate(scheme_id: str, *organizations: dict, quota_mode: str = "off") -> Rating:
    scheme = load_scheme(scheme_id)
    records = [Record(f"第{number}个组织", data) for number, data in enumerate(organizations, 1)]
    return Engine(scheme).rate(parse_organizations(records, scheme), quota_mode=quota_mode)


def stars(rating: Rating) -> dict[str, int]:
    return {result.id: result.stars for result in rating.results}


def rules_applied(rating: Rating, organization_id: str) -> list[str]:
    return [reason.rule for reason in rating.find(organization_id).reasons]


def refusal(scheme_id: str, organization: dict) -> InputError:
    scheme = load_scheme(scheme_id)
    with pytest.raises(InputError) as caught:
        parse_organizations([Record("第1个组织", organization)], scheme)
    return caught.value


# ------------------------------------------------------------------ every scheme


def test_it_has_band_expectations_for_every_shipped_scheme():
    # given the scheme files on disk
    # when they are compared with the band table
    # then each has its expectations, and there are at least four besides the default
    assert sorted(BANDS) == SHIPPED
    assert len(SHIPPED) >= 5


@pytest.mark.parametrize("scheme_id", SHIPPED)
def test_it_loads_each_shipped_scheme_by_id_and_by_path_with_its_file_stem_as_id(scheme_id):
    # given a shipped scheme file
    path = SCHEMES_DIR / f"{scheme_id}.toml"

    # when it is loaded by id and by path
    by_id = load_scheme(scheme_id)
    by_path = load_scheme(path)

    # then both give the same scheme, whose id is the file's stem
    assert by_id.id == scheme_id
    assert by_path.id == scheme_id
    assert by_id.path == str(path)
    assert path.read_text(encoding="utf-8").startswith("# ")


@pytest.mark.parametrize("scheme_id", SHIPPED)
def test_it_rates_a_sample_population_into_the_bands_of_each_scheme(scheme_id):
    # given one organization per score, at and just below each band line
    extra, expected = BANDS[scheme_id]
    organizations = [{"id": f"ORG-{score}", "base_score": score, **extra} for score, _ in expected]

    # when they are rated together
    rating = rate(scheme_id, *organizations)

    # then each lands in its band, with no rule changing it
    assert stars(rating) == {f"ORG-{score}": level for score, level in expected}
    assert [result.band for result in rating.results] == [level for _, level in expected]
    assert [result.reasons for result in rating.results] == [[] for _ in expected]
    assert rating.scheme.id == scheme_id


@pytest.mark.parametrize("scheme_id", SHIPPED)
def test_it_counts_every_organization_of_a_sample_population_under_its_level(scheme_id):
    # given the band sample of a scheme
    extra, expected = BANDS[scheme_id]
    organizations = [{"id": f"ORG-{score}", "base_score": score, **extra} for score, _ in expected]

    # when it is rated
    rating = rate(scheme_id, *organizations)

    # then the count by level covers every level of the scheme and every organization
    counts = {level: 0 for level in rating.scheme.level_values()}
    for _, level in expected:
        counts[level] += 1
    assert rating.by_level() == counts
    assert sum(rating.by_level().values()) == len(expected)


def test_it_lists_every_shipped_scheme_with_a_name_and_a_source():
    # given the shipped scheme files
    # when they are listed
    listed = list_schemes()

    # then every file is there with its id, and none lacks a name or a source
    assert [info["id"] for info in listed] == SHIPPED
    assert {
        "anyang-2017",
        "zucheng-2022",
        "xiqing-tianjin",
        "zutingzi-2012-6",
        "wuxing-chuangping",
        "xingjihua-guanli",
    } <= set(SHIPPED)
    assert [info for info in listed if not info["name"].strip() or not info["source"].strip()] == []


# ------------------------------------------------------------------ 邹城


def test_it_weighs_satisfaction_thirty_percent_in_the_zucheng_composite():
    # given a satisfaction rate of 80 % and a superior's score of 95, without a self-evaluation
    organization = {"id": "ZC-1", "components": {"superior": 95}, "satisfaction": 0.8}

    # when it is rated under 邹城
    rating = rate("zucheng-2022", organization)

    # then the base is 0.3 × 80 % × 100 + 0.7 × 95 = 90.50: five stars, with the satisfaction part's line
    result = rating.find("ZC-1")
    assert result.base_source == "components"
    assert result.base_score == 9050
    assert result.final_score == 9050
    assert result.stars == 5
    assert [reason.message for reason in result.reasons] == ["满意率80%，按30%计入24分（满意度占30%）"]


def test_it_refuses_a_zucheng_composite_without_the_superior_score():
    # given components with only a survey score, which 邹城 does not weigh, and a satisfaction rate
    # when it is parsed under 邹城
    error = refusal("zucheng-2022", {"id": "ZC-2", "components": {"survey": 80}, "satisfaction": 0.8})

    # then the missing superior score is named, and nothing else
    assert [(problem.field, problem.organization) for problem in error.problems] == [("components.superior", "ZC-2")]


def test_it_caps_zucheng_at_two_stars_below_sixty_percent_satisfaction():
    # given three organizations with 95 points: satisfaction 59.99 %, 60 %, none
    organizations = [
        {"id": "ZC-LOW", "base_score": 95, "satisfaction": "59.99%"},
        {"id": "ZC-SIXTY", "base_score": 95, "satisfaction": 0.6},
        {"id": "ZC-NONE", "base_score": 95},
    ]

    # when they are rated under 邹城
    rating = rate("zucheng-2022", *organizations)

    # then only the one below 60 % is capped at two stars, with its reason
    assert stars(rating) == {"ZC-LOW": 2, "ZC-SIXTY": 5, "ZC-NONE": 5}
    reason = rating.find("ZC-LOW").reasons[0]
    assert (reason.rule, reason.effect, reason.from_level, reason.to_level) == ("satisfaction_cap", "cap", 5, 2)
    assert reason.message == ("群众满意度59.99%，低于60%，最高评为二星级，由五星级调整为二星级（满意度低于60%）")
    assert rules_applied(rating, "ZC-SIXTY") == []
    assert rules_applied(rating, "ZC-NONE") == []


def test_it_has_no_quota_in_zucheng_even_when_everyone_is_five_star():
    # given ten five-star organizations
    organizations = [{"id": f"ZC-{n}", "base_score": 95} for n in range(10)]

    # when quotas are enforced under 邹城
    rating = rate("zucheng-2022", *organizations, quota_mode="enforce")

    # then nobody moves
    assert rating.quota_checks == []
    assert set(stars(rating).values()) == {5}


# ------------------------------------------------------------------ 天津西青


def test_it_enforces_the_xiqing_five_good_ceiling_and_lagging_floor():
    # given ten organizations, three in the five-star band and none at one star or below
    scores = ["99", "97", "96", "90", "88", "86", "80", "78", "70", "66"]
    organizations = [{"id": f"XQ-{n}", "base_score": score} for n, score in enumerate(scores)]

    # when quotas are enforced under 西青
    rating = rate("xiqing-tianjin", *organizations, quota_mode="enforce")

    # then one five-star is kept (10 % of 10), and the lowest-ranked organization
    # is moved to one star to fill the 10 % lagging floor
    assert stars(rating) == {
        "XQ-0": 5,
        "XQ-1": 4,
        "XQ-2": 4,
        "XQ-3": 4,
        "XQ-4": 4,
        "XQ-5": 4,
        "XQ-6": 3,
        "XQ-7": 3,
        "XQ-8": 2,
        "XQ-9": 1,
    }
    ceiling, communities, floor = rating.quota_checks
    assert (ceiling.code, ceiling.limit, ceiling.count_before, ceiling.count_after, ceiling.moved) == (
        "five_good_ceiling",
        1,
        3,
        1,
        ["XQ-1", "XQ-2"],
    )
    # no community among them: the communities' floor has an empty base
    assert (communities.code, communities.population, communities.limit, communities.moved) == (
        "lagging_floor_communities",
        0,
        0,
        [],
    )
    # the others' 5 % of 10, rounded up, is 1
    assert (floor.code, floor.population, floor.limit, floor.count_before, floor.count_after, floor.moved) == (
        "lagging_floor_others",
        10,
        1,
        0,
        1,
        ["XQ-9"],
    )
    assert rules_applied(rating, "XQ-9") == ["lagging_floor_others"]
    assert rating.find("XQ-9").reasons[0].message == (
        "后进（一星级及以下）数量不足社区以外各类10个组织的5%（应至少1个），按排名由二星级调整为一星级（比例控制）"
    )


def test_it_only_reports_the_xiqing_quotas_in_warn_mode():
    # given the same three five-star organizations among ten
    scores = ["99", "97", "96", "90", "88", "86", "80", "78", "70", "66"]
    organizations = [{"id": f"XQ-{n}", "base_score": score} for n, score in enumerate(scores)]

    # when quotas are only checked
    rating = rate("xiqing-tianjin", *organizations, quota_mode="warn")

    # then the moves are reported and no level changes
    assert [check.moved for check in rating.quota_checks] == [["XQ-1", "XQ-2"], [], ["XQ-9"]]
    assert [result.stars for result in rating.results] == [5, 5, 5, 4, 4, 4, 3, 3, 2, 2]
    assert [result.reasons for result in rating.results] == [[] for _ in scores]


# ------------------------------------------------------------------ 组厅字〔2012〕6号


def test_it_keeps_a_zutingzi_organization_below_ninety_percent_satisfaction_at_average():
    # given 92 points with 89 % and with 90 % satisfaction
    organizations = [
        {"id": "ZT-89", "base_score": 92, "satisfaction": 0.89},
        {"id": "ZT-90", "base_score": 92, "satisfaction": 0.90},
    ]

    # when they are rated under 组厅字〔2012〕6号
    rating = rate("zutingzi-2012-6", *organizations)

    # then 89 % cannot be 好 or 较好 and is 一般 (value 2); 90 % is 好
    assert stars(rating) == {"ZT-89": 2, "ZT-90": 4}
    assert rating.scheme.level_name(rating.find("ZT-89").stars) == "一般"
    reason = rating.find("ZT-89").reasons[0]
    assert (reason.rule, reason.from_level, reason.to_level) == ("satisfaction_cap", 4, 2)
    assert reason.message == ("满意率89%，低于90%，不得评为“好”“较好”，最高为“一般”，由好调整为一般（满意率低于90%）")
    assert rules_applied(rating, "ZT-90") == []


def test_it_leaves_a_zutingzi_organization_already_below_the_cap_where_it_is():
    # given a 较好 score and a 较差 score, both below 90 % satisfaction
    organizations = [
        {"id": "ZT-GOOD", "base_score": 85, "satisfaction": 0.5},
        {"id": "ZT-POOR", "base_score": 55, "satisfaction": 0.5},
    ]

    # when they are rated
    rating = rate("zutingzi-2012-6", *organizations)

    # then 较好 falls to 一般 and 较差 stays 较差
    assert stars(rating) == {"ZT-GOOD": 2, "ZT-POOR": 1}
    poor = rating.find("ZT-POOR").reasons[0]
    assert (poor.from_level, poor.to_level) == (1, 1)


def test_it_refuses_a_zutingzi_previous_level_that_is_not_a_class():
    # given a previous level of 5, which the four classes do not have
    # when it is parsed under 组厅字〔2012〕6号
    error = refusal("zutingzi-2012-6", {"id": "ZT-X", "base_score": 80, "previous_stars": 5})

    # then previous_stars is named
    assert [problem.field for problem in error.problems] == ["previous_stars"]


# ------------------------------------------------------------------ 五星创评


def test_it_needs_an_innovation_project_for_five_stars_in_wuxing():
    # given 95 points with and without an innovation project
    organizations = [
        {"id": "WX-NO", "base_score": 95},
        {"id": "WX-YES", "base_score": 95, "innovation_project": "是"},
        {"id": "WX-FOUR", "base_score": 85},
    ]

    # when they are rated under 五星创评
    rating = rate("wuxing-chuangping", *organizations)

    # then without the project it is four stars, with it five; a four-star
    # organization without one is noted as not affected
    assert stars(rating) == {"WX-NO": 4, "WX-YES": 5, "WX-FOUR": 4}
    four = rating.find("WX-FOUR").reasons[0]
    assert (four.rule, four.from_level, four.to_level) == ("innovation_project_required", 4, 4)
    assert four.message == "无党建创新项目，不得评为五星级，最高为四星级，现为四星级，不受影响（五星条件）"
    reason = rating.find("WX-NO").reasons[0]
    assert (reason.rule, reason.effect, reason.from_level, reason.to_level) == (
        "innovation_project_required",
        "cap",
        5,
        4,
    )
    assert reason.message == "无党建创新项目，不得评为五星级，最高为四星级，由五星级调整为四星级（五星条件）"
    assert rules_applied(rating, "WX-YES") == []


def test_it_scores_wuxing_on_a_110_point_scale():
    # given a base score of 110, over the 100 of other schemes
    # when it is rated under 五星创评
    rating = rate("wuxing-chuangping", {"id": "WX-FULL", "base_score": 110, "innovation_project": True})

    # then 110 is accepted as full marks
    result = rating.find("WX-FULL")
    assert (result.base_score, result.final_score, result.stars) == (11000, 11000, 5)


def test_it_refuses_a_wuxing_score_above_110():
    # given 110.01 points
    # when it is parsed
    error = refusal("wuxing-chuangping", {"id": "WX-OVER", "base_score": "110.01"})

    # then base_score is named
    assert [(problem.field, problem.message) for problem in error.problems] == [
        ("base_score", "分数 110.01 超过该项满分 110.00")
    ]


def test_it_accepts_village_criteria_for_a_village_and_office_criteria_for_an_office():
    # given a village scored on the shared and the village criteria, and an
    # office on the shared and the office criteria, each at full marks
    shared = {"1": 15, "2": 15, "3": 15, "4": 15, "5": 10}
    organizations = [
        {
            "id": "WX-VILLAGE",
            "category": "村",
            "criteria": {**shared, "cs1": 20, "cs2": 20},
            "innovation_project": True,
        },
        {"id": "WX-COMMUNITY", "category": "社区", "criteria": {"cs1": 18.5, "cs2": 12}},
        {"id": "WX-OFFICE", "category": "机关", "criteria": {**shared, "jg1": 20, "jg2": 19.5}},
    ]

    # when they are rated under 五星创评
    rating = rate("wuxing-chuangping", *organizations)

    # then the criteria are summed per category
    assert [(r.id, r.base_source, r.base_score, r.stars) for r in rating.results] == [
        ("WX-VILLAGE", "criteria", 11000, 5),
        ("WX-COMMUNITY", "criteria", 3050, 0),
        ("WX-OFFICE", "criteria", 10950, 4),
    ]


def test_it_refuses_a_village_criterion_for_an_office():
    # given an office scored on a village criterion
    # when it is parsed under 五星创评
    error = refusal("wuxing-chuangping", {"id": "WX-OFFICE", "category": "机关", "criteria": {"1": 15, "cs1": 20}})

    # then the field is named with the criteria an office may use
    assert [(problem.organization, problem.field, problem.message) for problem in error.problems] == [
        ("WX-OFFICE", "criteria.cs1", "评定方案中没有这一项（可用：1、2、3、4、5、jg1、jg2）")
    ]


def test_it_refuses_category_criteria_for_an_organization_without_that_category():
    # given an organization of no category, and one of a category the scheme
    # does not list, both scored on office criteria
    organizations = [
        {"id": "WX-NONE", "criteria": {"jg1": 20}},
        {"id": "WX-SOE", "category": "国企", "criteria": {"jg2": 20}},
    ]

    # when they are parsed
    scheme = load_scheme("wuxing-chuangping")
    with pytest.raises(InputError) as caught:
        parse_organizations([Record(f"第{n}个组织", data) for n, data in enumerate(organizations, 1)], scheme)

    # then both are refused, each naming its field
    assert [(problem.organization, problem.field, problem.message) for problem in caught.value.problems] == [
        ("WX-NONE", "criteria.jg1", "评定方案中没有这一项（可用：1、2、3、4、5）"),
        ("WX-SOE", "criteria.jg2", "评定方案中没有这一项（可用：1、2、3、4、5）"),
    ]


def test_it_refuses_a_village_criterion_over_its_maximum():
    # given a village criterion scored 20.5 of 20
    # when it is parsed
    error = refusal("wuxing-chuangping", {"id": "WX-V", "category": "村", "criteria": {"cs2": 20.5}})

    # then the criterion is named with its maximum
    assert [(problem.field, problem.message) for problem in error.problems] == [
        ("criteria.cs2", "分数 20.5 超过该项满分 20.00")
    ]


def test_it_lets_a_wuxing_organization_rise_one_level_a_year():
    # given a two-star organization of last year now in the four-star band,
    # and the same with a city commendation
    organizations = [
        {"id": "WX-RISE", "base_score": 85, "previous_stars": 2},
        {"id": "WX-HONOURED", "base_score": 85, "previous_stars": 2, "commendations": ["市级"]},
        {"id": "WX-STEADY", "base_score": 85, "previous_stars": 3},
        {"id": "WX-FIRST", "base_score": 85},
    ]
    organizations = [{**organization, "innovation_project": True} for organization in organizations]

    # when they are rated under 五星创评
    rating = rate("wuxing-chuangping", *organizations)

    # then the rise is capped at three stars unless the city honoured it
    assert stars(rating) == {"WX-RISE": 3, "WX-HONOURED": 4, "WX-STEADY": 4, "WX-FIRST": 4}
    reason = rating.find("WX-RISE").reasons[0]
    assert (reason.rule, reason.effect, reason.from_level, reason.to_level) == ("rise_one_level", "max_rise", 4, 3)
    assert reason.message == "上年为2星，每年最多晋升一个星级，由四星级调整为三星级（晋位升级）"
    assert rules_applied(rating, "WX-HONOURED") == []
    assert rules_applied(rating, "WX-FIRST") == []


def test_it_leaves_a_newly_founded_wuxing_organization_unrated():
    # given a newly founded organization with full marks and an innovation project
    organization = {"id": "WX-NEW", "base_score": 110, "innovation_project": True, "newly_founded": True}

    # when it is rated under 五星创评
    rating = rate("wuxing-chuangping", organization)

    # then it gets no star, whatever its score
    result = rating.find("WX-NEW")
    assert (result.band, result.stars) == (5, 0)
    reason = result.reasons[0]
    assert (reason.rule, reason.effect, reason.to_level) == ("newly_founded", "set", 0)
    assert reason.message == "新成立的党组织当年不评星，定为不定星级，由五星级调整为不定星级（新建组织）"


def test_it_enforces_the_wuxing_shares_level_by_level():
    # given ten organizations, all in the five-star band with an innovation project
    organizations = [{"id": f"WX-{n}", "base_score": 100 - n, "innovation_project": True} for n in range(10)]

    # when quotas are enforced under 五星创评
    rating = rate("wuxing-chuangping", *organizations, quota_mode="enforce")

    # then 1 stays five, 3 four, 4 three and the last 2 fall to two stars, in rank order
    assert [result.stars for result in rating.results] == [5, 4, 4, 4, 3, 3, 3, 3, 2, 2]
    assert [(check.code, check.limit, check.count_before, check.count_after) for check in rating.quota_checks] == [
        ("five_star_ceiling", 1, 10, 1),
        ("four_star_ceiling", 3, 9, 3),
        ("three_star_ceiling", 4, 6, 4),
        ("two_star_or_below_floor", 2, 2, 2),
    ]
    assert rules_applied(rating, "WX-9") == ["five_star_ceiling", "four_star_ceiling", "three_star_ceiling"]


# ------------------------------------------------------------------ 星级化管理


def test_it_moves_the_excess_of_the_xingjihua_grades_to_the_grade_below():
    # given ten organizations in the three-star band and none above
    organizations = [{"id": f"XJ-{n}", "base_score": 79 - n / 2} for n in range(10)]

    # when quotas are enforced under 星级化管理
    rating = rate("xingjihua-guanli", *organizations, quota_mode="enforce")

    # then three stay three-star (30 % of 10) and the rest have no grade
    assert [result.stars for result in rating.results] == [3, 3, 3, 0, 0, 0, 0, 0, 0, 0]
    assert [(check.code, check.count_before, check.count_after) for check in rating.quota_checks] == [
        ("five_star_ceiling", 0, 0),
        ("four_star_ceiling", 0, 0),
        ("three_star_ceiling", 10, 3),
    ]


# ------------------------------------------------------------------ refusals

VALID = """\
id = "x"
name = "测试方案"
source = "测试"

[composite]
weights = { self = 0.2, survey = 0.3, superior = 0.5 }

[[levels]]
value = 0
name = "不定星级"
min_score = 0
max_score = 60

[[levels]]
value = 1
name = "一星级"
min_score = 60
max_score = 100

[[adjustments]]
code = "absence"
type = "deduction"
kind = "per_count"
fact = "absences"
points = 3
message = "缺席{count}次，扣{points}分"

[[level_rules]]
code = "veto"
effect = "set"
level = 0
when = { fact = "satisfaction", op = "<", value = 0.5 }
message = "满意率{satisfaction}，{change}"

[[quotas]]
code = "ceiling"
label = "一星级不超过10%"
levels = [1]
max_share = 0.1
message = "超过{share}，{change}"
"""


def changed(old: str, new: str) -> str:
    assert VALID.count(old) == 1
    return VALID.replace(old, new)


def test_it_accepts_the_scheme_the_refusals_start_from():
    # given the valid scheme
    # when it is parsed
    scheme = parse_scheme(VALID, source="x.toml")

    # then every part is read
    assert (scheme.id, len(scheme.levels), len(scheme.adjustments), len(scheme.level_rules), len(scheme.quotas)) == (
        "x",
        2,
        1,
        1,
        1,
    )


@pytest.mark.parametrize(
    ("text", "key", "reason"),
    [
        pytest.param(
            changed('id = "x"', 'id = "x"\ncolour = "red"'), "colour", "未知的键（允许：", id="unknown top-level key"
        ),
        pytest.param(
            changed("points = 3", "points = 3\nlimits = 9"),
            "adjustments[0].limits",
            "未知的键（允许：",
            id="unknown key in an adjustment",
        ),
        pytest.param(
            changed("max_score = 60", "max_score = 70"),
            "levels",
            "分数段“不定星级”与“一星级”重叠",
            id="overlapping bands",
        ),
        pytest.param(
            changed("max_score = 60", "max_score = 50"),
            "levels",
            "分数段“不定星级”与“一星级”之间有空档",
            id="gap between bands",
        ),
        pytest.param(
            changed("points = 3", "points = -3"),
            "adjustments[0].points",
            '分值不能为负数（扣分请用 type = "deduction"）',
            id="negative points",
        ),
        pytest.param(
            changed("levels = [1]", "levels = [7]"),
            "quotas[0].levels",
            "应为 levels 中已有等级值的非空数组",
            id="quota on an unknown level",
        ),
        pytest.param(
            changed("superior = 0.5", "superior = 0.4"),
            "composite.weights",
            "权重之和应为 1",
            id="weights not summing to 1",
        ),
        pytest.param(
            changed('code = "veto"', 'code = "absence"'),
            "level_rules[0].code",
            "规则代码“absence”重复",
            id="duplicate rule code",
        ),
        pytest.param(
            changed('fact = "satisfaction"', 'fact = "weather"'),
            "level_rules[0].when.fact",
            "未知的事实“weather”",
            id="unknown fact in a condition",
        ),
        pytest.param(
            changed("缺席{count}次", "缺席{colour}次"),
            "adjustments[0].message",
            "消息模板中的字段 {colour} 未知（可用：",
            id="unknown placeholder in a message",
        ),
        pytest.param(
            changed("max_share = 0.1", "max_share = 1.5"),
            "quotas[0].max_share",
            "比例应在 0 到 1 之间",
            id="share above one",
        ),
        pytest.param(
            changed("level = 0", "level = 3"),
            "level_rules[0].level",
            "等级值 3 不在 levels 中",
            id="level rule on an unknown level",
        ),
        pytest.param(
            changed(
                "max_score = 100",
                'max_score = 100\n\n[[criteria]]\ncode = "1"\nname = "甲"\ncategories = ["村"]\nmax = 101',
            ),
            "criteria",
            "类别“村”评定内容满分合计超过总分",
            id="category criteria over full marks",
        ),
        pytest.param(VALID + "[[levels]\n", "file", "不是有效的 TOML：", id="invalid TOML"),
    ],
)
def test_it_refuses_a_broken_scheme_naming_the_file_the_key_and_the_reason(text, key, reason):
    # given a scheme with one mistake
    # when it is parsed
    with pytest.raises(SchemeError) as caught:
        parse_scheme(text, source="x.toml")

    # then the error names the file, the key and why
    error = caught.value
    assert (error.source, error.key) == ("x.toml", key)
    assert error.reason.startswith(reason)
    assert str(error) == f"x.toml: {key}: {error.reason}"


def test_it_refuses_an_unknown_scheme_name_listing_the_shipped_ones():
    # given a name no scheme has
    # when it is loaded
    with pytest.raises(SchemeError) as caught:
        load_scheme("no-such-scheme")

    # then the name is given back with the shipped schemes
    error = caught.value
    assert (error.source, error.key) == ("no-such-scheme", "scheme")
    assert error.reason == f"找不到该评定方案（内置方案：{'、'.join(SHIPPED)}）"
