"""The evidence files (证明材料) of a self-evaluation: one query, below access, selectors and services.

``access.access_criterion_attachment`` scopes through it, ``selectors`` lists
with it and the services check against it, so the three agree on what
belongs to an evaluation without any of them importing another upward.
"""

from __future__ import annotations

from django.contrib.contenttypes.models import ContentType
from django.db.models import QuerySet

from xingji.campaigns.models import CriterionScore, Evaluation, ScorePart
from xingji.records.models import Attachment


def criterion_attachments(evaluation: Evaluation) -> QuerySet[Attachment]:
    """The evidence files (证明材料) of the evaluation's self part, every criterion."""
    return Attachment.objects.filter(
        content_type=ContentType.objects.get_for_model(CriterionScore),
        object_id__in=evaluation.criterion_scores.filter(part=ScorePart.SELF).values("pk"),
    )
