"""A branch's organizational life (组织生活), as the branch records it after each meeting.

* ``Meeting`` — one meeting of a branch: its kind (``MeetingKind``: 支部党员大会,
  支部委员会, 党小组会, 党课, 主题党日, 组织生活会, 民主评议党员), date, place,
  host, topic and minutes, with attachments (photos, sign-in sheet scans:
  ``xingji.records.models.Attachment``, images and PDF only).
* ``Attendance`` — one member of the branch's roll at one meeting: present
  (出席), on leave (请假, with the reason) or absent (缺席).

A superior organization (机关党委, 党总支, 市直工委) records the meetings it
convenes for its subordinate organizations — a work meeting (工作会议) or a
training (培训), ``CONVENED_KINDS`` — with their attendance:

* ``UnitAttendance`` — one subordinate organization invited (参会单位):
  present, on leave (请假, with the reason) or absent. An absence without
  leave is the organization's evidence record ``xingji.records.models.Absence``
  (缺席, counted by the rating rules); a leave an excused one (kept, not
  counted). The services keep the two in step.

How often each kind is due is data (``xingji/rules/tables/meetings.toml``); what
is due, held and missing is computed (``xingji.rules.frequencies``), never
typed. Writes go through ``xingji.branchwork.services``.

The yearly appraisal of the members (民主评议党员):

* ``Appraisal`` — one branch's appraisal of one year, with the branch's
  conclusion (评议结论).
* ``AppraisalGrade`` — one member's grade (``Grade``: 优秀, 合格, 基本合格,
  不合格). The appraisal is complete when every member of the roll has one;
  the coverage and the counts are computed (``xingji.branchwork.selectors``).
* ``AppraisalFollowUp`` — what follows a 不合格 grade (``FollowUpKind``:
  限期改正, 劝退, 除名), with its deadline and the item it opened on the
  branch's rectification ledger (``xingji.ledger``).
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone

from xingji.ledger.models import RectificationItem
from xingji.orgs.models import Member, Organization, validate_not_in_future


class MeetingKind(models.TextChoices):
    PARTY_CONGRESS = "party_congress", "支部党员大会"
    COMMITTEE = "committee", "支部委员会"
    GROUP_MEETING = "group_meeting", "党小组会"
    PARTY_LECTURE = "party_lecture", "党课"
    THEME_DAY = "theme_day", "主题党日"
    LIFE_MEETING = "life_meeting", "组织生活会"
    APPRAISAL = "appraisal", "民主评议党员"
    WORK_MEETING = "work_meeting", "工作会议"
    TRAINING = "training", "培训"


#: The kinds a superior convenes for its subordinate organizations; the others are a branch's own.
CONVENED_KINDS = (MeetingKind.WORK_MEETING, MeetingKind.TRAINING)
BRANCH_KINDS = tuple(kind for kind in MeetingKind if kind not in CONVENED_KINDS)


class Meeting(models.Model):
    organization = models.ForeignKey(
        Organization, on_delete=models.PROTECT, related_name="meetings", verbose_name="党组织"
    )
    kind = models.CharField("会议类型", max_length=20, choices=MeetingKind.choices)
    held_on = models.DateField("日期", validators=[validate_not_in_future])
    place = models.CharField("地点", max_length=100)
    host = models.CharField("主持人", max_length=50)
    topic = models.CharField("主题", max_length=200)
    minutes = models.TextField("会议记录", blank=True)
    created_at = models.DateTimeField("登记时间", default=timezone.now)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name="登记人",
    )

    #: Photos and sign-in sheet scans, stored as ``records.Attachment`` (images and PDF only, see the services).
    holds_attachments = True

    class Meta:
        verbose_name = "组织生活会议"
        verbose_name_plural = "组织生活会议"
        ordering = ["-held_on", "-id"]
        indexes = [models.Index(fields=["organization", "kind", "held_on"], name="branchwork_meeting_kind_day")]

    def __str__(self) -> str:
        return f"{self.held_on:%Y-%m-%d} {self.get_kind_display()}：{self.topic}"


class AttendanceStatus(models.TextChoices):
    PRESENT = "present", "出席"
    LEAVE = "leave", "请假"
    ABSENT = "absent", "缺席"


class Attendance(models.Model):
    meeting = models.ForeignKey(Meeting, on_delete=models.CASCADE, related_name="attendances", verbose_name="会议")
    member = models.ForeignKey(Member, on_delete=models.PROTECT, related_name="attendances", verbose_name="党员")
    status = models.CharField("出席情况", max_length=8, choices=AttendanceStatus.choices)
    reason = models.CharField("请假事由", max_length=200, blank=True)

    class Meta:
        verbose_name = "参会情况"
        verbose_name_plural = "参会情况"
        ordering = ["meeting_id", "member_id"]
        constraints = [
            models.UniqueConstraint(
                fields=["meeting", "member"],
                name="branchwork_attendance_once_per_member",
                violation_error_message="同一党员在一次会议中只能登记一次",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.member}：{self.get_status_display()}"


class UnitAttendance(models.Model):
    """A subordinate organization invited to a meeting its superior convened (参会单位)."""

    meeting = models.ForeignKey(Meeting, on_delete=models.CASCADE, related_name="unit_attendances", verbose_name="会议")
    organization = models.ForeignKey(
        Organization, on_delete=models.PROTECT, related_name="unit_attendances", verbose_name="参会单位"
    )
    status = models.CharField("出席情况", max_length=8, choices=AttendanceStatus.choices)
    reason = models.CharField("请假事由", max_length=200, blank=True)
    #: The evidence record of an absence (缺席) or a leave (请假, excused); none for a unit present. Deleted on
    #: the records pages, it stays deleted until the unit's status changes.
    absence = models.OneToOneField(
        "records.Absence",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="unit_attendance",
        verbose_name="缺席记录",
    )

    class Meta:
        verbose_name = "参会单位"
        verbose_name_plural = "参会单位"
        ordering = ["meeting_id", "organization__path"]
        constraints = [
            models.UniqueConstraint(
                fields=["meeting", "organization"],
                name="branchwork_unit_attendance_once",
                violation_error_message="同一单位在一次会议中只能登记一次",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.organization}：{self.get_status_display()}"


class Appraisal(models.Model):
    organization = models.ForeignKey(
        Organization, on_delete=models.PROTECT, related_name="appraisals", verbose_name="党支部"
    )
    year = models.PositiveSmallIntegerField("年度")
    conclusion = models.TextField("评议结论", blank=True)
    created_at = models.DateTimeField("登记时间", default=timezone.now)
    updated_at = models.DateTimeField("更新时间", default=timezone.now)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name="登记人",
    )

    class Meta:
        verbose_name = "民主评议党员"
        verbose_name_plural = "民主评议党员"
        ordering = ["-year", "organization_id"]
        constraints = [
            models.UniqueConstraint(
                fields=["organization", "year"],
                name="branchwork_appraisal_once_per_year",
                violation_error_message="该支部本年度已有民主评议",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.year}年度民主评议党员"


class Grade(models.TextChoices):
    EXCELLENT = "excellent", "优秀"
    QUALIFIED = "qualified", "合格"
    BASICALLY_QUALIFIED = "basically_qualified", "基本合格"
    UNQUALIFIED = "unqualified", "不合格"


class AppraisalGrade(models.Model):
    appraisal = models.ForeignKey(Appraisal, on_delete=models.CASCADE, related_name="grades", verbose_name="民主评议")
    member = models.ForeignKey(Member, on_delete=models.PROTECT, related_name="appraisal_grades", verbose_name="党员")
    grade = models.CharField("评定等次", max_length=20, choices=Grade.choices)

    class Meta:
        verbose_name = "评定等次"
        verbose_name_plural = "评定等次"
        ordering = ["appraisal_id", "member_id"]
        constraints = [
            models.UniqueConstraint(
                fields=["appraisal", "member"],
                name="branchwork_grade_once_per_member",
                violation_error_message="同一党员在一次评议中只能评定一次",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.member}：{self.get_grade_display()}"


class FollowUpKind(models.TextChoices):
    CORRECT = "correct", "限期改正"
    PERSUADE = "persuade", "劝退"
    REMOVE = "remove", "除名"


class AppraisalFollowUp(models.Model):
    grade = models.OneToOneField(
        AppraisalGrade, on_delete=models.PROTECT, related_name="follow_up", verbose_name="评定等次"
    )
    kind = models.CharField("组织处置", max_length=12, choices=FollowUpKind.choices)
    deadline = models.DateField("时限")
    item = models.OneToOneField(
        RectificationItem, on_delete=models.PROTECT, related_name="appraisal_follow_up", verbose_name="整改事项"
    )
    created_at = models.DateTimeField("登记时间", default=timezone.now)

    class Meta:
        verbose_name = "不合格党员处置"
        verbose_name_plural = "不合格党员处置"
        ordering = ["deadline", "id"]

    def __str__(self) -> str:
        return f"{self.grade.member}：{self.get_kind_display()}"
