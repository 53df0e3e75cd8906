"""What is due (待办): each app says what a user has to do, the home page lists it, the navigation counts it.

An app contributes a module ``xingji.<app>.due`` with one function::

    def due_items(user, today: date) -> list[DueItem]

returning what *this user* has to act on (within what the user may see, by
the access functions), in a fixed number of queries whatever the tree's size.
``PROVIDERS`` names those modules; the home page and the navigation read them
through ``due_for``.
"""

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


PROVIDERS: list[str] = [
    "xingji.orgs.due",
    "xingji.campaigns.due",
    "xingji.ledger.due",
    "xingji.supervision.due",
]
