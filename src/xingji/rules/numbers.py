"""Exact score arithmetic: scores are integers in hundredths of a point."""

from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

HUNDRED = Decimal(100)
ONE = Decimal(1)


def to_cents(value: Decimal) -> int:
    """Round a decimal score to hundredths, half-up, as an integer."""
    return int((value * HUNDRED).quantize(ONE, rounding=ROUND_HALF_UP))


def parse_decimal(value: object) -> Decimal:
    """Read a number without ever passing through a binary float's error.

    A float (from openpyxl or a JSON parser not told otherwise) is read through
    its shortest repr, so 89.995 stays 89.995 and is not 89.99499999….
    """
    if isinstance(value, bool):
        raise ValueError("不是数字")
    if isinstance(value, Decimal):
        result = value
    elif isinstance(value, int):
        result = Decimal(value)
    elif isinstance(value, float):
        result = Decimal(repr(value))
    elif isinstance(value, str):
        text = value.strip().replace("，", ",")
        if not text:
            raise ValueError("为空")
        try:
            result = Decimal(text)
        except InvalidOperation:
            raise ValueError(f"“{value}”不是数字") from None
    else:
        raise ValueError(f"“{value}”不是数字")
    if not result.is_finite():
        raise ValueError(f"“{value}”不是有限的数字")
    return result


def cents_to_decimal(cents: int) -> Decimal:
    return Decimal(cents).scaleb(-2)


def format_score(cents: int) -> str:
    """Two decimals, as the office writes a score: 86.50."""
    sign = "-" if cents < 0 else ""
    whole, fraction = divmod(abs(cents), 100)
    return f"{sign}{whole}.{fraction:02d}"


def format_points(cents: int) -> str:
    """A point count as a sentence says it: 3, 2.5, 0.25 (no sign)."""
    whole, fraction = divmod(abs(cents), 100)
    if fraction == 0:
        return str(whole)
    return f"{whole}.{fraction:02d}".rstrip("0")


def format_share(value: Decimal) -> str:
    """0.5999 → 59.99%."""
    percent = (value * HUNDRED).normalize()
    text = format(percent, "f")
    return f"{text}%"
