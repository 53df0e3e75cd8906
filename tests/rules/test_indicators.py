"""Branch-work indicators (组织生活落实率、按时交纳党费比例、民主评议党员覆盖率) in the rating.

A scheme may show an indicator beside a criterion (``shows``) or score the
criterion from it (``scored_by``, by steps or proportionally). The engine
scores such a criterion from the indicator whenever the organization has it,
overriding a typed score, with a reason naming the clause; without the
indicator the typed score stands.
"""

from __future__ import annotations

from dataclasses import replace
from decimal import Decimal

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from tests.rules.test_guidance_properties import organizations, reached

from xingji.rules import load_scheme
from xingji.rules.engine import Engine
from xingji.rules.explain import explanation, result_to_dict
from xingji.rules.guidance import POINTS, apply_changes, guidance, headroom
from xingji.rules.inputs import InputError, Organization, Record, parse_organizations
from xingji.rules.scheme import FACTS, INDICATOR_FACTS, SchemeError, parse_scheme

HEAD = """
id = "t"
name = "测试方案"
source = "测试"
full_marks = 100
criteria_clause = "评分细则"
[[levels]]
value = 0
name = "未定级"
min_score = 0
max_score = 60
[[levels]]
value = 1
name = "达标"
min_score = 60
max_score = 100
"""

STEPS = """
[[criteria]]
code = "1"
name = "组织生活"
max = 20
scored_by = { fact = "meetings.compliance", clause = "细则一", method = "steps", steps = [
    { at_least = 1, points = 20 },
    { at_least = 0.9, points = 16 },
    { at_least = 0.6, points = 8 },
], message = "组织生活落实率{value}，得{points}分（满分{max}分）" }

[[criteria]]
code = "2"
name = "其他"
max = 80
shows = ["dues.paid_on_time", "appraisal.coverage"]
"""

PROPORTIONAL = """
[[criteria]]
code = "1"
name = "党费"
max = 15
scored_by = { fact = "dues.paid_on_time", clause = "细则二", method = "proportional" }

[[criteria]]
code = "2"
name = "其他"
max = 85
"""


def scheme_with(criteria: str):
    return parse_scheme(HEAD + criteria, source="t.toml")


def organization(**facts) -> Organization:
    return Organization(id="A", criteria={"1": 500, "2": 6000}, **facts)


def criterion_text(body: str) -> str:
    return f"""
[[criteria]]
code = "1"
name = "组织生活"
max = 20
{body}
"""


# ------------------------------------------------------------------ input


@pytest.mark.parametrize(
    ("value", "share"),
    [(0.92, Decimal("0.92")), ("92%", Decimal("0.92")), ("92％", Decimal("0.92")), (1, Decimal(1)), ("0", Decimal(0))],
)
def test_it_reads_each_indicator_as_a_share_spelled_like_satisfaction(value, share):
    # Given the three nested indicator fields
    data = {
        "id": "A",
        "base_score": 80,
        "meetings": {"compliance": value},
        "dues": {"paid_on_time": value},
        "appraisal": {"coverage": value},
    }

    # When they are read
    [read] = parse_organizations([Record("第1个组织", data)], load_scheme("anyang-2017"))

    # Then each is the share
    assert (read.meetings_compliance, read.dues_paid_on_time, read.appraisal_coverage) == (share, share, share)


def test_it_leaves_an_absent_or_blank_indicator_unknown():
    data = {"id": "A", "base_score": 80, "meetings": {"compliance": ""}}

    [read] = parse_organizations([Record("第1个组织", data)], load_scheme("anyang-2017"))

    assert (read.meetings_compliance, read.dues_paid_on_time, read.appraisal_coverage) == (None, None, None)


def test_it_refuses_an_indicator_outside_zero_to_one_naming_the_field_and_the_indicator():
    data = {"id": "A", "base_score": 80, "meetings": {"compliance": "120%"}, "dues": {"paid_on_time": "很好"}}

    with pytest.raises(InputError) as raised:
        parse_organizations([Record("第3行", data, {"meetings.compliance": "组织生活落实率"})], load_scheme())

    assert [str(problem) for problem in raised.value.problems] == [
        "第3行（A） 字段 meetings.compliance（组织生活落实率）：组织生活落实率 120% 应在 0 到 1 之间（如 0.72 或 72%）",
        "第3行（A） 字段 dues.paid_on_time：按时交纳党费比例“很好”不是数字",
    ]


def test_it_refuses_an_unknown_indicator_subfield():
    data = {"id": "A", "base_score": 80, "meetings": {"held": 3}}

    with pytest.raises(InputError) as raised:
        parse_organizations([Record("第1个组织", data)], load_scheme())

    assert [problem.message for problem in raised.value.problems] == ["未知的子字段“held”（允许：compliance）"]


