"""Between two ratings: each organization's improvement plan (晋位争星方案) and its rectification ledger (整改台账).

Seed 四(二): organizations draw up a plan to rise a level, with the emphasis
its current level calls for; seed 四(三)/六(三): problems found by the
organization itself, by a re-check, an inspection, an objection or a
criticism notice are rectified item by item, and an item is closed (销账)
only with evidence and the superior's confirmation.
"""

from __future__ import annotations

from datetime import date

from django.conf import settings
from django.db import models

from xingji.orgs.models import Organization


class PlanState(models.TextChoices):
    DRAFT = "draft", "草稿"
    SUBMITTED = "submitted", "已报送"
    ACKNOWLEDGED = "acknowledged", "已备案"
    RETURNED = "returned", "已退回"


class ImprovementPlan(models.Model):
    """One organization's plan for one year (晋位争星方案)."""

    organization = models.ForeignKey(
        Organization, on_delete=models.PROTECT, related_name="improvement_plans", verbose_name="党组织"
    )
    year = models.PositiveSmallIntegerField("年度")
    current_level = models.PositiveSmallIntegerField(
        "现有星级", null=True, blank=True, help_text="制定方案时星级管理台账中的星级；空为未定级"
    )
    target_level = models.PositiveSmallIntegerField("目标星级")
    #: What the rating engine said the organization needs for the target level when the plan was made
    #: (``xingji.campaigns.guidance.plan_targets``): [{"kind", "clause", "message", "amount"}]; the plan's
    #: page recomputes each from the year's facts (met / not yet).
    targets = models.JSONField(
        "争星目标", default=list, blank=True, help_text="达到目标星级所需的条件（按评定规则计算）"
    )
    measures = models.TextField("主要措施")
    responsible = models.CharField("责任人", max_length=200)
    state = models.CharField("状态", max_length=16, choices=PlanState.choices, default=PlanState.DRAFT)
    submitted_at = models.DateTimeField("报送时间", null=True, blank=True)
    submitted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name="报送人",
    )
    reviewed_at = models.DateTimeField("备案或退回时间", null=True, blank=True)
    reviewed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name="备案或退回人",
    )
    review_comment = models.TextField("上级意见", blank=True)
    created_at = models.DateTimeField("创建时间", auto_now_add=True)
    updated_at = models.DateTimeField("更新时间", auto_now=True)

    class Meta:
        verbose_name = "晋位争星方案"
        verbose_name_plural = "晋位争星方案"
        ordering = ["-year", "organization__path"]
        constraints = [
            models.UniqueConstraint(
                fields=["organization", "year"],
                name="ledger_one_plan_per_year",
                violation_error_message="该组织本年度已有晋位争星方案",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.organization.name}{self.year}年晋位争星方案"


class PlanMilestone(models.Model):
    """A dated step of a plan (时间节点)."""

    plan = models.ForeignKey(
        ImprovementPlan, on_delete=models.CASCADE, related_name="milestones", verbose_name="晋位争星方案"
    )
    due_on = models.DateField("完成时限")
    description = models.CharField("节点任务", max_length=300)
    done_on = models.DateField("完成日期", null=True, blank=True)

    class Meta:
        verbose_name = "时间节点"
        verbose_name_plural = "时间节点"
        ordering = ["plan_id", "due_on", "id"]

    def __str__(self) -> str:
        return f"{self.due_on:%Y-%m-%d} {self.description}"


class ItemSource(models.TextChoices):
    SELF = "self", "自查发现"
    RECHECK = "recheck", "复检核星"
    INSPECTION = "inspection", "督导检查"
    OBJECTION = "objection", "公示异议"
    CRITICISM = "criticism", "通报批评"


class ItemState(models.TextChoices):
    OPEN = "open", "整改中"
    CLOSING = "closing", "待确认销账"
    CLOSED = "closed", "已销账"


class RectificationItem(models.Model):
    """One line of an organization's rectification ledger (整改台账)."""

    holds_attachments = True  # closing evidence (销账佐证材料), through records.services.attachment_add

    organization = models.ForeignKey(
        Organization, on_delete=models.PROTECT, related_name="rectification_items", verbose_name="党组织"
    )
    problem = models.TextField("存在问题")
    source = models.CharField("问题来源", max_length=16, choices=ItemSource.choices)
    #: What found it, in words ("2026年5月复检", "市直工委通报〔2026〕3号"); the finding apps also link it.
    source_note = models.CharField("来源说明", max_length=200, blank=True)
    target = models.TextField("整改目标")
    measures = models.TextField("整改措施")
    responsible = models.CharField("责任人", max_length=100)
    deadline = models.DateField("整改时限")
    state = models.CharField("状态", max_length=16, choices=ItemState.choices, default=ItemState.OPEN)
    closing_evidence = models.TextField("整改完成情况", blank=True)
    close_requested_at = models.DateTimeField("申请销账时间", null=True, blank=True)
    close_requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name="申请销账人",
    )
    closed_on = models.DateField("销账日期", null=True, blank=True)
    closed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name="确认销账人",
    )
    review_comment = models.TextField("上级意见", blank=True)
    created_at = models.DateTimeField("登记时间", auto_now_add=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name="登记人",
    )
    #: Opened by a superior (or imported by one): the organization itself may then only request closing.
    opened_by_superior = models.BooleanField("上级交办", default=False)

    class Meta:
        verbose_name = "整改事项"
        verbose_name_plural = "整改事项"
        ordering = ["deadline", "id"]
        indexes = [
            models.Index(fields=["organization", "state"], name="ledger_item_org_state"),
            models.Index(fields=["state", "deadline"], name="ledger_item_state_deadline"),
        ]

    def __str__(self) -> str:
        return f"{self.organization.name}：{self.problem[:30]}"

    def is_overdue(self, today: date) -> bool:
        """Not closed after its deadline (a closing request awaiting confirmation still counts)."""
        return self.state != ItemState.CLOSED and today > self.deadline
