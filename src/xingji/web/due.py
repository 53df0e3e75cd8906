"""What is due (待办): each app says what a user has to do, the home page lists it, the navigation counts it.

An app contributes a module ``xingji.<app>.due`` with one function::

    def due_items(user, today: date) -> list[DueItem]

returning what *this user* has to act on (within what the user may see, by
the access functions), in a fixed number of queries whatever the tree's size.
``PROVIDERS`` names those modules; the home page and the navigation read them
through ``due_for``. A provider module that does not exist (an app not yet
built) is skipped; any other error, inside a provider, is raised.

Cost, and why the navigation's counts are cached
-------------------------------------------------
Each provider runs a fixed number of queries (``orgs``: 1; ``campaigns``: at
most 4), but the providers together run several, on every page, and the
providers of other apps add theirs. The home page and the full list
(``/due/``) compute the list afresh, since they show it; every other page
reads the counts per section from Django's cache (``due_counts``): the
database cache ``xingji_cache``, shared by every app server, so one query per
page. The counts are kept ``XINGJI_DUE_COUNT_SECONDS`` (default 60 s) under a
key per user and day, and **invalidated by time only**: after a change
elsewhere, a badge may lag by up to a minute, until the user opens the home
page (which stores the fresh counts) or the minute passes. No write anywhere
has to remember to invalidate them. ``XINGJI_DUE_COUNT_SECONDS = 0`` computes
the counts on every page instead (the test settings do, so that a page's
query count does not depend on whether an earlier request filled the cache).

Bounded at any size: ``due_page``
---------------------------------
A provider whose lines grow with the tree (one per organization: elections
due, organizations to re-check) also offers::

    def due_page(user, today: date, limit: int) -> tuple[list[DueItem], dict[str, int]]

the first ``limit`` of its lines in ``sort_key`` order and the number of all
its lines per section, in a fixed number of queries whose work is filtered,
counted and limited in SQL. ``due_overview`` (the home page: ten lines and
the counts) and ``due_counts`` (the navigation: counts only, ``limit`` 0)
use it where it exists, ``due_items`` elsewhere; the full list (``/due/``)
and the notices read every line (``due_for``).
"""

from __future__ import annotations

from collections import Counter
from datetime import date
from importlib import import_module

from django.conf import settings
from django.core.cache import cache

from xingji.common.due import DUE_SOON_DAYS, DueItem

__all__ = [
    "DUE_SOON_DAYS",
    "PROVIDERS",
    "SECTION_LABELS",
    "DueItem",
    "due_counts",
    "due_for",
    "due_overview",
    "remember_counts",
]


def count_seconds() -> int:
    """How long the navigation's counts are kept in the cache (``XINGJI_DUE_COUNT_SECONDS``; 0: not cached).

    Invalidation is by time only.
    """
    return settings.XINGJI_DUE_COUNT_SECONDS


PROVIDERS: list[str] = [
    "xingji.orgs.due",
    "xingji.campaigns.due",
    "xingji.ledger.due",
    "xingji.branchwork.due",
    "xingji.supervision.due",
    "xingji.records.due",
    "xingji.reports.due",
    "xingji.dues.due",
]

#: The sections' names, for the full list's filter; a section not named here shows its code.
SECTION_LABELS: dict[str, str] = {
    "orgs": "换届",
    "campaigns": "评星定级",
    "ledger": "晋位争星台账",
    "branchwork": "组织生活",
    "supervision": "动态管理",
    "records": "加减分依据",
    "reports": "结果运用",
    "dues": "党费",
}


def _missing(module_name: str, error: ModuleNotFoundError) -> bool:
    """Whether the error says that the provider module itself (or its app) does not exist."""
    missing = error.name or ""
    return module_name == missing or module_name.startswith(missing + ".")


def providers() -> list:
    """The provider modules that exist; an import error inside one of them is raised, not hidden."""
    modules = []
    for module_name in PROVIDERS:
        try:
            modules.append(import_module(module_name))
        except ModuleNotFoundError as error:
            if not _missing(module_name, error):
                raise
    return modules


def sort_key(item: DueItem) -> tuple:
    """Overdue first, then by due date (undated last), then by kind and title."""
    return (not item.overdue, item.due_on or date.max, item.kind, item.title)


