"""What is due on organizational life (see ``xingji.web.due``), in at most three queries at any size.

For the branch's own user (支部书记): every required meeting whose current
period ends within ``DUE_SOON_DAYS`` without one held (临近期限), and every
kind whose last ended period was missed (未按期召开). For a superior: per
kind, how many branches below have not yet held this period's meeting with
the period ending within ``DUE_SOON_DAYS`` — one line per kind, linking to
the overview.
"""

from __future__ import annotations

from collections import Counter
from datetime import date

from django.db.models import Count, Exists, OuterRef, Q
from django.urls import reverse

from xingji.accounts.access import SUPERIOR_ROLES
from xingji.accounts.models import Role
from xingji.branchwork import selectors
from xingji.branchwork.models import Meeting
from xingji.common.due import DUE_SOON_DAYS, DueItem
from xingji.orgs.models import Organization, OrganizationCategory
from xingji.orgs.services import BRANCH_TYPES
from xingji.rules.frequencies import Span, load_frequencies, span_of

SECTION = "branchwork"


def _own(user, today: date) -> list[DueItem]:
    branch = Organization.objects.filter(pk=user.organization_id, org_type__in=BRANCH_TYPES, is_active=True).first()
    if branch is None:
        return []
    compliance = selectors.branch_compliance(organization=branch, year=today.year, today=today)
    found: list[DueItem] = []
    for kind in compliance.kinds:
        label = selectors.kind_label(kind.kind)
        current = kind.current
        if current is not None and current.due_soon(today, DUE_SOON_DAYS):
            found.append(
                DueItem(
                    SECTION,
                    "组织生活临近期限",
                    f"{branch.name}：{current.span.label}尚未召开{label}",
                    reverse("branchwork:meeting_create", args=[branch.pk]) + f"?kind={kind.kind}",
                    current.span.end,
                )
            )
        ended = [status for status in kind.statuses if not status.open and status.owed]
        if ended and ended[-1].missing:
            last = ended[-1]
            found.append(
                DueItem(
                    SECTION,
                    "组织生活未按期召开",
                    f"{branch.name}：{last.span.label}未召开{label}",
                    reverse("branchwork:branch", args=[branch.pk]),
                    last.span.end,
                    True,
                )
            )
    return found


def _below(user, today: date) -> list[DueItem]:
    """Counted in SQL, in one query whatever the number of branches: for each (kind, current period) due
    soon for some category, the branches of those categories, owing it (founded by its start or unknown),
    with no meeting of the kind held in it so far."""
    branches = selectors.branches_under(user=user).exclude(pk=user.organization_id).order_by()
    frequencies = load_frequencies()
    groups: dict[tuple[str, Span], list[str]] = {}
    for category in OrganizationCategory.values:
        for kind, frequency in frequencies.required(category).items():
            span = span_of(today, frequency)
            if (span.end - today).days <= DUE_SOON_DAYS:
                groups.setdefault((kind, span), []).append(category)
    pending: Counter[tuple[date, str, str]] = Counter()
    if groups:
        keys = list(groups)
        counts = branches.aggregate(
            **{
                f"g{index}": Count(
                    "pk",
                    filter=Q(category__in=groups[key])
                    & (Q(founded__isnull=True) | Q(founded__lte=key[1].start))
                    & ~Q(
                        Exists(
                            Meeting.objects.filter(
                                organization=OuterRef("pk"), kind=key[0], held_on__gte=key[1].start, held_on__lte=today
                            )
                        )
                    ),
                )
                for index, key in enumerate(keys)
            }
        )
        for index, (kind, span) in enumerate(keys):
            if counts[f"g{index}"]:
                pending[(span.end, kind, span.label)] += counts[f"g{index}"]
    found = []
    for (end, kind, period), count in sorted(pending.items()):
        label = selectors.kind_label(kind)
        found.append(
            DueItem(
                SECTION,
                "下级支部组织生活临近期限",
                f"{count} 个支部{period}尚未召开{label}",
                reverse("branchwork:overview") + f"?pending={kind}",
                end,
            )
        )
    return found


def due_items(user, today: date) -> list[DueItem]:
    if user is None or not (user.is_authenticated and user.is_active):
        return []
    found: list[DueItem] = []
    if not user.is_superuser and user.organization_id is not None and user.role == Role.BRANCH_SECRETARY:
        found.extend(_own(user, today))
    if user.is_superuser or (user.organization_id is not None and user.role in SUPERIOR_ROLES):
        found.extend(_below(user, today))
    return found
