"""The platform's quota warnings count each quota over its own base, as the engine does (天津西青 by category);
the composite hint weighs the satisfaction rate where a scheme does (邹城)."""

from __future__ import annotations

from decimal import Decimal

from xingji.campaigns.scoring import composite_hint
from xingji.campaigns.selectors import quota_warnings
from xingji.rules.scheme import load_scheme

XIQING = load_scheme("xiqing-tianjin")


def codes(warnings) -> list[str]:
    return [warning.code for warning in warnings]


def test_lagging_among_communities_is_counted_over_the_communities_alone():
    # Ten communities, none lagging; ten government organizations, one lagging: over everyone 1 of 20
    # (5 %) would pass a 10 % floor's "others" and fail the communities' only through their own base.
    levels = [3] * 10 + [1] + [3] * 9
    categories = ["社区"] * 10 + ["机关"] * 10

    warnings = quota_warnings(XIQING, levels, categories=categories)

    assert codes(warnings) == ["lagging_floor_communities"]
    [communities] = warnings
    assert (communities.population, communities.count, communities.limit) == (10, 0, 1)


def test_the_others_include_organizations_without_a_category_and_meet_their_floor():
    levels = [1, 3, 3, 3, 3] + [1] * 2 + [3] * 8
    categories = [None, "机关", "机关", "学校", "学校"] + ["社区"] * 10

    assert quota_warnings(XIQING, levels, categories=categories) == []


def test_a_category_with_nobody_rated_warns_nothing():
    levels = [3] * 4 + [1]
    categories = ["机关"] * 5

    assert "lagging_floor_communities" not in codes(quota_warnings(XIQING, levels, categories=categories))


def test_without_categories_every_organization_counts_in_every_base():
    levels = [3] * 19 + [1]

    warnings = quota_warnings(XIQING, levels)

    # 1 lagging of 20: the others' 5 % floor (1) is met, the communities' 10 % (2) judged over all 20 is not.
    assert codes(warnings) == ["lagging_floor_communities"]
    assert [(warning.population, warning.count, warning.limit) for warning in warnings] == [(20, 1, 2)]


def test_the_hint_weighs_the_satisfaction_rate_itself_under_zucheng():
    zucheng = load_scheme("zucheng-2022")
    superior = {"考评": Decimal("90")}
    hint = composite_hint(zucheng, {}, Decimal("0.80"), superior, satisfaction_rate=Decimal("0.92"))
    assert hint == Decimal("90") * Decimal("0.7") + Decimal("92") * Decimal("0.3")
    assert composite_hint(zucheng, {}, Decimal("0.80"), superior) is None
