"""The campaign's records and their states.

* ``Campaign`` — one rating campaign (评星定级活动) over the subtree of a node:
  the mid-year application (申报创星, by 5 June) or the year-end re-check
  (年底复核, by 31 December). It keeps the text of its rating scheme, so that
  a later edit of a scheme file never changes a running campaign.
* ``Evaluation`` — one organization's evaluation (评定) in a campaign: its
  self-evaluation (自评), survey figures (党员群众测评), the superior's
  evaluation (上级考评), the five-star review (五星级审核) or the office's
  direct check (普查/抽查), the engine's result and where it stands in the
  workflow (``EvaluationState``; the transitions are in
  ``xingji.campaigns.workflow``).
* ``CriterionScore`` — a score and a comment for one criterion (评定内容), in
  the self-evaluation or the superior's evaluation.
* ``RatingRun`` — the campaign-wide rating (全面评定) with the quotas, run in
  the background, with its progress.
* ``QuotaTie`` — organizations with equal final scores on both sides of a
  quota's cut line (比例线并列), and the decision taken on them.
* ``Notice`` / ``NoticeEntry`` — a public notice (公示) and the organizations
  it lists with their proposed levels.
* ``Objection`` — an objection (异议) to an organization on a notice, filed
  by anyone, with the office's answer.
* ``Approval`` — the committee's approval (工委会批准): date and minutes number.
* ``MunicipalReview`` — the municipal organization department's re-review
  (市委组织部复审) of a five-star result.
* ``StarLedgerEntry`` — one line of the star ledger (星级管理台账): the single
  source of an organization's current level.

Writes go through ``xingji.campaigns.services``; reads through
``xingji.campaigns.selectors``.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from functools import lru_cache

from django.conf import settings
from django.contrib.contenttypes.fields import GenericRelation
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils.functional import cached_property

from xingji.common.objections import ObjectionBase
from xingji.common.objections import ObjectionState as ObjectionState  # re-exported: the states of the objections here
from xingji.orgs.models import Organization
from xingji.rules.scheme import Scheme, parse_scheme


@lru_cache(maxsize=32)
def parsed_scheme(text: str) -> Scheme:
    """The scheme of a campaign's stored text, parsed once per process."""
    return parse_scheme(text, source="campaign")


def share_text(share: Decimal) -> str:
    """A share as a percentage to one decimal, without a trailing ".0": 0.8 is "80%", 0.6667 "66.7%"."""
    text = f"{share * 100:.1f}"
    return f"{text.removesuffix('.0')}%"


class CampaignKind(models.TextChoices):
    MID_YEAR = "mid_year", "申报创星"
    YEAR_END = "year_end", "年底复核"


#: The default deadline of each kind of campaign (month, day), seed 四、实施步骤.
DEFAULT_DEADLINES = {CampaignKind.MID_YEAR: (6, 5), CampaignKind.YEAR_END: (12, 31)}


class QuotaMode(models.TextChoices):
    WARN = "warn", "仅提示"
    ENFORCE = "enforce", "强制调整"
    OFF = "off", "不检查"


class CampaignState(models.TextChoices):
    DRAFT = "draft", "草稿"
    OPEN = "open", "进行中"
    NOTICE = "notice", "公示中"
    APPROVED = "approved", "已批准"
    CLOSED = "closed", "已结束"


