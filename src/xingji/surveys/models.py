"""The members' and public survey (党员群众测评) of an evaluation.

* ``SurveySession`` — one survey meeting (测评会) of an organization's
  evaluation: its questions (a snapshot of the scheme's ``[survey]`` table and
  criteria), its anonymity settings, its expiry and, once closed, its frozen
  results.
* ``SurveyToken`` — one survey code (测评码) handed out on a slip: the
  participation table. Only the SHA-256 digest of the code is kept, its kind
  (member or public) and whether it was used — never when, nor by whom.
* ``Ballot`` — one filled ballot (测评票): a random UUID, the session, the
  answers, the date and a random receipt code (回执码). No link to a token, a
  member, an address or a time finer than the day: ``SurveyToken`` and
  ``Ballot`` are written in one transaction and cannot be joined.

Writes go through ``xingji.surveys.services``.
"""

from __future__ import annotations

import uuid
from datetime import timedelta
from decimal import Decimal

from django.conf import settings
from django.db import models
from django.utils import timezone

from xingji.campaigns.models import Evaluation


class SessionState(models.TextChoices):
    OPEN = "open", "测评中"
    CLOSED = "closed", "已结束"


class SurveySession(models.Model):
    evaluation = models.ForeignKey(
        Evaluation, on_delete=models.PROTECT, related_name="survey_sessions", verbose_name="组织评定"
    )
    #: The public address of the receipt list, not guessable from the session's number.
    public_id = models.UUIDField("公开编号", default=uuid.uuid4, unique=True, editable=False)
    meeting_on = models.DateField("测评会日期")
    expires_at = models.DateTimeField("测评码失效时间")
    questions = models.JSONField("测评题目", default=dict, help_text="开启时按评定方案生成，之后不再变化")
    # Anonymity settings (匿名设置): locked once the first ballot exists.
    public_tokens_allowed = models.BooleanField("发放群众测评码", default=True)
    comments_collected = models.BooleanField("收集意见建议", default=True)
    member_count = models.PositiveIntegerField("党员总数", default=0, help_text="正式党员和预备党员，发放测评码时更新")
    state = models.CharField("状态", max_length=16, choices=SessionState.choices, default=SessionState.OPEN)
    opened_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", verbose_name="开启人"
    )
    opened_at = models.DateTimeField("开启时间", auto_now_add=True)
    # Frozen at closing.
    closed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name="结束人",
    )
    closed_at = models.DateTimeField("结束时间", null=True, blank=True)
    ballot_count = models.PositiveIntegerField("有效票数", null=True, blank=True)
    member_participant_count = models.PositiveIntegerField("参加测评党员数", null=True, blank=True)
    participation = models.DecimalField("参与率", max_digits=5, decimal_places=4, null=True, blank=True)
    satisfaction = models.DecimalField("满意率", max_digits=5, decimal_places=4, null=True, blank=True)
    score = models.DecimalField(
        "测评得分率",
        max_digits=5,
        decimal_places=4,
        null=True,
        blank=True,
        help_text="总体评价按方案选项权重的平均值（0到1）",
    )
    valid = models.BooleanField("测评有效", null=True, blank=True)
    distributions = models.JSONField("各项评价分布", default=dict, blank=True)

    class Meta:
        verbose_name = "测评会"
        verbose_name_plural = "测评会"
        ordering = ["-opened_at", "-id"]

    def __str__(self) -> str:
        return f"{self.evaluation.organization.name} 测评（{self.meeting_on:%Y-%m-%d}）"

    @property
    def is_open(self) -> bool:
        return self.state == SessionState.OPEN

    @property
    def expires_on(self):
        """The last day the codes work (they stop at the following midnight)."""
        return (timezone.localtime(self.expires_at) - timedelta(microseconds=1)).date()

    @property
    def min_participation(self) -> Decimal:
        return Decimal(str(self.questions.get("min_participation", "0.8")))


class TokenKind(models.TextChoices):
    MEMBER = "member", "党员"
    PUBLIC = "public", "群众"


class SurveyToken(models.Model):
    session = models.ForeignKey(SurveySession, on_delete=models.CASCADE, related_name="tokens", verbose_name="测评会")
    kind = models.CharField("类别", max_length=8, choices=TokenKind.choices)
    digest = models.CharField("测评码摘要", max_length=64, unique=True, editable=False)
    used = models.BooleanField("已使用", default=False)
    #: The session's expiry, kept on each row so that redeeming a code is one update of one row.
    expires_at = models.DateTimeField("失效时间")

    class Meta:
        verbose_name = "测评码"
        verbose_name_plural = "测评码"
        indexes = [models.Index(fields=["session", "kind", "used"], name="surveys_token_count")]

    def __str__(self) -> str:
        return f"{self.get_kind_display()}测评码"


class Ballot(models.Model):
    id = models.UUIDField("编号", primary_key=True, default=uuid.uuid4, editable=False)
    session = models.ForeignKey(SurveySession, on_delete=models.CASCADE, related_name="ballots", verbose_name="测评会")
    answers = models.JSONField("答案")
    cast_on = models.DateField("投票日期")
    receipt = models.CharField("回执码", max_length=16, unique=True, editable=False)

    class Meta:
        verbose_name = "测评票"
        verbose_name_plural = "测评票"

    def __str__(self) -> str:
        return f"测评票 {self.receipt}"
