"""Party dues (党费): each member's base and category, the monthly payments, and hardship reductions.

The monthly amount is computed by ``xingji.rules.dues`` (the 2008 rule of
中共中央组织部, its brackets as data) from the member's base (党费基数: the
monthly post-tax pay or pension) and category (党费类别). A hardship
reduction (困难减免) is proposed by the member's branch and applies only once
the next level above has approved it; until then the computed amount applies.
Arrears are counted from the account's first month (起缴月份) to the last
full month; six months unpaid in a row is a flag for the branch to decide
(自行脱党), never a change of the member's status.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from django.conf import settings
from django.core.validators import MinValueValidator
from django.db import models

from xingji.orgs.models import Member


class DuesCategory(models.TextChoices):
    """The categories of ``rules/tables/dues-2008.toml`` (same codes)."""

    EMPLOYED = "employed", "在职"
    RETIRED = "retired", "离退休"
    FARMER = "farmer", "农民"
    MINIMAL = "minimal", "学生、失业或领取救济"


class DuesAccount(models.Model):
    """A member's dues base and category (党费基数)."""

    member = models.OneToOneField(Member, on_delete=models.CASCADE, related_name="dues_account", verbose_name="党员")
    category = models.CharField("党费类别", max_length=16, choices=DuesCategory.choices, default=DuesCategory.EMPLOYED)
    base = models.DecimalField(
        "党费基数",
        max_digits=10,
        decimal_places=2,
        default=Decimal(0),
        validators=[MinValueValidator(Decimal(0), "党费基数不能为负数")],
        help_text="每月税后工资收入或离退休费（元）",
    )
    chosen_amount = models.DecimalField(
        "农民党员月交额",
        max_digits=4,
        decimal_places=2,
        null=True,
        blank=True,
        help_text="农民党员每月 0.2 至 1 元，空为 0.2 元",
    )
    since = models.DateField("起缴月份", help_text="从该月起计算欠缴（每月1日）")
    updated_at = models.DateTimeField("修改时间", auto_now=True)

    class Meta:
        verbose_name = "党费基数"
        verbose_name_plural = "党费基数"

    def __str__(self) -> str:
        return f"{self.member.name}的党费基数"


class ReductionState(models.TextChoices):
    PROPOSED = "proposed", "待上级审批"
    APPROVED = "approved", "已批准"
    REJECTED = "rejected", "未批准"


class DuesReduction(models.Model):
    """A hardship reduction (困难减免): proposed by the branch, approved by the next level."""

    member = models.ForeignKey(Member, on_delete=models.CASCADE, related_name="dues_reductions", verbose_name="党员")
    amount = models.DecimalField(
        "减免后月交额",
        max_digits=10,
        decimal_places=2,
        validators=[MinValueValidator(Decimal(0), "减免后月交额不能为负数")],
    )
    reason = models.TextField("减免理由")
    state = models.CharField("状态", max_length=16, choices=ReductionState.choices, default=ReductionState.PROPOSED)
    proposed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, related_name="+", verbose_name="提出人"
    )
    proposed_at = models.DateTimeField("提出时间", auto_now_add=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name="审批人",
    )
    decided_at = models.DateTimeField("审批时间", null=True, blank=True)

    class Meta:
        verbose_name = "党费减免"
        verbose_name_plural = "党费减免"
        ordering = ["-proposed_at", "-pk"]

    def __str__(self) -> str:
        return f"{self.member.name}的党费减免"


class PaymentSource(models.TextChoices):
    FORM = "form", "录入"
    IMPORT = "import", "银行明细导入"


class DuesPayment(models.Model):
    """One month's dues paid by one member (党费缴纳记录)."""

    member = models.ForeignKey(Member, on_delete=models.CASCADE, related_name="dues_payments", verbose_name="党员")
    month = models.DateField("所属月份", help_text="该月1日")
    amount = models.DecimalField(
        "金额",
        max_digits=10,
        decimal_places=2,
        validators=[MinValueValidator(Decimal("0.01"), "金额须大于零")],
    )
    paid_on = models.DateField("缴纳日期")
    source = models.CharField("来源", max_length=8, choices=PaymentSource.choices, default=PaymentSource.FORM)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name="登记人",
    )
    created_at = models.DateTimeField("登记时间", auto_now_add=True)

    class Meta:
        verbose_name = "党费缴纳记录"
        verbose_name_plural = "党费缴纳记录"
        ordering = ["member", "month"]
        # The month is its first day (``services`` writes it so). No CHECK on the day: a constraint calling
        # Django's date functions would make SQLite's own tools (the backup's integrity check) fail on the file.
        constraints = [
            models.UniqueConstraint(fields=["member", "month"], name="dues_payment_one_per_month"),
        ]

    def __str__(self) -> str:
        return f"{self.member.name} {self.month:%Y年%m月}党费"


def month_start(day: date) -> date:
    return day.replace(day=1)
