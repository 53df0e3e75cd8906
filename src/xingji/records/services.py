"""Changing evidence records and their attachments.

One small set of services serves every kind of record (``model`` says
which); each runs in one transaction and appends exactly one audit entry,
``<kind>.created`` / ``.updated`` / ``.deleted`` (``commendation.created``,
``criticism_notice.deleted`` …) or ``attachment.created`` / ``.deleted``,
with the record's values before and after.

Each service first checks its ``actor`` (``xingji.records.access``), whatever
its caller checked before: the record's organization — its old and its new
one, on a change — must lie in the actor's subtree (else ``Http404``) and the
actor's role must write (else ``ActionForbidden``); an inspection group may
record the criticism notices of its visits. An attachment goes with its
holder's organization. ``actor`` None is the system (the demo loader). Then,
as in ``xingji.orgs.services``, the services check the data (a date not in
the future, a valid level, a member of the record's own organization, no
exact duplicate) and raise ``ValidationError`` in Chinese.

A stored attachment file is removed only after the transaction that deleted
its row commits, so a rollback never leaves a row without its file.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import IO, Any, TypeVar, cast

from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import ValidationError
from django.core.files import File
from django.db import transaction
from django.db.models import Field, Model, QuerySet

from xingji.accounts.access import access_organization
from xingji.accounts.models import Actor
from xingji.audit.services import audit_log, snapshot
from xingji.common.updates import apply_changes
from xingji.records.access import check_may_record, holder_organization_id
from xingji.records.attachments import check_upload
from xingji.records.models import (
    Absence,
    Attachment,
    Commendation,
    CriticismNotice,
    DisciplinaryAction,
    EvidenceRecord,
    Innovation,
    MemberViolation,
)

RecordT = TypeVar("RecordT", bound=EvidenceRecord)

#: The fields a form or an import may set, per kind of record.
RECORD_FIELDS: dict[type[EvidenceRecord], tuple[str, ...]] = {
    Commendation: ("organization", "date", "kind", "recipient", "level", "title", "issuer", "document_number"),
    Innovation: ("organization", "date", "title", "level", "recognized_by"),
    CriticismNotice: ("organization", "date", "issuer", "document_number", "reason"),
    DisciplinaryAction: (
        "organization",
        "date",
        "member",
        "member_name",
        "is_leadership",
        "severity",
        "document_number",
        "reason",
    ),
    MemberViolation: ("organization", "date", "member", "member_name", "description"),
    Absence: ("organization", "date", "kind", "description", "is_excused", "excuse_reason"),
}
ATTACHMENT_FIELDS = ("content_type", "object_id", "original_name", "file_type", "size", "sha256")


def record_fields(model: type[EvidenceRecord]) -> tuple[str, ...]:
    try:
        return RECORD_FIELDS[model]
    except KeyError:
        raise ValueError(f"{model.__name__} is not an evidence record") from None


def record_snapshot(record: EvidenceRecord) -> dict[str, Any]:
    return snapshot(record, record_fields(type(record)))


def _attachments_of(record: EvidenceRecord) -> QuerySet[Attachment]:
    content_type = ContentType.objects.get_for_model(type(record))
    return Attachment.objects.filter(content_type=content_type, object_id=record.pk)


def _check_record(actor: Actor | None, model: type[EvidenceRecord], organization: object) -> None:
    """Refuse an actor who may not write ``model``'s records of ``organization`` (an ``Organization`` or its id)."""
    if actor is None:
        return
    organization_id = getattr(organization, "pk", organization)
    if not isinstance(organization_id, int):
        # No organization, or not one: the record's own validation names the field.
        return
    check_may_record(actor, model, organization_id)


def _check_holder(actor: Actor | None, model: type[Model] | None, holder_id: int | str) -> None:
    if actor is not None:
        access_organization(actor, holder_organization_id(model, holder_id), write=True)


def _field(model: type[Model], name: str) -> Field[Any, Any]:
    return cast("Field[Any, Any]", model._meta.get_field(name))


def _check(record: EvidenceRecord, *, changed: list[str] | None = None) -> None:
    """Validate ``record`` as a whole; ``changed`` (on update) limits the checks that need not be repeated."""
    record.full_clean()
    # Checked when chosen only: a member transferred later stays on the old record.
    member_chosen = changed is None or bool({"member", "organization"} & set(changed))
    member = getattr(record, "member", None)
    if member_chosen and member is not None and member.organization_id != record.organization_id:
        raise ValidationError({"member": "该党员不属于所选党组织"}, code="member_elsewhere")
    twins = type(record)._default_manager.filter(
        **{
            field.attname: field.value_from_object(record)
            for field in (_field(type(record), name) for name in record_fields(type(record)))
        }
    )
    if record.pk is not None:
        twins = twins.exclude(pk=record.pk)
    if twins.exists():
        raise ValidationError("已有一条完全相同的记录", code="duplicate")


