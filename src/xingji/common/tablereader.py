"""The checking half of every import: the header matched to the importer's columns, each row parsed, repeats refused.

Pure Python, no Django: ``xingji rate`` reads its sheets through it too;
``xingji.common.imports.Importer`` adds the transaction that writes.

An importer describes its columns (header → key, aliases, which are
required) and parses one row at a time; ``TableReader`` does the rest, the
same way for every import of the house:

1. the file read through ``xingji.common.tabular`` (CSV in UTF-8, BOM or
   GBK; XLSX, XLS, ODS), the sheet chosen, too long a sheet refused;
2. the header row found (the first row with content, or the first of the
   first few that holds a marker header), each header mapped through the
   normalized index (width, case, spaces and required-field stars do not
   matter), unknown, repeated and missing columns reported;
3. every data row parsed, *all* the problems collected as ``RowError(row,
   column, reason)``, and a row repeating an earlier one refused.

Each importer keeps the sentences its users know (``Wording``), and may turn
the header's problems into one sentence (``describe_header``).
"""

from __future__ import annotations

import gc
import re
from collections.abc import Callable, Hashable, Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any, Generic, Self, TypeVar

from xingji.common.tabular import (
    FileError,
    RowError,
    Sheet,
    TableErrors,
    has_content,
    is_blank,
    match_headers,
    normalize_header,
    read_table,
)

Parsed = TypeVar("Parsed")

#: (sheet row number, key → cell, key → header as written (template header for an absent column), errors) → row.
RowParser = Callable[[int, "RowValues", Mapping[str, str], list[RowError]], Parsed | None]
STARS = re.compile(r"[*＊]")


@contextmanager
def collector_paused() -> Iterator[None]:
    """The cyclic garbage collector paused while a large table is read and checked.

    Reading 100,000 rows makes millions of small objects that form no cycles;
    the collector would walk all of them again and again (a fifth of a member
    import's time). Reference counting still frees everything as usual.
    """
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


def header_key(text: object) -> str:
    """A header as compared: ``normalize_header``, and a required-field star does not count either."""
    return STARS.sub("", normalize_header(text))


@dataclass(frozen=True)
class Column:
    """One column of an import: the key its cells go to, its template header, other names it may carry."""

    key: str
    header: str
    aliases: tuple[str, ...] = ()
    required: bool = False


def column_index(columns: Iterable[Column], normalize: Callable[[object], str] = header_key) -> dict[str, str]:
    """Normalized header, key and aliases → key; the first column to claim a name keeps it."""
    index: dict[str, str] = {}
    for column in columns:
        for name in (column.header, column.key, *column.aliases):
            index.setdefault(normalize(name), column.key)
    return index


