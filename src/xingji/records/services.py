"""Changing evidence records and their attachments; confirming and sending back claims.

One small set of services serves every kind of record (``model`` says
which); each runs in one transaction and appends exactly one audit entry,
``<kind>.created`` / ``.updated`` / ``.deleted`` / ``.confirmed`` /
``.rejected`` (``commendation.created``, ``criticism_notice.deleted`` …) or
``attachment.created`` / ``.deleted``, with the record's values before and
after — on a change, the old and new value of every field that changed.

Each service first checks its ``actor`` (``xingji.records.access``), whatever
its caller checked before: the record's organization — its old and its new
one, on a change — must lie in the actor's subtree (else ``Http404``), and
the actor must be the one who enters that record (else ``ActionForbidden``):
its issuer (a superior; an inspection group for the criticism notices of its
visits), whose records are confirmed at once, or for a record that adds
points the rated organization itself, whose record is a claim (申报) until a
superior confirms it (``record_confirm``, with at least one attachment) or
sends it back (``record_reject``); nobody changes a record owned above their
node. An attachment of an evidence record goes with the record's terms; one
of any other holder with its organization. ``actor`` None is the system
(the demo loader): what it enters is confirmed. Then, as in
``xingji.orgs.services``, the services check the data (a date not in the
future, a valid level, a member of the record's own organization, no exact
duplicate) and raise ``ValidationError`` in Chinese.

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
from django.http import Http404
from django.utils import timezone

from xingji.accounts.access import NOT_FOUND, access_organization
from xingji.accounts.models import Actor
from xingji.audit.services import audit_log, snapshot
from xingji.common.errors import ActionForbidden, TransitionRefused, required_text
from xingji.common.updates import apply_changes
from xingji.records.access import (
    check_may_change,
    check_may_confirm,
    creation_status,
    holder_organization_id,
)
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
    RecordStatus,
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
#: What the services set besides the data, kept in the audit entries too.
REVIEW_FIELDS = ("status", "entered_by_organization", "confirmed_by_organization", "review_note")
#: The longest reason for sending a claim back.
REVIEW_NOTE_MAX_LENGTH = 1000
#: What a confirmation or a sending back changes, as the audit entries name it.
REVIEW_ATTNAMES = ("status", "confirmed_by_organization_id", "review_note")
MOVED_CONFIRMED = "已确认的记录只能改到本组织能为其登记确认记录的下级组织"


def record_fields(model: type[EvidenceRecord]) -> tuple[str, ...]:
    try:
        return RECORD_FIELDS[model]
    except KeyError:
        raise ValueError(f"{model.__name__} is not an evidence record") from None


def record_snapshot(record: EvidenceRecord) -> dict[str, Any]:
    """The record's data and its review state, as its audit entries keep them."""
    return snapshot(record, (*record_fields(type(record)), *REVIEW_FIELDS))


def _attachments_of(record: EvidenceRecord) -> QuerySet[Attachment]:
    content_type = ContentType.objects.get_for_model(type(record))
    return Attachment.objects.filter(content_type=content_type, object_id=record.pk)


def _status_for(actor: Actor | None, model: type[EvidenceRecord], organization: object) -> str:
    """The status a record entered by ``actor`` for ``organization`` gets; refuse an actor who may not enter it."""
    if actor is None:
        return RecordStatus.CONFIRMED
    organization_id = getattr(organization, "pk", organization)
    if not isinstance(organization_id, int):
        # No organization, or not one: the record's own validation names the field.
        return RecordStatus.CONFIRMED
    return creation_status(actor, model, organization_id)


def _actor_node(actor: Actor | None) -> int | None:
    return actor.organization_id if actor is not None and actor.is_authenticated else None


def _acting_user(actor: Actor | None) -> Actor | None:
    return actor if actor is not None and actor.is_authenticated else None


def _check_holder(actor: Actor | None, holder: Model) -> None:
    """An evidence record's attachments change on the record's terms; any other holder's with its organization."""
    if actor is None:
        return
    if isinstance(holder, EvidenceRecord):
        check_may_change(actor, holder)
        return
    access_organization(actor, holder_organization_id(type(holder), holder.pk), write=True)


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
    """Create a record of ``model`` from ``data`` (field name → value, among ``RECORD_FIELDS[model]``).

    Confirmed when its issuer (or the system) enters it; a claim (待确认) when the rated organization does.
    """
    allowed = record_fields(model)
    unknown = sorted(set(data) - set(allowed))
    if unknown:
        raise ValueError(f"{model.__name__} fields that cannot be set here: {', '.join(unknown)}")
    with transaction.atomic():
        status = _status_for(actor, model, data.get("organization"))
        record = model(**data)
        now = timezone.now()
        record.status = status
        record.entered_by = _acting_user(actor)
        record.entered_by_organization_id = _actor_node(actor)
        record.updated_at = now
        if status == RecordStatus.CONFIRMED:
            record.confirmed_by = _acting_user(actor)
            record.confirmed_by_organization_id = _actor_node(actor)
            record.confirmed_at = now
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


def _check_move(actor: Actor | None, record: EvidenceRecord) -> None:
    """A record moved to another organization: the actor must enter it there as it is (a claim stays a claim)."""
    if actor is None:
        return
    status = _status_for(actor, type(record), record.organization_id)
    if record.status == RecordStatus.CONFIRMED and status != RecordStatus.CONFIRMED:
        raise ActionForbidden(MOVED_CONFIRMED)


