"""Cell values the office's spreadsheet shows as written (pure Python, no Django: ``xingji rate`` uses it)."""

from __future__ import annotations

from openpyxl import Workbook
from openpyxl.worksheet.worksheet import Worksheet

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


def first_sheet(workbook: Workbook, title: str) -> Worksheet:
    """The worksheet a new workbook starts with, named ``title``."""
    sheet = workbook.active
    if not isinstance(sheet, Worksheet):
        raise TypeError("a new workbook starts with one worksheet")
    sheet.title = title
    return sheet
