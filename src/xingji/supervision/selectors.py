"""Reading re-checks, changes of level, visits and the focus list, each in a fixed number of queries."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

from django.conf import settings
from django.db.models import Count, IntegerField, OuterRef, Prefetch, Q, QuerySet, Subquery, Value
from django.db.models.functions import Coalesce

from xingji.accounts.access import visible_organizations
from xingji.accounts.models import User
from xingji.campaigns.models import StarLedgerEntry
from xingji.campaigns.selectors import ledger_latest
from xingji.ledger.models import ItemState, RectificationItem
from xingji.orgs.models import Organization
from xingji.supervision.access import visible_level_changes, visible_rechecks, visible_visits
from xingji.supervision.models import ChangeState, InspectionVisit, LevelChange, Recheck

#: Levels under focus management (重点管理): one star, no star (0); unrated organizations (None) as well.
FOCUS_LEVELS = (0, 1)


def recheck_interval_days() -> int:
    """How long a focus organization may go without a re-check before it is due (default 90 days).

    Ninety days: the office's weekly view should show, once a quarter, every
    one-star or unrated organization that nobody has looked at again — the
    seed asks for 动态管理 "at any time" without a number; a quarter matches the
    quarterly 督导 rhythm of the branch reports. ``XINGJI_RECHECK_INTERVAL_DAYS``
    in the settings changes it.
    """
    return int(getattr(settings, "XINGJI_RECHECK_INTERVAL_DAYS", 90))


def _count(queryset: QuerySet[Any]) -> Coalesce:
    return Coalesce(
        Subquery(
            queryset.order_by().values("organization").annotate(n=Count("pk")).values("n")[:1],
            output_field=IntegerField(),
        ),
        Value(0),
    )


def focus_organizations(
    user: User, *, today: date, search: str = "", level: str = "", guide: str = "", stale_only: bool = False
) -> QuerySet[Organization]:
    """The organizations under the user (its own node excluded) whose current level is one star, none or unrated.

    Each carries ``level`` (None: unrated) and ``level_name`` (as the ledger wrote it), ``open_items``,
    ``overdue_items``, ``last_recheck``, ``recheck_count``, ``pending_change_id``/``pending_to_level``,
    its ``focus_guide`` and (prefetched, oldest first) ``ledger_history``.
    ``level``: "" all, "1", "0" (no star) or "none" (unrated); ``guide``: "" all, "yes", "no";
    ``stale_only``: no re-check within ``recheck_interval_days``.
    """
    latest = ledger_latest(OuterRef("pk"))
    items = RectificationItem.objects.filter(organization=OuterRef("pk")).exclude(state=ItemState.CLOSED)
    rechecks = Recheck.objects.filter(organization=OuterRef("pk"))
    pending = LevelChange.objects.filter(organization=OuterRef("pk"), state=ChangeState.PROPOSED)
    organizations = visible_organizations(user).filter(is_active=True)
    if not user.is_superuser and user.organization_id is not None:
        organizations = organizations.exclude(pk=user.organization_id)
    else:
        # A root is the working committee running the campaigns, never rated itself.
        organizations = organizations.filter(depth__gt=1)
    organizations = organizations.annotate(
        level=Subquery(latest.values("level")[:1]),
        level_name=Subquery(latest.values("level_name")[:1]),
        open_items=_count(items),
        overdue_items=_count(items.filter(deadline__lt=today)),
        recheck_count=_count(rechecks),
        last_recheck=Subquery(rechecks.order_by("-checked_on").values("checked_on")[:1]),
        pending_change_id=Subquery(pending.values("pk")[:1]),
        pending_to_level=Subquery(pending.values("to_level")[:1]),
    )
    # Filtered on the current level the database keeps (``campaigns.kept``), not on the latest line read for
    # each organization: the annotations are then computed only for the rows shown.
    organizations = organizations.filter(Q(star_level__isnull=True) | Q(star_level__in=FOCUS_LEVELS))
    if level == "none":
        organizations = organizations.filter(star_level__isnull=True)
    elif level in {"0", "1"}:
        organizations = organizations.filter(star_level=int(level))
    if guide == "yes":
        organizations = organizations.filter(focus_guide__isnull=False)
    elif guide == "no":
        organizations = organizations.filter(focus_guide__isnull=True)
    if stale_only:
        since = today - timedelta(days=recheck_interval_days())
        rechecked = Recheck.objects.values("organization_id")
        organizations = organizations.filter(~Q(pk__in=rechecked) | Q(last_recheck__lt=since))
    if search:
        organizations = organizations.filter(
            Q(name__icontains=search) | Q(code__iexact=search) | Q(focus_guide__name__icontains=search)
        )
    history = StarLedgerEntry.objects.order_by("effective_on", "id")
    focus: QuerySet[Organization] = (
        organizations.select_related("focus_guide")
        .prefetch_related(Prefetch("star_ledger_entries", queryset=history, to_attr="ledger_history"))
        .order_by("path")
    )
    return focus


def recheck_list(user: User, *, search: str = "", organization: Organization | None = None) -> QuerySet[Recheck]:
    rechecks = (
        visible_rechecks(user)
        .select_related("organization", "recorded_by")
        .annotate(item_count=Count("items", distinct=True))
    )
    if organization is not None:
        rechecks = rechecks.filter(organization=organization)
    if search:
        rechecks = rechecks.filter(
            Q(organization__name__icontains=search)
            | Q(findings__icontains=search)
            | Q(organization__code__iexact=search)
        )
    return rechecks.order_by("-checked_on", "-id")


def level_change_list(user: User, *, state: str = "", search: str = "") -> QuerySet[LevelChange]:
    """Pending first, then the newest."""
    changes = visible_level_changes(user).select_related("organization", "proposed_by", "decided_by", "recheck")
    if state:
        changes = changes.filter(state=state)
    if search:
        changes = changes.filter(
            Q(organization__name__icontains=search) | Q(organization__code__iexact=search) | Q(reason__icontains=search)
        )
    pending_first = Count("pk", filter=Q(state=ChangeState.PROPOSED))
    return changes.annotate(pending=pending_first).order_by("-pending", "-proposed_at", "-id")


def visit_list(user: User, *, method: str = "", search: str = "") -> QuerySet[InspectionVisit]:
    visible = visible_organizations(user)
    visits = (
        visible_visits(user)
        .select_related("recorded_by")
        .prefetch_related(
            Prefetch(
                "organizations",
                queryset=Organization.objects.filter(pk__in=visible.values("pk")).order_by("path"),
                to_attr="visible_organizations",
            ),
        )
        .annotate(criticism_count=Count("criticisms", distinct=True), item_count=Count("items", distinct=True))
    )
    if method:
        visits = visits.filter(method=method)
    if search:
        matching = InspectionVisit.objects.filter(
            Q(organizations__name__icontains=search)
            | Q(findings__icontains=search)
            | Q(group_members__icontains=search)
        ).values("pk")
        visits = visits.filter(pk__in=matching)
    return visits.order_by("-visited_on", "-id")


def pending_changes(user: User) -> QuerySet[LevelChange]:
    return visible_level_changes(user).filter(state=ChangeState.PROPOSED).select_related("organization")
