"""The meeting form (with one attendance choice per member of the roll, and for a superior's meeting one per
subordinate organization invited), the upload and the import forms; the appraisal form (one grade per member
of the roll) and the follow-up of a 不合格 grade."""

from __future__ import annotations

from django import forms
from django.utils import timezone

from xingji.branchwork.models import BRANCH_KINDS, AttendanceStatus, FollowUpKind, Grade, MeetingKind
from xingji.branchwork.services import AttendanceEntry, GradeEntry, MeetingFacts, UnitEntry
from xingji.common.forms import DateInput

#: What the file picker offers for a meeting's attachments (the service checks the content).
ATTACHMENT_ACCEPT = ".jpg,.jpeg,.png,.pdf,image/jpeg,image/png,application/pdf"


def status_field_name(member_id: int) -> str:
    return f"status_{member_id}"


def reason_field_name(member_id: int) -> str:
    return f"reason_{member_id}"


def unit_status_field_name(organization_id: int) -> str:
    return f"unit_status_{organization_id}"


def unit_reason_field_name(organization_id: int) -> str:
    return f"unit_reason_{organization_id}"


#: A unit's choices on the form: not invited (未邀请, no row), or its attendance.
UNIT_CHOICES = [("", "未邀请"), *AttendanceStatus.choices]


class MeetingForm(forms.Form):
    kind = forms.ChoiceField(label="会议类型", choices=MeetingKind.choices)
    held_on = forms.DateField(label="日期", widget=DateInput())
    place = forms.CharField(label="地点", max_length=100)
    host = forms.CharField(label="主持人", max_length=50)
    topic = forms.CharField(label="主题", max_length=200)
    minutes = forms.CharField(label="会议记录", required=False, widget=forms.Textarea(attrs={"rows": 6}))

    def __init__(self, *args, members=(), units=(), kinds=BRANCH_KINDS, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["held_on"].widget.attrs["max"] = timezone.localdate().isoformat()
        self.fields["kind"].choices = [(kind.value, kind.label) for kind in (MeetingKind(kind) for kind in kinds)]
        self.members = list(members)
        self.units = list(units)
        for unit in self.units:
            self.fields[unit_status_field_name(unit.pk)] = forms.ChoiceField(
                label=unit.name, choices=UNIT_CHOICES, required=False, widget=forms.RadioSelect
            )
            self.fields[unit_reason_field_name(unit.pk)] = forms.CharField(
                label=f"{unit.name}的请假事由", max_length=200, required=False
            )
        for member in self.members:
            self.fields[status_field_name(member.pk)] = forms.ChoiceField(
                label=member.name,
                choices=AttendanceStatus.choices,
                initial=AttendanceStatus.PRESENT,
                widget=forms.RadioSelect,
            )
            self.fields[reason_field_name(member.pk)] = forms.CharField(
                label=f"{member.name}的请假事由", max_length=200, required=False
            )

    def meeting_fields(self):
        return [self[name] for name in ("kind", "held_on", "place", "host", "topic", "minutes")]

    def attendance_rows(self):
        """(member, its status field, its reason field) for the template."""
        return [
            (member, self[status_field_name(member.pk)], self[reason_field_name(member.pk)]) for member in self.members
        ]

    def unit_rows(self):
        """(organization, its status field, its reason field) for the template."""
        return [
            (unit, self[unit_status_field_name(unit.pk)], self[unit_reason_field_name(unit.pk)]) for unit in self.units
        ]

    def unit_entries(self) -> list[UnitEntry]:
        """The units invited (a status chosen); the others are not invited."""
        data = self.cleaned_data
        return [
            UnitEntry(
                organization_id=unit.pk,
                status=data[unit_status_field_name(unit.pk)],
                reason=data.get(unit_reason_field_name(unit.pk), ""),
            )
            for unit in self.units
            if data.get(unit_status_field_name(unit.pk))
        ]

    def facts(self) -> MeetingFacts:
        data = self.cleaned_data
        return MeetingFacts(
            kind=data["kind"],
            held_on=data["held_on"],
            place=data["place"],
            host=data["host"],
            topic=data["topic"],
            minutes=data["minutes"],
        )

    def attendance(self) -> list[AttendanceEntry]:
        data = self.cleaned_data
        return [
            AttendanceEntry(
                member_id=member.pk,
                status=data[status_field_name(member.pk)],
                reason=data.get(reason_field_name(member.pk), ""),
            )
            for member in self.members
        ]


def initial_of(meeting, attendances, units=()) -> dict:
    """A stored meeting as the form's initial data (``units``: its ``UnitAttendance`` rows)."""
    initial = {
        "kind": meeting.kind,
        "held_on": meeting.held_on,
        "place": meeting.place,
        "host": meeting.host,
        "topic": meeting.topic,
        "minutes": meeting.minutes,
    }
    for row in attendances:
        initial[status_field_name(row.member_id)] = row.status
        initial[reason_field_name(row.member_id)] = row.reason
    for unit in units:
        initial[unit_status_field_name(unit.organization_id)] = unit.status
        initial[unit_reason_field_name(unit.organization_id)] = unit.reason
    return initial


class AttachmentForm(forms.Form):
    file = forms.FileField(label="照片或扫描件", widget=forms.ClearableFileInput(attrs={"accept": ATTACHMENT_ACCEPT}))


class ImportForm(forms.Form):
    file = forms.FileField(label="文件", help_text="Excel（.xlsx、.xls）、.ods 或 CSV 文件")


class OverviewFilterForm(forms.Form):
    q = forms.CharField(label="支部名称或编号", required=False, max_length=100)
    year = forms.IntegerField(label="年度", required=False, min_value=2000, max_value=2100)


def grade_field_name(member_id: int) -> str:
    return f"grade_{member_id}"


class AppraisalForm(forms.Form):
    """The branch's appraisal of a year: a grade select per member of the sheet, and the conclusion."""

    conclusion = forms.CharField(
        label="支部评议结论", required=False, widget=forms.Textarea(attrs={"rows": 4}), max_length=5000
    )

    def __init__(self, *args, rows=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.rows = list(rows)
        for row in self.rows:
            field = forms.ChoiceField(label=row.member.name, choices=[("", "未评定"), *Grade.choices], required=False)
            if row.grade is not None and hasattr(row.grade, "follow_up"):
                field.disabled = True
            self.fields[grade_field_name(row.member.pk)] = field
            if row.grade is not None:
                self.initial.setdefault(grade_field_name(row.member.pk), row.grade.grade)

    def grade_rows(self):
        """(sheet row, its grade field) for the template."""
        return [(row, self[grade_field_name(row.member.pk)]) for row in self.rows]

    def grades(self) -> list[GradeEntry]:
        data = self.cleaned_data
        return [
            GradeEntry(member_id=row.member.pk, grade=data.get(grade_field_name(row.member.pk)) or "")
            for row in self.rows
        ]


class FollowUpForm(forms.Form):
    kind = forms.ChoiceField(label="组织处置", choices=FollowUpKind.choices)
    deadline = forms.DateField(label="时限", widget=DateInput())
    measures = forms.CharField(
        label="整改措施",
        required=False,
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text="不填则按处置方式写入默认措施",
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["deadline"].widget.attrs["min"] = timezone.localdate().isoformat()
