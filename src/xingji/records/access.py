"""Who may see and change evidence records: through the organization they belong to.

The same semantics as ``xingji.accounts.access``: a record is visible when its
organization is in the user's subtree; a missing record and one outside the
subtree both raise ``Http404`` with one message; a read-only role asking to
write gets ``PermissionDenied``. An attachment is reached only through its
record.
"""

from __future__ import annotations

from typing import Any

from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import ValidationError
from django.db.models import Model, Q, QuerySet
from django.http import Http404

from xingji.accounts.access import (
    NOT_FOUND,
    READ_ONLY,
    access_organization,
    can_write,
    is_inspector_of,
    visible_organizations,
)
from xingji.accounts.models import User
from xingji.common.errors import ActionForbidden
from xingji.records.models import RECORD_MODELS, Attachment, CriticismNotice, EvidenceRecord


def check_can_write(user: User) -> None:
    """Refuse (403) a user whose role only reads."""
    if not can_write(user):
        raise ActionForbidden(READ_ONLY)


def check_may_record(user: User, model: type[EvidenceRecord], organization_id: int) -> None:
    """Refuse a user who may not create, change or delete a record of ``model`` of that organization.

    404 outside the user's subtree; 403 for a read-only role, except an inspection group (督导组) recording
    the criticism notices of its visit (``supervision.services``) for an organization below its node.
    """
    access_organization(user, organization_id)
    if can_write(user):
        return
    if model is CriticismNotice and is_inspector_of(user, organization_id):
        return
    raise ActionForbidden(READ_ONLY)


def holder_organization_id(model: type[Model] | None, holder_id: int | str) -> int:
    """The organization of a holder of attachments (``attachments_organization`` names the lookup); 404 if none."""
    found = None
    if model is not None:
        lookup = getattr(model, "attachments_organization", "organization")
        found = model._default_manager.filter(pk=holder_id).values_list(lookup, flat=True).first()
    if not isinstance(found, int):
        raise Http404(NOT_FOUND)
    return found


def visible_records(user: User, model: type[EvidenceRecord]) -> QuerySet[Any]:
    """The records of ``model`` whose organization the user can see."""
    return model._default_manager.filter(organization__in=visible_organizations(user))


def access_record(user: User, model: type[EvidenceRecord], record_id: object, *, write: bool = False) -> EvidenceRecord:
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


def access_attachment(
    user: User, record: EvidenceRecord, attachment_id: int | str, *, write: bool = False
) -> Attachment:
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


def visible_attachments(user: User) -> QuerySet[Attachment]:
    """The attachments of the records the user can see (for the admin)."""
    condition = Q(pk__in=[])
    for model in RECORD_MODELS:
        condition |= Q(
            content_type=ContentType.objects.get_for_model(model),
            object_id__in=visible_records(user, model).values("pk"),
        )
    return Attachment.objects.filter(condition)
