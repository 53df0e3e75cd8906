"""Evidence records (加减分依据): the facts about an organization's year that the rating rules read.

Each record belongs to one organization and carries a date (never in the
future), and so a year; the rules of 五(三) count the records of the year
being rated.

* ``Commendation`` — a commendation (表彰) of the organization or of its
  secretary (书记), or a signed article (署名文章) in city-or-higher media, at
  city, province or national level (市级/省级/国家级): 五(三)1, only the
  highest counts.
* ``Innovation`` — a major innovation in Party building (党建重大创新)
  recognized and promoted by a superior, with its level: 五(三)2.
* ``CriticismNotice`` — a criticism notice (通报批评) from the working
  committee (市直工委) or the municipal committee (市委): 五(三)3.
* ``DisciplinaryAction`` — a Party disciplinary action (党纪处分) against a
  member: warning (警告), serious warning (严重警告), removal from Party
  posts (撤销党内职务), probation (留党察看) or expulsion (开除党籍). A
  leadership-team member's (班子成员) warning or serious warning is a light
  case (严重警告以下), removal or heavier a heavy one (撤销党内职务以上); an
  ordinary member's action counts as a member violation: 五(三)3.
* ``MemberViolation`` — an ordinary member's violation of law or discipline
  (一般党员违法违纪) not (yet) punished by a Party disciplinary action: 五(三)3.
* ``Absence`` — an absence from a committee meeting (会议) or training
  (培训), or a task (工作任务) not done on time; only the unexcused ones
  (无故) count: 五(三)6.
* ``Attachment`` — a file (附件) proving a record: a scanned notice, a
  certificate, the article. Stored outside any web root and served only
  through a view that checks access.

Who enters what (the rated do not score themselves). A record that adds
points (``adds_points``: a commendation, an innovation) entered by the rated
organization itself is a claim (申报, ``RecordStatus.CLAIMED``): it counts
only once a superior confirms it (确认) with its attachment, or it is sent
back (退回, ``REJECTED``) with a reason. Every other record — one that takes
points away, or one entered by a superior — is confirmed (已确认) when
entered. Each record keeps the level that entered it
(``entered_by_organization``) and, once confirmed, the level that stands
behind it (``confirmed_by_organization``): nobody below that level changes or
deletes it (``xingji.records.access``). ``updated_at`` is the last change of
the record's values or status, which the evaluation pages compare with the
self-evaluation's submission.

Writes go through ``xingji.records.services``; reads through
``xingji.records.selectors``. ``xingji.records.selectors.engine_facts`` turns
a year's confirmed records into the rating engine's input.
"""

from __future__ import annotations

import uuid
from pathlib import PurePath

from django.conf import settings
from django.contrib.contenttypes.fields import GenericForeignKey, GenericRelation
from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import ValidationError
from django.db import models
from django.utils import timezone

from xingji.orgs.models import Member, Organization, validate_not_in_future


class HonourLevel(models.TextChoices):
    """Levels of a commendation or an innovation, stored as the engine spells them."""

    CITY = "city", "市级"
    PROVINCE = "province", "省级"
    NATIONAL = "national", "国家级"


#: Lowest first: the order in which a year's levels are listed for the engine.
HONOUR_ORDER = [HonourLevel.CITY, HonourLevel.PROVINCE, HonourLevel.NATIONAL]


class RecordStatus(models.TextChoices):
    """Whether a record counts: a claim (申报) of the rated organization counts once a superior confirms it."""

    CONFIRMED = "confirmed", "已确认"
    CLAIMED = "claimed", "待确认"
    REJECTED = "rejected", "未通过"


