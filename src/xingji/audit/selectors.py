"""Reading the audit log (for the committee office's audit page and exports)."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta

from django.db.models import Model, QuerySet
from django.utils import timezone

from xingji.audit.models import AuditEntry


def audit_entry_list(
    *,
    actor_id: int | None = None,
    action: str = "",
    object_type: str = "",
    object_id: str = "",
    since: date | None = None,
    until: date | None = None,
) -> QuerySet[AuditEntry]:
    """Entries, newest first, filtered; ``since``/``until`` are local dates, both inclusive.

    ``action`` matches a whole code (``member.deleted``) or a namespace
    (``member``). Access: see ``xingji.accounts.access.can_read_audit``.
    """
    entries = AuditEntry.objects.select_related("actor").order_by("-sequence")
    if actor_id is not None:
        entries = entries.filter(actor_id=actor_id)
    if action:
        entries = entries.filter(action=action) if "." in action else entries.filter(action__startswith=f"{action}.")
    if object_type:
        entries = entries.filter(object_type=object_type)
    if object_id:
        entries = entries.filter(object_id=object_id)
    zone = timezone.get_current_timezone()
    if since is not None:
        entries = entries.filter(created_at__gte=datetime.combine(since, time.min, tzinfo=zone))
    if until is not None:
        entries = entries.filter(created_at__lt=datetime.combine(until + timedelta(days=1), time.min, tzinfo=zone))
    return entries


def audit_kinds_present() -> list[tuple[str, str]]:
    """The distinct ``(action, object_type)`` pairs in the log, for the audit page's filters (one query)."""
    return list(AuditEntry.objects.order_by().values_list("action", "object_type").distinct())


def object_history(obj: Model) -> QuerySet[AuditEntry]:
    """The entries about one object, oldest first."""
    return (
        AuditEntry.objects.select_related("actor")
        .filter(object_type=obj._meta.label_lower, object_id=str(obj.pk))
        .order_by("sequence")
    )