def due_for(user, today: date) -> list[DueItem]:
    """Everything due for the user, from every provider, overdue first, then by date, then kind."""
    if user is None or not (user.is_authenticated and user.is_active):
        return []
    items: list[DueItem] = []
    for module in providers():
        items.extend(module.due_items(user, today))
    return sorted(items, key=sort_key)


def due_overview(user, today: date, limit: int, section: str = "") -> tuple[list[DueItem], dict[str, int]]:
    """The first ``limit`` lines due for the user (overdue first, as ``due_for``) and the counts per section.

    Each provider's ``due_page`` gives its first ``limit`` lines and its counts; a provider without one
    gives every line (``due_items``), counted and cut here. The first ``limit`` of the merged lines are the
    first ``limit`` of all, since each provider's are its first in the same order. ``section``: only the
    providers of that section (their ``SECTION``; a provider without one is asked, its lines filtered).
    """
    if user is None or not (user.is_authenticated and user.is_active):
        return [], {}
    items: list[DueItem] = []
    counts: Counter[str] = Counter()
    for module in providers():
        if section and getattr(module, "SECTION", section) != section:
            continue
        page = getattr(module, "due_page", None)
        if page is not None:
            shown, section_counts = page(user, today, limit)
            items.extend(shown)
            counts.update(section_counts)
        else:
            found = [item for item in module.due_items(user, today) if not section or item.section == section]
            counts.update(count_by_section(found))
            items.extend(sorted(found, key=sort_key)[:limit])
    return sorted(items, key=sort_key)[:limit], {code: count for code, count in counts.items() if count}


class DueLines:
    """What is due for the user, as a sequence a ``Paginator`` pages through (the full list, ``/due/``).

    Its length is the number of lines (the counts, from ``due_overview``); a slice ``[start:stop]`` asks
    every provider for its first ``stop`` lines (``due_overview``), so a page costs what the lines up to it
    cost, whatever the number of lines after it. ``section``: only that section's lines. ``read_ahead``:
    read the first that many lines (with the counts) at once, so that the page within them costs no
    second round of queries.
    """

    def __init__(self, user, today: date, section: str = "", read_ahead: int = 0) -> None:
        self.user, self.today, self.section = user, today, section
        self.first, self.counts = due_overview(user, today, read_ahead)
        self.read_ahead = read_ahead

    def __len__(self) -> int:
        if self.section:
            return self.counts.get(self.section, 0)
        return due_total(self.counts)

    def __getitem__(self, index: slice) -> list[DueItem]:
        if not isinstance(index, slice) or index.step not in (None, 1):
            raise TypeError("DueLines takes a slice")
        start, stop, _ = index.indices(len(self))
        if stop <= start:
            return []
        if stop <= self.read_ahead and not self.section:
            return self.first[start:stop]
        return due_overview(self.user, self.today, stop, self.section)[0][start:stop]


def count_by_section(items: list[DueItem]) -> dict[str, int]:
    return dict(Counter(item.section for item in items))


def due_total(counts: dict[str, int]) -> int:
    return sum(counts.values())


def _cache_key(user, today: date) -> str:
    return f"xingji:due-counts:{user.pk}:{today.isoformat()}"


def remember_counts(user, today: date, items: list[DueItem] | dict[str, int]) -> dict[str, int]:
    """Store the counts of a list just computed (the home page's), so the badges agree with it.

    ``items``: the lines, or already their counts per section (``due_overview``'s).
    """
    counts = dict(items) if isinstance(items, dict) else count_by_section(items)
    if count_seconds() > 0:
        cache.set(_cache_key(user, today), counts, count_seconds())
    return counts


def due_counts(user, today: date) -> dict[str, int]:
    """{section: number of due lines} for the navigation, from the cache or computed (and kept ``count_seconds``)."""
    if user is None or not (user.is_authenticated and user.is_active):
        return {}
    if count_seconds() <= 0:
        return due_overview(user, today, 0)[1]
    counts = cache.get(_cache_key(user, today))
    if counts is None:
        counts = remember_counts(user, today, due_overview(user, today, 0)[1])
    return counts
