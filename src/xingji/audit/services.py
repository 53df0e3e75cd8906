"""Writing the audit log: ``audit_log``, and ``snapshot`` to describe an object."""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from typing import TYPE_CHECKING, Any, cast

from django.contrib.auth.models import AnonymousUser
from django.db import transaction
from django.db.models import Field, Model
from django.utils import timezone

from xingji.audit.chain import GENESIS_HASH, entry_hash, to_json_value
from xingji.audit.models import AuditEntry, ChainLock

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
    if not entries:
        return []
    if not transaction.get_connection().in_atomic_block:
        raise transaction.TransactionManagementError(
            "append_audit_entries must run inside the transaction of the change it records"
        )
    if actor is None:
        actor_user, actor_name = None, SYSTEM_ACTOR_NAME
    elif not actor.is_authenticated:
        actor_user, actor_name = None, ANONYMOUS_ACTOR_NAME
    else:
        actor_user, actor_name = actor, str(actor)[:200]
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
    created = []
    for action, obj, before, after in prepared:
        sequence += 1
        entry = AuditEntry(
            sequence=sequence,
            created_at=now,
            actor=actor_user,
            actor_name=actor_name,
            action=action,
            object_type=obj._meta.label_lower,
            object_id=str(obj.pk),
            object_repr=str(obj)[:200],
            before=before,
            after=after,
            previous_hash=previous_hash,
        )
        entry.hash = previous_hash = entry_hash(entry)
        created.append(entry)
    AuditEntry.objects.bulk_create(created, batch_size=500)
    return created
