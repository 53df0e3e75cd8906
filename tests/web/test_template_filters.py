"""The platform's template filters."""

from decimal import Decimal

import pytest

from xingji.web.templatetags.xingji import percent


@pytest.mark.parametrize(
    ("value", "digits", "shown"),
    [
        (Decimal("0.9474"), 2, "94.74%"),
        (Decimal("0.9474"), 1, "94.7%"),
        (Decimal("1"), 2, "100.00%"),
        (Decimal("0.79995"), 2, "80.00%"),
        (Decimal("0.7999"), 2, "79.99%"),
        (Decimal("0.125"), 1, "12.5%"),
        (Decimal("0.12345"), 2, "12.35%"),
        ("0.5", 0, "50%"),
        (0, 2, "0.00%"),
    ],
)
def test_percent_shows_a_share_as_a_percentage(value, digits, shown):
    assert percent(value, digits) == shown


@pytest.mark.parametrize("value", [None, "", "abc"])
def test_percent_shows_a_dash_for_nothing(value):
    assert percent(value) == "—"