class Campaign(models.Model):
    name = models.CharField("名称", max_length=200)
    year = models.PositiveSmallIntegerField("年度", validators=[MinValueValidator(2000), MaxValueValidator(2100)])
    kind = models.CharField("类型", max_length=16, choices=CampaignKind.choices)
    deadline = models.DateField("截止日期")
    root = models.ForeignKey(
        Organization,
        on_delete=models.PROTECT,
        related_name="campaigns",
        verbose_name="范围（组织）",
        help_text="该组织的全部下级组织参加评定",
    )
    scheme_code = models.CharField("评定方案编号", max_length=100)
    scheme_name = models.CharField("评定方案", max_length=200)
    scheme_origin = models.CharField("方案来源", max_length=255, help_text="内置方案的编号或上传文件的名称")
    scheme_text = models.TextField("评定方案全文（TOML）", help_text="开展后不再随方案文件的修改而变化")
    quota_mode = models.CharField("比例控制", max_length=16, choices=QuotaMode.choices, default=QuotaMode.WARN)
    notice_days = models.PositiveSmallIntegerField("公示天数", validators=[MinValueValidator(1)])
    founded_cutoff = models.DateField(
        "成立日期界限", help_text="此日期之后成立的组织按新成立组织处理（如何处理由评定方案规定）"
    )
    state = models.CharField("状态", max_length=16, choices=CampaignState.choices, default=CampaignState.DRAFT)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", verbose_name="创建人"
    )
    created_at = models.DateTimeField("创建时间", auto_now_add=True)
    opened_at = models.DateTimeField("开展时间", null=True, blank=True)

    class Meta:
        verbose_name = "评定活动"
        verbose_name_plural = "评定活动"
        ordering = ["-year", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["root", "year", "kind"],
                name="campaigns_one_campaign_per_scope_year_kind",
                violation_error_message="该范围本年度已有同类型的评定活动",
            ),
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def scheme(self) -> Scheme:
        return parsed_scheme(self.scheme_text)

    @property
    def engine_stage(self) -> str:
        """The engine's stage: the year-end re-check applies the year-end level rules (absence demotion)."""
        return "year_end" if self.kind == CampaignKind.YEAR_END else "mid_year"

    @property
    def top_level(self) -> int:
        """The highest level of the scheme (五星级): its proposals are reviewed and re-reviewed."""
        return max(self.scheme.level_values())

    def level_name(self, level: int | None) -> str:
        if level is None:
            return ""
        return self.scheme.level_name(level)

    @property
    def survey_min_participation(self) -> Decimal:
        """The share of the members whose taking part makes a survey valid: the scheme's ``[survey]`` threshold."""
        return self.scheme.survey.min_participation

    @property
    def survey_min_participation_text(self) -> str:
        """The threshold as users read it: "80%", "66.7%" for 2/3."""
        return share_text(self.survey_min_participation)


class EvaluationState(models.TextChoices):
    SELF_DRAFT = "self_draft", "自评填写中"
    SELF_SUBMITTED = "self_submitted", "自评已提交"
    REEVALUATION = "reevaluation", "退回上级重新考评"
    REVIEW_PENDING = "review_pending", "五星级待审核"
    EVALUATED = "evaluated", "已考评"
    RATED = "rated", "已评定待公示"
    ON_NOTICE = "on_notice", "公示中"
    NOTICE_PASSED = "notice_passed", "公示期满待批准"
    APPROVED = "approved", "已批准"
    MUNICIPAL_REVIEW = "municipal_review", "市委组织部复审中"
    MUNICIPAL_RETURNED = "municipal_returned", "复审已返回"


class CheckMethod(models.TextChoices):
    CENSUS = "census", "普查"
    SAMPLE = "sample", "抽查"


