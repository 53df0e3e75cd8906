"""Cell values the office's spreadsheet shows as written (pure Python, no Django: ``xingji rate`` uses it)."""

from __future__ import annotations

#: What starts a formula in Excel, LibreOffice or WPS when a cell begins with it.
FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")


def csv_text(value: object) -> object:
    """Text a spreadsheet opening the CSV shows as written, never runs as a formula.

    A name such as ``=HYPERLINK(...)`` would otherwise run in the office's
    Excel (OWASP "CSV injection"); the leading apostrophe is Excel's own mark
    for "this is text".
    """
    if isinstance(value, str) and value.startswith(FORMULA_PREFIXES):
        return "'" + value
    return value
