"""Reading a spreadsheet upload into plain rows: one reader for every import of the house.

Pure Python, no Django: ``xingji rate`` reads its input through it too.

* CSV: UTF-8 with or without BOM, else GB18030 (a superset of GBK, what Excel
  in Chinese saves); comma, semicolon or tab separated.
* XLSX/XLSM/XLSB/XLS/ODS: python-calamine, which reads a sheet several
  times faster than openpyxl (openpyxl is for writing only). Dates come as
  ``datetime.date``/``datetime.datetime``, numbers as ``float``, empty cells
  as ``""``.

The format is told from the content (the zip and OLE signatures) and the
name. A file that cannot be read at all raises ``FileError``, whose ``code``
says why, so that each importer can keep the sentence its users know.
"""

from __future__ import annotations

import csv
import io
import re
import unicodedata
from collections.abc import Callable, Hashable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import PurePath
from typing import Any, Generic, TypeVar

ZIP_MAGIC = b"PK\x03\x04"
OLE_MAGIC = b"\xd0\xcf\x11\xe0"
WORKBOOK_SUFFIXES = frozenset({".xlsx", ".xlsm", ".xlsb", ".xls", ".ods"})
TEXT_SUFFIXES = frozenset({"", ".csv", ".txt"})
#: What an upload form says it takes, and what a refusal asks for.
ACCEPTED_SUFFIXES = (".xlsx", ".xls", ".ods", ".csv")
ACCEPT = ",".join(ACCEPTED_SUFFIXES)
ACCEPTED_TEXT = "Excel（.xlsx、.xls）、WPS 或 LibreOffice（.ods）表格，或 CSV 文件（UTF-8 或 GBK 编码）"
#: Files people upload by mistake, told by their first bytes even without a name: PDF, PNG, JPEG, GIF, RAR, 7z.
OTHER_MAGIC = (b"%PDF", b"\x89PNG", b"\xff\xd8\xff", b"GIF8", b"Rar!", b"7z\xbc\xaf")

Key = TypeVar("Key", bound=Hashable)


# --- errors -------------------------------------------------------------------------------------


@dataclass(frozen=True)
class RowError:
    """One problem of an import file.

    ``row`` is the row number as the spreadsheet shows it (the header row is
    usually 1), or None for a problem of the file as a whole; ``column`` the
    column's header as written in the file, or "" when no one column is at fault.
    """

    row: int | None
    column: str
    reason: str

    @property
    def message(self) -> str:
        return self.reason

    def __str__(self) -> str:
        where = f"第{self.row}行" if self.row is not None else "文件"
        if self.column:
            where += f"“{self.column}”列"
        return f"{where}：{self.reason}"


class TableErrors(Exception):
    """The file was not imported; every problem found is listed."""

    def __init__(self, errors: Iterable[RowError] = ()) -> None:
        self.errors: list[RowError] = list(errors)
        super().__init__(self.errors)

    def __str__(self) -> str:
        return "\n".join(str(error) for error in self.errors)


class FileError(ValueError):
    """The file cannot be read as a table at all.

    ``code``: ``empty``, ``unsupported`` (a suffix that is no table),
    ``binary`` (not text, named as CSV), ``encoding``, ``csv`` (broken
    quoting), ``workbook`` (named or signed as a workbook but unreadable),
    ``ole`` (an OLE container calamine cannot read: a password-protected
    file, or a damaged .xls), ``no_sheet``.
    """

    def __init__(self, message: str, code: str = "unreadable", detail: str = "") -> None:
        super().__init__(message)
        self.code = code
        self.message = message
        #: What the parser said, for a caller that words the message itself.
        self.detail = detail


# --- reading ------------------------------------------------------------------------------------


@dataclass
class Sheet:
    """A sheet as rows of plain values; ``rows[0]`` is sheet row 1."""

    name: str
    rows: list[list[Any]] = field(default_factory=list)

    def numbered(self) -> list[tuple[int, list[Any]]]:
        """(row number, cells) of the rows with content."""
        return [(number, cells) for number, cells in enumerate(self.rows, start=1) if has_content(cells)]


def is_blank(value: Any) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())


def has_content(cells: Iterable[Any]) -> bool:
    # Run for every row of every import: a plain loop costs half of any() over a generator.
    for cell in cells:  # noqa: SIM110
        if cell is not None and (cell.__class__ is not str or cell.strip()):
            return True
    return False


def file_kind(content: bytes, filename: str = "", *, workbook_only: bool = False) -> str:
    """``workbook`` or ``csv``, from the signature first and the suffix second; ``FileError`` otherwise."""
    if not content.strip():
        raise FileError(code="empty", message="文件是空的")
    if content.startswith(OLE_MAGIC):
        return "ole"
    if content.startswith(ZIP_MAGIC):
        return "workbook"
    suffix = PurePath(filename).suffix.lower()
    if workbook_only or suffix in WORKBOOK_SUFFIXES:
        raise FileError(code="workbook", message="不是有效的 Excel 文件，文件可能已损坏")
    if suffix not in TEXT_SUFFIXES or content.startswith(OTHER_MAGIC):
        kind = f"“{suffix}”类型的" if suffix not in TEXT_SUFFIXES else "这种"
        raise FileError(code="unsupported", message=f"不支持{kind}文件，请上传 {'、'.join(ACCEPTED_SUFFIXES)} 文件")
    if b"\x00" in content[:4096]:
        raise FileError(code="binary", message=f"不是 CSV 文本文件，请上传 {'、'.join(ACCEPTED_SUFFIXES)} 文件")
    return "csv"


