"""Rows written in bulk: ids drawn first, then one COPY on PostgreSQL, batched INSERTs elsewhere.

``insert_rows(model, names, rows)`` writes plain value tuples (in the order
of ``names``, field names of the model's own columns) and returns the ids it
gave them, in the same order, so that the caller can link the next table's
rows without reading anything back. It is the path for generated or imported
data at a province's size (100,000 organizations, 3,000,000 members): no
model instance is built, no signal sent, no ``save`` run, and the caller
answers for what ``save`` would have checked.

On PostgreSQL the ids are drawn from the table's sequence in one statement
and the rows sent with a binary ``COPY`` (nothing turned into text and
parsed back); elsewhere (SQLite) the ids follow the largest one in the table,
inside the caller's transaction, and the rows go in ``executemany`` batches.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Sequence
from functools import partial
from typing import Any

from django.db import connection, models, transaction

#: Rows per ``executemany`` batch where there is no COPY.
BATCH = 5000


def _column(model: type[models.Model], name: str) -> models.Field[Any, Any]:
    field = model._meta.get_field(name)
    if not isinstance(field, models.Field) or not field.concrete:
        raise TypeError(f"{model.__name__}.{name} is not one of the table's columns")
    return field


def insert_rows(model: type[models.Model], names: Sequence[str], rows: Sequence[Sequence[Any]]) -> list[int]:
    """Insert ``rows`` (values in ``names`` order) into ``model``'s table; return their new ids in order."""
    if not rows:
        return []
    if not transaction.get_connection().in_atomic_block:
        raise transaction.TransactionManagementError("insert_rows must run inside the caller's transaction")
    fields = [_column(model, name) for name in names]
    pk = model._meta.pk
    assert pk is not None
    quote = connection.ops.quote_name
    table = quote(model._meta.db_table)
    columns = ", ".join(quote(column) for column in (pk.column, *(field.column for field in fields)))
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute(
                "SELECT array_agg(id ORDER BY id) FROM"
                " (SELECT nextval(pg_get_serial_sequence(%s, %s)) AS id FROM generate_series(1, %s)) AS drawn",
                [model._meta.db_table, pk.column, len(rows)],
            )
            ids: list[int] = cursor.fetchone()[0]
            types = [(field.db_type(connection) or "").split("(", 1)[0] for field in (pk, *fields)]
            statement = f"COPY {table} ({columns}) FROM STDIN (FORMAT BINARY)"
            with connection.wrap_database_errors, cursor.cursor.copy(statement) as copy:
                copy.set_types(types)
                for row_id, row in zip(ids, rows, strict=True):
                    copy.write_row((row_id, *row))
            return ids
        cursor.execute(f"SELECT COALESCE(MAX({quote(pk.column)}), 0) FROM {table}")
        first = int(cursor.fetchone()[0]) + 1
        ids = list(range(first, first + len(rows)))
        placeholders = ", ".join(["%s"] * (len(fields) + 1))
        statement = f"INSERT INTO {table} ({columns}) VALUES ({placeholders})"
        for start in range(0, len(rows), BATCH):
            cursor.executemany(statement, _numbered(ids[start : start + BATCH], rows[start : start + BATCH]))
    return ids


def _numbered(ids: Sequence[int], rows: Iterable[Sequence[Any]]) -> list[tuple[Any, ...]]:
    return [(row_id, *row) for row_id, row in zip(ids, rows, strict=True)]


def save_preparer(field: models.Field[Any, Any]) -> Callable[[Any], Any] | None:
    """What turns a value of ``field`` into what its ``get_db_prep_save`` sends; None: the value is sent as it is.

    For statements that write thousands of values a column (a rating run's
    chunk of results, its audit entries). A decimal, an integer or a text of
    its field's own type comes out of that preparation unchanged. A JSON
    document becomes the text Django's ``JSONField`` sends (``json.dumps``
    with the field's encoder; None is SQL NULL), which PostgreSQL reads into
    ``jsonb`` and SQLite stores: psycopg's adapter (a ``Jsonb`` wrapper a
    document, serialized while the statement is sent) is the slower way to
    the same text. Any other field: its own ``get_db_prep_save``.
    """
    if isinstance(field, models.JSONField):
        return partial(_json_text, encoder=field.encoder)
    if isinstance(field, models.DecimalField | models.IntegerField | models.CharField) and not field.is_relation:
        return None
    return partial(field.get_db_prep_save, connection=connection)


def _json_text(value: Any, *, encoder: type[json.JSONEncoder] | None) -> str | None:
    return None if value is None else json.dumps(value, cls=encoder)
