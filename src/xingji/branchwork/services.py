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

A superior organization's meeting for its subordinates (a kind of
``CONVENED_KINDS``: 工作会议, 培训) takes, besides, the attendance of the
organizations invited (``UnitEntry``: present, on leave with the reason,
absent), each a strict descendant of the convener, else refused naming the
row. A unit absent is the unit's evidence record of an unexcused absence
(``records.Absence``: kind 会议, or 培训 for a training; dated the meeting's
day; its description the convener, the kind and the topic; confirmed, as
entered by a superior); a unit on leave an excused one with the reason.
The records are written through ``xingji.records.services`` (with their own
audit entries) in the meeting's transaction, and follow the meeting: a
changed status, date, kind or topic changes them, a unit no longer absent or
no longer invited removes its record. A record deleted on the records pages
is not written again until the unit's status or reason changes.

``meeting_delete`` removes a meeting with its attendance, its units' records
and its attachments. It is allowed whatever campaign has rated the year: the
compliance is computed from the meetings (``selectors``) and simply counts
one meeting less; an evaluation rated already keeps its stored result.

``appraisal_save`` records a branch's yearly appraisal of its members
(民主评议党员): a grade per member (``GradeEntry``; an empty grade leaves
the member ungraded) and the branch's conclusion. A grade for a member of
another branch is refused naming the member. ``appraisal_follow_up_open``
decides what follows a 不合格 grade (限期改正, 劝退, 除名, with a deadline) and
puts it on the branch's rectification ledger through
``xingji.ledger.services.item_open``, in the same transaction.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import asdict, dataclass
from datetime import date
from pathlib import PurePath
from typing import IO, Any

from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import QuerySet
from django.utils import timezone

from xingji.accounts.models import Actor
from xingji.audit.services import append_audit_entries, audit_log, snapshot
from xingji.branchwork.access import require_appraise, require_change_meeting, require_convene, require_record
from xingji.branchwork.models import (
    CONVENED_KINDS,
    Appraisal,
    AppraisalFollowUp,
    AppraisalGrade,
    Attendance,
    AttendanceStatus,
    FollowUpKind,
    Grade,
    Meeting,
    MeetingKind,
    UnitAttendance,
)
from xingji.common.errors import TransitionRefused
from xingji.ledger import services as ledger_services
from xingji.ledger.models import ItemSource
from xingji.orgs.models import Member, Organization
from xingji.records import services as record_services
from xingji.records.attachments import EXTENSIONS, check_upload
from xingji.records.models import Absence, AbsenceKind, Attachment, AttachmentType

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
class UnitEntry:
    """One subordinate organization invited to a convened meeting (参会单位)."""

    organization_id: int
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


def _require_for(actor: Actor, organization: Organization, kind: str) -> None:
    """A convened kind: the convener's recorders; any other: the branch's (``NOT_A_BRANCH`` for a superior)."""
    if kind in CONVENED_KINDS:
        require_convene(actor, organization)
    else:
        require_record(actor, organization)


def _units(convener: Organization, entries: Sequence[UnitEntry]) -> list[UnitAttendance]:
    """The unit rows for ``entries``; ``ValidationError`` on ``units`` naming the row otherwise."""
    found = {
        organization.pk: organization
        for organization in Organization.objects.filter(pk__in=[entry.organization_id for entry in entries])
    }
    problems: list[str] = []
    seen: set[int] = set()
    rows = []
    for position, entry in enumerate(entries, start=1):
        unit = found.get(entry.organization_id)
        if unit is None:
            problems.append(f"第{position}个参会单位不存在")
            continue
        if unit.pk == convener.pk or not unit.path.startswith(convener.path):
            problems.append(f"第{position}个参会单位“{unit.name}”不是{convener.name}的下级组织，不能登记参会")
            continue
        if unit.pk in seen:
            problems.append(f"参会单位“{unit.name}”登记了两次")
            continue
        seen.add(unit.pk)
        if entry.status not in AttendanceStatus.values:
            problems.append(f"参会单位“{unit.name}”的出席情况“{entry.status}”无效")
            continue
        reason = entry.reason.strip()
        if entry.status == AttendanceStatus.LEAVE and not reason:
            problems.append(f"参会单位“{unit.name}”请假，须填写请假事由")
            continue
        if len(reason) > 200:
            problems.append(f"参会单位“{unit.name}”的请假事由不能超过200字")
            continue
        rows.append(
            UnitAttendance(
                organization=unit,
                status=entry.status,
                reason=reason if entry.status == AttendanceStatus.LEAVE else "",
            )
        )
    if problems:
        raise ValidationError({"units": problems}, code="units")
    return rows


