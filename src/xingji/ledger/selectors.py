"""Reads of plans and items, scoped by ``xingji.ledger.access``, each in a fixed number of queries."""

from __future__ import annotations

from datetime import date, timedelta

from django.db.models import Count, Q, QuerySet

from xingji.accounts.access import visible_organizations
from xingji.accounts.models import User
from xingji.common.due import DUE_SOON_DAYS
from xingji.common.levels import plain_level_name
from xingji.ledger.access import visible_items, visible_plans
from xingji.ledger.models import ImprovementPlan, ItemState, PlanMilestone, RectificationItem
from xingji.orgs.models import Organization

#: Seed 四(二): what a plan stresses, by the organization's current level.
EMPHASIS_TOP = "巩固提高、打造示范品牌"
EMPHASIS_MIDDLE = "查漏补缺、比学赶超"
EMPHASIS_LOW = "集中整顿"


def level_name(level: int | None) -> str:
    """The level's name; None (never rated) is 未定级."""
    return plain_level_name(level)


def emphasis_for(level: int | None) -> str:
    """五星级: 巩固提高、打造示范品牌; 二至四星级: 查漏补缺、比学赶超; 一星级、不定星级和未定级: 集中整顿."""
    level = level or 0
    if level >= 5:
        return EMPHASIS_TOP
    if level >= 2:
        return EMPHASIS_MIDDLE
    return EMPHASIS_LOW


# --- items ---------------------------------------------------------------------------------


def item_list(
    *,
    user: User,
    today: date,
    under: Organization | None = None,
    state: str = "",
    source: str = "",
    overdue_only: bool = False,
    search: str = "",
) -> QuerySet[RectificationItem]:
    items = visible_items(user).select_related("organization")
    if under is not None:
        items = items.filter(organization__path__startswith=under.path)
    if state:
        items = items.filter(state=state)
    if source:
        items = items.filter(source=source)
    if overdue_only:
        items = items.filter(overdue_condition(today))
    if search:
        items = items.filter(
            Q(problem__icontains=search)
            | Q(organization__name__icontains=search)
            | Q(organization__code__iexact=search)
        )
    return items.order_by("deadline", "id")


def overdue_condition(today: date) -> Q:
    return ~Q(state=ItemState.CLOSED) & Q(deadline__lt=today)


def near_condition(today: date) -> Q:
    return ~Q(state=ItemState.CLOSED) & Q(deadline__gte=today, deadline__lte=today + timedelta(days=DUE_SOON_DAYS))


def count_items(items: QuerySet[RectificationItem], today: date) -> dict[str, int]:
    """open, closing, closed, overdue, near (deadline within ``DUE_SOON_DAYS``) of ``items``, in one query."""
    counts = items.aggregate(
        open=Count("pk", filter=Q(state=ItemState.OPEN)),
        closing=Count("pk", filter=Q(state=ItemState.CLOSING)),
        closed=Count("pk", filter=Q(state=ItemState.CLOSED)),
        overdue=Count("pk", filter=overdue_condition(today)),
        near=Count("pk", filter=near_condition(today)),
    )
    return {key: value or 0 for key, value in counts.items()}


def item_counts(user: User, today: date) -> dict[str, int]:
    """The user's ledger at a glance (dashboards): open, closing, closed, overdue, near — one query."""
    return count_items(visible_items(user), today)


# --- plans ---------------------------------------------------------------------------------


def plan_list(*, user: User, year: int, state: str = "", search: str = "") -> QuerySet[ImprovementPlan]:
    plans = visible_plans(user).filter(year=year).select_related("organization")
    if state:
        plans = plans.filter(state=state)
    if search:
        plans = plans.filter(Q(organization__name__icontains=search) | Q(organization__code__iexact=search))
    return plans.order_by("organization__path")


def organizations_without_plan(*, user: User, year: int) -> QuerySet[Organization]:
    """Active organizations below the user (its own node excluded) that have no plan for the year."""
    organizations = visible_organizations(user).filter(is_active=True)
    if user.organization_id is not None:
        organizations = organizations.exclude(pk=user.organization_id)
    return organizations.exclude(improvement_plans__year=year).order_by("path")


def milestone_status(milestone: PlanMilestone) -> str:
    """已完成（2026-05-01） or 未完成, as the detail page and the Word export say it."""
    return f"已完成（{milestone.done_on:%Y-%m-%d}）" if milestone.done_on else "未完成"


def milestone_overdue(milestone: PlanMilestone, today: date) -> bool:
    """Past its date and not done."""
    return milestone.done_on is None and milestone.due_on < today


def plan_years(user: User) -> list[int]:
    return sorted(set(visible_plans(user).values_list("year", flat=True)), reverse=True)
