"""The kinds of evidence record as the pages, exports and imports present them.

One ``RecordKind`` per model: its URL slug, the fields searched and offered
as filters, the columns of its list. Everything else (labels, choices,
required or not) is read from the model's fields, so a field's Chinese name
is written once, in ``models.py``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, cast

from django.db import models
from django.http import Http404
from django.urls import reverse

from xingji.records.models import (
    Absence,
    Commendation,
    CriticismNotice,
    DisciplinaryAction,
    EvidenceRecord,
    Innovation,
    MemberViolation,
)
from xingji.records.services import record_fields

YES_NO = {True: "是", False: "否"}


@dataclass(frozen=True)
class RecordKind:
    slug: str
    model: type[EvidenceRecord]
    #: Text fields matched by the list's search box (besides the organization's name and code).
    search_fields: tuple[str, ...]
    #: Choice and yes/no fields offered as filters.
    filter_fields: tuple[str, ...]
    #: Columns of the list page, after the organization and the date.
    list_fields: tuple[str, ...]
    #: What the rules make of it, shown on the list page.
    rule: str

    @property
    def label(self) -> str:
        return str(self.model._meta.verbose_name)

    @property
    def claimable(self) -> bool:
        """Whether the rated organization may claim (申报) such records, which its superior confirms."""
        return self.model.adds_points

    def detail_url(self, record_id: int) -> str:
        return reverse("records:detail", args=[self.slug, record_id])

    @property
    def fields(self) -> tuple[str, ...]:
        return record_fields(self.model)

    def field(self, name: str) -> models.Field[Any, Any]:
        return cast("models.Field[Any, Any]", self.model._meta.get_field(name))

    def header(self, name: str) -> str:
        if name == "category":
            return "计分类别"
        return str(self.field(name).verbose_name)

    def display(self, record: EvidenceRecord, name: str) -> str:
        """A field's value as a user reads it: the label of a choice, 是/否, the date as ISO."""
        if name == "category" and isinstance(record, DisciplinaryAction):
            return record.get_category_display()
        field = self.field(name)
        value = getattr(record, field.attname)
        if field.choices:
            return str(getattr(record, f"get_{name}_display")())
        if isinstance(field, models.BooleanField):
            return YES_NO[bool(value)]
        if isinstance(field, models.ForeignKey):
            related = getattr(record, name)
            return "" if related is None else str(related)
        if value is None:
            return ""
        if isinstance(field, models.DateField):
            return value.isoformat()
        return str(value)


KINDS: dict[str, RecordKind] = {
    kind.slug: kind
    for kind in (
        RecordKind(
            slug="commendations",
            model=Commendation,
            search_fields=("title", "issuer", "document_number"),
            filter_fields=("status", "kind", "recipient", "level"),
            list_fields=("kind", "recipient", "level", "title", "issuer", "document_number"),
            rule="五(三)1：市级加3分，省级加5分，国家级加8分，以最高的为准",
        ),
        RecordKind(
            slug="innovations",
            model=Innovation,
            search_fields=("title", "recognized_by"),
            filter_fields=("status", "level"),
            list_fields=("title", "level", "recognized_by"),
            rule="五(三)2：市级加3分，省级加5分，国家级加8分，以最高的为准",
        ),
        RecordKind(
            slug="criticisms",
            model=CriticismNotice,
            search_fields=("document_number", "reason"),
            filter_fields=("issuer",),
            list_fields=("issuer", "document_number", "reason"),
            rule="五(三)3：市直工委通报批评每次扣3分，市委通报批评每次扣5分",
        ),
        RecordKind(
            slug="discipline",
            model=DisciplinaryAction,
            search_fields=("member_name", "document_number", "reason"),
            filter_fields=("severity", "is_leadership"),
            list_fields=("member_name", "is_leadership", "severity", "category", "document_number"),
            rule="五(三)3：班子成员严重警告以下每人次扣3分，撤销党内职务以上每人次扣5分；一般党员每人次扣2分",
        ),
        RecordKind(
            slug="violations",
            model=MemberViolation,
            search_fields=("member_name", "description"),
            filter_fields=(),
            list_fields=("member_name", "description"),
            rule="五(三)3：一般党员违法违纪每人次扣2分",
        ),
        RecordKind(
            slug="absences",
            model=Absence,
            search_fields=("description", "excuse_reason"),
            filter_fields=("kind", "is_excused"),
            list_fields=("kind", "description", "is_excused", "excuse_reason"),
            rule="五(三)6：无故缺席会议、培训或未按时完成任务每次扣3分，累计3次及以上年底降一个星级",
        ),
    )
}

KIND_BY_MODEL: dict[type[EvidenceRecord], RecordKind] = {kind.model: kind for kind in KINDS.values()}


def get_kind(slug: str) -> RecordKind:
    try:
        return KINDS[slug]
    except KeyError:
        raise Http404("没有这类记录") from None