class Evaluation(models.Model):
    campaign = models.ForeignKey(
        Campaign, on_delete=models.PROTECT, related_name="evaluations", verbose_name="评定活动"
    )
    organization = models.ForeignKey(
        Organization, on_delete=models.PROTECT, related_name="evaluations", verbose_name="党组织"
    )
    state = models.CharField("状态", max_length=24, choices=EvaluationState.choices, default=EvaluationState.SELF_DRAFT)
    # Incremented by every change, so that the background rating run can tell
    # that an evaluation changed between reading it and writing its result.
    version = models.PositiveIntegerField("版本", default=0)
    newly_founded = models.BooleanField("新成立组织", default=False)
    previous_level = models.PositiveSmallIntegerField(
        "原星级", null=True, blank=True, help_text="开展评定时星级管理台账中的星级"
    )
    return_reason = models.TextField("退回理由", blank=True)

    # Self-evaluation (自评).
    claimed_level = models.PositiveSmallIntegerField("申报星级", null=True, blank=True)
    self_submitted_at = models.DateTimeField("自评提交时间", null=True, blank=True)
    self_submitted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name="自评提交人",
    )

    # Survey figures (党员群众测评), written by closing a valid survey session (``xingji.surveys``).
    survey_member_count = models.PositiveIntegerField("党员总数", null=True, blank=True)
    survey_participant_count = models.PositiveIntegerField("参加测评党员数", null=True, blank=True)
    survey_satisfaction = models.DecimalField(
        "满意率",
        max_digits=5,
        decimal_places=4,
        null=True,
        blank=True,
        validators=[MinValueValidator(Decimal(0)), MaxValueValidator(Decimal(1))],
    )
    survey_meeting_on = models.DateField("测评会日期", null=True, blank=True)
    survey_score = models.DecimalField(
        "测评得分率",
        max_digits=5,
        decimal_places=4,
        null=True,
        blank=True,
        validators=[MinValueValidator(Decimal(0)), MaxValueValidator(Decimal(1))],
        help_text="总体评价按方案选项权重的平均值（0到1），用于加权综合分",
    )

    # Superior evaluation (上级考评).
    innovation_project = models.BooleanField("有党建创新项目", default=False)
    superior_comment = models.TextField("考评意见", blank=True)
    proposed_level = models.PositiveSmallIntegerField("建议星级", null=True, blank=True)
    composite_hint = models.DecimalField(
        "加权综合参考分",
        max_digits=6,
        decimal_places=2,
        null=True,
        blank=True,
        help_text="自评、测评、考评按方案权重的综合分，仅供参考",
    )
    evaluated_at = models.DateTimeField("考评时间", null=True, blank=True)
    evaluated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name="考评人",
    )

    # Five-star review (五星级审核) and the office's direct check (普查/抽查).
    review_comment = models.TextField("审核意见", blank=True)
    reviewed_at = models.DateTimeField("审核时间", null=True, blank=True)
    reviewed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name="审核人",
    )
    check_method = models.CharField("核查方式", max_length=16, choices=CheckMethod.choices, blank=True)
    check_finding = models.TextField("核查情况", blank=True)
    checked_on = models.DateField("核查日期", null=True, blank=True)
    checked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name="核查人",
    )

    # The engine's result: the superior's evaluation, then the campaign-wide run's.
    facts = models.JSONField("评定依据", default=dict, blank=True, help_text="送入评定规则的全部事实")
    base_score = models.DecimalField("基础分", max_digits=6, decimal_places=2, null=True, blank=True)
    final_score = models.DecimalField("最终得分", max_digits=6, decimal_places=2, null=True, blank=True)
    band_level = models.PositiveSmallIntegerField("分数段星级", null=True, blank=True)
    level = models.PositiveSmallIntegerField("评定星级", null=True, blank=True)
    reasons = models.JSONField("评定理由", default=list, blank=True)
    explanation = models.JSONField("评定说明", default=list, blank=True)
    rating_run = models.ForeignKey(
        "RatingRun", on_delete=models.SET_NULL, null=True, blank=True, related_name="+", verbose_name="全面评定"
    )

    # Notice and approval.
    noticed_level = models.PositiveSmallIntegerField("公示星级", null=True, blank=True)
    approval = models.ForeignKey(
        "Approval",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="evaluations",
        verbose_name="工委会批准",
    )
    approved_level = models.PositiveSmallIntegerField("批准星级", null=True, blank=True)

    class Meta:
        verbose_name = "组织评定"
        verbose_name_plural = "组织评定"
        ordering = ["campaign_id", "organization__path"]
        constraints = [
            models.UniqueConstraint(
                fields=["campaign", "organization"],
                name="campaigns_one_evaluation_per_organization",
                violation_error_message="该组织在本次评定活动中已有评定",
            ),
        ]
        indexes = [models.Index(fields=["campaign", "state"], name="campaigns_evaluation_state")]

    def __str__(self) -> str:
        return f"{self.campaign.name}：{self.organization.name}"

    @property
    def survey_participation(self) -> Decimal | None:
        """Members who took part over all members, or None before the figures are entered."""
        if not self.survey_member_count or self.survey_participant_count is None:
            return None
        return Decimal(self.survey_participant_count) / Decimal(self.survey_member_count)

    @property
    def survey_is_valid(self) -> bool:
        """The survey counts only when the scheme's share of the members took part (seed 四(一)2: 80 %)."""
        participation = self.survey_participation
        return participation is not None and participation >= self.campaign.survey_min_participation

    @property
    def changes_ledger_level(self) -> bool:
        """Whether its level differs from the organization's level in the star ledger when the campaign opened.

        Such a change takes effect only through the notice and the committee's
        approval, like every other result of the campaign.
        """
        return self.level is not None and self.level != self.previous_level

    def is_overdue(self, today: date) -> bool:
        """Still self-evaluating after the campaign's deadline."""
        return self.state == EvaluationState.SELF_DRAFT and today > self.campaign.deadline