class EvidenceRecord(models.Model):
    """What every evidence record has: its organization, its date, its attachments, who entered and confirmed it."""

    organization = models.ForeignKey(
        Organization, on_delete=models.PROTECT, related_name="%(class)s_records", verbose_name="党组织"
    )
    date = models.DateField("日期", validators=[validate_not_in_future])
    attachments = GenericRelation("records.Attachment", verbose_name="附件")
    status = models.CharField(
        "状态", max_length=10, choices=RecordStatus.choices, default=RecordStatus.CONFIRMED, editable=False
    )
    entered_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name="登记人",
        editable=False,
    )
    entered_by_organization = models.ForeignKey(
        Organization,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name="登记单位",
        help_text="登记时登记人所在的党组织；系统或超级用户登记的为空",
        editable=False,
    )
    confirmed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name="确认人",
        editable=False,
    )
    confirmed_by_organization = models.ForeignKey(
        Organization,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name="确认单位",
        help_text="确认（或直接登记）该记录的党组织；此后由该级及以上党组织管理",
        editable=False,
    )
    confirmed_at = models.DateTimeField("确认时间", null=True, blank=True, editable=False)
    review_note = models.TextField("退回理由", blank=True, editable=False)
    updated_at = models.DateTimeField("最后变动时间", null=True, blank=True, editable=False)

    #: ``services.attachment_add`` accepts only models that say they hold attachments.
    holds_attachments = True
    #: The lookup from a holder of attachments to its organization: whoever may write that organization
    #: may add or delete the holder's attachments (``services.attachment_add``).
    attachments_organization = "organization"

    #: The first part of the audit action codes (``commendation.created``).
    audit_name = ""
    #: Whether the record adds points (加分): entered by the rated organization itself, it is a claim (申报).
    adds_points = False

    class Meta:
        abstract = True
        ordering = ["-date", "-id"]

    @property
    def year(self) -> int:
        return self.date.year

    @property
    def counts(self) -> bool:
        """Whether the rating reads it (confirmed; an absence also unexcused)."""
        return self.status == RecordStatus.CONFIRMED

    @property
    def is_claim(self) -> bool:
        """A claim (申报) not yet confirmed: waiting (待确认) or sent back (未通过)."""
        return self.status != RecordStatus.CONFIRMED


class CommendationKind(models.TextChoices):
    COMMENDATION = "commendation", "表彰"
    SIGNED_ARTICLE = "signed_article", "署名文章"


class Recipient(models.TextChoices):
    ORGANIZATION = "organization", "党组织"
    SECRETARY = "secretary", "书记"


class Commendation(EvidenceRecord):
    """A commendation (表彰) of the organization or its secretary, or a signed article (署名文章)."""

    kind = models.CharField(
        "类型", max_length=20, choices=CommendationKind.choices, default=CommendationKind.COMMENDATION
    )
    recipient = models.CharField("对象", max_length=20, choices=Recipient.choices, default=Recipient.ORGANIZATION)
    level = models.CharField("级别", max_length=10, choices=HonourLevel.choices)
    title = models.CharField("名称", max_length=200, help_text="表彰名称或文章标题")
    issuer = models.CharField("颁发机关或刊发媒体", max_length=200)
    document_number = models.CharField("文号", max_length=100, blank=True)

    audit_name = "commendation"
    adds_points = True

    class Meta(EvidenceRecord.Meta):
        verbose_name = "表彰及署名文章"
        verbose_name_plural = "表彰及署名文章"
        indexes = [models.Index(fields=["organization", "date"], name="records_commendation_org_date")]

    def __str__(self) -> str:
        return f"{self.get_level_display()}{self.get_kind_display()}：{self.title}"


class Innovation(EvidenceRecord):
    """A major innovation in Party building (党建重大创新) recognized and promoted by a superior."""

    title = models.CharField("创新项目", max_length=200)
    level = models.CharField("级别", max_length=10, choices=HonourLevel.choices)
    recognized_by = models.CharField("认可推广单位", max_length=200)

    audit_name = "innovation"
    adds_points = True

    class Meta(EvidenceRecord.Meta):
        verbose_name = "党建创新"
        verbose_name_plural = "党建创新"
        indexes = [models.Index(fields=["organization", "date"], name="records_innovation_org_date")]

    def __str__(self) -> str:
        return f"{self.get_level_display()}党建创新：{self.title}"


class CriticismIssuer(models.TextChoices):
    WORKING_COMMITTEE = "working_committee", "市直工委"
    MUNICIPAL_COMMITTEE = "municipal_committee", "市委"


