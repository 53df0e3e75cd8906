"""Writing the audit log: ``audit_log``, and ``snapshot`` to describe an object."""

from __future__ import annotations

import re
import sqlite3
from collections.abc import Iterable, Sequence
from typing import TYPE_CHECKING, Any, cast

from django.contrib.auth.models import AnonymousUser
from django.db import transaction
from django.db.models import Field, Model
from django.utils import timezone

from xingji.audit.chain import GENESIS_HASH, compute_hash, content, format_timestamp, to_json_value
from xingji.audit.models import AuditEntry, ChainLock
from xingji.common.bulk import save_preparer

if TYPE_CHECKING:
    from xingji.accounts.models import User

ACTION_PATTERN = re.compile(r"^[a-z][a-z0-9_]*(\.[a-z][a-z0-9_]*)+$")
SYSTEM_ACTOR_NAME = "系统"
ANONYMOUS_ACTOR_NAME = "匿名"


def snapshot(instance: Model, fields: Iterable[str]) -> dict[str, Any]:
    """The values of ``fields`` of ``instance`` as plain JSON, for ``before``/``after``.

    A foreign key is recorded by its id under the field's attribute name
    (``organization_id``). Fields are named explicitly so that nothing is
    recorded by accident (a password hash, a new personal field): audit
    entries can never be erased.
    """
    data = {}
    for name in fields:
        field = cast("Field[Any, Any]", instance._meta.get_field(name))
        data[field.attname] = to_json_value(field.value_from_object(instance))
    return data


def _lock_chain() -> None:
    """Take the chain lock (held until the caller's transaction ends)."""
    if ChainLock.objects.select_for_update().filter(pk=1).values_list("pk", flat=True):
        return
    # First append ever (or after a test flush): create the row; a concurrent
    # first append waits on the unique key here and then finds the row.
    ChainLock.objects.bulk_create([ChainLock(pk=1)], ignore_conflicts=True)
    ChainLock.objects.select_for_update().get(pk=1)


def audit_log(*, actor: User | AnonymousUser | None, action: str, obj: Model, before: Any, after: Any) -> AuditEntry:
    """Append one entry to the audit chain, inside the caller's transaction.

    ``actor`` is the user who acted, or None for the system (imports, the
    demo loader). ``action`` is a namespaced code, ``<entity>.<past tense>``
    (``organization.created``). ``before``/``after`` are the object's values
    (None for a creation's before and a deletion's after).

    Appends are serialized by a lock row taken here and held until the
    caller's transaction commits or rolls back; so the entry commits or
    vanishes with the change it records, and the chain never forks. Call it
    as the last statement of a service, to hold the lock briefly, and take no
    other lock after it (the fixed order — domain rows first, chain last —
    rules out deadlocks between services).
    """
    return append_audit_entries(actor=actor, entries=[(action, obj, before, after)])[0]


def append_audit_entries(
    *, actor: User | AnonymousUser | None, entries: Sequence[tuple[str, Model, Any, Any]]
) -> list[AuditEntry]:
    """Append ``(action, obj, before, after)`` entries to the audit chain in one INSERT.

    The bulk form of ``audit_log``: the same checks,
    the same chain lock held until the caller's transaction ends, the same
    hash (``xingji.audit.chain.entry_hash``), and the entries in the order
    given, all with one timestamp (they are one change). Call it last in the
    transaction, as ``audit_log``.
    """
    actor_user, rows, ids = _append(actor, entries, returning=True)
    created = []
    new_ids: list[int | None] = list(ids) if ids is not None else [None] * len(rows)
    for row, new_id in zip(rows, new_ids, strict=True):
        sequence, created_at, _, actor_name, action, object_type, object_id, object_repr, before, after = row[:10]
        previous_hash, hashed = row[10:]
        entry = AuditEntry(
            sequence=sequence,
            created_at=created_at,
            actor=actor_user,
            actor_name=actor_name,
            action=action,
            object_type=object_type,
            object_id=object_id,
            object_repr=object_repr,
            before=before,
            after=after,
            previous_hash=previous_hash,
            hash=hashed,
        )
        if new_id is not None:
            entry.pk = new_id
            entry._state.adding, entry._state.db = False, transaction.get_connection().alias
        created.append(entry)
    return created


def append_audit_batch(*, actor: User | AnonymousUser | None, entries: Sequence[tuple[str, Model, Any, Any]]) -> int:
    """``append_audit_entries`` for a caller that needs nothing back: the number of entries appended.

    The same checks, chain lock, hash and order, the same rows; no
    ``AuditEntry`` instance is built and no id read back, a good part of the
    Python cost of appending a rating run's thousands of entries a chunk.
    """
    return len(_append(actor, entries, returning=False)[1])


