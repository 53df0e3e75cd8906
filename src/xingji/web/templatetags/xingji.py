"""Template filters of the platform's pages."""

from __future__ import annotations

import json
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

from django import template

register = template.Library()


@register.filter
def pretty_json(value) -> str:
    """A JSON value indented for reading, Chinese left as it is; "—" for none."""
    if value is None:
        return "—"
    return json.dumps(value, ensure_ascii=False, indent=2, sort_keys=True)


@register.filter
def percent(value, digits: int = 2) -> str:
    """A share between 0 and 1 as a percentage: ``0.9474|percent`` is "94.74%", ``|percent:1`` "94.7%"; "—" for none.

    Two decimals by default: the shares are stored to four, so nothing is rounded away (79.99 % stays under 80 %).
    """
    if value is None or value == "":
        return "—"
    try:
        share = Decimal(str(value))
    except InvalidOperation:
        return "—"
    step = Decimal(1).scaleb(-int(digits))
    return f"{(share * 100).quantize(step, rounding=ROUND_HALF_UP)}%"
