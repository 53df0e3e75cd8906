"""What every objection (异议) is, wherever it is filed: the filer's text, and the office's answer.

An objection is filed without login, during a public notice: to an
organization on a notice (``campaigns.Objection``) or to a corrected line of
a publication (``reports.CorrectionObjection``). Each concrete model adds what
it is an objection to.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models


class ObjectionState(models.TextChoices):
    OPEN = "open", "待答复"
    UPHELD = "upheld", "异议成立"
    REJECTED = "rejected", "异议不成立"


class ObjectionBase(models.Model):
    content = models.TextField("异议内容")
    contact = models.CharField("联系方式", max_length=100, blank=True)
    state = models.CharField("状态", max_length=16, choices=ObjectionState.choices, default=ObjectionState.OPEN)
    answer = models.TextField("答复", blank=True)
    answered_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name="答复人",
    )
    answered_at = models.DateTimeField("答复时间", null=True, blank=True)
    filed_at = models.DateTimeField("提交时间", auto_now_add=True, db_index=True)

    class Meta:
        abstract = True
        ordering = ["filed_at", "id"]
