"""Spreadsheet and CSV downloads.

Every text cell is written as text: a value such as ``=HYPERLINK(...)``
typed into a name field must never run as a formula in the office's Excel
(OWASP "CSV injection").
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Sequence
from datetime import date, datetime
from typing import Any

from django.http import HttpResponse, StreamingHttpResponse
from django.utils import timezone
from django.utils.http import content_disposition_header
from openpyxl import Workbook
from openpyxl.cell.cell import Cell

from xingji.common import cells
from xingji.common.cells import Sheet, csv_text, finish_sheet, text_cell

__all__ = [
    "XLSX_TYPE",
    "csv_response",
    "export_stamp",
    "finish_sheet",
    "saved_bytes",
    "write_table",
    "xlsx_cell",
    "xlsx_response",
]

XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def xlsx_cell(sheet: Any, value: Any, *, bold: bool = False) -> Cell:
    """A write-only cell; text always as text, so that a name such as ``=HYPERLINK(...)`` never runs as a formula."""
    if isinstance(value, datetime):
        # Excel has no time zones: show the local wall-clock time.
        value = timezone.localtime(value).replace(tzinfo=None) if timezone.is_aware(value) else value
    return text_cell(sheet, value, bold=bold)


def write_table(
    sheet: Sheet,
    headers: Sequence[object],
    rows: Iterable[Sequence[object]],
    *,
    widths: Sequence[float | None] | None = None,
    above: Sequence[Sequence[object]] = (),
    frozen_columns: int = 0,
) -> int:
    """:func:`xingji.common.cells.write_table` with times in the site's time zone: a table the office prints at once.

    Columns as wide as their content (at least ``widths``), the header row
    bold, frozen and repeated on every printed page, dates as date cells,
    A4 fit to width, landscape when wide. Returns the number of rows.
    """
    return cells.write_table(
        sheet, headers, rows, widths=widths, above=above, frozen_columns=frozen_columns, cell=xlsx_cell
    )


def saved_bytes(document) -> bytes:
    """What an openpyxl workbook or a python-docx document saves, as bytes (for a response or a test)."""
    buffer = io.BytesIO()
    document.save(buffer)
    return buffer.getvalue()


def xlsx_response(
    filename: str,
    sheet_title: str,
    headers: Sequence[str],
    rows: Iterable[Sequence[object]],
    *,
    notes: Sequence[str] = (),
) -> HttpResponse:
    """An ``.xlsx`` download: the table (:func:`write_table`), then ``notes`` (one per row) after a blank row."""
    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet(sheet_title)
    write_table(sheet, headers, rows)
    if notes:
        sheet.append([])
        for note in notes:
            sheet.append([xlsx_cell(sheet, note)])
    response = HttpResponse(saved_bytes(workbook), content_type=XLSX_TYPE)
    response["Content-Disposition"] = _attachment(filename)
    return response


class _Echo:
    def write(self, value: str) -> str:
        return value


def _csv_value(value: object) -> object:
    if isinstance(value, datetime) and timezone.is_aware(value):
        return timezone.localtime(value).strftime("%Y-%m-%d %H:%M:%S")
    if isinstance(value, date):
        return value.isoformat()
    return csv_text(value)


def csv_response(
    filename: str,
    headers: Sequence[str],
    rows: Iterable[Sequence[object]],
    *,
    notes: Sequence[str] = (),
) -> StreamingHttpResponse:
    """A streamed UTF-8 CSV (with a BOM, so that Excel reads the Chinese), then ``notes`` after a blank line."""
    writer = csv.writer(_Echo())

    def lines():
        yield "\ufeff" + writer.writerow(headers)
        for row in rows:
            yield writer.writerow([_csv_value(value) for value in row])
        if notes:
            yield writer.writerow([])
            for note in notes:
                yield writer.writerow([_csv_value(note)])

    response = StreamingHttpResponse(lines(), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = _attachment(filename)
    return response


def _attachment(filename: str) -> str:
    """The ``Content-Disposition`` of a download named ``filename`` (RFC 6266, the Chinese kept)."""
    return content_disposition_header(True, filename) or "attachment"


def export_stamp() -> str:
    return timezone.localtime().strftime("%Y%m%d-%H%M")