def _units_summary(rows: Sequence[UnitAttendance]) -> dict[str, Any]:
    return {
        "units": [
            {
                "organization_id": row.organization_id,
                "status": row.status,
                **({"reason": row.reason} if row.reason else {}),
            }
            for row in sorted(rows, key=lambda row: row.organization_id)
        ]
    }


def _absence_data(meeting: Meeting, row: UnitAttendance) -> dict[str, Any] | None:
    """What the unit's evidence record says: none for a unit present."""
    if row.status == AttendanceStatus.PRESENT:
        return None
    label = MeetingKind(meeting.kind).label
    return {
        "organization": row.organization,
        "date": meeting.held_on,
        "kind": AbsenceKind.TRAINING if meeting.kind == MeetingKind.TRAINING else AbsenceKind.MEETING,
        "description": f"{meeting.organization.name}{label}：{meeting.topic}"[:300],
        "is_excused": row.status == AttendanceStatus.LEAVE,
        "excuse_reason": row.reason if row.status == AttendanceStatus.LEAVE else "",
    }


def _differs(absence: Absence, data: dict[str, Any]) -> bool:
    return any(
        (absence.organization_id != value.pk) if name == "organization" else getattr(absence, name) != value
        for name, value in data.items()
    )


def _on_record(unit: Organization, action: Any) -> Any:
    """Run a write of the unit's evidence record; its refusal, as the unit's row of the form."""
    try:
        return action()
    except ValidationError as error:
        raise ValidationError(
            {"units": [f"参会单位“{unit.name}”的缺席记录：{'；'.join(error.messages)}"]}, code="units"
        ) from error
    except PermissionDenied as error:
        raise ValidationError({"units": [f"参会单位“{unit.name}”的缺席记录不能修改：{error}"]}, code="units") from error


#: The meeting's fields its units' evidence records repeat.
ABSENCE_SOURCE_FIELDS = ("held_on", "kind", "topic")


def _sync_units(
    meeting: Meeting, entries: Sequence[UnitEntry], actor: Actor, *, facts_changed: bool = False
) -> list[UnitAttendance]:
    """Replace the meeting's units by ``entries`` and keep their evidence records in step (module's text).

    A record is rewritten only when its unit's row or the meeting's ``ABSENCE_SOURCE_FIELDS`` changed
    (``facts_changed``), so that a change made on the records pages survives a save of the meeting.
    """
    wanted = _units(meeting.organization, entries)
    existing = {
        row.organization_id: row
        for row in meeting.unit_attendances.select_related("organization", "absence").select_for_update(of=("self",))
    }
    kept: list[UnitAttendance] = []
    for row in wanted:
        old = existing.pop(row.organization.pk, None)
        changed = old is None or (old.status, old.reason) != (row.status, row.reason)
        if old is not None:
            old.status, old.reason = row.status, row.reason
            row = old
        else:
            row.meeting = meeting
        data = _absence_data(meeting, row)
        absence = row.absence
        unit = row.organization
        if data is None and absence is not None:
            _on_record(unit, lambda absence=absence: record_services.record_delete(record=absence, actor=actor))
            row.absence = None
        elif data is not None and absence is None and changed:
            row.absence = _on_record(
                unit, lambda data=data: record_services.record_create(model=Absence, data=data, actor=actor)
            )
        elif data is not None and absence is not None and (changed or facts_changed) and _differs(absence, data):
            row.absence = _on_record(
                unit,
                lambda absence=absence, data=data: record_services.record_update(
                    record=absence, data=data, actor=actor
                ),
            )
        row.save()
        kept.append(row)
    for row in existing.values():
        if row.absence is not None:
            absence = row.absence
            _on_record(
                row.organization, lambda absence=absence: record_services.record_delete(record=absence, actor=actor)
            )
        row.delete()
    return kept


