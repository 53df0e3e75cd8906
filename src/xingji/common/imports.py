"""The all-or-nothing import: read the table, check every row, and write only a file without a single error.

An importer is configured with its columns (normalized header → key, the
required keys) and a row parser; ``run`` reads the file through
``xingji.common.tabular``, parses every row collecting *all* the errors
(row, column, reason), refuses rows repeating an earlier row, and only then
calls the writer inside one ``transaction.atomic()``: an exception while
writing rolls every row back.
"""

from __future__ import annotations

from collections.abc import Callable, Hashable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Generic, TypeVar

from django.db import transaction

from xingji.common.tabular import RowError, TableErrors, match_headers, normalize_header, read_table

Parsed = TypeVar("Parsed")
Written = TypeVar("Written")


@dataclass(frozen=True)
class Importer(Generic[Parsed]):
    """Columns and the row parser of one kind of import."""

    #: Normalized header (``tabular.normalize_header``) → key; put every alias here.
    index: Mapping[str, str]
    required: Sequence[str]
    #: (sheet row number, key → cell, key → header as written, the errors to append to) → the row, or None.
    parse_row: Callable[[int, Mapping[str, Any], Mapping[str, str], list[RowError]], Parsed | None]
    #: What makes two rows the same (None: no check).
    row_key: Callable[[Parsed], Hashable] | None = None
    headers: Mapping[str, str] = field(default_factory=dict)  # key -> template header, for a missing column
    ignored: Iterable[str] = ()

    def read(self, content: bytes, filename: str = "") -> list[tuple[int, Parsed]]:
        """Every row parsed, or ``TableErrors`` with every problem of the file; nothing is written."""
        rows = read_table(content, filename).numbered()
        if not rows:
            raise TableErrors([RowError(None, "", "文件是空的")])
        header_number, header = rows[0]
        match = match_headers(header, self.index, ignored=self.ignored)
        errors = [RowError(header_number, written, "无法识别的列") for _, written in match.unknown]
        errors += [RowError(header_number, written, "列重复") for _, written, _ in match.duplicates]
        errors += [
            RowError(header_number, self.headers.get(key, key), "缺少必填列") for key in match.missing(self.required)
        ]
        if errors:
            raise TableErrors(errors)
        parsed = self._parse_rows(rows[1:], match.positions, match.written, errors)
        if errors:
            raise TableErrors(sorted(errors, key=lambda error: error.row or 0))
        return parsed

    def _parse_rows(
        self,
        rows: list[tuple[int, list[Any]]],
        positions: dict[str, int],
        written: dict[str, str],
        errors: list[RowError],
    ) -> list[tuple[int, Parsed]]:
        parsed: list[tuple[int, Parsed]] = []
        first_row: dict[Hashable, int] = {}
        for number, cells in rows:
            values = {key: cells[position] if position < len(cells) else None for key, position in positions.items()}
            row = self.parse_row(number, values, written, errors)
            if row is None:
                continue
            if self.row_key is not None:
                key = self.row_key(row)
                if key in first_row:
                    errors.append(RowError(number, "", f"与第{first_row[key]}行重复"))
                    continue
                first_row[key] = number
            parsed.append((number, row))
        return parsed

    def run(self, content: bytes, filename: str, write: Callable[[list[Parsed]], Written]) -> Written:
        """Read and check every row, then ``write`` them all in one transaction (``TableErrors`` otherwise)."""
        rows = [row for _, row in self.read(content, filename)]
        with transaction.atomic():
            return write(rows)


def header_index(headers: Mapping[str, Iterable[str]]) -> dict[str, str]:
    """key → its header and aliases, as the normalized index ``Importer`` takes."""
    return {normalize_header(name): key for key, names in headers.items() for name in names}
