"""The 2008 dues rule: the brackets at their edges, the categories, rounding, and the rule file itself."""

from __future__ import annotations

import json
import subprocess
import sys
from decimal import Decimal

import pytest

from xingji.rules.dues import DuesRuleError, dues_rule, parse_rule


def amount(category: str, base: str, chosen: str | None = None) -> Decimal:
    return dues_rule().monthly_amount(category, Decimal(base), chosen=None if chosen is None else Decimal(chosen))


@pytest.mark.parametrize(
    ("base", "expected"),
    [
        ("0", "0.00"),
        ("2999.99", "15.00"),
        ("3000", "15.00"),  # exactly 3000: still 0.5 %
        ("3000.01", "30.00"),
        ("5000", "50.00"),  # exactly 5000: still 1 %
        ("5000.01", "75.00"),
        ("10000", "150.00"),  # exactly 10000: still 1.5 %
        ("10000.01", "200.00"),
        ("25000", "500.00"),
    ],
)
def test_it_applies_the_employed_brackets_inclusive_of_their_upper_edge(base, expected):
    assert amount("employed", base) == Decimal(expected)


@pytest.mark.parametrize(
    ("base", "expected"), [("4999.99", "25.00"), ("5000", "25.00"), ("5000.01", "50.00"), ("8000", "80.00")]
)
def test_it_applies_the_retired_brackets_with_5000_at_half_a_percent(base, expected):
    assert amount("retired", base) == Decimal(expected)


def test_it_rounds_to_the_fen_half_up():
    # 0.5 % of 2345.67 = 11.72835 → 11.73; 1 % of 3333.35 = 33.3335 → 33.33; 0.5 % of 1001 = 5.005 → 5.01
    assert amount("employed", "2345.67") == Decimal("11.73")
    assert amount("employed", "3333.35") == Decimal("33.33")
    assert amount("employed", "1001") == Decimal("5.01")


def test_a_farmer_pays_twenty_fen_unless_an_amount_in_range_is_chosen():
    assert amount("farmer", "0") == Decimal("0.20")
    assert amount("farmer", "3000") == Decimal("0.20")  # the base does not matter
    assert amount("farmer", "0", "0.5") == Decimal("0.50")
    assert amount("farmer", "0", "1") == Decimal("1.00")
    with pytest.raises(DuesRuleError, match="0.2 至 1 元"):
        amount("farmer", "0", "1.5")
    with pytest.raises(DuesRuleError, match="0.2 至 1 元"):
        amount("farmer", "0", "0.1")


def test_students_the_unemployed_and_relief_recipients_pay_twenty_fen():
    assert amount("minimal", "0") == Decimal("0.20")
    assert amount("minimal", "6000") == Decimal("0.20")


def test_it_refuses_a_negative_base_and_an_unknown_category():
    with pytest.raises(DuesRuleError, match="不能为负数"):
        amount("employed", "-1")
    with pytest.raises(DuesRuleError, match="不是有效的党费类别"):
        amount("soldier", "1000")


def test_the_brackets_are_read_from_the_data_file():
    rule = dues_rule()
    assert rule.id == "zuzhibu-2008"
    assert [bracket.upto for bracket in rule.category("employed").brackets] == [
        Decimal(3000),
        Decimal(5000),
        Decimal(10000),
        None,
    ]
    assert set(rule.categories) == {"employed", "retired", "farmer", "minimal"}


def test_a_rule_whose_last_bracket_is_bounded_is_refused():
    text = 'id = "x"\nname = "x"\n[categories.employed]\nbrackets = [{ upto = "3000", rate = "1" }]\n'
    with pytest.raises(DuesRuleError, match="最后一档不设上限"):
        parse_rule(text)


def test_a_rule_with_decreasing_bounds_is_refused():
    text = (
        'id = "x"\nname = "x"\n[categories.employed]\n'
        'brackets = [{ upto = "5000", rate = "1" }, { upto = "3000", rate = "2" }, { rate = "3" }]\n'
    )
    with pytest.raises(DuesRuleError, match="递增"):
        parse_rule(text)


def test_the_dues_rule_loads_no_django():
    probe = "import json, sys\nimport xingji.rules.dues\nprint(json.dumps(sorted(sys.modules)))"
    completed = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True, timeout=60)
    modules = json.loads(completed.stdout)
    assert "xingji.rules.dues" in modules
    assert [name for name in modules if name.startswith("django")] == []
