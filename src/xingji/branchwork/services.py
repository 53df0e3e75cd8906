"""Recording a branch's meetings: each service checks its actor, writes in one transaction and logs it.

``meeting_record`` and ``meeting_update`` take the meeting's facts
(``MeetingFacts``) and its attendance, one ``AttendanceEntry`` per member of
the branch's roll: present, on leave (with the reason) or absent. A date in
the future, a member of another branch, a leave without its reason or a
member named twice is refused with a message naming the field and the
member, and nothing is written. ``meetings_import`` writes the rows of an
import (checked by ``xingji.branchwork.spreadsheets``) all at once.
Attachments are photos and scans: JPG, PNG or PDF, checked by content and
size by ``xingji.records.attachments.check_upload``.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import asdict, dataclass
from datetime import date
from pathlib import PurePath
from typing import IO, Any

from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import QuerySet

from xingji.accounts.models import Actor
from xingji.audit.services import append_audit_entries, audit_log, snapshot
from xingji.branchwork.access import require_record
from xingji.branchwork.models import Attendance, AttendanceStatus, Meeting
from xingji.common.errors import TransitionRefused
from xingji.orgs.models import Member, Organization
from xingji.records import services as record_services
from xingji.records.attachments import EXTENSIONS, check_upload
from xingji.records.models import Attachment, AttachmentType

MEETING_FIELDS = ("organization", "kind", "held_on", "place", "host", "topic", "minutes")
#: What a meeting's attachments may be: photos and scans.
MEETING_FILE_TYPES = frozenset({AttachmentType.JPEG, AttachmentType.PNG, AttachmentType.PDF})
MEETING_FILE_TYPES_TEXT = "照片（JPG、PNG）或 PDF 扫描件"


@dataclass(frozen=True)
class MeetingFacts:
    kind: str
    held_on: date
    place: str
    host: str
    topic: str
    minutes: str = ""


@dataclass(frozen=True)
class AttendanceEntry:
    member_id: int
    status: str
    reason: str = ""


@dataclass(frozen=True)
class ImportedMeeting:
    organization: Organization
    facts: MeetingFacts


def _validated(meeting: Meeting) -> None:
    """The model's own checks (choices, lengths, a date not in the future), keyed by field."""
    meeting.full_clean(exclude=["created_by"])


def _attendance(organization: Organization, entries: Sequence[AttendanceEntry]) -> list[Attendance]:
    """The attendance rows for ``entries``; ``ValidationError`` on ``attendance`` naming the member otherwise."""
    wanted = [entry.member_id for entry in entries]
    members = {member.pk: member for member in Member.objects.filter(pk__in=wanted).select_related("organization")}
    problems: list[str] = []
    seen: set[int] = set()
    rows = []
    for position, entry in enumerate(entries, start=1):
        member = members.get(entry.member_id)
        if member is None:
            problems.append(f"第{position}位参会人员不存在")
            continue
        if member.organization_id != organization.pk:
            problems.append(
                f"党员“{member.name}”属于{member.organization.name}，不是{organization.name}的党员，不能登记参会"
            )
            continue
        if entry.member_id in seen:
            problems.append(f"党员“{member.name}”登记了两次")
            continue
        seen.add(entry.member_id)
        if entry.status not in AttendanceStatus.values:
            problems.append(f"党员“{member.name}”的出席情况“{entry.status}”无效")
            continue
        reason = entry.reason.strip()
        if entry.status == AttendanceStatus.LEAVE and not reason:
            problems.append(f"党员“{member.name}”请假，须填写请假事由")
            continue
        if len(reason) > 200:
            problems.append(f"党员“{member.name}”的请假事由不能超过200字")
            continue
        rows.append(
            Attendance(
                member=member, status=entry.status, reason=reason if entry.status == AttendanceStatus.LEAVE else ""
            )
        )
    if problems:
        raise ValidationError({"attendance": problems}, code="attendance")
    return rows


def _summary(rows: Sequence[Attendance]) -> dict[str, Any]:
    return {
        "attendance": [
            {"member_id": row.member_id, "status": row.status, **({"reason": row.reason} if row.reason else {})}
            for row in rows
        ]
    }


def _apply(meeting: Meeting, facts: MeetingFacts) -> None:
    for name, value in asdict(facts).items():
        setattr(meeting, name, value.strip() if isinstance(value, str) and name != "minutes" else value)


