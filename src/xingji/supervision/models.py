"""Between two ratings: re-checks and changes of level, focus management and supervision visits.

Seed 四(三) and 六(三), and the design's 动态管理:

* ``Recheck`` — a re-check (复检核星, 复验) of one organization by its
  superior, at any time: date, method, findings; the findings may open
  rectification items (整改事项) in the organization's ledger.
* ``LevelChange`` — a proposed change of level outside a campaign (mostly a
  downgrade, 降星): proposed by a superior, decided by the committee office
  (工委会批准); an approval writes the star ledger (星级管理台账).
* ``FocusGuide`` — the guide assigned to a one-star or unrated organization
  under focus management (重点管理): 指导人 / 联系领导.
* ``InspectionVisit`` — a supervision visit (督导) by an inspection group
  (督导组, 指导组): 调研指导, 交流座谈, 现场观摩 or 检查验收; it may issue
  criticism notices (通报批评, which the rules deduct) and open items.

Writes go through ``xingji.supervision.services``; reads through
``xingji.supervision.selectors``.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.db import models

from xingji.orgs.models import Organization


class RecheckMethod(models.TextChoices):
    SITE = "site", "实地查看"
    DOCUMENTS = "documents", "查阅台账资料"
    INTERVIEW = "interview", "走访座谈"
    COMBINED = "combined", "综合复检"


class Recheck(models.Model):
    """A re-check of one organization's star level by its superior (复检核星)."""

    organization = models.ForeignKey(
        Organization, on_delete=models.PROTECT, related_name="rechecks", verbose_name="党组织"
    )
    checked_on = models.DateField("复检日期")
    method = models.CharField("复检方式", max_length=16, choices=RecheckMethod.choices)
    findings = models.TextField("复检发现")
    items = models.ManyToManyField(
        "ledger.RectificationItem", blank=True, related_name="rechecks", verbose_name="整改事项"
    )
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", verbose_name="登记人"
    )
    recorded_at = models.DateTimeField("登记时间", auto_now_add=True)

    class Meta:
        verbose_name = "复检核星"
        verbose_name_plural = "复检核星"
        ordering = ["-checked_on", "-id"]
        indexes = [models.Index(fields=["organization", "checked_on"], name="supervision_recheck_org_date")]

    def __str__(self) -> str:
        return f"{self.organization.name}{self.checked_on:%Y-%m-%d}复检"


class ChangeState(models.TextChoices):
    PROPOSED = "proposed", "待工委会批准"
    APPROVED = "approved", "已批准"
    REJECTED = "rejected", "未批准"
    WITHDRAWN = "withdrawn", "已撤回"


class LevelChange(models.Model):
    """A change of level outside a campaign (动态调整星级), effective only on the committee's approval."""

    organization = models.ForeignKey(
        Organization, on_delete=models.PROTECT, related_name="level_changes", verbose_name="党组织"
    )
    from_level = models.PositiveSmallIntegerField(
        "原星级", null=True, blank=True, help_text="提出时星级管理台账中的星级；空为未定级"
    )
    to_level = models.PositiveSmallIntegerField("调整为", help_text="0为不定星级")
    reason = models.TextField("调整理由")
    recheck = models.ForeignKey(
        Recheck,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="level_changes",
        verbose_name="依据的复检",
    )
    state = models.CharField("状态", max_length=16, choices=ChangeState.choices, default=ChangeState.PROPOSED)
    proposed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", verbose_name="提出人"
    )
    proposed_at = models.DateTimeField("提出时间", auto_now_add=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name="决定录入人",
    )
    decided_at = models.DateTimeField("决定时间", null=True, blank=True)
    meeting_on = models.DateField("工委会会议日期", null=True, blank=True)
    minutes_number = models.CharField("会议纪要编号", max_length=100, blank=True)
    decision_comment = models.TextField("意见", blank=True)
    ledger_entry = models.OneToOneField(
        "campaigns.StarLedgerEntry",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="level_change",
        verbose_name="星级管理台账记录",
    )

    class Meta:
        verbose_name = "星级调整"
        verbose_name_plural = "星级调整"
        ordering = ["-proposed_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["organization"],
                condition=models.Q(state="proposed"),
                name="supervision_one_pending_change",
                violation_error_message="该组织已有待批准的星级调整",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.organization.name}星级调整（{self.get_state_display()}）"

    @property
    def is_downgrade(self) -> bool:
        return self.from_level is not None and self.to_level < self.from_level


class FocusGuide(models.Model):
    """The guide of an organization under focus management (重点管理的指导人、联系领导)."""

    organization = models.OneToOneField(
        Organization, on_delete=models.PROTECT, related_name="focus_guide", verbose_name="党组织"
    )
    name = models.CharField("指导人", max_length=100)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name="指导人账号",
    )
    note = models.CharField("说明", max_length=200, blank=True, help_text="职务、联系方式等")
    assigned_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", verbose_name="指定人"
    )
    assigned_at = models.DateTimeField("指定时间", auto_now=True)

    class Meta:
        verbose_name = "重点管理指导人"
        verbose_name_plural = "重点管理指导人"

    def __str__(self) -> str:
        return f"{self.organization.name}：{self.name}"


class VisitMethod(models.TextChoices):
    """The forms of guidance of seed 六(三)."""

    RESEARCH = "research", "调研指导"
    DISCUSSION = "discussion", "交流座谈"
    OBSERVATION = "observation", "现场观摩"
    ACCEPTANCE = "acceptance", "检查验收"


class InspectionVisit(models.Model):
    """A supervision visit by an inspection or guidance group (督导)."""

    visited_on = models.DateField("督导日期")
    method = models.CharField("督导形式", max_length=16, choices=VisitMethod.choices)
    group_members = models.TextField("督导组成员")
    # Annotated: Organization derives from treebeard's untyped node, which mypy cannot infer a relation from.
    organizations: models.ManyToManyField[Organization, Any] = models.ManyToManyField(
        Organization, related_name="inspection_visits", verbose_name="督导对象"
    )
    findings = models.TextField("发现问题")
    criticisms = models.ManyToManyField(
        "records.CriticismNotice", blank=True, related_name="inspection_visits", verbose_name="通报批评"
    )
    items = models.ManyToManyField(
        "ledger.RectificationItem", blank=True, related_name="inspection_visits", verbose_name="整改事项"
    )
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", verbose_name="登记人"
    )
    recorded_at = models.DateTimeField("登记时间", auto_now_add=True)

    class Meta:
        verbose_name = "督导"
        verbose_name_plural = "督导"
        ordering = ["-visited_on", "-id"]

    def __str__(self) -> str:
        return f"{self.visited_on:%Y-%m-%d}{self.get_method_display()}"