def decode_text(content: bytes) -> str:
    """UTF-8 with or without BOM (Excel, WPS, LibreOffice), else GB18030 ⊃ GBK (Excel in Chinese)."""
    for encoding in ("utf-8-sig", "gb18030"):
        try:
            return content.decode(encoding)
        except UnicodeDecodeError:
            continue
    raise FileError(code="encoding", message="无法识别 CSV 文件的编码，请保存为 UTF-8 或 GBK 编码")


def read_csv(content: bytes) -> Sheet:
    text = decode_text(content)
    first_line = text.split("\n", 1)[0]
    delimiter = max((",", ";", "\t"), key=first_line.count)
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    try:
        return Sheet("", list(reader))
    except csv.Error as error:
        message = f"CSV 格式有误（第{reader.line_num}行：{error}），请检查是否有未闭合的引号"
        raise FileError(code="csv", message=message, detail=str(error)) from None


def read_workbook(content: bytes, *, ole: bool = False) -> list[Sheet]:
    """Every sheet of an xlsx/xls/ods, in order."""
    from python_calamine import CalamineWorkbook

    failure = FileError(code="ole" if ole else "workbook", message="不是有效的 Excel 文件，文件可能已损坏")
    try:
        workbook = CalamineWorkbook.from_filelike(io.BytesIO(content))
        sheets = []
        for name in workbook.sheet_names:
            sheet = workbook.get_sheet_by_name(name)
            rows = sheet.to_python(skip_empty_area=False)
            sheets.append(Sheet(name, rows))
    except Exception:  # whatever breaks the parser, the user's answer is the same
        raise failure from None
    if not sheets:
        raise FileError(code="no_sheet", message="Excel 文件中没有工作表")
    return sheets


def read_sheets(content: bytes, filename: str = "", *, workbook_only: bool = False) -> list[Sheet]:
    """The sheets of the file: one for a CSV."""
    kind = file_kind(content, filename, workbook_only=workbook_only)
    if kind == "csv":
        return [read_csv(content)]
    return read_workbook(content, ole=kind == "ole")


def read_table(
    content: bytes,
    filename: str = "",
    *,
    choose: Callable[[list[Any]], bool] | None = None,
    skip_sheets: Iterable[str] = (),
    workbook_only: bool = False,
) -> Sheet:
    """The sheet holding the data: the first (not in ``skip_sheets``) whose header row satisfies ``choose``,
    else the first one."""
    skipped = set(skip_sheets)
    sheets = read_sheets(content, filename, workbook_only=workbook_only)
    sheets = [sheet for sheet in sheets if sheet.name not in skipped]
    if not sheets:
        raise FileError(code="no_sheet", message="Excel 文件中没有可导入的工作表")
    if choose is not None:
        for sheet in sheets:
            header = next((cells for cells in sheet.rows if has_content(cells)), [])
            if choose(header):
                return sheet
    return sheets[0]


def integral_numbers(rows: list[list[Any]]) -> list[list[Any]]:
    """Integral floats (how calamine gives every number) as ``int``, as a person typed them."""
    return [[int(cell) if cell.__class__ is float and cell.is_integer() else cell for cell in row] for row in rows]


# --- headers ------------------------------------------------------------------------------------


def normalize_header(text: object) -> str:
    """Width, case and spaces do not matter: Excel and people add all three."""
    value = unicodedata.normalize("NFKC", str(text if text is not None else ""))
    return re.sub(r"\s+", "", value).lower()


@dataclass
class HeaderMatch(Generic[Key]):
    """Which column of the header row holds which key, and what did not match."""

    positions: dict[Key, int] = field(default_factory=dict)
    written: dict[Key, str] = field(default_factory=dict)
    #: (0-based position, header as written) of headers that name no column.
    unknown: list[tuple[int, str]] = field(default_factory=list)
    #: (0-based position, header as written, key) of a second header for a key already matched.
    duplicates: list[tuple[int, str, Key]] = field(default_factory=list)

    def missing(self, required: Sequence[Key]) -> list[Key]:
        return [key for key in required if key not in self.positions]


def match_headers(
    cells: Sequence[Any],
    index: Mapping[str, Key],
    *,
    normalize: Callable[[object], str] = normalize_header,
    ignored: Iterable[str] = (),
) -> HeaderMatch[Key]:
    """Map each header cell through ``index`` (normalized header → key); blanks and ``ignored`` are skipped."""
    skipped = set(ignored)
    match: HeaderMatch[Key] = HeaderMatch()
    for position, cell in enumerate(cells):
        normalized = normalize(cell)
        if not normalized or normalized in skipped:
            continue
        written = str(cell).strip()
        key = index.get(normalized)
        if key is None:
            match.unknown.append((position, written))
        elif key in match.positions:
            match.duplicates.append((position, written, key))
        else:
            match.positions[key] = position
            match.written[key] = written
    return match
