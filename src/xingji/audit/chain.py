"""The hash chain of the audit log, defined precisely enough to check from outside.

For entry *n*::

    hash_n = SHA-256( previous_hash_n  ||  canonical_json(content_n) )   (hex, lower case)
    previous_hash_n = hash_(n-1), and 64 zeros ("0" * 64) for the first entry

where ``||`` is byte concatenation of the ASCII hex digest and the UTF-8
bytes of the JSON, and ``content_n`` is the object::

    {"sequence": n, "created_at": "2026-06-01T08:30:00.123456+00:00",
     "actor_id": 7 | null, "actor_name": "...", "action": "organization.created",
     "object_type": "orgs.organization", "object_id": "42", "object_repr": "...",
     "before": {...} | null, "after": {...} | null}

``canonical_json`` sorts keys, uses no whitespace (``","`` and ``":"``) and
writes non-ASCII characters as themselves (``ensure_ascii=False``).
``created_at`` is in UTC with microseconds. Values inside ``before`` and
``after`` are plain JSON: dates and times are ISO 8601 strings, decimals and
other non-integer numbers are strings (``"86.50"``), so that the stored JSON —
whatever the database does to numbers — hashes the same when read back.
"""

from __future__ import annotations

import datetime
import decimal
import hashlib
import json
import uuid
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any

from django.db.models import Model

from xingji.audit.models import AuditEntry

GENESIS_HASH = "0" * 64


def to_json_value(value: Any) -> Any:
    """The plain-JSON form of a value recorded in an audit entry."""
    if value is None or isinstance(value, bool):
        return value
    # int() and str() also turn IntegerChoices and TextChoices members into plain values.
    if isinstance(value, int):
        return int(value)
    if isinstance(value, str | float | decimal.Decimal | uuid.UUID):
        return str(value)
    if isinstance(value, datetime.date | datetime.time):  # a datetime is a date too
        return value.isoformat()
    if isinstance(value, Model):
        return to_json_value(value.pk)
    if isinstance(value, Mapping):
        return _json_object(value)
    if isinstance(value, list | tuple | set | frozenset):
        items = [to_json_value(item) for item in value]
        return sorted(items, key=canonical_json) if isinstance(value, set | frozenset) else items
    if hasattr(value, "value") and isinstance(value.value, str | int):  # an Enum / Choices member
        return value.value
    raise TypeError(f"cannot record {type(value).__name__} in the audit log")


def _json_object(value: Mapping[Any, Any]) -> dict[str, Any]:
    result = {}
    for key, item in value.items():
        if not isinstance(key, str):
            raise TypeError(f"audit values need string keys, not {key!r}")
        result[key] = to_json_value(item)
    return result


def canonical_json(value: Any) -> str:
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False, allow_nan=False)


def format_timestamp(moment: datetime.datetime) -> str:
    return moment.astimezone(datetime.UTC).isoformat(timespec="microseconds")


def entry_content(entry: AuditEntry) -> dict[str, Any]:
    """The hashed content of an entry (everything but the two hashes)."""
    return content(
        entry.sequence,
        format_timestamp(entry.created_at),
        entry.actor_id,
        entry.actor_name,
        entry.action,
        entry.object_type,
        entry.object_id,
        entry.object_repr,
        entry.before,
        entry.after,
    )


def content(
    sequence: int,
    created_at: str,
    actor_id: int | None,
    actor_name: str,
    action: str,
    object_type: str,
    object_id: str,
    object_repr: str,
    before: Any,
    after: Any,
) -> dict[str, Any]:
    """The hashed content of an entry from its values (``created_at`` formatted): what an append hashes, per row."""
    return {
        "sequence": sequence,
        "created_at": created_at,
        "actor_id": actor_id,
        "actor_name": actor_name,
        "action": action,
        "object_type": object_type,
        "object_id": object_id,
        "object_repr": object_repr,
        "before": before,
        "after": after,
    }


def compute_hash(previous_hash: str, content: Mapping[str, Any]) -> str:
    digest = hashlib.sha256()
    digest.update(previous_hash.encode("ascii"))
    digest.update(canonical_json(content).encode("utf-8"))
    return digest.hexdigest()


def entry_hash(entry: AuditEntry) -> str:
    return compute_hash(entry.previous_hash, entry_content(entry))


def head_hash() -> str:
    """The hash of the latest entry (the genesis hash for an empty log).

    Printed on public notices and result exports: anyone who kept it can
    later tell whether the log up to that point was rewritten or cut short.
    """
    latest = AuditEntry.objects.order_by("-sequence").values_list("hash", flat=True).first()
    return latest or GENESIS_HASH


@dataclass(frozen=True)
class BrokenEntry:
    """The first entry at which the chain does not verify, and why."""

    entry: AuditEntry
    reason: str

    def __str__(self) -> str:
        return f"#{self.entry.sequence}（id {self.entry.pk}，{self.entry.action}）：{self.reason}"


@dataclass(frozen=True)
class ChainStatus:
    count: int
    head_hash: str
    broken: BrokenEntry | None

    @property
    def is_intact(self) -> bool:
        return self.broken is None


def _entries(chunk_size: int) -> Iterator[AuditEntry]:
    return AuditEntry.objects.order_by("sequence").iterator(chunk_size=chunk_size)


def check_chain(*, chunk_size: int = 2000) -> ChainStatus:
    """Walk the whole chain in order; stop at the first entry that does not verify."""
    expected_previous = GENESIS_HASH
    expected_sequence = 1
    count = 0
    for entry in _entries(chunk_size):
        if entry.sequence != expected_sequence:
            reason = f"序号应为 {expected_sequence}，实为 {entry.sequence}（缺少或插入了记录）"
        elif entry.previous_hash != expected_previous:
            reason = "前一条的哈希与前一条记录不符（前面的记录被删除、插入或改动）"
        elif entry_hash(entry) != entry.hash:
            reason = "内容与哈希不符（记录被改动）"
        else:
            expected_previous = entry.hash
            expected_sequence += 1
            count += 1
            continue
        return ChainStatus(count=count, head_hash=expected_previous, broken=BrokenEntry(entry, reason))
    return ChainStatus(count=count, head_hash=expected_previous, broken=None)


def verify_chain() -> BrokenEntry | None:
    """The first broken entry of the chain (with the reason), or None when it is intact."""
    return check_chain().broken
