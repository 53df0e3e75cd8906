"""Cursor pagination: a page of items in a fixed order and the cursor of the next page.

The cursor is opaque to clients: the base64 of the last item's sort key. A
page is ``ORDER BY key`` after the key, so inserting rows between two
requests never repeats or skips a row already seen; with ``updated_since`` a
sync reads only what changed.
"""

from __future__ import annotations

import base64
import binascii
from collections.abc import Callable
from typing import Any, TypeVar

from django.db.models import Model, QuerySet

from xingji.api.errors import ApiError

ModelT = TypeVar("ModelT", bound=Model)

INVALID_CURSOR = "分页游标无效，请使用上一页返回的 next_cursor"


def encode_cursor(value: object) -> str:
    return base64.urlsafe_b64encode(str(value).encode("utf-8")).decode("ascii").rstrip("=")


def decode_cursor(cursor: str) -> str:
    try:
        return base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode("utf-8")
    except (binascii.Error, UnicodeDecodeError, ValueError):
        raise ApiError(400, "invalid_cursor", INVALID_CURSOR) from None


def page(
    queryset: QuerySet[ModelT],
    *,
    cursor: str | None,
    limit: int,
    key: str = "pk",
    convert: Callable[[str], Any] = int,
) -> tuple[list[ModelT], str | None]:
    """The items after ``cursor`` (ordered by ``key``, which must be unique) and the next page's cursor."""
    queryset = queryset.order_by(key)
    if cursor:
        try:
            after = convert(decode_cursor(cursor))
        except ValueError:
            raise ApiError(400, "invalid_cursor", INVALID_CURSOR) from None
        queryset = queryset.filter(**{f"{key}__gt": after})
    items = list(queryset[: limit + 1])
    if len(items) <= limit:
        return items, None
    items = items[:limit]
    last = items[-1]
    return items, encode_cursor(getattr(last, key))
