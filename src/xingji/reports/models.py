"""The use of the results (结果运用, seed 四(三)).

* ``Plaque`` — a plaque certificate (授牌) for an organization approved at
  the top level (五星级) in a year: its serial number (``2026-001``), the
  title, level and issuing body as printed, kept so that a reprint is the
  same plaque. The office withdraws it (撤牌) with a reason.
* ``DemonstrationSite`` — a demonstration site (示范点) chosen by the
  committee office among the year's five-star organizations, with the
  reason; it may be revoked (撤销) with a reason.
* Both fall due for withdrawal (待撤销) when a later decision — a municipal
  re-review, an approved change of level after a re-check, a later rating —
  puts the organization's star ledger below the level they require
  (``withdrawal_due_since``, ``withdrawal_reason``, the ledger line that did
  it); the office's withdrawal completes it, and a later line restoring the
  level lifts it.
* ``CommendationRecommendation`` — an organization recommended for
  commendation as an advanced grassroots Party organization (先进基层党组织
  推荐名单), drawn from the year's five-star organizations, with its main
  deeds (主要事迹): draft → submitted → adopted (表彰) or not adopted.
* ``ResultPublication`` — the public results of a year (评定结果公布) of the
  organizations the office selected (a node's subtree, or some of it): the
  list of organizations and their approved levels frozen at publication, and
  the audit chain's head hash at that moment. ``PublishedResult`` holds one
  line per organization: an organization's result of a year is published
  once, and publishing some organizations leaves the others publishable.
* A corrected publication (更正): when a published result proves wrong (an
  objection upheld after the notice, a record proved wrong), the office
  publishes a new version (第N版) that ``supersedes`` the old one, with the
  kind and reason of the correction; every line is carried over, the
  corrected ones marked (``changed``, with the level before). The old
  version stays as it was published, its lines no longer current
  (``is_current``). The new version runs a fresh notice period
  (``notice_starts_on`` … ``notice_ends_on``) during which anyone may object
  to a corrected line only (``CorrectionObjection``).

Writes go through ``xingji.reports.services``; reads through
``xingji.reports.selectors``.
"""

from __future__ import annotations

from datetime import date

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models

from xingji.common.objections import ObjectionBase
from xingji.orgs.models import Organization

YEAR_VALIDATORS = [MinValueValidator(2000), MaxValueValidator(2100)]


class Plaque(models.Model):
    organization = models.ForeignKey(
        Organization, on_delete=models.PROTECT, related_name="plaques", verbose_name="党组织"
    )
    year = models.PositiveSmallIntegerField("年度", validators=YEAR_VALIDATORS)
    number = models.PositiveIntegerField("年度序号")
    evaluation = models.ForeignKey(
        "campaigns.Evaluation", on_delete=models.PROTECT, related_name="+", verbose_name="组织评定"
    )
    level = models.PositiveSmallIntegerField("星级")
    level_name = models.CharField("星级名称", max_length=50)
    title = models.CharField("牌匾标题", max_length=100)
    organization_name = models.CharField("组织全称", max_length=200)
    issuing_body = models.CharField("授牌单位", max_length=100)
    issued_on = models.DateField("授牌日期")
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", verbose_name="制作人"
    )
    created_at = models.DateTimeField("制作时间", auto_now_add=True)
    withdrawal_due_since = models.DateField("待撤销起始日期", null=True, blank=True)
    withdrawal_reason = models.TextField("待撤销原因", blank=True)
    withdrawal_entry = models.ForeignKey(
        "campaigns.StarLedgerEntry",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name="引起撤销的星级管理台账记录",
    )
    withdrawn_at = models.DateTimeField("撤牌时间", null=True, blank=True)
    withdrawn_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name="撤牌人",
    )
    withdraw_reason = models.TextField("撤牌理由", blank=True)

    class Meta:
        verbose_name = "授牌"
        verbose_name_plural = "授牌"
        ordering = ["-year", "number"]
        constraints = [
            models.UniqueConstraint(
                fields=["organization", "year"],
                name="reports_one_plaque_per_year",
                violation_error_message="该组织本年度已授牌",
            ),
            models.UniqueConstraint(fields=["year", "number"], name="reports_plaque_serial_unique"),
        ]

    def __str__(self) -> str:
        return f"{self.serial} {self.organization_name}"

    @property
    def serial(self) -> str:
        return f"{self.year}-{self.number:03d}"

    @property
    def is_active(self) -> bool:
        return self.withdrawn_at is None

    @property
    def is_withdrawal_due(self) -> bool:
        return self.withdrawn_at is None and self.withdrawal_due_since is not None

    @property
    def status(self) -> str:
        return withdrawal_status(self.is_active, self.is_withdrawal_due)


