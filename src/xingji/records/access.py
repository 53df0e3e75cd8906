"""Who may see and change evidence records: through the organization they belong to.

The same semantics as ``xingji.accounts.access``: a record is visible when its
organization is in the user's subtree; a missing record and one outside the
subtree both raise ``Http404`` with one message; a read-only role asking to
write gets ``PermissionDenied``. An attachment is reached only through its
record.
"""

from __future__ import annotations

from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Q, QuerySet
from django.http import Http404

from xingji.accounts.access import NOT_FOUND, READ_ONLY, can_write, visible_organizations
from xingji.records.models import RECORD_MODELS, Attachment, EvidenceRecord


def check_can_write(user) -> None:
    """Refuse (403) a user whose role only reads."""
    if not can_write(user):
        raise PermissionDenied(READ_ONLY)


def visible_records(user, model: type[EvidenceRecord]) -> QuerySet:
    """The records of ``model`` whose organization the user can see."""
    return model.objects.filter(organization__in=visible_organizations(user))


def access_record(user, model: type[EvidenceRecord], record_id, *, write: bool = False) -> EvidenceRecord:
    """The record, if the user may see it (and change it, with ``write``); else 404 (or 403)."""
    try:
        record = visible_records(user, model).select_related("organization").filter(pk=record_id).first()
    except (TypeError, ValueError, ValidationError):
        record = None
    if record is None:
        raise Http404(NOT_FOUND)
    if write:
        check_can_write(user)
    return record


def access_attachment(user, record: EvidenceRecord, attachment_id, *, write: bool = False) -> Attachment:
    """An attachment of ``record`` (itself obtained through ``access_record``); else 404 (or 403)."""
    content_type = ContentType.objects.get_for_model(type(record))
    try:
        attachment = Attachment.objects.filter(pk=attachment_id, content_type=content_type, object_id=record.pk).first()
    except (TypeError, ValueError, ValidationError):
        attachment = None
    if attachment is None:
        raise Http404(NOT_FOUND)
    if write:
        check_can_write(user)
    return attachment


def visible_attachments(user) -> QuerySet[Attachment]:
    """The attachments of the records the user can see (for the admin)."""
    condition = Q(pk__in=[])
    for model in RECORD_MODELS:
        condition |= Q(
            content_type=ContentType.objects.get_for_model(model),
            object_id__in=visible_records(user, model).values("pk"),
        )
    return Attachment.objects.filter(condition)