class CriticismNotice(EvidenceRecord):
    """A criticism notice (通报批评) from the working committee (市直工委) or the municipal committee (市委)."""

    issuer = models.CharField("通报单位", max_length=24, choices=CriticismIssuer.choices)
    document_number = models.CharField("文号", max_length=100, blank=True)
    reason = models.TextField("事由")

    audit_name = "criticism_notice"

    class Meta(EvidenceRecord.Meta):
        verbose_name = "通报批评"
        verbose_name_plural = "通报批评"
        indexes = [models.Index(fields=["organization", "date"], name="records_criticism_org_date")]

    def __str__(self) -> str:
        number = f"（{self.document_number}）" if self.document_number else ""
        return f"{self.get_issuer_display()}通报批评{number}"


class Severity(models.TextChoices):
    """Party disciplinary actions, lightest first (《中国共产党纪律处分条例》)."""

    WARNING = "warning", "警告"
    SERIOUS_WARNING = "serious_warning", "严重警告"
    REMOVAL_FROM_POST = "removal_from_post", "撤销党内职务"
    PROBATION = "probation", "留党察看"
    EXPULSION = "expulsion", "开除党籍"


#: 严重警告以下: a leadership-team member's light case (−3); heavier ones are 撤销党内职务以上 (−5).
LIGHT_SEVERITIES = frozenset({Severity.WARNING, Severity.SERIOUS_WARNING})


class DisciplineCategory(models.TextChoices):
    """How the rules count a disciplinary action (五(三)3)."""

    LIGHT = "light", "班子成员严重警告以下"
    HEAVY = "heavy", "班子成员撤销党内职务以上"
    MEMBER = "member", "一般党员违纪"


class DisciplinaryAction(EvidenceRecord):
    """A Party disciplinary action (党纪处分) against a member, leadership team (班子成员) or not."""

    member = models.ForeignKey(
        Member,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="disciplinary_actions",
        verbose_name="党员",
        help_text="可不选；受处分人姓名照样记录",
    )
    member_name = models.CharField("受处分人", max_length=50, blank=True, help_text="选了党员时可留空，自动填写")
    is_leadership = models.BooleanField("班子成员", default=False, help_text="受处分时是否为领导班子成员")
    severity = models.CharField("处分", max_length=20, choices=Severity.choices)
    document_number = models.CharField("文号", max_length=100, blank=True)
    reason = models.TextField("事由", blank=True)

    audit_name = "disciplinary_action"

    class Meta(EvidenceRecord.Meta):
        verbose_name = "党纪处分"
        verbose_name_plural = "党纪处分"
        indexes = [models.Index(fields=["organization", "date"], name="records_discipline_org_date")]

    def __str__(self) -> str:
        return f"{self.member_name}：{self.get_severity_display()}"

    def clean(self) -> None:
        fill_member_name(self)

    @property
    def category(self) -> str:
        """light / heavy for a leadership-team member, member for an ordinary one."""
        if not self.is_leadership:
            return DisciplineCategory.MEMBER
        return DisciplineCategory.LIGHT if self.severity in LIGHT_SEVERITIES else DisciplineCategory.HEAVY

    def get_category_display(self) -> str:
        return DisciplineCategory(self.category).label


class MemberViolation(EvidenceRecord):
    """An ordinary member's violation of law or discipline (一般党员违法违纪) without a Party disciplinary action."""

    member = models.ForeignKey(
        Member,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="violations",
        verbose_name="党员",
        help_text="可不选；违纪党员姓名照样记录",
    )
    member_name = models.CharField("违纪党员", max_length=50, blank=True, help_text="选了党员时可留空，自动填写")
    description = models.TextField("违法违纪情况")

    audit_name = "member_violation"

    class Meta(EvidenceRecord.Meta):
        verbose_name = "一般党员违法违纪"
        verbose_name_plural = "一般党员违法违纪"
        indexes = [models.Index(fields=["organization", "date"], name="records_violation_org_date")]

    def __str__(self) -> str:
        return f"{self.member_name}：违法违纪"

    def clean(self) -> None:
        fill_member_name(self)