def meeting_record(
    *,
    organization: Organization,
    facts: MeetingFacts,
    attendance: Sequence[AttendanceEntry],
    actor: Actor,
    units: Sequence[UnitEntry] = (),
) -> Meeting:
    """Record a meeting of the branch with its attendance, or a superior's meeting with its units (module's text)."""
    with transaction.atomic():
        current = Organization.objects.select_for_update().get(pk=organization.pk)
        _require_for(actor, current, facts.kind)
        meeting = Meeting(organization=current, created_by=actor)
        _apply(meeting, facts)
        _validated(meeting)
        rows = _attendance(current, attendance)
        meeting.save()
        for row in rows:
            row.meeting = meeting
        Attendance.objects.bulk_create(rows)
        unit_rows = _sync_units(meeting, units, actor)
        audit_log(
            actor=actor,
            action="meeting.recorded",
            obj=meeting,
            before=None,
            after={
                **snapshot(meeting, MEETING_FIELDS),
                **_summary(rows),
                **(_units_summary(unit_rows) if unit_rows else {}),
            },
        )
    return meeting


def meeting_update(
    *,
    meeting: Meeting,
    facts: MeetingFacts,
    attendance: Sequence[AttendanceEntry],
    actor: Actor,
    units: Sequence[UnitEntry] | None = None,
) -> Meeting:
    """Change a meeting's facts and replace its attendance (and its units, unless ``units`` is None)."""
    with transaction.atomic():
        current = Meeting.objects.select_for_update().select_related("organization").get(pk=meeting.pk)
        require_change_meeting(actor, current)
        _require_for(actor, current.organization, facts.kind)
        old_units = list(current.unit_attendances.all())
        before = {
            **snapshot(current, MEETING_FIELDS),
            **_summary(list(current.attendances.all())),
            **(_units_summary(old_units) if old_units else {}),
        }
        source = [getattr(current, name) for name in ABSENCE_SOURCE_FIELDS]
        _apply(current, facts)
        _validated(current)
        rows = _attendance(current.organization, attendance)
        current.save()
        current.attendances.all().delete()
        for row in rows:
            row.meeting = current
        Attendance.objects.bulk_create(rows)
        if units is None:
            units = [
                UnitEntry(organization_id=row.organization_id, status=row.status, reason=row.reason)
                for row in old_units
            ]
        facts_changed = source != [getattr(current, name) for name in ABSENCE_SOURCE_FIELDS]
        unit_rows = _sync_units(current, units, actor, facts_changed=facts_changed)
        audit_log(
            actor=actor,
            action="meeting.updated",
            obj=current,
            before=before,
            after={
                **snapshot(current, MEETING_FIELDS),
                **_summary(rows),
                **(_units_summary(unit_rows) if unit_rows or old_units else {}),
            },
        )
    return current


def meeting_delete(*, meeting: Meeting, actor: Actor) -> None:
    """Delete a meeting with its attendance, its units' evidence records and its attachments (module's text)."""
    with transaction.atomic():
        current = Meeting.objects.select_for_update().select_related("organization").get(pk=meeting.pk)
        require_change_meeting(actor, current)
        unit_rows = list(current.unit_attendances.select_related("organization", "absence"))
        attachments = list(meeting_attachments(current))
        before = {
            **snapshot(current, MEETING_FIELDS),
            **_summary(list(current.attendances.all())),
            **(_units_summary(unit_rows) if unit_rows else {}),
            "attachments": [attachment.display_name for attachment in attachments],
        }
        for row in unit_rows:
            if row.absence is not None:
                absence = row.absence
                _on_record(
                    row.organization,
                    lambda absence=absence: record_services.record_delete(record=absence, actor=actor),
                )
        for attachment in attachments:
            record_services.attachment_delete(attachment=attachment, actor=actor)
        audit_log(actor=actor, action="meeting.deleted", obj=current, before=before, after=None)
        current.delete()


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
        require_change_meeting(actor, current)
        return record_services.attachment_add(record=current, upload=upload, name=name, size=size, actor=actor)