class ScorePart(models.TextChoices):
    SELF = "self", "自评"
    SUPERIOR = "superior", "上级考评"


class CriterionScore(models.Model):
    evaluation = models.ForeignKey(
        Evaluation, on_delete=models.CASCADE, related_name="criterion_scores", verbose_name="组织评定"
    )
    part = models.CharField("类别", max_length=16, choices=ScorePart.choices)
    criterion_code = models.CharField("评定内容编号", max_length=32)
    score = models.DecimalField("得分", max_digits=5, decimal_places=2, null=True, blank=True)
    comment = models.TextField("说明", blank=True)
    #: Evidence (证明材料) for the self part's score, uploaded by the organization's own user
    #: through ``services.criterion_attachment_add`` (``records.Attachment``: type- and size-checked,
    #: stored outside the web root, served only by an access-checked view).
    attachments = GenericRelation("records.Attachment", verbose_name="证明材料")

    #: ``records.services.attachment_add`` accepts this model as an attachment holder.
    holds_attachments = True
    #: Whose attachments they are, for ``records.access.holder_organization_id``: the evaluation's organization.
    attachments_organization = "evaluation__organization"

    class Meta:
        verbose_name = "评定内容得分"
        verbose_name_plural = "评定内容得分"
        ordering = ["evaluation_id", "part", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["evaluation", "part", "criterion_code"], name="campaigns_one_score_per_criterion"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_part_display()} {self.criterion_code}：{self.score}"


class RunState(models.TextChoices):
    QUEUED = "queued", "排队中"
    RUNNING = "running", "运行中"
    DONE = "done", "已完成"
    FAILED = "failed", "失败"


class RunPhase(models.TextChoices):
    WAITING = "waiting", "等待开始"
    COLLECTING = "collecting", "读取评定依据"
    RATING = "rating", "计算星级和比例"
    SAVING = "saving", "保存结果"
    FINISHED = "finished", "结束"