def test_it_registers_the_indicators_as_share_facts_usable_in_conditions():
    # Given a level rule on an indicator
    scheme = scheme_with(
        STEPS
        + """
[[level_rules]]
code = "few_meetings"
effect = "cap"
level = 0
when = { fact = "meetings.compliance", op = "<", value = 0.5 }
message = "组织生活落实率{meetings_compliance}，不予定级"
"""
    )
    assert {name: FACTS[name][1] for name in INDICATOR_FACTS} == dict.fromkeys(INDICATOR_FACTS, "share")

    # When an organization with a low compliance is rated
    result = Engine(scheme).rate_one(Organization(id="A", base_score=9000, meetings_compliance=Decimal("0.4")))

    # Then the rule applies and its message quotes the share as a percentage
    assert result.stars == 0
    assert result.reasons[-1].message == "组织生活落实率40%，不予定级"


# ------------------------------------------------------------------ scheme


def test_it_exposes_shows_and_scored_by_on_the_criteria():
    scheme = scheme_with(STEPS)
    first, second = scheme.criteria

    assert first.shows == ()
    assert first.scored_by is not None
    assert (first.scored_by.fact, first.scored_by.clause, first.scored_by.method) == (
        "meetings.compliance",
        "细则一",
        "steps",
    )
    assert [(step.at_least, step.points_cents) for step in first.scored_by.steps] == [
        (Decimal(1), 2000),
        (Decimal("0.9"), 1600),
        (Decimal("0.6"), 800),
    ]
    assert first.indicators == ("meetings.compliance",)
    assert second.shows == ("dues.paid_on_time", "appraisal.coverage")
    assert second.scored_by is None
    assert first.scored_by.rule_text(first.max_cents) == (
        "按组织生活落实率计分：达到100%得20分，达到90%得16分，达到60%得8分，低于各档得0分"
    )


def test_the_shipped_anyang_scheme_shows_indicators_and_scores_nothing_from_them():
    scheme = load_scheme("anyang-2017")
    by_code = {criterion.code: criterion for criterion in scheme.criteria}

    assert by_code["2"].shows == ("meetings.compliance",)
    assert by_code["4"].shows == ("appraisal.coverage", "dues.paid_on_time")
    assert all(criterion.scored_by is None for criterion in scheme.criteria)
    assert [c.code for c in scheme.criteria if c.shows] == ["2", "4"]


def test_the_shipped_wuxing_scheme_scores_its_organizational_life_criterion_by_steps():
    scheme = load_scheme("wuxing-chuangping")
    [scored] = [criterion for criterion in scheme.criteria if criterion.scored_by is not None]

    assert (scored.code, scored.name) == ("3", "组织生活规范严格")
    assert scored.scored_by is not None
    assert scored.scored_by.fact == "meetings.compliance"
    assert scored.scored_by.method == "steps"
    assert scored.scored_by.clause


@pytest.mark.parametrize(
    ("body", "key", "reason"),
    [
        ('shows = ["satisfaction"]', "criteria[0].shows[0]", "“satisfaction”不是可显示或计分的工作指标"),
        ('shows = "meetings.compliance"', "criteria[0].shows", "应为指标名称数组"),
        ('shows = ["dues.paid_on_time", "dues.paid_on_time"]', "criteria[0].shows", "同一指标列出了两次"),
        (
            'scored_by = { fact = "absences", method = "proportional" }',
            "criteria[0].scored_by.fact",
            "“absences”不是可显示或计分的工作指标",
        ),
        (
            'scored_by = { fact = "meetings.compliance", method = "linear" }',
            "criteria[0].scored_by.method",
            "应为 steps（分档）或 proportional（按比例）",
        ),
        (
            'scored_by = { fact = "meetings.compliance", method = "steps" }',
            "criteria[0].scored_by.steps",
            "分档计分需要非空的 steps",
        ),
        (
            'scored_by = { fact = "meetings.compliance", method = "steps", steps = [{ at_least = 0.9, points = 21 }] }',
            "criteria[0].scored_by.steps[0].points",
            "分值 21 超过该项满分 20",
        ),
        (
            'scored_by = { fact = "meetings.compliance", method = "steps", steps = [{ at_least = 1.2, points = 5 }] }',
            "criteria[0].scored_by.steps[0].at_least",
            "比例应在 0 到 1 之间",
        ),
        (
            'scored_by = { fact = "meetings.compliance", method = "steps", steps = [{ at_least = -0.1, points = 5 }] }',
            "criteria[0].scored_by.steps[0].at_least",
            "比例应在 0 到 1 之间",
        ),
        (
            'scored_by = { fact = "meetings.compliance", method = "steps", steps = ['
            "{ at_least = 0.6, points = 5 }, { at_least = 0.9, points = 4 }] }",
            "criteria[0].scored_by.steps[1].at_least",
            "各档的 at_least 应从高到低排列，且互不相同",
        ),
        (
            'scored_by = { fact = "meetings.compliance", method = "steps", steps = ['
            "{ at_least = 0.9, points = 5 }, { at_least = 0.6, points = 8 }] }",
            "criteria[0].scored_by.steps[1].points",
            "较低一档的分值不能高于较高一档",
        ),
        (
            'scored_by = { fact = "meetings.compliance", method = "proportional", steps = [] }',
            "criteria[0].scored_by.steps",
            'method = "proportional" 不用 steps',
        ),
        (
            'scored_by = { fact = "meetings.compliance", method = "proportional", weight = 1 }',
            "criteria[0].scored_by.weight",
            "未知的键",
        ),
        (
            'scored_by = { fact = "meetings.compliance", method = "proportional", message = "得{score}分" }',
            "criteria[0].scored_by.message",
            "消息模板中的字段 {score} 未知",
        ),
        ('scored_by = { method = "proportional" }', "criteria[0].scored_by.fact", "缺少必填的键"),
    ],
)
def test_it_refuses_a_broken_indicator_mapping_naming_the_key(body, key, reason):
    with pytest.raises(SchemeError) as raised:
        scheme_with(criterion_text(body))

    assert raised.value.source == "t.toml"
    assert raised.value.key == key
    assert raised.value.reason.startswith(reason)


