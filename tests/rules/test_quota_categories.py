"""Quotas by category and by level, with their rounding (issue 17, item 1).

A quota's base is everyone rated together, the organizations of its
``categories``, or those of none of its ``not_categories`` (no category
included); only the base is counted, ranked and moved. The limit is
share × the base's size, rounded down for a ceiling and up for a floor unless
``rounding`` says floor, ceil or round (half up).
"""

from __future__ import annotations

import pytest

from xingji.rules import Engine, load_scheme, parse_organizations
from xingji.rules.explain import explanation, quota_base_text, summary_to_dict
from xingji.rules.inputs import Record
from xingji.rules.quota import count_check, quota_limit
from xingji.rules.scheme import Scheme, SchemeError, parse_scheme

XIQING = load_scheme("xiqing-tianjin")
FIRST_YEAR = load_scheme("shounian-xianzhi")

LEVELS = """
id = "test-quota"
name = "测试方案"
source = "测试"

[[levels]]
value = 0
name = "不定星级"
min_score = 0
max_score = 60

[[levels]]
value = 1
name = "一星级"
min_score = 60
max_score = 80

[[levels]]
value = 5
name = "五星级"
min_score = 80
max_score = 100
"""


def scheme_with(quota: str) -> Scheme:
    return parse_scheme(LEVELS + "\n[[quotas]]\n" + quota)


CEILING = """
code = "ceiling"
label = "五星级不超过10%"
levels = [5]
max_share = 0.10
message = "五星级超过{base}的{share}（限{limit}个），{change}"
"""


def rate(scheme: Scheme, records: list[dict], quota_mode: str = "enforce"):
    organizations = parse_organizations(
        [Record(f"第{number}个组织", data) for number, data in enumerate(records, start=1)], scheme
    )
    return Engine(scheme).rate(organizations, quota_mode=quota_mode)


def orgs(prefix: str, scores: list[float], category: str | None) -> list[dict]:
    extra = {"category": category} if category else {}
    return [{"id": f"{prefix}-{n:02d}", "base_score": score, **extra} for n, score in enumerate(scores)]


def stars(rating) -> dict[str, int]:
    return {result.id: result.stars for result in rating.results}


def check(rating, code: str):
    [found] = [c for c in rating.quota_checks if c.code == code]
    return found


# ---------------------------------------------------------------- 天津西青: a floor per category


def test_xiqing_fills_each_lagging_floor_from_its_own_category_only():
    # given 12 communities (90 down to 79) and 8 other organizations (80 down to 74, and 机关-07 at 66,
    # below every community), none lagging, none five-star
    communities = orgs("社区", [90 - n for n in range(12)], "社区")
    others = orgs("机关", [80 - n for n in range(7)] + [66], "机关")

    # when quotas are enforced
    rating = rate(XIQING, communities + others)

    # then 10 % of 12 communities, rounded up, is 2: the two lowest communities become one-star,
    # although 机关-07 ranks below them; 5 % of 8 others, rounded up, is 1: 机关-07
    community_floor = check(rating, "lagging_floor_communities")
    assert (community_floor.population, community_floor.limit, community_floor.moved) == (12, 2, ["社区-10", "社区-11"])
    others_floor = check(rating, "lagging_floor_others")
    assert (others_floor.population, others_floor.limit, others_floor.moved) == (8, 1, ["机关-07"])
    assert {oid for oid, level in stars(rating).items() if level == 1} == {"社区-10", "社区-11", "机关-07"}

    # and the explanation says the base
    result = rating.find("社区-11")
    assert explanation(result, XIQING)[-2] == (
        "后进（一星级及以下）数量不足社区类12个组织的10%（应至少2个），按排名由三星级调整为一星级（比例控制）"
    )
    assert "社区以外各类8个组织的5%" in explanation(rating.find("机关-07"), XIQING)[-2]


def test_xiqing_counts_an_organization_without_a_category_among_the_others():
    # given a community and an organization with no category, both at three stars
    records = [{"id": "C", "base_score": 80, "category": "社区"}, {"id": "N", "base_score": 80}]

    # when quotas are checked
    rating = rate(XIQING, records, quota_mode="warn")

    # then each floor has a base of one, which a 10 % / 5 % floor rounded up makes one organization
    assert [(c.code, c.population, c.limit, c.moved) for c in rating.quota_checks] == [
        ("five_good_ceiling", 2, 0, []),
        ("lagging_floor_communities", 1, 1, ["C"]),
        ("lagging_floor_others", 1, 1, ["N"]),
    ]
    assert stars(rating) == {"C": 3, "N": 3}  # warn: nothing moves


