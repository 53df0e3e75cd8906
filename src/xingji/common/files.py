"""What every upload of the house shares: the size cap and how a size reads.

``XINGJI_ATTACHMENT_MAX_BYTES`` (default 10 MB) caps an attachment and a
spreadsheet to import alike.
"""

from __future__ import annotations

from django.conf import settings

DEFAULT_MAX_BYTES = 10 * 1024 * 1024


def max_bytes() -> int:
    """The largest upload taken, in bytes."""
    return int(getattr(settings, "XINGJI_ATTACHMENT_MAX_BYTES", DEFAULT_MAX_BYTES))


def format_size(size: int) -> str:
    """A size as the office reads it: 字节, KB or MB."""
    if size >= 1024 * 1024:
        return f"{size / (1024 * 1024):.1f} MB"
    if size >= 1024:
        return f"{size / 1024:.1f} KB"
    return f"{size} 字节"
