"""The optional ``[survey]`` table of a scheme: defaults, reading, and refusals naming file, key and reason."""

from __future__ import annotations

from decimal import Decimal

import pytest

from xingji.rules.scheme import DEFAULT_SURVEY, SchemeError, load_scheme, parse_scheme

BASE = """
id = "t"
name = "测试"
source = "测试"
[[levels]]
value = 0
name = "无星"
min_score = 0
max_score = 100
"""


def test_it_uses_the_default_survey_without_a_survey_table():
    scheme = parse_scheme(BASE, source="t.toml")
    assert scheme.survey == DEFAULT_SURVEY
    assert [(o.code, o.label, o.weight) for o in scheme.survey.options] == [
        ("satisfied", "满意", Decimal(1)),
        ("basically_satisfied", "基本满意", Decimal("0.7")),
        ("unsatisfied", "不满意", Decimal(0)),
    ]
    assert scheme.survey.satisfied == {"satisfied", "basically_satisfied"}
    assert scheme.survey.min_participation == Decimal("0.8")


def test_it_reads_the_anyang_survey_table():
    survey = load_scheme("anyang-2017").survey
    assert survey.min_participation == Decimal("0.8")
    assert survey.ask_criteria is True
    assert [option.label for option in survey.options] == ["满意", "基本满意", "不满意"]


def test_it_reads_other_options_and_weights():
    text = (
        BASE
        + """
[survey]
satisfied = ["good"]
ask_criteria = false
min_participation = 0.9
[[survey.options]]
code = "good"
label = "好"
weight = 1
[[survey.options]]
code = "fair"
label = "一般"
weight = 0.5
"""
    )
    survey = parse_scheme(text, source="t.toml").survey
    assert [(o.code, o.weight) for o in survey.options] == [("good", Decimal(1)), ("fair", Decimal("0.5"))]
    assert (survey.satisfied, survey.ask_criteria, survey.min_participation) == (
        frozenset({"good"}),
        False,
        Decimal("0.9"),
    )


@pytest.mark.parametrize(
    ("table", "key", "reason"),
    [
        ("[survey]\nquorum = 0.8\n", "survey.quorum", "未知的键"),
        ('[survey]\nsatisfied = ["great"]\n', "survey.satisfied", "选项“great”不在 survey.options 中"),
        ("[survey]\nmin_participation = 1.5\n", "survey.min_participation", "比例应在 0 到 1 之间"),
        ('[survey]\nask_criteria = "yes"\n', "survey.ask_criteria", "应为 true 或 false"),
        (
            '[[survey.options]]\ncode = "a"\nlabel = "甲"\nweight = 1.2\n[[survey.options]]\ncode = "b"\nlabel = "乙"\n'
            "weight = 0\n",
            "survey.options[0].weight",
            "权重应在 0 到 1 之间",
        ),
        (
            '[[survey.options]]\ncode = "a"\nlabel = "甲"\nweight = -0.1\n'
            '[[survey.options]]\ncode = "b"\nlabel = "乙"\n'
            "weight = 0\n",
            "survey.options[0].weight",
            "权重应在 0 到 1 之间",
        ),
        (
            '[[survey.options]]\ncode = "a"\nlabel = "甲"\nweight = 1\n[[survey.options]]\ncode = "a"\nlabel = "乙"\n'
            "weight = 0\n",
            "survey.options[1].code",
            "选项代码“a”重复",
        ),
        ('[[survey.options]]\ncode = "a"\nlabel = "甲"\nweight = 1\n', "survey.options", "至少需要两个选项"),
    ],
)
def test_it_refuses_a_wrong_survey_table(table, key, reason):
    with pytest.raises(SchemeError) as refusal:
        parse_scheme(BASE + table, source="local.toml")
    assert (refusal.value.source, refusal.value.key) == ("local.toml", key)
    assert reason in refusal.value.reason