def _append(
    actor: User | AnonymousUser | None, entries: Sequence[tuple[str, Model, Any, Any]], *, returning: bool
) -> tuple[User | None, list[tuple[Any, ...]], list[int] | None]:
    """Check, chain and insert the entries: (the actor's user, the rows in ``_COLUMNS`` order, their new ids)."""
    if not entries:
        return None, [], []
    if not transaction.get_connection().in_atomic_block:
        raise transaction.TransactionManagementError(
            "append_audit_entries must run inside the transaction of the change it records"
        )
    actor_user: User | None
    if actor is None:
        actor_user, actor_name = None, SYSTEM_ACTOR_NAME
    elif not actor.is_authenticated:
        actor_user, actor_name = None, ANONYMOUS_ACTOR_NAME
    else:
        actor_user, actor_name = actor, str(actor)[:200]
    actor_id = actor_user.pk if actor_user is not None else None
    prepared = []
    for action, obj, before, after in entries:
        if not ACTION_PATTERN.match(action):
            raise ValueError(f"audit action should look like 'organization.created', not {action!r}")
        if obj.pk is None:
            raise ValueError("audit entries need saved objects")
        prepared.append((action, obj, to_json_value(before), to_json_value(after)))

    _lock_chain()
    latest = AuditEntry.objects.order_by("-sequence").values_list("sequence", "hash").first()
    sequence, previous_hash = (latest[0], latest[1]) if latest else (0, GENESIS_HASH)
    now = timezone.now()
    stamp = format_timestamp(now)
    rows = []
    for action, obj, before, after in prepared:
        sequence += 1
        object_type, object_id, object_repr = obj._meta.label_lower, str(obj.pk), str(obj)[:200]
        hashed = compute_hash(
            previous_hash,
            content(sequence, stamp, actor_id, actor_name, action, object_type, object_id, object_repr, before, after),
        )
        rows.append(
            (
                sequence,
                now,
                actor_id,
                actor_name,
                action,
                object_type,
                object_id,
                object_repr,
                before,
                after,
                previous_hash,
                hashed,
            )
        )
        previous_hash = hashed
    return actor_user, rows, _insert(rows, returning=returning)


#: The columns ``_insert`` writes, in order (every field but the primary key).
_COLUMNS = (
    "sequence",
    "created_at",
    "actor",
    "actor_name",
    "action",
    "object_type",
    "object_id",
    "object_repr",
    "before",
    "after",
    "previous_hash",
    "hash",
)


def max_query_params(connection: Any) -> int:
    """How many parameters one statement may carry on ``connection`` (SQLite's compiled limit, read at run time)."""
    if connection.vendor == "sqlite":
        connection.ensure_connection()
        try:
            return int(connection.connection.getlimit(sqlite3.SQLITE_LIMIT_VARIABLE_NUMBER))
        except (AttributeError, sqlite3.Error):  # pragma: no cover - Python < 3.11
            return 999
    return 65535


def bulk_cursor(connection: Any) -> Any:
    """A cursor for statements carrying large parameters (a chunk's arrays), with Django's wrappers.

    On PostgreSQL it binds server-side: psycopg sends an array parameter as
    it is, instead of quoting every element into the statement's text in
    Python (Django's default client-side binding, ~0.3 ms per row of a
    chunk). Elsewhere, the ordinary cursor. Counted and logged as any
    statement (``CaptureQueriesContext``, ``execute_wrapper``).
    """
    if connection.vendor != "postgresql":
        return connection.cursor()
    from django.db.backends.postgresql.base import ServerBindingCursor  # type: ignore[attr-defined]

    connection.ensure_connection()
    return connection._prepare_cursor(ServerBindingCursor(connection.connection))


def _insert(rows: list[tuple[Any, ...]], *, returning: bool) -> list[int] | None:
    """INSERT the rows (``_COLUMNS`` order) in one statement (PostgreSQL; SQLite: as few as its parameter limit
    allows); their new ids when ``returning`` (None where the database cannot say).

    What ``bulk_create`` writes (each value as its field's
    ``get_db_prep_save`` gives it: ``save_preparer``; the new ids read back
    with ``RETURNING`` where the database can), without its per-object
    machinery: a rating run appends thousands of entries at a time. All the
    rows share one timestamp and one actor (``append_audit_entries``).
    """
    connection = transaction.get_connection()
    meta = AuditEntry._meta
    fields = [cast("Field[Any, Any]", meta.get_field(name)) for name in _COLUMNS]
    quote = connection.ops.quote_name
    created_at = fields[1].get_db_prep_save(rows[0][1], connection)
    prepare_json = save_preparer(fields[8])
    assert prepare_json is not None
    values = [(*row[:1], created_at, *row[2:8], prepare_json(row[8]), prepare_json(row[9]), *row[10:]) for row in rows]
    head = f"INSERT INTO {quote(meta.db_table)} ({', '.join(quote(field.column) for field in fields)}) "
    returning = returning and connection.features.can_return_rows_from_bulk_insert
    pk = meta.pk
    assert pk is not None
    tail = f" RETURNING {quote(pk.column)}" if returning else ""
    if connection.vendor == "postgresql":
        # One array a column (``unnest``), as Django's own bulk insert: one short statement for any number of rows.
        arrays = ", ".join(f"(%b)::{str(field.db_type(connection)).split('(')[0]}[]" for field in fields)
        statements: list[tuple[str, list[Any]]] = [
            (f"{head}SELECT * FROM unnest({arrays}){tail}", [list(column) for column in zip(*values, strict=True)])
        ]
    else:
        batch = max(1, max_query_params(connection) // len(_COLUMNS))
        placeholder = "(" + ", ".join(["%s"] * len(_COLUMNS)) + ")"
        statements = [
            (
                f"{head}VALUES {', '.join([placeholder] * len(values[start : start + batch]))}{tail}",
                [value for row in values[start : start + batch] for value in row],
            )
            for start in range(0, len(values), batch)
        ]
    ids: list[int] = []
    with bulk_cursor(connection) as cursor:
        for sql, params in statements:
            cursor.execute(sql, params)
            if returning:
                ids.extend(new_id for (new_id,) in cursor.fetchall())
    return ids if returning else None
