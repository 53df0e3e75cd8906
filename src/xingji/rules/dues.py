"""Party dues (党费): the monthly amount of a member by the 2008 rule of 中共中央组织部.

The brackets are data (``rules/tables/dues-2008.toml``), read once. A bracket
applies to a base *up to and including* its bound: exactly 3000 yuan pays
0.5 %, exactly 5000 pays 1 % (a retiree's pension of exactly 5000: 0.5 %),
exactly 10000 pays 1.5 %. The amount is rounded to the fen (0.01), half up.

Categories (党费类别): ``employed`` 在职 (post-tax monthly pay), ``retired``
离退休 (pension), ``farmer`` 农民 (a fixed amount chosen per member between
0.2 and 1 yuan, 0.2 unless chosen), ``minimal`` 学生、失业或领取救济 (0.2 yuan).
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from functools import cache
from pathlib import Path
from typing import Any

RULE_PATH = Path(__file__).parent / "tables" / "dues-2008.toml"
FEN = Decimal("0.01")
HUNDRED = Decimal(100)


class DuesRuleError(ValueError):
    """The rule's file is malformed, or a base or amount is outside what the rule allows."""


@dataclass(frozen=True)
class Bracket:
    #: The highest base (inclusive) this bracket covers; None for the last one.
    upto: Decimal | None
    #: Percent of the base.
    rate: Decimal


@dataclass(frozen=True)
class Fixed:
    minimum: Decimal
    maximum: Decimal
    default: Decimal


@dataclass(frozen=True)
class Category:
    code: str
    label: str
    brackets: tuple[Bracket, ...] = ()
    fixed: Fixed | None = None

    @property
    def uses_base(self) -> bool:
        return self.fixed is None


@dataclass(frozen=True)
class DuesRule:
    id: str
    name: str
    categories: dict[str, Category]

    def category(self, code: str) -> Category:
        try:
            return self.categories[code]
        except KeyError:
            raise DuesRuleError(f"“{code}”不是有效的党费类别") from None

    def rate(self, code: str, base: Decimal) -> Decimal | None:
        """The percent applied to ``base``, None for a fixed-amount category."""
        category = self.category(code)
        if category.fixed is not None:
            return None
        for bracket in category.brackets:
            if bracket.upto is None or base <= bracket.upto:
                return bracket.rate
        raise DuesRuleError(f"党费类别“{category.label}”的缴纳比例不完整")

    def monthly_amount(self, code: str, base: Decimal, *, chosen: Decimal | None = None) -> Decimal:
        """The monthly dues in yuan, to the fen: ``base`` × the bracket's rate, or the category's fixed amount
        (``chosen`` within its range, its default otherwise)."""
        if base < 0:
            raise DuesRuleError("党费基数不能为负数")
        category = self.category(code)
        if category.fixed is not None:
            amount = category.fixed.default if chosen is None else chosen
            if not category.fixed.minimum <= amount <= category.fixed.maximum:
                raise DuesRuleError(
                    f"{category.label}党员每月交纳党费 {category.fixed.minimum} 至 {category.fixed.maximum} 元"
                )
            return amount.quantize(FEN, rounding=ROUND_HALF_UP)
        rate = self.rate(code, base)
        assert rate is not None
        return (base * rate / HUNDRED).quantize(FEN, rounding=ROUND_HALF_UP)


def _decimal(value: Any, where: str) -> Decimal:
    try:
        result = Decimal(str(value))
    except InvalidOperation:
        raise DuesRuleError(f"{where}：“{value}”不是数字") from None
    if not result.is_finite() or result < 0:
        raise DuesRuleError(f"{where}：“{value}”不是非负的数字")
    return result


def _category(code: str, data: dict[str, Any]) -> Category:
    label = str(data.get("label") or code)
    if "fixed" in data:
        fixed = data["fixed"]
        return Category(
            code,
            label,
            fixed=Fixed(
                _decimal(fixed["minimum"], code),
                _decimal(fixed["maximum"], code),
                _decimal(fixed["default"], code),
            ),
        )
    brackets = tuple(
        Bracket(None if "upto" not in item else _decimal(item["upto"], code), _decimal(item["rate"], code))
        for item in data.get("brackets", [])
    )
    bounds = [bracket.upto for bracket in brackets]
    if not brackets or bounds[-1] is not None or None in bounds[:-1]:
        raise DuesRuleError(f"{code}：最后一档不设上限，其余各档须有上限")
    if any(
        low is not None and high is not None and low >= high
        for low, high in zip(bounds[:-2], bounds[1:-1], strict=True)
    ):
        raise DuesRuleError(f"{code}：各档上限须递增")
    return Category(code, label, brackets=brackets)


def parse_rule(text: str) -> DuesRule:
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as error:
        raise DuesRuleError(f"党费规则文件格式错误：{error}") from None
    try:
        categories = {code: _category(code, body) for code, body in data["categories"].items()}
        return DuesRule(str(data["id"]), str(data["name"]), categories)
    except (KeyError, TypeError) as error:
        raise DuesRuleError(f"党费规则文件缺少{error}") from None


@cache
def dues_rule() -> DuesRule:
    """The shipped rule (read once)."""
    return parse_rule(RULE_PATH.read_text(encoding="utf-8"))
