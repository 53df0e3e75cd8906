"""What a due item is (待办): each app's ``due`` module returns these; the top floor (``xingji.web.due``)
collects, counts and lists them."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

#: Days before a deadline from which an item is "near its deadline" (临近期限).
DUE_SOON_DAYS = 14


@dataclass(frozen=True)
class DueItem:
    #: The navigation section that counts it: the URL namespace of the app ("ledger", "campaigns", …).
    section: str
    #: What kind of work, as the office says it: "晋位争星方案待备案", "整改事项临近期限", …
    kind: str
    #: The organization and the thing: "财政局第一支部：会议记录不全".
    title: str
    #: Where to do it.
    url: str
    due_on: date | None = None
    overdue: bool = False