def withdrawal_status(active: bool, due: bool) -> str:
    """有效, 待撤销 (a later decision lowered the level it needs) or 已撤销."""
    if not active:
        return "已撤销"
    return "待撤销" if due else "有效"


class DemonstrationSite(models.Model):
    organization = models.ForeignKey(
        Organization, on_delete=models.PROTECT, related_name="demonstration_sites", verbose_name="党组织"
    )
    year = models.PositiveSmallIntegerField("年度", validators=YEAR_VALIDATORS)
    reason = models.TextField("确定理由")
    chosen_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", verbose_name="确定人"
    )
    chosen_at = models.DateTimeField("确定时间", auto_now_add=True)
    revoked_at = models.DateTimeField("撤销时间", null=True, blank=True)
    revoked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name="撤销人",
    )
    revoke_reason = models.TextField("撤销理由", blank=True)
    withdrawal_due_since = models.DateField("待撤销起始日期", null=True, blank=True)
    withdrawal_reason = models.TextField("待撤销原因", blank=True)
    withdrawal_entry = models.ForeignKey(
        "campaigns.StarLedgerEntry",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name="引起撤销的星级管理台账记录",
    )

    class Meta:
        verbose_name = "示范点"
        verbose_name_plural = "示范点"
        ordering = ["-year", "organization__path"]
        constraints = [
            models.UniqueConstraint(
                fields=["organization", "year"],
                condition=models.Q(revoked_at__isnull=True),
                name="reports_one_site_per_year",
                violation_error_message="该组织本年度已是示范点",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.year}年示范点：{self.organization.name}"

    @property
    def is_active(self) -> bool:
        return self.revoked_at is None

    @property
    def is_withdrawal_due(self) -> bool:
        return self.revoked_at is None and self.withdrawal_due_since is not None

    @property
    def status(self) -> str:
        return withdrawal_status(self.is_active, self.is_withdrawal_due)


class RecommendationState(models.TextChoices):
    DRAFT = "draft", "草稿"
    SUBMITTED = "submitted", "已报送"
    ADOPTED = "adopted", "已表彰"
    NOT_ADOPTED = "not_adopted", "未表彰"


class CommendationRecommendation(models.Model):
    organization = models.ForeignKey(
        Organization, on_delete=models.PROTECT, related_name="commendation_recommendations", verbose_name="党组织"
    )
    year = models.PositiveSmallIntegerField("年度", validators=YEAR_VALIDATORS)
    deeds = models.TextField("主要事迹")
    state = models.CharField(
        "状态", max_length=16, choices=RecommendationState.choices, default=RecommendationState.DRAFT
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", verbose_name="推荐人"
    )
    created_at = models.DateTimeField("推荐时间", auto_now_add=True)
    submitted_at = models.DateTimeField("报送时间", null=True, blank=True)
    decided_at = models.DateTimeField("决定时间", null=True, blank=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name="录入人",
    )
    decision_note = models.TextField("表彰情况", blank=True)
    commendation = models.ForeignKey(
        "records.Commendation",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name="表彰记录",
    )

    class Meta:
        verbose_name = "先进基层党组织推荐"
        verbose_name_plural = "先进基层党组织推荐"
        ordering = ["-year", "organization__path"]
        constraints = [
            models.UniqueConstraint(
                fields=["organization", "year"],
                name="reports_one_recommendation_per_year",
                violation_error_message="该组织本年度已在推荐名单中",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.year}年推荐：{self.organization.name}"


class CorrectionKind(models.TextChoices):
    OBJECTION_UPHELD = "objection_upheld", "异议成立"
    RECORD_WRONG = "record_wrong", "记录有误"
    OTHER = "other", "其他"


class ResultPublication(models.Model):
    year = models.PositiveSmallIntegerField("年度", validators=YEAR_VALIDATORS)
    root = models.ForeignKey(
        Organization, on_delete=models.PROTECT, related_name="result_publications", verbose_name="范围（组织）"
    )
    title = models.CharField("标题", max_length=200)
    #: The organizations and their approved levels at publication:
    #: [{"organization", "level", "level_name", "organization_id"}] (the id since publications became scoped).
    rows = models.JSONField("结果名单", default=list)
    head_hash = models.CharField(
        "审计链校验值", max_length=64, blank=True, help_text="发布记录写入审计链后的链末端哈希"
    )
    published_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", verbose_name="发布人"
    )
    published_at = models.DateTimeField("发布时间", auto_now_add=True)
    version = models.PositiveSmallIntegerField("版本", default=1)
    supersedes = models.OneToOneField(
        "self",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="superseded_by",
        verbose_name="更正的上一版本",
    )
    correction_kind = models.CharField("更正类别", max_length=24, choices=CorrectionKind.choices, blank=True)
    correction_reason = models.TextField("更正理由", blank=True)
    notice_starts_on = models.DateField("更正公示开始日期", null=True, blank=True)
    notice_ends_on = models.DateField("更正公示截止日期", null=True, blank=True, help_text="更正公示期的最后一天")

    class Meta:
        verbose_name = "评定结果公布"
        verbose_name_plural = "评定结果公布"
        ordering = ["-year", "-id"]

    def __str__(self) -> str:
        return self.title

    @property
    def is_correction(self) -> bool:
        return self.supersedes_id is not None

    @property
    def successor(self) -> ResultPublication | None:
        """The version that corrected this one, or None while it is the current version."""
        try:
            return self.superseded_by
        except ResultPublication.superseded_by.RelatedObjectDoesNotExist:
            return None

    def accepts_objections_on(self, day: date) -> bool:
        """During its correction's notice period, while no later version corrected it again."""
        return (
            self.notice_starts_on is not None
            and self.notice_ends_on is not None
            and self.notice_starts_on <= day <= self.notice_ends_on
            and self.successor is None
        )


class PublishedResult(models.Model):
    """One organization's result of a year on a publication: published once, whatever the scope."""

    publication = models.ForeignKey(
        ResultPublication, on_delete=models.CASCADE, related_name="results", verbose_name="评定结果公布"
    )
    organization = models.ForeignKey(
        Organization, on_delete=models.PROTECT, related_name="published_results", verbose_name="党组织"
    )
    year = models.PositiveSmallIntegerField("年度", validators=YEAR_VALIDATORS)
    level = models.PositiveSmallIntegerField("星级")
    level_name = models.CharField("星级名称", max_length=50)
    is_current = models.BooleanField("现行版本", default=True, help_text="所在公布未被更正")
    changed = models.BooleanField("本版更正", default=False)
    previous_level = models.PositiveSmallIntegerField("更正前星级", null=True, blank=True)
    previous_level_name = models.CharField("更正前星级名称", max_length=50, blank=True)

    class Meta:
        verbose_name = "已公布的评定结果"
        verbose_name_plural = "已公布的评定结果"
        ordering = ["publication_id", "id"]
        constraints = [
            # Earlier versions of a corrected publication keep their lines, no longer current.
            models.UniqueConstraint(
                fields=["organization", "year"],
                condition=models.Q(is_current=True),
                name="reports_one_published_result_per_year",
                violation_error_message="该组织本年度的评定结果已公布",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.year}年：{self.organization.name}{self.level_name}"


class CorrectionObjection(ObjectionBase):
    """An objection (异议) to a corrected line of a publication, filed during its correction notice (更正公示).

    Filed without login; content required, contact optional. An upheld one is answered and the office
    corrects the result again (a further version).
    """

    publication = models.ForeignKey(
        ResultPublication, on_delete=models.PROTECT, related_name="objections", verbose_name="评定结果公布"
    )
    result = models.ForeignKey(
        PublishedResult, on_delete=models.PROTECT, related_name="objections", verbose_name="更正的评定结果"
    )

    class Meta(ObjectionBase.Meta):
        verbose_name = "更正公示异议"
        verbose_name_plural = "更正公示异议"

    def __str__(self) -> str:
        return f"对{self.result.organization.name}更正结果的异议"