# ------------------------------------------------------------------ engine


@pytest.mark.parametrize(
    ("share", "points"),
    [
        ("1", 2000),
        ("0.9999", 1600),
        ("0.9", 1600),
        ("0.8999", 800),
        ("0.6", 800),
        ("0.5999", 0),
        ("0", 0),
    ],
)
def test_it_scores_a_criterion_by_the_first_step_the_indicator_reaches(share, points):
    scheme = scheme_with(STEPS)

    result = Engine(scheme).rate_one(organization(meetings_compliance=Decimal(share)))

    # The typed 5 points for criterion 1 are replaced by the step's points; criterion 2 keeps its 60
    assert result.base_score == points + 6000
    assert result.base_source == "criteria"
    [reason] = result.reasons
    assert (reason.rule, reason.clause, reason.effect, reason.criterion, reason.score, reason.points) == (
        "criteria.1",
        "细则一",
        "criterion",
        "1",
        points,
        None,
    )


@pytest.mark.parametrize(
    ("share", "points"),
    [
        ("1", 1500),
        ("0", 0),
        ("0.5", 750),
        ("0.333", 500),  # 4.995 → 5.00, half-up
        ("0.3329", 499),  # 4.9935 → 4.99
        ("0.0003", 0),  # 0.0045 → 0.00
        ("0.00034", 1),  # 0.0051 → 0.01
    ],
)
def test_it_scores_a_proportional_criterion_as_max_times_share_rounded_half_up_to_the_cent(share, points):
    scheme = scheme_with(PROPORTIONAL)

    result = Engine(scheme).rate_one(Organization(id="A", criteria={"2": 7000}, dues_paid_on_time=Decimal(share)))

    assert result.base_score == 7000 + points
    assert result.reasons[0].score == points


def test_it_overrides_a_typed_score_and_adds_an_untyped_one():
    scheme = scheme_with(STEPS)
    engine = Engine(scheme)

    typed = engine.rate_one(Organization(id="A", criteria={"1": 2000, "2": 6000}, meetings_compliance=Decimal("0.7")))
    untyped = engine.rate_one(Organization(id="A", criteria={"2": 6000}, meetings_compliance=Decimal("0.7")))

    assert typed.base_score == untyped.base_score == 6800
    assert engine.criterion_scores(Organization(id="A", criteria={"1": 2000}, meetings_compliance=Decimal("0.7"))) == {
        "1": 800
    }


def test_it_keeps_the_typed_score_when_the_indicator_is_unknown():
    scheme = scheme_with(STEPS)

    result = Engine(scheme).rate_one(organization())

    assert result.base_score == 6500
    assert result.reasons == []


def test_it_does_not_score_from_an_indicator_when_the_base_score_is_given_directly():
    scheme = scheme_with(STEPS)

    result = Engine(scheme).rate_one(Organization(id="A", base_score=5000, meetings_compliance=Decimal(1)))

    assert (result.base_score, result.base_source, result.reasons) == (5000, "base_score", [])


def test_it_explains_the_computed_criterion_with_its_clause_after_the_base_score():
    scheme = scheme_with(STEPS)
    result = Engine(scheme).rate_one(organization(meetings_compliance=Decimal("0.92")))

    lines = explanation(result, scheme)
    data = result_to_dict(result, scheme)

    assert lines[:2] == [
        "基础分76.00分，为各项评定内容得分合计（评分细则）",
        "组织生活落实率92%，得16分（满分20分）（细则一）",
    ]
    assert lines[-1] == "评定结果：达标"
    assert len(lines) == 4  # base, criterion, band, result: the criterion line is not repeated
    assert data["reasons"] == [
        {
            "rule": "criteria.1",
            "clause": "细则一",
            "effect": "criterion",
            "criterion": "1",
            "score": "16.00",
            "message": "组织生活落实率92%，得16分（满分20分）（细则一）",
        }
    ]