def test_xiqing_keeps_the_five_good_ceiling_over_everyone():
    # given 10 five-star communities and 10 five-star others
    records = orgs("社区", [99] * 10, "社区") + orgs("机关", [98] * 10, "机关")

    # when quotas are enforced
    rating = rate(XIQING, records)

    # then 10 % of all 20 may stay five-star: the two best, both communities
    ceiling = check(rating, "five_good_ceiling")
    assert (ceiling.population, ceiling.limit, ceiling.count_after) == (20, 2, 2)
    assert [oid for oid, level in stars(rating).items() if level == 5] == ["社区-00", "社区-01"]


def test_an_empty_category_leaves_its_quota_without_a_base():
    # given no community at all
    rating = rate(XIQING, orgs("机关", [70, 80, 90], "机关"))

    # then the communities' floor counts nobody, asks for nobody and moves nobody
    floor = check(rating, "lagging_floor_communities")
    assert (floor.population, floor.limit, floor.count_before, floor.count_after, floor.moved) == (0, 0, 0, 0, [])
    assert floor.satisfied_before
    assert summary_to_dict(rating)["quota"]["checks"][1]["base"] == {
        "population": 0,
        "text": "社区类",
        "categories": ["社区"],
    }
    assert quota_base_text(floor) == "社区类0个组织（向上取整）"


# ---------------------------------------------------------------- rounding, a category of one


@pytest.mark.parametrize(("rounding", "limit", "kept"), [("floor", 0, 4), ("ceil", 1, 5), ("round", 0, 4)])
def test_a_category_of_one_meets_the_rounding_of_its_ceiling(rounding, limit, kept):
    # given a ceiling of 10 % over the communities, rounded as stated, and a single community at five stars
    scheme = scheme_with(CEILING + f'categories = ["社区"]\nrounding = "{rounding}"\nmove_to = 1\n')
    records = [{"id": "C", "base_score": 95, "category": "社区"}, *orgs("X", [95] * 5, "村")]

    # when quotas are enforced
    rating = rate(scheme, records)

    # then 10 % of 1 is 0.1: down or to the nearest it is 0 and the community moves; up it is 1 and it stays
    ceiling = check(rating, "ceiling")
    assert (ceiling.population, ceiling.limit, ceiling.rounding) == (1, limit, rounding)
    assert rating.find("C").stars == (5 if kept == 5 else 1)
    # the others, outside the base, keep five stars either way
    assert {rating.find(f"X-{n:02d}").stars for n in range(5)} == {5}


@pytest.mark.parametrize(
    ("share", "population", "floor", "ceil", "rounded"),
    [("0.05", 10, 0, 1, 1), ("0.1", 15, 1, 2, 2), ("0.1", 14, 1, 2, 1), ("0.1", 20, 2, 2, 2), ("0.1", 0, 0, 0, 0)],
)
def test_each_rounding_of_a_limit(share, population, floor, ceil, rounded):
    for rounding, expected in (("floor", floor), ("ceil", ceil), ("round", rounded)):
        scheme = scheme_with(CEILING.replace("0.10", share) + f'rounding = "{rounding}"\nmove_to = 1\n')
        assert quota_limit(scheme.quotas[0], population) == expected, rounding


def test_the_default_rounding_is_down_for_a_ceiling_and_up_for_a_floor():
    floor = scheme_with(
        'code = "floor"\nlabel = "保底"\nlevels = [0, 1]\nmin_share = 0.1\nmessage = "不足{share}，{change}"\n'
    ).quotas[0]
    ceiling = scheme_with(CEILING + "move_to = 1\n").quotas[0]
    assert (floor.rounding, floor.rounding_rule, quota_limit(floor, 15)) == ("", "ceil", 2)
    assert (ceiling.rounding, ceiling.rounding_rule, quota_limit(ceiling, 15)) == ("", "floor", 1)


# ---------------------------------------------------------------- ties across the line


def test_a_tie_at_the_cut_line_lists_only_the_base_and_what_decided_it():
    # given 20 communities, three at 95 (five stars), C-B and C-C alike but for their id, and a village
    # at 95 outside the base
    scheme = scheme_with(CEILING + 'categories = ["社区"]\nmove_to = 1\n')
    records = [
        {"id": "C-A", "base_score": 95, "category": "社区", "satisfaction": 0.9},
        {"id": "C-B", "base_score": 95, "category": "社区", "satisfaction": 0.8},
        {"id": "C-C", "base_score": 95, "category": "社区", "satisfaction": 0.8},
        *orgs("C-LOW", [70] * 17, "社区"),
        {"id": "V", "base_score": 95, "category": "村"},
    ]

    # when quotas are enforced (10 % of 20 communities: 2 keep five stars)
    rating = rate(scheme, records)

    # then the two best communities keep it, C-C (tied with C-B on final and base score and satisfaction) moves
    # on id, the tie names only communities; the village is untouched
    ceiling = check(rating, "ceiling")
    assert (ceiling.population, ceiling.limit, ceiling.moved) == (20, 2, ["C-C"])
    assert ceiling.ties == [{"final_score": "95.00", "kept": ["C-A", "C-B"], "moved": ["C-C"], "decided_by": "id"}]
    assert (rating.find("C-C").stars, rating.find("V").stars) == (1, 5)
    assert rating.find("C-C").reasons[-1].message == "五星级超过社区类20个组织的10%（限2个），由五星级调整为一星级"


