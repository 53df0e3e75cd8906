"""Spreadsheets as offices save them, written by hand for the import tests: ODS, old Excel (.xls, BIFF8), CSV.

No writer for .xls or .ods is installed (openpyxl writes .xlsx only), and the
runtime needs none: the import reads them with python-calamine. These are
the smallest files LibreOffice, WPS and Excel agree on.

* ``ods_bytes``: a zip with ``mimetype`` (stored, first), ``content.xml``
  and the manifest. Strings, numbers and dates as typed cells.
* ``xls_bytes``: a BIFF8 workbook stream (globals: BOF, one BOUNDSHEET per
  sheet, the shared strings; then each sheet's BOF, DIMENSIONS, cells, EOF)
  inside an OLE2 compound file of 512-byte sectors. Strings go through the
  shared-string table (LABELSST), numbers as NUMBER; a date is written as
  its ISO text, as many offices type it.
"""

from __future__ import annotations

import csv
import io
import struct
import zipfile
from collections.abc import Sequence
from datetime import date, datetime
from xml.sax.saxutils import escape

Rows = Sequence[Sequence[object]]

# --- ODS ------------------------------------------------------------------------------------------

ODS_NAMESPACES = (
    'xmlns:office="urn:oasis:names:tc:opendocument:xmlns:office:1.0" '
    'xmlns:table="urn:oasis:names:tc:opendocument:xmlns:table:1.0" '
    'xmlns:text="urn:oasis:names:tc:opendocument:xmlns:text:1.0" office:version="1.2"'
)
ODS_MIMETYPE = "application/vnd.oasis.opendocument.spreadsheet"
ODS_MANIFEST = (
    '<?xml version="1.0" encoding="UTF-8"?><manifest:manifest '
    'xmlns:manifest="urn:oasis:names:tc:opendocument:xmlns:manifest:1.0">'
    f'<manifest:file-entry manifest:full-path="/" manifest:media-type="{ODS_MIMETYPE}"/>'
    '<manifest:file-entry manifest:full-path="content.xml" manifest:media-type="text/xml"/>'
    "</manifest:manifest>"
)


def _ods_cell(value: object) -> str:
    if value is None or value == "":
        return "<table:table-cell/>"
    if isinstance(value, bool):
        value = "是" if value else "否"
    if isinstance(value, datetime):
        value = value.date()
    if isinstance(value, date):
        iso = value.isoformat()
        return (
            f'<table:table-cell office:value-type="date" office:date-value="{iso}">'
            f"<text:p>{iso}</text:p></table:table-cell>"
        )
    if isinstance(value, int | float):
        return (
            f'<table:table-cell office:value-type="float" office:value="{value}">'
            f"<text:p>{value}</text:p></table:table-cell>"
        )
    text = escape(str(value))
    return f'<table:table-cell office:value-type="string"><text:p>{text}</text:p></table:table-cell>'


def ods_bytes(rows: Rows, *, sheet: str = "Sheet1", more: Sequence[tuple[str, Rows]] = ()) -> bytes:
    tables = []
    for name, sheet_rows in ((sheet, rows), *more):
        body = "".join(
            "<table:table-row>" + "".join(_ods_cell(value) for value in row) + "</table:table-row>"
            for row in sheet_rows
        )
        tables.append(f'<table:table table:name="{escape(name)}">{body}</table:table>')
    content = (
        f'<?xml version="1.0" encoding="UTF-8"?><office:document-content {ODS_NAMESPACES}>'
        f"<office:body><office:spreadsheet>{''.join(tables)}</office:spreadsheet></office:body>"
        "</office:document-content>"
    )
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("mimetype", ODS_MIMETYPE, compress_type=zipfile.ZIP_STORED)
        archive.writestr("content.xml", content)
        archive.writestr("META-INF/manifest.xml", ODS_MANIFEST)
    return buffer.getvalue()


# --- XLS (BIFF8 in an OLE2 compound file) -----------------------------------------------------------

SECTOR = 512
END_OF_CHAIN, FREE, FAT_SECTOR, NO_STREAM = 0xFFFFFFFE, 0xFFFFFFFF, 0xFFFFFFFD, 0xFFFFFFFF


def _record(kind: int, data: bytes = b"") -> bytes:
    return struct.pack("<HH", kind, len(data)) + data


def _bof(kind: int) -> bytes:
    return _record(0x0809, struct.pack("<HHHHII", 0x0600, kind, 0x0DBB, 0x07CC, 0, 0x06))


def _unicode(text: str, length_bytes: int) -> bytes:
    encoded = text.encode("utf-16-le")
    length = struct.pack("<B" if length_bytes == 1 else "<H", len(encoded) // 2)
    return length + b"\x01" + encoded


def _cell_value(value: object) -> object:
    if isinstance(value, datetime):
        value = value.date()
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, bool):
        return "是" if value else "否"
    return value