class RatingRun(models.Model):
    campaign = models.ForeignKey(
        Campaign, on_delete=models.PROTECT, related_name="rating_runs", verbose_name="评定活动"
    )
    state = models.CharField("状态", max_length=16, choices=RunState.choices, default=RunState.QUEUED)
    phase = models.CharField("阶段", max_length=16, choices=RunPhase.choices, default=RunPhase.WAITING)
    total = models.PositiveIntegerField("总步数", default=0)
    done = models.PositiveIntegerField("已完成步数", default=0)
    error = models.TextField("错误", blank=True)
    summary = models.JSONField("比例检查", default=dict, blank=True)
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", verbose_name="发起人"
    )
    created_at = models.DateTimeField("发起时间", auto_now_add=True)
    started_at = models.DateTimeField("开始时间", null=True, blank=True)
    heartbeat_at = models.DateTimeField("最近进展时间", null=True, blank=True)
    finished_at = models.DateTimeField("结束时间", null=True, blank=True)

    class Meta:
        verbose_name = "全面评定"
        verbose_name_plural = "全面评定"
        ordering = ["-id"]

    def __str__(self) -> str:
        return f"{self.campaign.name} 全面评定 #{self.pk}"

    @property
    def percent(self) -> int:
        """Progress for a progress bar, 0-100."""
        if self.state == RunState.DONE:
            return 100
        if not self.total:
            return 0
        return min(100, self.done * 100 // self.total)

    @property
    def is_active(self) -> bool:
        return self.state in (RunState.QUEUED, RunState.RUNNING)


class TieState(models.TextChoices):
    OPEN = "open", "待决定"
    DECIDED = "decided", "已决定"


class QuotaTie(models.Model):
    """Equal final scores on both sides of a quota's cut line, in ``enforce`` mode.

    The engine breaks the tie by base score, satisfaction and id; the office
    confirms that order or chooses others to keep, with a reason, before the
    notice.
    """

    run = models.ForeignKey(RatingRun, on_delete=models.CASCADE, related_name="ties", verbose_name="全面评定")
    rule = models.CharField("比例规则", max_length=100)
    label = models.CharField("比例规则名称", max_length=200)
    clause = models.CharField("条款", max_length=100, blank=True)
    final_score = models.DecimalField("并列得分", max_digits=6, decimal_places=2)
    move_to = models.PositiveSmallIntegerField("调整到的星级")
    decided_by_key = models.CharField("规则排序依据", max_length=32)
    kept = models.JSONField("规则保留的评定", default=list)
    moved = models.JSONField("规则调整的评定", default=list)
    levels_before = models.JSONField("调整前星级", default=dict)
    state = models.CharField("状态", max_length=16, choices=TieState.choices, default=TieState.OPEN)
    decision_kept = models.JSONField("决定保留的评定", default=list, blank=True)
    decision_reason = models.TextField("决定理由", blank=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name="决定人",
    )
    decided_at = models.DateTimeField("决定时间", null=True, blank=True)

    class Meta:
        verbose_name = "比例线并列"
        verbose_name_plural = "比例线并列"
        ordering = ["run_id", "id"]

    def __str__(self) -> str:
        return f"{self.label}：{self.final_score}分并列"

    @property
    def candidates(self) -> list[int]:
        return [*self.kept, *self.moved]


class NoticeState(models.TextChoices):
    PUBLISHED = "published", "公示中"
    CLOSED = "closed", "已结束"


class Notice(models.Model):
    campaign = models.ForeignKey(Campaign, on_delete=models.PROTECT, related_name="notices", verbose_name="评定活动")
    title = models.CharField("标题", max_length=200)
    starts_on = models.DateField("公示开始日期")
    ends_on = models.DateField("公示截止日期", help_text="公示期的最后一天")
    state = models.CharField("状态", max_length=16, choices=NoticeState.choices, default=NoticeState.PUBLISHED)
    published_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", verbose_name="发布人"
    )
    published_at = models.DateTimeField("发布时间", auto_now_add=True)
    closed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name="结束人",
    )
    closed_at = models.DateTimeField("结束时间", null=True, blank=True)

    class Meta:
        verbose_name = "公示"
        verbose_name_plural = "公示"
        ordering = ["-starts_on", "-id"]

    def __str__(self) -> str:
        return self.title

    def accepts_objections_on(self, day: date) -> bool:
        return self.state == NoticeState.PUBLISHED and self.starts_on <= day <= self.ends_on


class NoticeEntry(models.Model):
    notice = models.ForeignKey(Notice, on_delete=models.CASCADE, related_name="entries", verbose_name="公示")
    evaluation = models.ForeignKey(
        Evaluation, on_delete=models.PROTECT, related_name="notice_entries", verbose_name="组织评定"
    )
    organization = models.ForeignKey(Organization, on_delete=models.PROTECT, related_name="+", verbose_name="党组织")
    level = models.PositiveSmallIntegerField("公示星级")
    level_name = models.CharField("公示星级名称", max_length=50)
    final_score = models.DecimalField("最终得分", max_digits=6, decimal_places=2, null=True, blank=True)

    class Meta:
        verbose_name = "公示名单"
        verbose_name_plural = "公示名单"
        ordering = ["notice_id", "-level", "organization__path"]
        constraints = [
            models.UniqueConstraint(fields=["notice", "evaluation"], name="campaigns_one_entry_per_notice"),
        ]

    def __str__(self) -> str:
        return f"{self.organization.name}：{self.level_name}"