def record_update(*, record: RecordT, data: Mapping[str, Any], actor: Actor | None) -> RecordT:
    """Change a record's fields; return the fresh record (nothing written when nothing changed).

    The rated organization's change of its claim sent back (未通过) claims it again (待确认).
    """
    model = type(record)
    with transaction.atomic():
        current: RecordT = model._default_manager.select_for_update().get(pk=record.pk)
        if actor is not None:
            check_may_change(actor, current)
        before = record_snapshot(current)
        changed = apply_changes(current, data, record_fields(model))
        if not changed:
            return current
        if "organization" in changed:
            _check_move(actor, current)
        _check(current, changed=changed)
        if (
            current.status == RecordStatus.REJECTED
            and actor is not None
            and actor.organization_id == before.get("organization_id")
        ):
            current.status, current.review_note = RecordStatus.CLAIMED, ""
        after = record_snapshot(current)
        # ``clean`` may have filled a field (the member's name): save what differs.
        keys = [key for key in after if after[key] != before[key]]
        if not keys:
            return current
        current.updated_at = timezone.now()
        current.save(update_fields=[*(_field_name(model, key) for key in keys), "updated_at"])
        audit_log(
            actor=actor,
            action=f"{model.audit_name}.updated",
            obj=current,
            before={key: before[key] for key in keys},
            after={key: after[key] for key in keys},
        )
    return current


def _field_name(model: type[EvidenceRecord], attname: str) -> str:
    for name in (*record_fields(model), *REVIEW_FIELDS):
        if _field(model, name).attname == attname:
            return name
    raise KeyError(attname)


def record_delete(*, record: EvidenceRecord, actor: Actor | None) -> None:
    """Delete a record with its attachments; the files go once the deletion commits."""
    model = type(record)
    with transaction.atomic():
        current = model._default_manager.select_for_update().get(pk=record.pk)
        if actor is not None:
            check_may_change(actor, current)
        attachments = list(_attachments_of(current).order_by("id"))
        before = record_snapshot(current)
        before["attachments"] = [_attachment_summary(attachment) for attachment in attachments]
        audit_log(actor=actor, action=f"{model.audit_name}.deleted", obj=current, before=before, after=None)
        file_names = [attachment.file.name for attachment in attachments]
        _attachments_of(current).delete()
        current.delete()
        transaction.on_commit(lambda: _remove_files(file_names))


# --- claims: confirming and sending back ---------------------------------------------------


def _review(record: RecordT, actor: Actor, verb: str) -> tuple[RecordT, dict[str, Any]]:
    """The claim locked, after checking the actor and the state; with its review state before."""
    model = type(record)
    current: RecordT = model._default_manager.select_for_update().get(pk=record.pk)
    check_may_confirm(actor, current)
    if current.status != RecordStatus.CLAIMED:
        raise TransitionRefused(
            f"“{current}”{current.get_status_display()}，只有待确认的申报可以{verb}", code="not_claimed"
        )
    return current, {key: value for key, value in record_snapshot(current).items() if key in REVIEW_ATTNAMES}


def record_confirm(*, record: RecordT, actor: Actor) -> RecordT:
    """Confirm (确认) a claim of the rated organization: it counts from now on, owned by the actor's level.

    Only a superior of the record's organization confirms, and only a claim with at least one attachment.
    """
    with transaction.atomic():
        current, before = _review(record, actor, "确认")
        if not _attachments_of(current).exists():
            raise TransitionRefused(
                f"“{current.organization.name}”的申报“{current}”没有附件：请先上传证明材料（附件）再确认",
                code="attachment_missing",
            )
        now = timezone.now()
        current.status, current.review_note = RecordStatus.CONFIRMED, ""
        current.confirmed_by, current.confirmed_by_organization_id = _acting_user(actor), _actor_node(actor)
        current.confirmed_at = current.updated_at = now
        current.save(
            update_fields=[
                "status",
                "review_note",
                "confirmed_by",
                "confirmed_by_organization",
                "confirmed_at",
                "updated_at",
            ]
        )
        after = {key: value for key, value in record_snapshot(current).items() if key in REVIEW_ATTNAMES}
        audit_log(actor=actor, action=f"{type(current).audit_name}.confirmed", obj=current, before=before, after=after)
    return current


def record_reject(*, record: RecordT, reason: str, actor: Actor) -> RecordT:
    """Send a claim back (退回) with the reason: it does not count; the rated organization may correct it."""
    with transaction.atomic():
        current, before = _review(record, actor, "退回")
        current.review_note = required_text(reason, "退回理由", maximum=REVIEW_NOTE_MAX_LENGTH)
        current.status, current.updated_at = RecordStatus.REJECTED, timezone.now()
        current.save(update_fields=["status", "review_note", "updated_at"])
        after = {key: value for key, value in record_snapshot(current).items() if key in REVIEW_ATTNAMES}
        audit_log(actor=actor, action=f"{type(current).audit_name}.rejected", obj=current, before=before, after=after)
    return current


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
        _check_holder(actor, current)
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


def _holder(attachment: Attachment) -> Model:
    """The object an attachment proves; 404 when it is gone or its kind is unknown."""
    model = attachment.content_type.model_class()
    holder = model._default_manager.filter(pk=attachment.object_id).first() if model is not None else None
    if holder is None:
        raise Http404(NOT_FOUND)
    return holder


def attachment_delete(*, attachment: Attachment, actor: Actor | None) -> None:
    with transaction.atomic():
        current = Attachment.objects.select_for_update().get(pk=attachment.pk)
        if actor is not None:
            _check_holder(actor, _holder(current))
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
