"""What is due in re-checks and changes of level (see ``xingji.web.due``), in at most two queries.

* the committee office (and a superuser): every pending change of level in
  its subtree, to put before the committee and record its decision
  (星级调整待工委会决定), one line per change;
* a superior (reviewer, office, superuser): each organization under focus
  management (one star, no star or unrated) below it with no re-check in the
  last ``recheck_interval_days()`` days (90 by default, settable as
  ``XINGJI_RECHECK_INTERVAL_DAYS``): 重点管理组织待复检 — overdue when it was
  re-checked once and the interval has run out, undated when never re-checked;
* the branch secretary and the inspector: nothing (they act on neither).

``due_page`` (the home page, the navigation's counts) counts both in SQL and
reads at most ``limit`` rows of each (at most five queries, whatever the
tree's size); ``due_items`` (the full list) reads them all.
"""

from __future__ import annotations

from datetime import date, timedelta

from django.db.models import Q
from django.urls import reverse

from xingji.accounts.access import SUPERIOR_ROLES
from xingji.accounts.models import Role
from xingji.common.due import DueItem
from xingji.supervision.models import Recheck
from xingji.supervision.selectors import focus_organizations, pending_changes, recheck_interval_days
from xingji.supervision.services import level_label

SECTION = "supervision"


def due_items(user, today: date) -> list[DueItem]:
    if user is None or not (user.is_authenticated and user.is_active):
        return []
    found: list[DueItem] = []
    if user.is_superuser or (user.organization_id is not None and user.role == Role.COMMITTEE_OFFICE):
        changes = pending_changes(user).order_by("proposed_at", "pk")
        for change in changes:
            found.append(
                DueItem(
                    SECTION,
                    "星级调整待工委会决定",
                    f"{change.organization.name}：{level_label(change.from_level)}→{level_label(change.to_level)}",
                    reverse("supervision:change_detail", args=[change.pk]),
                )
            )
    if user.is_superuser or (user.organization_id is not None and user.role in SUPERIOR_ROLES):
        interval = recheck_interval_days()
        stale = (
            focus_organizations(user, today=today, stale_only=True)
            .prefetch_related(None)
            .select_related(None)
            .values("pk", "name", "last_recheck")
        )
        for organization in stale:
            last = organization["last_recheck"]
            note = f"上次复检{last:%Y-%m-%d}" if last else "尚未复检"
            found.append(
                DueItem(
                    SECTION,
                    "重点管理组织待复检",
                    f"{organization['name']}：{note}",
                    reverse("supervision:recheck_create", args=[organization["pk"]]),
                    due_on=last + timedelta(days=interval) if last else None,
                    overdue=last is not None,
                )
            )
    return found


def _change_line(change) -> DueItem:
    return DueItem(
        SECTION,
        "星级调整待工委会决定",
        f"{change.organization.name}：{level_label(change.from_level)}→{level_label(change.to_level)}",
        reverse("supervision:change_detail", args=[change.pk]),
    )


def _stale_line(organization: dict, interval: int) -> DueItem:
    last = organization["last_recheck"]
    note = f"上次复检{last:%Y-%m-%d}" if last else "尚未复检"
    return DueItem(
        SECTION,
        "重点管理组织待复检",
        f"{organization['name']}：{note}",
        reverse("supervision:recheck_create", args=[organization["pk"]]),
        due_on=last + timedelta(days=interval) if last else None,
        overdue=last is not None,
    )


def _sort_key(item: DueItem) -> tuple:
    return (not item.overdue, item.due_on or date.max, item.kind, item.title)


def due_page(user, today: date, limit: int) -> tuple[list[DueItem], dict[str, int]]:
    """The first ``limit`` lines (in ``xingji.web.due``'s order) and their count, counted and limited in SQL."""
    if user is None or not (user.is_authenticated and user.is_active):
        return [], {}
    found: list[DueItem] = []
    total = 0
    if user.is_superuser or (user.organization_id is not None and user.role == Role.COMMITTEE_OFFICE):
        changes = pending_changes(user).order_by("proposed_at", "pk")
        total += changes.count()
        if limit > 0:
            found.extend(_change_line(change) for change in changes[:limit])
    if user.is_superuser or (user.organization_id is not None and user.role in SUPERIOR_ROLES):
        interval = recheck_interval_days()
        stale = focus_organizations(user, today=today, stale_only=True).prefetch_related(None).select_related(None)
        count = stale.count()
        total += count
        if count and limit > 0:
            rows = stale.values("pk", "name", "last_recheck")
            # Re-checked or not, tested as one hashed set rather than by the latest re-check of each.
            rechecked = Q(pk__in=Recheck.objects.values("organization_id"))
            dated = rows.filter(rechecked).order_by("last_recheck", "name", "pk")[:limit]
            undated = rows.filter(~rechecked).order_by("name", "pk")[:limit]
            found.extend(_stale_line(organization, interval) for organization in [*dated, *undated])
    return sorted(found, key=_sort_key)[:limit], ({SECTION: total} if total else {})
