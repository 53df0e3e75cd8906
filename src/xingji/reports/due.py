"""What is due in the results' use (see ``xingji.web.due``), in two queries.

* the committee office (and a superuser): each plaque and each demonstration
  site of its subtree that a later decision put due for withdrawal (待撤销:
  the organization's star ledger fell below the level it requires), until the
  office withdraws it (撤牌 / 撤销示范点) — one line each, undated (the
  title says since when the level is lower);
* every other role: nothing (only the office acts on the results' use).
"""

from __future__ import annotations

from datetime import date

from django.urls import reverse

from xingji.common.due import DueItem
from xingji.reports.models import DemonstrationSite, Plaque
from xingji.reports.selectors import plaques_due, sites_due
from xingji.reports.services import is_office

SECTION = "reports"


def due_items(user, today: date) -> list[DueItem]:
    if not is_office(user):
        return []
    found = [
        DueItem(
            SECTION,
            "五星级牌匾待撤销",
            f"{plaque.organization.name}：授牌证书{plaque.serial}（{_since(plaque)}）",
            reverse("reports:plaque_withdraw", args=[plaque.pk]),
        )
        for plaque in plaques_due(user)
    ]
    found += [
        DueItem(
            SECTION,
            "示范点待撤销",
            f"{site.organization.name}：{site.year}年度示范点（{_since(site)}）",
            reverse("reports:site_revoke", args=[site.pk]),
        )
        for site in sites_due(user)
    ]
    return found


def _since(holder: Plaque | DemonstrationSite) -> str:
    entry = holder.withdrawal_entry
    level = f"为{entry.level_name}" if entry is not None else "星级降低"
    since = holder.withdrawal_due_since
    return f"{since:%Y-%m-%d}起{level}" if since is not None else level
