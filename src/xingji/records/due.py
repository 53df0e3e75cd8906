"""What is due on the evidence records (see ``xingji.web.due``), in at most four queries (two per part).

* a superior (reviewer, office; ``SUPERIOR_ROLES``) or a superuser: the claims
  (申报) of the organizations below its node waiting for its confirmation
  (加分申报待确认), one line per kind of record and organization, with their
  number, linking to the records list filtered to them;
* the rated organization's own writing user: its claims sent back (申报被退回),
  one line per kind, to correct and claim again.

Claims have no deadline: the lines carry no date.
"""

from __future__ import annotations

from datetime import date

from django.db.models import Count
from django.urls import reverse
from django.utils.http import urlencode

from xingji.accounts.access import SUPERIOR_ROLES, can_write
from xingji.common.due import DueItem
from xingji.records.access import visible_records
from xingji.records.kinds import KIND_BY_MODEL
from xingji.records.models import CLAIMABLE_MODELS, RecordStatus

SECTION = "records"


def _list_url(slug: str, **filters: str | int) -> str:
    return f"{reverse('records:list', args=[slug])}?{urlencode(filters)}"


def _waiting(user) -> list[DueItem]:
    found = []
    for model in CLAIMABLE_MODELS:
        kind = KIND_BY_MODEL[model]
        claims = visible_records(user, model).filter(status=RecordStatus.CLAIMED)
        if not user.is_superuser:
            claims = claims.exclude(organization_id=user.organization_id)
        rows = (
            claims.order_by()
            .values("organization_id", "organization__name", "organization__path")
            .annotate(count=Count("id"))
            .order_by("organization__path")
        )
        for row in rows:
            found.append(
                DueItem(
                    SECTION,
                    "加分申报待确认",
                    f"{row['organization__name']}：{kind.label}申报 {row['count']} 项",
                    _list_url(kind.slug, organization=row["organization_id"], scope="own", status="claimed"),
                )
            )
    return found


def _sent_back(user) -> list[DueItem]:
    found = []
    for model in CLAIMABLE_MODELS:
        kind = KIND_BY_MODEL[model]
        count = model._default_manager.filter(
            organization_id=user.organization_id, status=RecordStatus.REJECTED
        ).count()
        if count:
            found.append(
                DueItem(
                    SECTION,
                    "加分申报被退回",
                    f"{kind.label}申报 {count} 项未通过确认，可修改后重新申报",
                    _list_url(kind.slug, organization=user.organization_id, scope="own", status="rejected"),
                )
            )
    return found


def due_items(user, today: date) -> list[DueItem]:
    if user is None or not (user.is_authenticated and user.is_active):
        return []
    found: list[DueItem] = []
    if user.is_superuser or (user.organization_id is not None and user.role in SUPERIOR_ROLES):
        found.extend(_waiting(user))
    if not user.is_superuser and user.organization_id is not None and can_write(user):
        found.extend(_sent_back(user))
    return found