def test_it_words_a_default_message_when_the_scheme_gives_none():
    scheme = scheme_with(PROPORTIONAL)

    result = Engine(scheme).rate_one(Organization(id="A", criteria={}, dues_paid_on_time=Decimal("0.8")))

    assert result.reasons[0].message == "按时交纳党费比例80%，“党费”一项得12分（细则二）"


def test_it_shares_one_reason_between_organizations_with_the_same_indicator():
    scheme = scheme_with(STEPS)
    rating = Engine(scheme).rate(
        [
            Organization(id="A", criteria={}, meetings_compliance=Decimal("0.95")),
            Organization(id="B", criteria={"2": 10}, meetings_compliance=Decimal("0.95")),
        ]
    )

    assert rating.results[0].reasons[0] is rating.results[1].reasons[0]


def test_it_scores_a_category_criterion_only_for_its_category():
    scheme = parse_scheme(
        HEAD
        + """
[[criteria]]
code = "v1"
name = "村组织生活"
categories = ["村"]
max = 20
scored_by = { fact = "meetings.compliance", method = "proportional" }
[[criteria]]
code = "2"
name = "其他"
max = 80
""",
        source="t.toml",
    )
    engine = Engine(scheme)

    village = engine.rate_one(Organization(id="A", category="村", criteria={}, meetings_compliance=Decimal(1)))
    office = engine.rate_one(Organization(id="B", category="机关", criteria={}, meetings_compliance=Decimal(1)))

    assert (village.base_score, office.base_score) == (2000, 0)


# ------------------------------------------------------------------ guidance


def test_guidance_gives_no_headroom_to_a_criterion_scored_from_a_known_indicator():
    scheme = scheme_with(STEPS)
    known = Organization(id="A", criteria={"1": 500, "2": 5000}, meetings_compliance=Decimal("0.7"))
    unknown = Organization(id="A", criteria={"1": 500, "2": 5000})

    # 80 − 50 on criterion 2 only; criterion 1 is the indicator's
    assert headroom(known, scheme) == 3000
    assert headroom(unknown, scheme) == 1500 + 3000

    # Base 8 + 50 = 58: two points to the pass line, asked of criterion 2 alone
    [step] = guidance(known, scheme)
    [change] = step.changes
    assert change.kind == POINTS
    assert change.amount == Decimal("2.00")
    assert [code for code, _, _ in change.headroom] == ["2"]
    [note] = [note for note in step.notes if note.kind == "indicator"]
    assert note.clause == "细则一"
    assert note.message == (
        "1.组织生活按组织生活落实率计分（现为70%，得8分），填报的分数不计入；组织生活落实率达到90%可得16分"
    )


def test_guidance_tells_the_points_per_percent_of_a_proportional_criterion():
    scheme = scheme_with(PROPORTIONAL)
    known = Organization(id="A", criteria={"2": 5000}, dues_paid_on_time=Decimal("0.5"))

    [step] = guidance(known, scheme)

    [note] = [note for note in step.notes if note.kind == "indicator"]
    assert note.message.endswith("按时交纳党费比例每提高1个百分点约多得0.15分")


def test_guidance_steps_hold_on_the_shipped_scheme_scored_from_an_indicator():
    # The property of tests/rules/test_guidance_properties.py, on wuxing-chuangping with 组织生活落实率 known:
    # each step's changes reach its level, and 0.01 fewer points do not
    scheme = load_scheme("wuxing-chuangping")
    engine = Engine(scheme)
    shares = st.integers(min_value=0, max_value=100).map(lambda n: Decimal(n) / 100)

    @settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
    @given(organizations(scheme), shares)
    def check(organization: Organization, share: Decimal) -> None:
        organization.meetings_compliance = share
        for step in guidance(organization, scheme):
            if not step.reachable:
                continue
            target = engine.level_order.index(step.level)
            assert reached(engine, apply_changes(organization, scheme, step.changes)) >= target
            for index, change in enumerate(step.changes):
                if change.kind != POINTS:
                    continue
                assert change.amount is not None
                assert change.amount * 100 <= headroom(organization, scheme)
                assert "3" not in [code for code, _, _ in change.headroom] or organization.criteria is None
                less = replace(change, amount=change.amount - Decimal("0.01"))
                trial = step.changes[:index] + ((less,) if less.amount else ()) + step.changes[index + 1 :]
                assert reached(engine, apply_changes(organization, scheme, trial)) < target

    check()