def meeting_attachment_delete(*, meeting: Meeting, attachment: Attachment, actor: Actor) -> None:
    with transaction.atomic():
        current = Meeting.objects.select_for_update().select_related("organization").get(pk=meeting.pk)
        require_change_meeting(actor, current)
        if not meeting_attachments(current).filter(pk=attachment.pk).exists():
            raise TransitionRefused("该文件不属于这次会议", code="attachment")
        record_services.attachment_delete(attachment=attachment, actor=actor)


# --- the yearly appraisal of the members (民主评议党员) ------------------------------------------------

APPRAISAL_FIELDS = ("organization", "year", "conclusion")
APPRAISAL_RECORDED_ACTION = "appraisal.recorded"
APPRAISAL_UPDATED_ACTION = "appraisal.updated"
#: What the ledger item of each follow-up aims at and how (the secretary may write other measures).
FOLLOW_UP_TEXTS = {
    FollowUpKind.CORRECT: (
        "限期改正存在的问题，期满经支部党员大会评议认定",
        "支部指定党员结对帮扶，定期谈心谈话；期满提交支部党员大会讨论",
    ),
    FollowUpKind.PERSUADE: (
        "对其劝退；本人坚持不退的，提交支部党员大会讨论除名",
        "支委会谈话劝退，经支部党员大会讨论决定后报上级党组织批准",
    ),
    FollowUpKind.REMOVE: (
        "按程序予以除名",
        "支部党员大会讨论决定，报上级党组织审批，并将结果通知本人",
    ),
}


@dataclass(frozen=True)
class GradeEntry:
    member_id: int
    #: A ``Grade`` value, or "" for a member not graded (yet).
    grade: str


def _check_year(year: int) -> None:
    this_year = timezone.localdate().year
    if not 2000 <= year <= this_year:
        raise ValidationError({"year": [f"评议年度“{year}”无效：应在2000年至{this_year}年之间"]}, code="year")


def _grades_summary(grades: Sequence[AppraisalGrade]) -> dict[str, str]:
    return {str(row.member_id): row.grade for row in sorted(grades, key=lambda row: row.member_id)}


def _checked_grades(
    organization: Organization, existing: dict[int, AppraisalGrade], entries: Sequence[GradeEntry]
) -> list[tuple[Member, str]]:
    """(member, grade) for ``entries``; ``ValidationError`` on ``grades`` naming each member refused."""
    members = {
        member.pk: member
        for member in Member.objects.filter(pk__in=[entry.member_id for entry in entries]).select_related(
            "organization"
        )
    }
    problems: list[str] = []
    seen: set[int] = set()
    checked: list[tuple[Member, str]] = []
    for position, entry in enumerate(entries, start=1):
        member = members.get(entry.member_id)
        if member is None:
            problems.append(f"第{position}位党员不存在")
            continue
        if member.organization_id != organization.pk and entry.member_id not in existing:
            problems.append(
                f"党员“{member.name}”属于{member.organization.name}，不是{organization.name}的党员，不能参加本支部评议"
            )
            continue
        if entry.member_id in seen:
            problems.append(f"党员“{member.name}”评定了两次")
            continue
        seen.add(entry.member_id)
        if entry.grade and entry.grade not in Grade.values:
            problems.append(f"党员“{member.name}”的评定等次“{entry.grade}”无效")
            continue
        row = existing.get(entry.member_id)
        if row is not None and entry.grade != Grade.UNQUALIFIED and hasattr(row, "follow_up"):
            problems.append(
                f"党员“{member.name}”评定为不合格，已作出组织处置（{row.follow_up.get_kind_display()}），不能改变评定等次"
            )
            continue
        checked.append((member, entry.grade))
    if problems:
        raise ValidationError({"grades": problems}, code="grades")
    return checked