class Objection(ObjectionBase):
    """An objection (异议) to an organization on a notice.

    Filed without login. The receipt number handed to the filer is stored only
    as its SHA-256 digest: it is a bearer secret that shows the answer.
    """

    notice = models.ForeignKey(Notice, on_delete=models.PROTECT, related_name="objections", verbose_name="公示")
    evaluation = models.ForeignKey(
        Evaluation, on_delete=models.PROTECT, related_name="objections", verbose_name="组织评定"
    )
    receipt_digest = models.CharField("回执号摘要", max_length=64, unique=True, editable=False)

    class Meta(ObjectionBase.Meta):
        verbose_name = "异议"
        verbose_name_plural = "异议"

    def __str__(self) -> str:
        return f"对{self.evaluation.organization.name}的异议"


class Approval(models.Model):
    campaign = models.ForeignKey(Campaign, on_delete=models.PROTECT, related_name="approvals", verbose_name="评定活动")
    approved_on = models.DateField("工委会批准日期")
    minutes_number = models.CharField("会议纪要编号", max_length=100)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", verbose_name="录入人"
    )
    recorded_at = models.DateTimeField("录入时间", auto_now_add=True)

    class Meta:
        verbose_name = "工委会批准"
        verbose_name_plural = "工委会批准"
        ordering = ["approved_on", "id"]

    def __str__(self) -> str:
        return f"工委会批准（{self.minutes_number}）"


class MunicipalResult(models.TextChoices):
    CONFIRMED = "confirmed", "复审通过"
    NOT_CONFIRMED = "not_confirmed", "复审未通过"


class MunicipalReview(models.Model):
    evaluation = models.OneToOneField(
        Evaluation, on_delete=models.PROTECT, related_name="municipal_review", verbose_name="组织评定"
    )
    sent_on = models.DateField("报送日期")
    sent_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", verbose_name="报送人"
    )
    returned_on = models.DateField("返回日期", null=True, blank=True)
    result = models.CharField("复审结果", max_length=16, choices=MunicipalResult.choices, blank=True)
    result_level = models.PositiveSmallIntegerField("复审后星级", null=True, blank=True)
    note = models.TextField("复审意见", blank=True)
    returned_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name="录入人",
    )

    class Meta:
        verbose_name = "市委组织部复审"
        verbose_name_plural = "市委组织部复审"
        ordering = ["sent_on", "id"]

    def __str__(self) -> str:
        return f"{self.evaluation.organization.name} 复审"


class StarLedgerEntry(models.Model):
    """One line of an organization's star ledger (星级管理台账); the latest is its current level."""

    organization = models.ForeignKey(
        Organization, on_delete=models.PROTECT, related_name="star_ledger_entries", verbose_name="党组织"
    )
    level = models.PositiveSmallIntegerField("星级")
    level_name = models.CharField("星级名称", max_length=50)
    previous_level = models.PositiveSmallIntegerField("原星级", null=True, blank=True)
    effective_on = models.DateField("生效日期")
    campaign = models.ForeignKey(
        Campaign,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="ledger_entries",
        verbose_name="评定活动",
    )
    evaluation = models.ForeignKey(
        Evaluation,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="ledger_entries",
        verbose_name="组织评定",
    )
    approval = models.ForeignKey(
        Approval,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="ledger_entries",
        verbose_name="工委会批准",
    )
    approving_body = models.CharField("批准机关", max_length=100)
    reason = models.TextField("事由")
    approver = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", verbose_name="批准录入人"
    )
    recorded_at = models.DateTimeField("录入时间", auto_now_add=True)

    class Meta:
        verbose_name = "星级管理台账"
        verbose_name_plural = "星级管理台账"
        ordering = ["organization_id", "effective_on", "id"]
        indexes = [
            models.Index(fields=["organization", "effective_on", "id"], name="campaigns_ledger_org_date"),
        ]

    def __str__(self) -> str:
        return f"{self.organization.name}：{self.level_name}（{self.effective_on:%Y-%m-%d}）"

    @cached_property
    def changed(self) -> bool:
        return self.previous_level != self.level
