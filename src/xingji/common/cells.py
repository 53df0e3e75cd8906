"""Cell values the office's spreadsheet shows as written, and tables it prints at once.

Pure Python, no Django: ``xingji rate`` uses it. ``write_table`` (a streamed
or an ordinary sheet, written in one go) and ``finish_sheet`` (an ordinary
sheet, filled first) give every table columns as wide as their content, a
bold header row frozen and repeated on each printed page, dates as date
cells, and an A4 page setup one page wide; ``xingji.common.exports`` offers
both to the web's downloads.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Callable, Iterable, Sequence
from copy import copy
from datetime import date, datetime
from decimal import Decimal
from itertools import chain, islice
from typing import Any, cast

from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.cell.cell import ERROR_CODES, ILLEGAL_CHARACTERS_RE, Cell, MergedCell
from openpyxl.styles import Alignment, Font
from openpyxl.styles.numbers import is_date_format
from openpyxl.utils import get_column_letter
from openpyxl.worksheet._write_only import WriteOnlyWorksheet
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


# --- a table the office can print at once ------------------------------------------------------

#: Worksheets of either kind: an ordinary one, or a streamed (write-only) one.
Sheet = Worksheet | WriteOnlyWorksheet
#: A value as a spreadsheet cell; what ``xingji.common.exports.xlsx_cell`` and :func:`text_cell` are.
CellMaker = Callable[..., Cell]

DATE_FORMAT = "yyyy-mm-dd"
DATETIME_FORMAT = "yyyy-mm-dd hh:mm:ss"
#: Column widths, in Excel's units (about one Latin character; a Chinese character takes two).
MIN_WIDTH = 6
MAX_WIDTH = 60
WIDTH_PADDING = 2
#: Rows read to size the columns of a streamed sheet (of an ordinary sheet every row is read).
SAMPLE_ROWS = 1000
#: The widest a table may be, in the units above, and still print upright on A4.
PORTRAIT_WIDTH = 100
A4 = "9"
WRAP = Alignment(wrap_text=True, vertical="top")


def display_width(value: object) -> int:
    """How many Latin characters wide ``value`` shows: a Chinese (wide) character counts two; the longest line."""
    if value is None:
        return 0
    if isinstance(value, Cell):
        return display_width(value.value)
    if isinstance(value, datetime):
        return len("2026-01-01 00:00:00")
    if isinstance(value, date):
        return len("2026-01-01")
    return max(
        sum(2 if unicodedata.east_asian_width(char) in "WFA" else 1 for char in line)
        for line in str(value).splitlines() or [""]
    )


def needs_wrap(value: object) -> bool:
    """Whether ``value`` is text too wide for the widest column, or of several lines."""
    text = value.value if isinstance(value, Cell) else value
    if not isinstance(text, str):
        return False
    if "\n" in text:
        return True
    # A character is at most two wide: most text is known to fit without measuring it (a big export has millions).
    return 2 * len(text) + WIDTH_PADDING > MAX_WIDTH and display_width(text) + WIDTH_PADDING > MAX_WIDTH


def column_widths(rows: Iterable[Sequence[object]], widths: Sequence[float | None] | None = None) -> list[float]:
    """Each column's width from its content (capped at MAX_WIDTH), at least the ``widths`` given (None: no minimum)."""
    measured: list[int] = []
    for row in rows:
        for index, value in enumerate(row):
            if index == len(measured):
                measured.append(0)
            measured[index] = max(measured[index], display_width(value))
    given = list(widths or [])
    measured += [0] * (len(given) - len(measured))
    result = []
    for index, content in enumerate(measured):
        width = float(min(MAX_WIDTH, max(MIN_WIDTH, content + WIDTH_PADDING)))
        floor = given[index] if index < len(given) else None
        result.append(max(width, float(floor)) if floor else width)
    return result


def text_cell(sheet: Sheet, value: object, *, bold: bool = False) -> Cell:
    """A cell whose text stays text (``=HYPERLINK(...)`` never runs as a formula), dates shown as dates.

    An aware datetime is shown in the machine's local time (Excel has no time
    zones); ``xingji.common.exports.xlsx_cell`` uses Django's instead.
    """
    if isinstance(value, datetime) and value.tzinfo is not None:
        value = value.astimezone().replace(tzinfo=None)
    if isinstance(value, str):
        value = ILLEGAL_CHARACTERS_RE.sub(" ", value)
    cell = WriteOnlyCell(sheet, value=cast(Any, value))
    if isinstance(value, str):
        cell.data_type = "s"
    elif isinstance(value, datetime):
        cell.number_format = DATETIME_FORMAT
    elif isinstance(value, date):
        cell.number_format = DATE_FORMAT
    if bold:
        cell.font = Font(bold=True)
    return cell