def fill_member_name(record: DisciplinaryAction | MemberViolation) -> None:
    """Keep the member's name on the record (it survives the member's deletion); one of the two is needed."""
    record.member_name = (record.member_name or "").strip()
    if not record.member_name and record.member is not None:
        record.member_name = record.member.name
    if not record.member_name:
        raise ValidationError({"member_name": "请填写姓名或选择党员"}, code="member_name_missing")


class AbsenceKind(models.TextChoices):
    MEETING = "meeting", "会议"
    TRAINING = "training", "培训"
    TASK = "task", "工作任务"


class Absence(EvidenceRecord):
    """An absence (缺席) from a committee meeting or training, or a task not done on time (未按时完成).

    Only unexcused ones (无故) count; an excused one (有正当理由并已请假) is kept
    with its reason.
    """

    kind = models.CharField("类型", max_length=10, choices=AbsenceKind.choices)
    description = models.CharField("事项", max_length=300, help_text="会议、培训或工作任务的名称")
    is_excused = models.BooleanField("有正当理由", default=False, help_text="已请假或经批准延期的不扣分")
    excuse_reason = models.TextField("请假或延期事由", blank=True)

    audit_name = "absence"

    class Meta(EvidenceRecord.Meta):
        verbose_name = "缺席及未按时完成任务"
        verbose_name_plural = "缺席及未按时完成任务"
        indexes = [models.Index(fields=["organization", "date"], name="records_absence_org_date")]

    def __str__(self) -> str:
        state = "有正当理由" if self.is_excused else "无故"
        return f"{state}{self.get_kind_display()}：{self.description}"

    @property
    def counts(self) -> bool:
        return super().counts and not self.is_excused

    def clean(self) -> None:
        self.excuse_reason = (self.excuse_reason or "").strip()
        if self.is_excused and not self.excuse_reason:
            raise ValidationError({"excuse_reason": "有正当理由时应填写请假或延期事由"}, code="excuse_reason_missing")


#: Every kind of evidence record, in the order the rules list them.
RECORD_MODELS: tuple[type[EvidenceRecord], ...] = (
    Commendation,
    Innovation,
    CriticismNotice,
    DisciplinaryAction,
    MemberViolation,
    Absence,
)

#: The kinds that add points (加分): the rated organization may claim them (申报).
CLAIMABLE_MODELS: tuple[type[EvidenceRecord], ...] = tuple(model for model in RECORD_MODELS if model.adds_points)


class AttachmentType(models.TextChoices):
    PDF = "pdf", "PDF"
    JPEG = "jpg", "JPG 图片"
    PNG = "png", "PNG 图片"
    DOCX = "docx", "Word 文档"
    XLSX = "xlsx", "Excel 表格"


def attachment_path(instance: Attachment, filename: str) -> str:
    """A random name under the upload month: the user's file name is kept in the row, never in the path."""
    uploaded = instance.uploaded_at or timezone.now()
    return f"records/{uploaded:%Y/%m}/{uuid.uuid4().hex}.{instance.file_type or 'bin'}"


class Attachment(models.Model):
    """An attachment (附件) proving an evidence record: a scanned notice, a certificate, an article."""

    content_type = models.ForeignKey(ContentType, on_delete=models.PROTECT, verbose_name="记录类型")
    object_id = models.PositiveBigIntegerField("记录编号")
    record = GenericForeignKey("content_type", "object_id")
    file = models.FileField("文件", upload_to=attachment_path, max_length=255)
    original_name = models.CharField("原文件名", max_length=255)
    file_type = models.CharField("文件类型", max_length=8, choices=AttachmentType.choices)
    size = models.PositiveBigIntegerField("大小（字节）")
    sha256 = models.CharField("SHA-256 摘要", max_length=64)
    uploaded_at = models.DateTimeField("上传时间", default=timezone.now)
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name="上传人",
    )

    class Meta:
        verbose_name = "附件"
        verbose_name_plural = "附件"
        ordering = ["uploaded_at", "id"]
        indexes = [models.Index(fields=["content_type", "object_id"], name="records_attachment_record")]

    def __str__(self) -> str:
        return self.original_name

    @property
    def display_name(self) -> str:
        return PurePath(self.original_name).name