def _sheet_stream(rows: Rows, strings: dict[str, int]) -> bytes:
    cells = []
    width = max((len(row) for row in rows), default=0)
    for row_number, row in enumerate(rows):
        for column, raw in enumerate(row):
            value = _cell_value(raw)
            if value is None or value == "":
                continue
            if isinstance(value, int | float):
                cells.append(_record(0x0203, struct.pack("<HHHd", row_number, column, 0x0F, float(value))))
            else:
                index = strings.setdefault(str(value), len(strings))
                cells.append(_record(0x00FD, struct.pack("<HHHI", row_number, column, 0x0F, index)))
    dimensions = _record(0x0200, struct.pack("<IIHHH", 0, len(rows), 0, width, 0))
    return _bof(0x0010) + dimensions + b"".join(cells) + _record(0x000A)


def _workbook_stream(sheets: Sequence[tuple[str, Rows]]) -> bytes:
    strings: dict[str, int] = {}
    bodies = [_sheet_stream(rows, strings) for _, rows in sheets]
    total = sum(
        1 for _, rows in sheets for row in rows for value in row if isinstance(_cell_value(value), str) and value != ""
    )
    sst = _record(0x00FC, struct.pack("<II", total, len(strings)) + b"".join(_unicode(text, 2) for text in strings))
    if len(sst) > 8228:
        raise ValueError("xls_bytes writes small sheets only (one SST record, no CONTINUE)")

    def globals_with(offsets: Sequence[int]) -> bytes:
        boundsheets = b"".join(
            _record(0x0085, struct.pack("<IBB", offset, 0, 0) + _unicode(name, 1))
            for offset, (name, _) in zip(offsets, sheets, strict=True)
        )
        return _bof(0x0005) + _record(0x0042, struct.pack("<H", 1200)) + boundsheets + sst + _record(0x000A)

    head = len(globals_with([0] * len(sheets)))
    offsets, position = [], head
    for body in bodies:
        offsets.append(position)
        position += len(body)
    return globals_with(offsets) + b"".join(bodies)


def _compound_file(stream: bytes) -> bytes:
    # A stream under 4096 bytes would belong in the mini stream: padding keeps the layout to plain sectors.
    stream = stream.ljust(max(4096, -(-len(stream) // SECTOR) * SECTOR), b"\x00")
    stream_sectors = len(stream) // SECTOR
    directory_sector = 1 + stream_sectors
    if directory_sector + 1 > SECTOR // 4:
        raise ValueError("xls_bytes writes small sheets only (one FAT sector)")
    fat = [FAT_SECTOR, *range(2, 1 + stream_sectors), END_OF_CHAIN, END_OF_CHAIN]
    fat += [FREE] * (SECTOR // 4 - len(fat))
    header = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(16)
    header += struct.pack("<HHHHH", 0x003E, 0x0003, 0xFFFE, 9, 6) + bytes(6)
    header += struct.pack("<IIIIIIIII", 0, 1, directory_sector, 0, 4096, END_OF_CHAIN, 0, END_OF_CHAIN, 0)
    header += struct.pack("<I", 0) + struct.pack("<I", FREE) * 108

    def entry(name: str, kind: int, child: int, start: int, size: int) -> bytes:
        encoded = (name + "\x00").encode("utf-16-le") if name else b""
        return (
            encoded.ljust(64, b"\x00")
            + struct.pack("<HBB", len(encoded), kind, 1)
            + struct.pack("<III", NO_STREAM, NO_STREAM, child)
            + bytes(16 + 4 + 16)
            + struct.pack("<III", start, size, 0)
        )

    directory = entry("Root Entry", 5, 1, END_OF_CHAIN, 0) + entry("Workbook", 2, NO_STREAM, 1, len(stream))
    directory += entry("", 0, NO_STREAM, 0, 0) * 2
    return header + struct.pack(f"<{SECTOR // 4}I", *fat) + stream + directory


def xls_bytes(rows: Rows, *, sheet: str = "Sheet1", more: Sequence[tuple[str, Rows]] = ()) -> bytes:
    return _compound_file(_workbook_stream([(sheet, rows), *more]))


# --- CSV --------------------------------------------------------------------------------------------


def csv_bytes(rows: Rows, *, encoding: str = "utf-8-sig") -> bytes:
    buffer = io.StringIO()
    csv.writer(buffer, lineterminator="\r\n").writerows(
        [["" if value is None else _cell_value(value) for value in row] for row in rows]
    )
    return buffer.getvalue().encode(encoding)
