"""Finding the organizations an import names: by code, or by exact name, within the importer's scope.

Offices write an organization as its code (FIN-1) or as its full name
(财政局第一支部); every import accepts both. A code is unique across the
tree and wins; a name must name exactly one organization *inside the scope*
(``visible_organizations(user)``): one outside is never counted, so that an
answer never tells what lies outside the user's subtree. A name shared by
several organizations in the scope is refused with a message asking for the
code (``ambiguous_message``).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any

from django.db.models import Q, QuerySet

from xingji.orgs.models import Organization
from xingji.orgs.services import BRANCH_TYPES

QUERY_CHUNK = 1000
#: "名称（编号）", as ledgers write an organization (full-width or ASCII brackets).
CODE_IN_BRACKETS = re.compile(r"[（(]\s*([^（）()]+?)\s*[）)]\s*$")


def ambiguous_message(name: str, count: int) -> str:
    return f"名称“{name}”对应 {count} 个党组织，请填写组织编号"


@dataclass
class OrganizationMatch:
    """The organizations found for a set of texts: by code, by a name that is unique, and the ambiguous names."""

    by_code: dict[str, Organization] = field(default_factory=dict)
    by_name: dict[str, list[Organization]] = field(default_factory=dict)

    def find(self, text: str) -> Organization | None:
        """The organization ``text`` names, or None (unknown, outside the scope, or an ambiguous name)."""
        found = self.by_code.get(text)
        if found is not None:
            return found
        named = self.by_name.get(text)
        return named[0] if named is not None and len(named) == 1 else None

    def resolve(self, text: str) -> Organization | None:
        """As ``find``, and else the code in brackets of "名称（编号）"."""
        found = self.find(text)
        if found is None and CODE_IN_BRACKETS.search(text):
            found = self.by_code.get(bracketed_code(text))
        return found

    def ambiguity(self, text: str) -> int:
        """How many organizations share the name ``text`` when it is no code and names more than one; else 0."""
        if text in self.by_code:
            return 0
        named = self.by_name.get(text, ())
        return len(named) if len(named) > 1 else 0

    def problem(self, text: str, unknown: str) -> str | None:
        """None when ``text`` names one organization; else the ambiguity, or ``unknown`` (the importer's sentence)."""
        if self.resolve(text) is not None:
            return None
        count = self.ambiguity(text)
        return ambiguous_message(text, count) if count else unknown


def bracketed_code(text: str) -> str:
    """The code of "名称（编号）", or the text itself."""
    found = CODE_IN_BRACKETS.search(text)
    return found.group(1) if found else text


def lookup_texts(cells: Iterable[Any]) -> set[str]:
    """What to look up for a column's cells: each text, and the code in its brackets."""
    texts = set()
    for cell in cells:
        if cell is None:
            continue
        text = (
            cell if isinstance(cell, str) else str(int(cell) if isinstance(cell, float) and cell.is_integer() else cell)
        ).strip()
        if text:
            texts.add(text)
            texts.add(bracketed_code(text))
    return texts


def _chunks(values: Iterable[str], size: int = QUERY_CHUNK) -> Iterator[list[str]]:
    chunk: list[str] = []
    for value in values:
        chunk.append(value)
        if len(chunk) == size:
            yield chunk
            chunk = []
    if chunk:
        yield chunk


def match_organizations(
    texts: Iterable[Any], scope: QuerySet[Organization] | None, *, only: Iterable[str] = ()
) -> OrganizationMatch:
    """Look up every distinct text (stripped, blanks skipped) as a code or a name in ``scope`` (None: every
    organization), one query per thousand texts; ``only``: the fields to load (default: all)."""
    wanted = {text.strip() for text in texts if isinstance(text, str) and text.strip()}
    queryset = Organization.objects.all() if scope is None else scope
    fields = tuple(only)
    if fields:
        queryset = queryset.only(*{"code", "name", *fields})
    match = OrganizationMatch()
    for chunk in _chunks(sorted(wanted)):
        for organization in queryset.filter(Q(code__in=chunk) | Q(name__in=chunk)).order_by("path"):
            if organization.code in wanted:
                match.by_code[organization.code] = organization
            if organization.name in wanted:
                match.by_name.setdefault(organization.name, []).append(organization)
    return match


def example_organizations(organizations: QuerySet[Organization] | None, *, branch: bool) -> list[Organization]:
    """What a downloaded template shows as its example: the first active organizations of the downloading
    user's tree (``visible_organizations``), in tree order: branches first (``branch``), or only those that
    may have children; none without a tree."""
    if organizations is None:
        return []
    queryset = organizations.filter(is_active=True).order_by("path")
    if not branch:
        return list(queryset.exclude(org_type__in=BRANCH_TYPES)[:2])
    return list(queryset.filter(org_type__in=BRANCH_TYPES)[:2]) or list(queryset[:2])