def print_layout(sheet: Sheet, widths: Sequence[float], *, header_row: int | None = 1, frozen_columns: int = 0) -> None:
    """Column ``widths``; the rows below ``header_row`` scroll and print under it on every page; A4, fit to width.

    A table wider than PORTRAIT_WIDTH prints in landscape. On a streamed sheet,
    call it before the first row is written.
    """
    target: Any = sheet  # the stubs know an ordinary sheet's page setup only; a streamed one has it too
    for index, width in enumerate(widths, start=1):
        target.column_dimensions[get_column_letter(index)].width = width
    if header_row is not None:
        target.freeze_panes = f"{get_column_letter(frozen_columns + 1)}{header_row + 1}"
        target.print_title_rows = f"{header_row}:{header_row}"
    setup = target.page_setup
    setup.paperSize = A4
    setup.orientation = "landscape" if sum(widths) > PORTRAIT_WIDTH else "portrait"
    setup.fitToWidth = 1
    setup.fitToHeight = 0
    target.sheet_properties.pageSetUpPr.fitToPage = True
    target.print_options.gridLines = True


def write_table(
    sheet: Sheet,
    headers: Sequence[object],
    rows: Iterable[Sequence[object]],
    *,
    widths: Sequence[float | None] | None = None,
    above: Sequence[Sequence[object]] = (),
    frozen_columns: int = 0,
    cell: CellMaker = text_cell,
) -> int:
    """Write a table the office can print at once; the number of rows written (the header not counted).

    Lines ``above`` (a title, a date…), then the header row in bold, then the
    rows, each value made a cell by ``cell`` (a value that is already a
    ``Cell`` is written as it is). The columns are as wide as their content
    (:func:`column_widths`; of a streamed sheet the first SAMPLE_ROWS rows are
    measured), text too wide for a column wraps, and :func:`print_layout`
    freezes and repeats the header row. Works on a streamed (write-only) sheet
    if nothing was written to it before.
    """
    remaining = iter(rows)
    sample = list(islice(remaining, SAMPLE_ROWS))
    print_layout(
        sheet,
        column_widths([headers, *sample], widths),
        header_row=len(above) + 1,
        frozen_columns=frozen_columns,
    )

    def cells(values: Sequence[object], *, bold: bool = False) -> list[object]:
        made: list[object] = []
        for value in values:
            if not bold and _written_as_it_is(value):
                made.append(value)
                continue
            item = value if isinstance(value, Cell) else cell(sheet, value, bold=bold)
            if needs_wrap(item):
                item.alignment = Alignment(wrap_text=True, vertical="top", horizontal=item.alignment.horizontal)
            made.append(item)
        return made

    for line in above:
        sheet.append([value if isinstance(value, Cell) else cell(sheet, value) for value in line])
    sheet.append(cells(headers, bold=True))
    count = 0
    for row in chain(sample, remaining):
        sheet.append(cells(row))
        count += 1
    return count


def _written_as_it_is(value: object) -> bool:
    """Whether a sheet shows ``value`` as it is, with no cell made for it (most values of a big export are)."""
    if value is None or isinstance(value, int | float | Decimal):
        return True
    return (
        type(value) is str
        and not value.startswith(FORMULA_PREFIXES)
        and value not in ERROR_CODES  # "#N/A" would be written as Excel's error, not as the text
        and not needs_wrap(value)
        and ILLEGAL_CHARACTERS_RE.search(value) is None
    )


def finish_sheet(
    sheet: Worksheet,
    *,
    header_row: int | None = 1,
    frozen_columns: int = 0,
    widths: Sequence[float | None] | None = None,
) -> None:
    """Make an ordinary sheet, already filled, one the office can print at once.

    Columns as wide as their content from ``header_row`` down (or the whole
    sheet when it has no header; never narrower than a width already set or
    given in ``widths``), the header row bold, frozen and repeated on every
    printed page, dates shown as dates, too wide text wrapped, A4 fit to width
    (landscape when wide). Rows above ``header_row`` (a title) are not
    measured. ``header_row=None``: a sheet of notes or a summary, no header.
    """
    first = header_row or 1
    rows = [list(row) for row in sheet.iter_rows(min_row=first)]
    already: list[float | None] = []
    for index in range(1, max(sheet.max_column, len(widths or [])) + 1):
        letter = get_column_letter(index)
        given = widths[index - 1] if widths and index <= len(widths) else None
        set_before = sheet.column_dimensions[letter].width if letter in sheet.column_dimensions else None
        already.append(max(filter(None, (given, set_before)), default=None))
    print_layout(
        sheet,
        column_widths(([item.value for item in row] for row in rows), already),
        header_row=header_row,
        frozen_columns=frozen_columns,
    )
    for number, row in enumerate(rows, start=first):
        for item in row:
            if isinstance(item, MergedCell):
                continue
            value = item.value
            if isinstance(value, datetime) and not is_date_format(item.number_format):
                item.number_format = DATETIME_FORMAT
            elif isinstance(value, date) and not isinstance(value, datetime):
                item.number_format = DATE_FORMAT
            if needs_wrap(value) and not item.alignment.wrap_text:
                item.alignment = Alignment(wrap_text=True, vertical="top", horizontal=item.alignment.horizontal)
            if number == header_row and not item.font.bold:
                font = cast(Font, copy(item.font))
                font.bold = True
                item.font = font
