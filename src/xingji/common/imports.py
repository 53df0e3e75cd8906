"""The all-or-nothing import: read the table, check every row, and write only a file without a single error.

``xingji.common.tablereader.TableReader`` reads and checks (pure Python, for
``xingji rate`` too); ``Importer`` adds the transaction. ``run`` reads the file,
parses every row collecting *all* the errors (row, column, reason), refuses
rows repeating an earlier row, and then, inside one ``transaction.atomic()``:

* ``check`` (optional) looks at the rows together and against the database
  (codes already taken, parents, records already stored), under whatever
  lock it takes; its errors join the rows' errors, and any error at all
  raises ``TableErrors`` with every one of them, in row order;
* ``write`` writes every row. A ``TableErrors`` or any other exception it
  raises rolls every row back.

``commit`` is that transactional half alone, for rows parsed otherwise (rows
given directly rather than read from a file).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import TypeVar

from django.db import transaction

from xingji.common.files import format_size, max_bytes
from xingji.common.tablereader import Parsed, RowParser, Table, TableReader, collector_paused, header_key
from xingji.common.tabular import RowError, TableErrors

Written = TypeVar("Written")
Row = TypeVar("Row")


@dataclass(frozen=True)
class Importer(TableReader[Parsed]):
    """Columns, row parser and wording of one kind of import, and the transaction that writes it."""

    def run(
        self,
        content: bytes,
        filename: str,
        write: Callable[[list[Parsed]], Written],
        *,
        check: Callable[[list[tuple[int, Parsed]]], Iterable[RowError]] | None = None,
        parse_row: RowParser[Parsed] | None = None,
        prepare: Callable[[Table], RowParser[Parsed]] | None = None,
    ) -> Written:
        """Read and check every row, then ``write`` them all in one transaction (``TableErrors`` otherwise).

        ``parse_row`` replaces the importer's row parser; ``prepare`` makes one from the table, once its header
        is matched (to look up the organizations a column names, all at once).
        """
        with collector_paused():
            table = self.table(content, filename)
            parsed, errors = self.parse(table, prepare(table) if prepare is not None else parse_row)
        return commit(
            parsed,
            write,
            errors=errors,
            check=check,
            order=lambda found: self.in_order(found, table),
        )


def commit(
    rows: Sequence[tuple[int, Row]],
    write: Callable[[list[Row]], Written],
    *,
    errors: Iterable[RowError] = (),
    check: Callable[[list[tuple[int, Row]]], Iterable[RowError]] | None = None,
    order: Callable[[list[RowError]], list[RowError]] | None = None,
) -> Written:
    """In one transaction: ``check`` the rows, refuse them all if anything is wrong, else ``write`` them all."""
    found = list(errors)
    numbered = list(rows)
    with transaction.atomic():
        if check is not None:
            found += check(numbered)
        if found:
            raise TableErrors(order(found) if order is not None else sorted(found, key=lambda error: error.row or 0))
        return write([row for _, row in numbered])


def header_index(headers: Mapping[str, Iterable[str]]) -> dict[str, str]:
    """key → its header and aliases, as the normalized index ``Importer`` takes."""
    return {header_key(name): key for key, names in headers.items() for name in names}


def check_import_size(size: int) -> None:
    """Refuse a file over the upload limit before reading it."""
    if size > max_bytes():
        raise TableErrors([RowError(None, "", f"文件不能超过 {format_size(max_bytes())}")])