def meeting_record(
    *, organization: Organization, facts: MeetingFacts, attendance: Sequence[AttendanceEntry], actor: Actor
) -> Meeting:
    """Record a meeting of the branch with its attendance (see the module's text)."""
    with transaction.atomic():
        current = Organization.objects.select_for_update().get(pk=organization.pk)
        require_record(actor, current)
        meeting = Meeting(organization=current, created_by=actor)
        _apply(meeting, facts)
        _validated(meeting)
        rows = _attendance(current, attendance)
        meeting.save()
        for row in rows:
            row.meeting = meeting
        Attendance.objects.bulk_create(rows)
        audit_log(
            actor=actor,
            action="meeting.recorded",
            obj=meeting,
            before=None,
            after={**snapshot(meeting, MEETING_FIELDS), **_summary(rows)},
        )
    return meeting


def meeting_update(
    *, meeting: Meeting, facts: MeetingFacts, attendance: Sequence[AttendanceEntry], actor: Actor
) -> Meeting:
    """Change a meeting's facts and replace its attendance."""
    with transaction.atomic():
        current = Meeting.objects.select_for_update().select_related("organization").get(pk=meeting.pk)
        require_record(actor, current.organization)
        before = {**snapshot(current, MEETING_FIELDS), **_summary(list(current.attendances.all()))}
        _apply(current, facts)
        _validated(current)
        rows = _attendance(current.organization, attendance)
        current.save()
        current.attendances.all().delete()
        for row in rows:
            row.meeting = current
        Attendance.objects.bulk_create(rows)
        audit_log(
            actor=actor,
            action="meeting.updated",
            obj=current,
            before=before,
            after={**snapshot(current, MEETING_FIELDS), **_summary(rows)},
        )
    return current


def meetings_import(*, rows: Sequence[ImportedMeeting], actor: Actor) -> list[Meeting]:
    """Write imported meetings (no attendance) in one transaction; the actor must record every branch named."""
    with transaction.atomic():
        checked: set[int] = set()
        meetings = []
        for row in rows:
            if row.organization.pk not in checked:
                require_record(actor, row.organization)
                checked.add(row.organization.pk)
            meeting = Meeting(organization=row.organization, created_by=actor)
            _apply(meeting, row.facts)
            _validated(meeting)
            meetings.append(meeting)
        created = Meeting.objects.bulk_create(meetings)
        append_audit_entries(
            actor=actor,
            entries=[("meeting.imported", meeting, None, snapshot(meeting, MEETING_FIELDS)) for meeting in created],
        )
    return created


# --- attachments -----------------------------------------------------------------------------------


def meeting_attachments(meeting: Meeting) -> QuerySet[Attachment]:
    return Attachment.objects.filter(
        content_type=ContentType.objects.get_for_model(Meeting), object_id=meeting.pk
    ).order_by("uploaded_at", "pk")


def meeting_attachment_add(*, meeting: Meeting, upload: IO[bytes], name: str, size: int, actor: Actor) -> Attachment:
    """Attach a photo or a scan (JPG, PNG, PDF, checked by content and size) to the meeting."""
    # Refused by its name before its content is read (check_upload would offer Word and Excel files too).
    if EXTENSIONS.get(PurePath(name.replace("\\", "/")).suffix.lower()) not in MEETING_FILE_TYPES:
        raise ValidationError(f"会议附件只能是{MEETING_FILE_TYPES_TEXT}", code="attachment_type")
    checked = check_upload(upload, name=name, size=size)
    if checked.file_type not in MEETING_FILE_TYPES:
        raise ValidationError(f"会议附件只能是{MEETING_FILE_TYPES_TEXT}", code="attachment_type")
    with transaction.atomic():
        current = Meeting.objects.select_for_update().select_related("organization").get(pk=meeting.pk)
        require_record(actor, current.organization)
        return record_services.attachment_add(record=current, upload=upload, name=name, size=size, actor=actor)


def meeting_attachment_delete(*, meeting: Meeting, attachment: Attachment, actor: Actor) -> None:
    with transaction.atomic():
        current = Meeting.objects.select_for_update().select_related("organization").get(pk=meeting.pk)
        require_record(actor, current.organization)
        if not meeting_attachments(current).filter(pk=attachment.pk).exists():
            raise TransitionRefused("该文件不属于这次会议", code="attachment")
        record_services.attachment_delete(attachment=attachment, actor=actor)