@dataclass(frozen=True)
class Wording:
    """The sentences of one import for the file as a whole; each importer keeps those its users know."""

    empty: str = "文件是空的"
    no_data: str = "文件中没有数据行"
    unknown_column: str = "无法识别的列"
    repeated_column: str = "列重复"
    missing_column: str = "缺少必填列"
    #: ``{first}``: the earlier row's number; ``{key}``: what the two rows share.
    repeated_row: str = "与第{first}行重复"
    #: When no row among the first ``header_search`` holds a marker header.
    no_header: str = "找不到表头"
    #: ``{row}``, ``{column}`` (1-based): a cell right of the last header; None: such cells are not read, not refused.
    beyond_header: str | None = None
    too_many_rows: str = "一次最多导入 {limit} 行，请分批导入"
    too_long_sheet: str = "表格超过 {limit} 行，请删除空行或分批导入"
    #: ``FileError.code`` → the sentence for a file that cannot be read; other codes keep the reader's sentence.
    file_errors: Mapping[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class HeaderProblems:
    """What is wrong with a header row, for an importer that words it as one sentence."""

    row: int
    #: (1-based position, header as written).
    unknown: list[tuple[int, str]]
    #: (1-based position, header as written, the header written first for the same column).
    duplicates: list[tuple[int, str, str]]
    #: Template headers of the required columns that are absent.
    missing: list[str]

    def __bool__(self) -> bool:
        return bool(self.unknown or self.duplicates or self.missing)


def _with_content(rows: list[list[Any]]) -> list[tuple[int, list[Any]]]:
    """(row number, cells) of the rows with content; a first cell of text is the usual answer, without a call."""
    return [
        (number, cells)
        for number, cells in enumerate(rows, start=1)
        if (cells and (first := cells[0]).__class__ is str and first.strip()) or has_content(cells)
    ]


class RowValues(Mapping[str, Any]):
    """A row's cells by key, read in place (no copy); a column absent from the file is no key."""

    __slots__ = ("cells", "positions")

    def __init__(self, cells: Sequence[Any], positions: Mapping[str, int]) -> None:
        self.cells = cells
        self.positions = positions

    def __getitem__(self, key: str) -> Any:
        position = self.positions[key]
        return self.cells[position] if position < len(self.cells) else None

    def __iter__(self) -> Iterator[str]:
        return iter(self.positions)

    def __len__(self) -> int:
        return len(self.positions)


@dataclass
class Table:
    """A sheet with its header matched: where each key's column is, and the data rows."""

    header_row: int
    #: key → 0-based position of its column.
    positions: dict[str, int]
    #: key → header as written in the file, or the template header for a column the file does not have.
    headers: dict[str, str]
    #: Columns up to the last header cell with content.
    width: int
    #: (sheet row number, cells) of the data rows with content.
    rows: list[tuple[int, list[Any]]]

    def column(self, key: str) -> list[Any]:
        """Every data row's cell of one column (None where the column or the cell is absent): for lookups in bulk."""
        position = self.positions.get(key)
        if position is None:
            return [None] * len(self.rows)
        return [cells[position] if position < len(cells) else None for _, cells in self.rows]


@dataclass(frozen=True)
class TableReader(Generic[Parsed]):
    """Columns, row parser and wording of one kind of import; ``read`` checks a whole file and writes nothing."""

    #: Normalized header (``normalize``) → key; every alias listed (``column_index``).
    index: Mapping[str, str]
    required: Sequence[str]
    parse_row: RowParser[Parsed] | None = None
    #: What makes two rows the same (None, or a key of None for a row: no check).
    row_key: Callable[[Parsed], Hashable | None] | None = None
    #: The key whose header names a repeated row's error; None: the error names no column.
    row_key_column: str | None = None
    #: key → template header, in the template's order (an absent column's name, the order of a row's errors).
    headers: Mapping[str, str] = field(default_factory=dict)
    #: Normalized headers whose columns are not read (序号, 备注, columns an export shows for reading).
    ignored: Iterable[str] = ()
    wording: Wording = field(default_factory=Wording)
    normalize: Callable[[object], str] = header_key
    #: The header row is the first of the first ``header_search`` rows holding one of these headers;
    #: none given: the first row with content.
    markers: Iterable[str] = ()
    header_search: int = 2
    #: Of a workbook, the first sheet (not skipped) whose first row holds a header of this key; else the first.
    sheet_key: str | None = None
    skip_sheets: Iterable[str] = ()
    #: At most this many data rows (None: no limit), and at most ten times as many sheet rows, blank ones included.
    max_rows: int | None = None
    #: The header's problems as one sentence, reported for the whole file; None: one error per column.
    describe_header: Callable[[HeaderProblems], str] | None = None

    @classmethod
    def of_columns(cls, columns: Sequence[Column], **options: Any) -> Self:
        normalize = options.get("normalize", header_key)
        return cls(
            index=column_index(columns, normalize),
            required=[column.key for column in columns if column.required],
            headers={column.key: column.header for column in columns},
            **options,
        )

    # --- the file -----------------------------------------------------------------------------

    def file_error(self, error: FileError) -> TableErrors:
        if error.code == "empty":
            return TableErrors([RowError(None, "", self.wording.empty)])
        return TableErrors([RowError(None, "", self.wording.file_errors.get(error.code, error.message))])

    def sheet(self, content: bytes, filename: str = "") -> Sheet:
        """The sheet holding the data, or ``TableErrors`` with the file's one problem."""
        choose = None
        if self.sheet_key is not None:
            key_headers = {name for name, key in self.index.items() if key == self.sheet_key}
            choose = self._holds_header(key_headers)
        try:
            return read_table(content, filename, choose=choose, skip_sheets=self.skip_sheets)
        except FileError as error:
            raise self.file_error(error) from None

    def _holds_header(self, names: set[str]) -> Callable[[list[Any]], bool]:
        normalize = self.normalize
        return lambda header: any(normalize(cell) in names for cell in header)

    def table(self, content: bytes, filename: str = "") -> Table:
        """The file read and its header matched; ``TableErrors`` with what is wrong with the file as a whole."""
        return self.table_of(self.sheet(content, filename).rows)

    def table_of(self, rows: list[list[Any]]) -> Table:
        """The header of rows already read matched; ``TableErrors`` otherwise."""
        numbered = self._numbered(rows)
        if not numbered:
            raise TableErrors([RowError(None, "", self.wording.empty)])
        position = self._header_position(numbered)
        header_row, header = numbered[position]
        match = match_headers(header, self.index, normalize=self.normalize, ignored=self.ignored)
        problems = HeaderProblems(
            row=header_row,
            unknown=[(at + 1, written) for at, written in match.unknown],
            duplicates=[(at + 1, written, match.written[key]) for at, written, key in match.duplicates],
            missing=[self.headers.get(key, key) for key in match.missing(self.required)],
        )
        if problems:
            raise TableErrors(self._header_errors(problems))
        # A trailing blank header cell (calamine pads every row to the sheet's width) is no column.
        width = max((at + 1 for at, cell in enumerate(header) if not is_blank(cell)), default=0)
        data = numbered[position + 1 :]
        self._check_beyond_header(data, width)
        if not data:
            raise TableErrors([RowError(None, "", self.wording.no_data)])
        headers = {**self.headers, **match.written}
        return Table(header_row=header_row, positions=match.positions, headers=headers, width=width, rows=data)

    def _numbered(self, rows: list[list[Any]]) -> list[tuple[int, list[Any]]]:
        limit = self.max_rows
        if limit is None:
            return _with_content(rows)
        sheet_limit = 10 * limit
        numbered = _with_content(rows[:sheet_limit])
        if len(numbered) > limit + 1:
            raise TableErrors([RowError(None, "", self.wording.too_many_rows.format(limit=limit))])
        if len(rows) > sheet_limit:
            raise TableErrors([RowError(None, "", self.wording.too_long_sheet.format(limit=sheet_limit))])
        return numbered

    def _header_position(self, numbered: list[tuple[int, list[Any]]]) -> int:
        markers = {self.normalize(marker) for marker in self.markers}
        if not markers:
            return 0
        holds_marker = self._holds_header(markers)
        for position, (_, cells) in enumerate(numbered[: self.header_search]):
            if holds_marker(cells):
                return position
        raise TableErrors([RowError(None, "", self.wording.no_header)])

    def _header_errors(self, problems: HeaderProblems) -> list[RowError]:
        if self.describe_header is not None:
            return [RowError(None, "", self.describe_header(problems))]
        wording, row = self.wording, problems.row
        errors = [RowError(row, written, wording.unknown_column) for _, written in problems.unknown]
        errors += [RowError(row, written, wording.repeated_column) for _, written, _ in problems.duplicates]
        errors += [RowError(row, header, wording.missing_column) for header in problems.missing]
        return errors

    def _check_beyond_header(self, data: list[tuple[int, list[Any]]], width: int) -> None:
        message = self.wording.beyond_header
        if message is None:
            return
        for number, cells in data:
            if len(cells) > width and has_content(cells[width:]):
                column = next(at for at in range(width, len(cells)) if not is_blank(cells[at])) + 1
                raise TableErrors([RowError(None, "", message.format(row=number, column=column))])

    # --- the rows -----------------------------------------------------------------------------

    def parse(
        self, table: Table, parse_row: RowParser[Parsed] | None = None
    ) -> tuple[list[tuple[int, Parsed]], list[RowError]]:
        """Every data row through ``parse_row`` (the reader's own unless given): the rows, and every problem.

        The parser's ``values`` is one view moved from row to row (an object per row costs a tenth of a
        100,000-row import): read it during the call, copy it (``dict(values)``) to keep it.
        """
        parser = parse_row or self.parse_row
        if parser is None:
            raise TypeError("TableReader.parse needs a row parser")
        errors: list[RowError] = []
        parsed: list[tuple[int, Parsed]] = []
        first_row: dict[Hashable, int] = {}
        headers, row_key = table.headers, self.row_key
        values = RowValues([], table.positions)
        for number, cells in table.rows:
            values.cells = cells
            row = parser(number, values, headers, errors)
            if row is None:
                continue
            if row_key is not None:
                key = row_key(row)
                if key is not None and key in first_row:
                    errors.append(self._repeated(table, number, first_row[key], key))
                    continue
                if key is not None:
                    first_row[key] = number
            parsed.append((number, row))
        return parsed, errors

    def _repeated(self, table: Table, number: int, first: int, key: Hashable) -> RowError:
        column = table.headers.get(self.row_key_column, "") if self.row_key_column is not None else ""
        return RowError(number, column, self.wording.repeated_row.format(first=first, key=key))

    def read(self, content: bytes, filename: str = "") -> list[tuple[int, Parsed]]:
        """Every row parsed, or ``TableErrors`` with every problem of the file; nothing is written."""
        table = self.table(content, filename)
        parsed, errors = self.parse(table)
        if errors:
            raise TableErrors(self.in_order(errors, table))
        return parsed

    def in_order(self, errors: Iterable[RowError], table: Table | None = None) -> list[RowError]:
        """By row, and within a row by the template's order of columns (errors naming no column last)."""
        headers = table.headers if table is not None else self.headers
        rank = {headers.get(key, header): position for position, (key, header) in enumerate(self.headers.items())}
        last = len(rank)
        return sorted(errors, key=lambda error: (error.row or 0, rank.get(error.column, last)))
