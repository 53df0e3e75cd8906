"""What is due on the plans and the rectification ledger (see ``xingji.web.due``), in at most five queries.

For the organization's own user: this year's plan not yet written, still a
draft, or returned; the milestones of its acknowledged plans (any year) not
done and near (``DUE_SOON_DAYS``) or past their date; its open items near or
past their deadline; closings the superior refused. For a superior: plans awaiting
acknowledgement (备案), closing requests awaiting confirmation, and overdue
items below it.
"""

from __future__ import annotations

from datetime import date, timedelta

from django.db.models import OuterRef, Q, Subquery
from django.urls import reverse

from xingji.accounts.access import SELF_ROLES, SUPERIOR_ROLES
from xingji.common.due import DUE_SOON_DAYS, DueItem
from xingji.ledger.access import visible_items, visible_plans
from xingji.ledger.models import ImprovementPlan, ItemState, PlanMilestone, PlanState, RectificationItem
from xingji.orgs.models import Organization

SECTION = "ledger"


def _item_title(name: str, problem: str) -> str:
    short = problem if len(problem) <= 30 else problem[:30] + "…"
    return f"{name}：{short}"


def _own(user, today: date) -> list[DueItem]:
    """Three queries: the organization with this year's plan, the milestones, the items."""
    found: list[DueItem] = []
    this_year = ImprovementPlan.objects.filter(organization_id=OuterRef("pk"), year=today.year)
    organization = (
        Organization.objects.filter(pk=user.organization_id)
        .annotate(plan_pk=Subquery(this_year.values("pk")[:1]), plan_state=Subquery(this_year.values("state")[:1]))
        .values("pk", "name", "plan_pk", "plan_state")
        .first()
    )
    if organization is None:
        return found
    name = organization["name"]
    if organization["plan_pk"] is None:
        found.append(
            DueItem(
                SECTION,
                "晋位争星方案待制定",
                f"{name}{today.year}年晋位争星方案",
                reverse("ledger:plan_create", args=[organization["pk"]]),
            )
        )
    elif organization["plan_state"] in (PlanState.DRAFT, PlanState.RETURNED):
        kind = "晋位争星方案已退回待修改" if organization["plan_state"] == PlanState.RETURNED else "晋位争星方案待报送"
        found.append(
            DueItem(
                SECTION,
                kind,
                f"{name}{today.year}年晋位争星方案",
                reverse("ledger:plan_detail", args=[organization["plan_pk"]]),
            )
        )
    milestones = (
        PlanMilestone.objects.filter(
            plan__organization_id=organization["pk"],
            plan__state=PlanState.ACKNOWLEDGED,
            done_on__isnull=True,
            due_on__lte=today + timedelta(days=DUE_SOON_DAYS),
        )
        .values("plan_id", "plan__year", "due_on", "description")
        .order_by("due_on", "pk")
    )
    for milestone in milestones:
        overdue = milestone["due_on"] < today
        kind = "晋位争星节点已逾期" if overdue else "晋位争星节点临近"
        found.append(
            DueItem(
                SECTION,
                kind,
                _item_title(f"{name}{milestone['plan__year']}年方案", milestone["description"]),
                reverse("ledger:plan_detail", args=[milestone["plan_id"]]),
                milestone["due_on"],
                overdue,
            )
        )
    items = (
        RectificationItem.objects.filter(organization_id=organization["pk"], state=ItemState.OPEN)
        .filter(Q(deadline__lte=today + timedelta(days=DUE_SOON_DAYS)) | Q(close_requested_at__isnull=False))
        .values("pk", "problem", "deadline", "close_requested_at")
        .order_by("deadline", "pk")
    )
    for item in items:
        overdue = item["deadline"] < today
        if item["close_requested_at"] is not None:
            kind = "销账申请被退回"
        else:
            kind = "整改事项已逾期" if overdue else "整改事项临近期限"
        found.append(
            DueItem(
                SECTION,
                kind,
                _item_title(name, item["problem"]),
                reverse("ledger:item_detail", args=[item["pk"]]),
                item["deadline"],
                overdue,
            )
        )
    return found


def _below(user, today: date) -> list[DueItem]:
    found: list[DueItem] = []
    plans = visible_plans(user).filter(state=PlanState.SUBMITTED)
    items = visible_items(user).filter(Q(state=ItemState.CLOSING) | Q(state=ItemState.OPEN, deadline__lt=today))
    if user.organization_id is not None:
        plans = plans.exclude(organization_id=user.organization_id)
        items = items.exclude(organization_id=user.organization_id)
    for plan in plans.values("pk", "year", "organization__name").order_by("organization__path"):
        found.append(
            DueItem(
                SECTION,
                "晋位争星方案待备案",
                f"{plan['organization__name']}{plan['year']}年晋位争星方案",
                reverse("ledger:plan_detail", args=[plan["pk"]]),
            )
        )
    for item in items.values("pk", "problem", "deadline", "state", "organization__name").order_by("deadline", "pk"):
        overdue = item["deadline"] < today
        kind = "销账申请待确认" if item["state"] == ItemState.CLOSING else "整改事项已逾期"
        found.append(
            DueItem(
                SECTION,
                kind,
                _item_title(item["organization__name"], item["problem"]),
                reverse("ledger:item_detail", args=[item["pk"]]),
                item["deadline"],
                overdue,
            )
        )
    return found


def due_items(user, today: date) -> list[DueItem]:
    if user is None or not (user.is_authenticated and user.is_active):
        return []
    found: list[DueItem] = []
    if not user.is_superuser and user.organization_id is not None and user.role in SELF_ROLES:
        found.extend(_own(user, today))
    if user.is_superuser or (user.organization_id is not None and user.role in SUPERIOR_ROLES):
        found.extend(_below(user, today))
    return found