def record_create(*, model: type[RecordT], data: Mapping[str, Any], actor: Actor | None) -> RecordT:
    """Create a record of ``model`` from ``data`` (field name → value, among ``RECORD_FIELDS[model]``)."""
    allowed = record_fields(model)
    unknown = sorted(set(data) - set(allowed))
    if unknown:
        raise ValueError(f"{model.__name__} fields that cannot be set here: {', '.join(unknown)}")
    with transaction.atomic():
        _check_record(actor, model, data.get("organization"))
        record = model(**data)
        _check(record)
        record.save()
        audit_log(
            actor=actor,
            action=f"{model.audit_name}.created",
            obj=record,
            before=None,
            after=record_snapshot(record),
        )
    return record


def record_update(*, record: RecordT, data: Mapping[str, Any], actor: Actor | None) -> RecordT:
    """Change a record's fields; return the fresh record (nothing written when nothing changed)."""
    model = type(record)
    with transaction.atomic():
        current: RecordT = model._default_manager.select_for_update().get(pk=record.pk)
        _check_record(actor, model, current.organization_id)
        before = record_snapshot(current)
        changed = apply_changes(current, data, record_fields(model))
        if not changed:
            return current
        if "organization" in changed:
            _check_record(actor, model, current.organization_id)
        _check(current, changed=changed)
        after = record_snapshot(current)
        # ``clean`` may have filled a field (the member's name): save what differs.
        keys = [key for key in after if after[key] != before[key]]
        if not keys:
            return current
        current.save(update_fields=[_field_name(model, key) for key in keys])
        audit_log(
            actor=actor,
            action=f"{model.audit_name}.updated",
            obj=current,
            before={key: before[key] for key in keys},
            after={key: after[key] for key in keys},
        )
    return current


def _field_name(model: type[EvidenceRecord], attname: str) -> str:
    for name in record_fields(model):
        if _field(model, name).attname == attname:
            return name
    raise KeyError(attname)


def record_delete(*, record: EvidenceRecord, actor: Actor | None) -> None:
    """Delete a record with its attachments; the files go once the deletion commits."""
    model = type(record)
    with transaction.atomic():
        current = model._default_manager.select_for_update().get(pk=record.pk)
        _check_record(actor, model, current.organization_id)
        attachments = list(_attachments_of(current).order_by("id"))
        before = record_snapshot(current)
        before["attachments"] = [_attachment_summary(attachment) for attachment in attachments]
        audit_log(actor=actor, action=f"{model.audit_name}.deleted", obj=current, before=before, after=None)
        file_names = [attachment.file.name for attachment in attachments]
        _attachments_of(current).delete()
        current.delete()
        transaction.on_commit(lambda: _remove_files(file_names))


# --- attachments ------------------------------------------------------------------


def _attachment_summary(attachment: Attachment) -> dict[str, Any]:
    return {"original_name": attachment.original_name, "size": attachment.size, "sha256": attachment.sha256}


def _remove_files(names: list[str]) -> None:
    storage = Attachment._meta.get_field("file").storage
    for name in names:
        if name:
            storage.delete(name)


def holds_attachments(obj: Any) -> bool:
    """Whether ``obj``'s model declares it can hold attachments (``holds_attachments = True``)."""
    return bool(getattr(type(obj), "holds_attachments", False))


def attachment_add(*, record: Model, upload: IO[bytes], name: str, size: int, actor: Actor | None) -> Attachment:
    """Store ``upload`` as an attachment of ``record`` after checking its type and size.

    ``record`` is an evidence record or any other saved object whose model
    declares ``holds_attachments = True`` (a self-evaluation criterion score),
    and ``attachments_organization`` when its organization is not its
    ``organization`` field; the actor must write that organization, and the
    holder's own state (a submitted self-evaluation) is its service's to check.
    ``name`` is the uploader's file name (kept for display and download, never
    used as the stored path) and ``size`` its length in bytes.
    """
    if not holds_attachments(record) or record.pk is None:
        raise TypeError(f"{type(record).__name__} cannot hold attachments")
    checked = check_upload(upload, name=name, size=size)
    with transaction.atomic():
        current = type(record)._default_manager.select_for_update().get(pk=record.pk)
        _check_holder(actor, type(current), current.pk)
        attachment = Attachment(
            content_type=ContentType.objects.get_for_model(type(current)),
            object_id=current.pk,
            original_name=checked.original_name,
            file_type=checked.file_type,
            size=checked.size,
            sha256=checked.sha256,
            uploaded_by=actor if actor is not None and actor.is_authenticated else None,
        )
        attachment.file.save(checked.original_name, File(upload), save=False)
        try:
            attachment.full_clean()
            attachment.save()
            audit_log(
                actor=actor,
                action="attachment.created",
                obj=attachment,
                before=None,
                after=snapshot(attachment, ATTACHMENT_FIELDS),
            )
        except BaseException:
            attachment.file.storage.delete(attachment.file.name)
            raise
    return attachment


def attachment_delete(*, attachment: Attachment, actor: Actor | None) -> None:
    with transaction.atomic():
        current = Attachment.objects.select_for_update().get(pk=attachment.pk)
        _check_holder(actor, current.content_type.model_class(), current.object_id)
        audit_log(
            actor=actor,
            action="attachment.deleted",
            obj=current,
            before=snapshot(current, ATTACHMENT_FIELDS),
            after=None,
        )
        file_name = current.file.name
        current.delete()
        transaction.on_commit(lambda: _remove_files([file_name]))
