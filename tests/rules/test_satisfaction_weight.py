"""Satisfaction as a weighted part of the composite score (issue 17, item 2).

``[composite] weights`` may include ``satisfaction``: the satisfaction rate ×
full marks counts at its weight (邹城: 30 %), with its own reason line
"满意率x%，按30%计入y分（clause）" after the base score's.
"""

from __future__ import annotations

from decimal import Decimal

import pytest

from xingji.rules import Engine, load_scheme, parse_organizations
from xingji.rules.explain import explanation, result_to_dict
from xingji.rules.inputs import InputError, Organization, Record
from xingji.rules.scheme import SchemeError, parse_scheme

ZUCHENG = load_scheme("zucheng-2022")


def rate_one(data: dict, scheme=ZUCHENG):
    [organization] = parse_organizations([Record("第1个组织", data)], scheme)
    return Engine(scheme).rate([organization], quota_mode="off").results[0]


def test_zucheng_weighs_the_satisfaction_rate_thirty_percent():
    assert ZUCHENG.weights == {"satisfaction": Decimal("0.3"), "superior": Decimal("0.7")}


def test_the_satisfaction_part_is_its_share_of_full_marks_at_its_weight_with_its_reason_line():
    # given 92 % satisfaction and a superior's 85
    result = rate_one({"id": "ZC", "components": {"superior": 85}, "satisfaction": 0.92})

    # then 0.3 × 92 + 0.7 × 85 = 27.6 + 59.5 = 87.10, four stars
    assert (result.base_source, result.base_score, result.stars) == ("components", 8710, 4)
    [reason] = result.reasons
    assert (reason.rule, reason.effect, reason.score, reason.points) == (
        "composite.satisfaction",
        "weighted",
        2760,
        None,
    )
    lines = explanation(result, ZUCHENG)
    assert lines[:2] == [
        "基础分87.10分，为满意率、考评加权综合（权重 满意率0.3、考评0.7）（满意度占30%）",
        "满意率92%，按30%计入27.6分（满意度占30%）",
    ]
    assert lines[-1] == "评定结果：四星级"
    assert result_to_dict(result, ZUCHENG)["reasons"] == [
        {
            "rule": "composite.satisfaction",
            "clause": "满意度占30%",
            "effect": "weighted",
            "score": "27.60",
            "message": "满意率92%，按30%计入27.6分（满意度占30%）",
        }
    ]


def test_the_rate_both_weighs_and_caps_in_zucheng():
    # given 59 % satisfaction and a superior's 100: 17.7 + 70 = 87.70, capped at two stars below 60 %
    result = rate_one({"id": "ZC", "components": {"superior": 100}, "satisfaction": "59%"})
    assert (result.base_score, result.band, result.stars) == (8770, 4, 2)
    assert [reason.rule for reason in result.reasons] == ["composite.satisfaction", "satisfaction_cap"]


def test_the_composite_is_rounded_once_half_up():
    # given 33.335 % satisfaction: 0.3 × 33.335 = 10.0005, + 0.7 × 0 → 10.00
    result = rate_one({"id": "ZC", "components": {"superior": 0}, "satisfaction": Decimal("0.33335")})
    assert result.base_score == 1000


def test_a_batch_row_without_the_satisfaction_rate_is_refused_when_it_is_weighed():
    with pytest.raises(InputError) as caught:
        parse_organizations([Record("第1个组织", {"id": "ZC", "components": {"superior": 85}})], ZUCHENG)
    assert [(p.field, p.organization) for p in caught.value.problems] == [("satisfaction", "ZC")]
    assert "满意率不能为空" in caught.value.problems[0].message


def test_a_given_base_score_needs_no_satisfaction_rate_and_has_no_weighted_line():
    result = rate_one({"id": "ZC", "base_score": 85})
    assert (result.base_source, result.reasons) == ("base_score", [])


def test_the_engine_counts_a_missing_rate_as_nothing_and_says_so():
    # an organization built directly (not through the input reader), without a rate
    organization = Organization("ZC", components={"superior": 9000})
    result = Engine(ZUCHENG).rate_one(organization)
    assert result.base_score == 6300
    assert result.reasons[0].message == "无满意率（未测评），满意率部分按30%计入0分（满意度占30%）"
    assert Engine(ZUCHENG).score(organization) == (6300, 2)


def test_score_agrees_with_rate_one_for_a_weighted_rate():
    organization = Organization("ZC", components={"superior": 8000}, satisfaction=Decimal("0.875"))
    engine = Engine(ZUCHENG)
    result = engine.rate_one(organization)
    assert engine.score(organization) == (result.final_score, result.stars) == (8225, 4)


SCHEME = """
id = "w"
name = "权重"
source = "测试"

[composite]
weights = {weights}

[[levels]]
value = 1
name = "一星级"
min_score = 0
max_score = 100
"""


def test_satisfaction_is_a_weight_name_and_the_weights_still_sum_to_one():
    scheme = parse_scheme(SCHEME.replace("{weights}", "{ self = 0.2, satisfaction = 0.3, superior = 0.5 }"))
    assert scheme.weights["satisfaction"] == Decimal("0.3")
    with pytest.raises(SchemeError) as caught:
        parse_scheme(SCHEME.replace("{weights}", "{ satisfaction = 0.4, superior = 0.7 }"))
    assert caught.value.key == "composite.weights"
    with pytest.raises(SchemeError) as caught:
        parse_scheme(SCHEME.replace("{weights}", "{ satisfied = 0.3, superior = 0.7 }"))
    assert caught.value.key == "composite.weights.satisfied"