def appraisal_save(
    *, organization: Organization, year: int, grades: Sequence[GradeEntry], conclusion: str, actor: Actor
) -> Appraisal:
    """Record or change the branch's appraisal of ``year`` (see the module's text); members not named keep
    their grades."""
    with transaction.atomic():
        current = Organization.objects.select_for_update().get(pk=organization.pk)
        require_appraise(actor, current)
        _check_year(year)
        appraisal = Appraisal.objects.select_for_update().filter(organization=current, year=year).first()
        existing: dict[int, AppraisalGrade] = {}
        before: dict[str, Any] | None = None
        if appraisal is not None:
            existing = {row.member_id: row for row in appraisal.grades.select_related("follow_up")}
            before = {**snapshot(appraisal, APPRAISAL_FIELDS), "grades": _grades_summary(list(existing.values()))}
        checked = _checked_grades(current, existing, grades)
        if appraisal is None:
            appraisal = Appraisal(organization=current, year=year, created_by=actor)
        appraisal.conclusion = (conclusion or "").strip()
        appraisal.updated_at = timezone.now()
        appraisal.save()
        created, changed, removed = [], [], []
        for member, grade in checked:
            row = existing.get(member.pk)
            if row is None and grade:
                created.append(AppraisalGrade(appraisal=appraisal, member=member, grade=grade))
            elif row is not None and not grade:
                removed.append(row.pk)
                del existing[member.pk]
            elif row is not None and row.grade != grade:
                row.grade = grade
                changed.append(row)
        AppraisalGrade.objects.filter(pk__in=removed).delete()
        AppraisalGrade.objects.bulk_update(changed, ["grade"])
        AppraisalGrade.objects.bulk_create(created)
        action = APPRAISAL_RECORDED_ACTION if before is None else APPRAISAL_UPDATED_ACTION
        audit_log(
            actor=actor,
            action=action,
            obj=appraisal,
            before=before,
            after={
                **snapshot(appraisal, APPRAISAL_FIELDS),
                "grades": _grades_summary([*existing.values(), *created]),
            },
        )
    return appraisal


def appraisal_follow_up_open(
    *,
    appraisal: Appraisal,
    member: Member,
    kind: str,
    deadline: date,
    actor: Actor,
    measures: str = "",
) -> AppraisalFollowUp:
    """Decide what follows the member's 不合格 grade and open its item on the branch's rectification ledger."""
    with transaction.atomic():
        current = Appraisal.objects.select_for_update().select_related("organization").get(pk=appraisal.pk)
        require_appraise(actor, current.organization)
        grade = current.grades.select_related("member", "follow_up").filter(member_id=member.pk).first()
        if grade is None or grade.grade != Grade.UNQUALIFIED:
            raise ValidationError(
                {"member": [f"党员“{member.name}”在{current.year}年度评议中未评定为不合格，无需组织处置"]},
                code="not_unqualified",
            )
        if hasattr(grade, "follow_up"):
            raise ValidationError(
                {"member": [f"党员“{member.name}”已作出组织处置（{grade.follow_up.get_kind_display()}）"]},
                code="follow_up_exists",
            )
        if kind not in FollowUpKind.values:
            raise ValidationError({"kind": [f"党员“{member.name}”的组织处置“{kind}”无效"]}, code="kind")
        label = FollowUpKind(kind).label
        target, default_measures = FOLLOW_UP_TEXTS[FollowUpKind(kind)]
        item = ledger_services.item_open(
            organization=current.organization,
            problem=f"{current.year}年度民主评议党员：党员“{grade.member.name}”评定为不合格，组织处置：{label}",
            source=ItemSource.SELF,
            source_note=f"{current.year}年度民主评议党员 · {grade.member.name} · {label}",
            target=target,
            measures=(measures or "").strip() or default_measures,
            responsible="支部书记",
            deadline=deadline,
            actor=actor,
        )
        follow_up = AppraisalFollowUp.objects.create(grade=grade, kind=kind, deadline=deadline, item=item)
        audit_log(
            actor=actor,
            action="appraisal.follow_up_opened",
            obj=current,
            before=None,
            after={"member_id": grade.member_id, "kind": kind, "deadline": deadline.isoformat(), "item_id": item.pk},
        )
    return follow_up
