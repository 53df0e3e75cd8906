"""What a client may do: read or write per area, and personal data.

A scope is a code ``<area>:read`` or ``<area>:write``, or ``personal`` (the
members' unmasked phone numbers, to read and to change them). A write scope
does not imply the read scope of the same area: each is granted on its own.
"""

from __future__ import annotations

AREAS: dict[str, str] = {
    "orgs": "组织树与换届",
    "members": "党员",
    "records": "加减分依据",
    "branchwork": "组织生活与民主评议",
    "dues": "党费",
    "campaigns": "评定活动、评定结果与星级台账",
}

#: The areas a client may write through the API (the others are read-only here).
WRITABLE_AREAS = ("members", "records", "branchwork", "dues")

PERSONAL = "personal"


def read(area: str) -> str:
    return f"{area}:read"


def write(area: str) -> str:
    return f"{area}:write"


def choices() -> list[tuple[str, str]]:
    """Every scope with its Chinese name, in the order the form lists them."""
    found = [(read(area), f"读取{label}") for area, label in AREAS.items()]
    found += [(write(area), f"写入{AREAS[area]}") for area in WRITABLE_AREAS]
    found.append((PERSONAL, "个人信息（党员联系电话不打码，可修改联系电话）"))
    return found


ALL = frozenset(code for code, _ in choices())


def label(code: str) -> str:
    return dict(choices()).get(code, code)