def test_a_tie_in_warn_mode_is_listed_and_nothing_moves():
    scheme = scheme_with(CEILING + 'not_categories = ["社区"]\nmove_to = 1\n')
    records = [*orgs("V", [95, 95], "村"), *orgs("N", [70] * 8, None), *orgs("C", [95] * 5, "社区")]

    rating = rate(scheme, records, quota_mode="warn")

    ceiling = check(rating, "ceiling")
    assert (ceiling.population, ceiling.limit, ceiling.moved) == (10, 1, ["V-01"])
    assert ceiling.ties == [{"final_score": "95.00", "kept": ["V-00"], "moved": ["V-01"], "decided_by": "id"}]
    assert set(stars(rating).values()) == {5, 1}
    assert summary_to_dict(rating)["quota"]["checks"][0]["would_move"] == ["V-01"]


# ---------------------------------------------------------------- level by level: the first-year scheme


def test_the_first_year_scheme_caps_five_four_and_one_star_level_by_level():
    # given 20 organizations: 4 five-star (99..96), 6 four-star (89..84), 6 three-star, 4 one-star (50..47)
    scores = [99, 98, 97, 96, 89, 88, 87, 86, 85, 84, 75, 75, 75, 75, 75, 75, 50, 49, 48, 47]
    rating = rate(FIRST_YEAR, orgs("O", scores, None))

    # then five-star: 10 % of 20 = 2 stay, O-02 and O-03 move to four stars;
    # four-star: now 8, 20 % = 4 stay, the four lowest (O-06..O-09) move to three;
    # one-star: 5 % = 1 stays (the lowest, O-19), the best three are lifted to two stars (listed from the
    # lowest ranked up: a ceiling that lifts ranks from the bottom)
    assert [(c.code, c.limit, c.count_before, c.count_after) for c in rating.quota_checks] == [
        ("five_star_ceiling", 2, 4, 2),
        ("four_star_ceiling", 4, 8, 4),
        ("one_star_ceiling", 1, 4, 1),
    ]
    assert check(rating, "four_star_ceiling").moved == ["O-06", "O-07", "O-08", "O-09"]
    assert check(rating, "one_star_ceiling").moved == ["O-18", "O-17", "O-16"]
    by_level = rating.by_level()
    assert by_level == {1: 1, 2: 3, 3: 10, 4: 4, 5: 2}
    assert rating.find("O-16").reasons[-1].message == (
        "一星级数量超过全部20个组织的5%（限1个），按排名靠前的由一星级调整为二星级（首年比例控制）"
    )


# ---------------------------------------------------------------- counting levels given (the platform's warnings)


def test_count_check_counts_only_the_base_when_given_the_categories():
    quota = XIQING.quotas[1]  # communities' floor
    levels = [3, 3, 1, 3]
    categories = ["社区", "社区", "村", None]
    found = count_check(quota, levels, categories)
    assert (found.population, found.count_before, found.limit, found.satisfied_before) == (2, 0, 1, False)
    everyone = count_check(XIQING.quotas[0], [5, 5, 3], ["社区", None, "村"])
    assert (everyone.population, everyone.count_before, everyone.limit) == (3, 2, 0)


# ---------------------------------------------------------------- validation


@pytest.mark.parametrize(
    ("extra", "key", "words"),
    [
        ('categories = "社区"\n', "quotas[0].categories", "类别名称数组"),
        ("categories = []\n", "quotas[0].categories", "类别名称数组"),
        ('categories = ["社区", "社区"]\n', "quotas[0].categories", "列出了两次"),
        ('not_categories = [""]\n', "quotas[0].not_categories", "类别名称数组"),
        ('categories = ["社区"]\nnot_categories = ["村"]\n', "quotas[0]", "至多给出一个"),
        ('rounding = "up"\n', "quotas[0].rounding", "floor"),
        ("others = true\n", "quotas[0].others", "未知的键"),
    ],
)
def test_a_broken_quota_base_or_rounding_is_refused_naming_its_key(extra, key, words):
    with pytest.raises(SchemeError) as caught:
        scheme_with(CEILING + "move_to = 1\n" + extra)
    assert caught.value.key == key
    assert words in caught.value.reason


def test_a_quota_by_category_must_say_its_base_in_its_message():
    quota = CEILING.replace("{base}", "总数") + 'categories = ["社区"]\nmove_to = 1\n'
    with pytest.raises(SchemeError) as caught:
        scheme_with(quota)
    assert caught.value.key == "quotas[0].message"
    assert "{base}" in caught.value.reason
