"""What is due in the campaigns (``xingji.web.due``), for the open campaigns (进行中, 公示中) the user takes part in.

* the organization's own user (``access.SELF_ROLES``: the branch secretary, or
  a reviewer for its own organization): the self-evaluation to fill and submit
  (自评待提交), or to submit again when the superior returned it (自评被退回);
  the anonymous survey (党员群众测评, ``xingji.surveys``) to hold while the
  evaluation has no survey figures (党员群众测评待完成), for a self-evaluation
  being filled or submitted, since the superior cannot evaluate without them
  (``services.superior_evaluate``). Both are due by the campaign's deadline,
  overdue after it. Only a valid survey writes the figures, so "no
  satisfaction" is "no valid survey yet". An evaluation back for
  re-evaluation (退回重新考评) is not listed: it got there only through a
  superior evaluation, which needed the figures, and nothing clears them;
* a superior (reviewer, office; ``SUPERIOR_ROLES``): the evaluations in
  its subtree, its own organization excepted, whose self-evaluation is
  submitted with the survey's figures in (待上级考评), submitted while the
  survey is still missing (待完成测评), or which came back for re-evaluation
  (退回重新考评) — one line per campaign and kind with their number, linking
  to the campaign's evaluation list filtered by the state, not one line per
  organization. 待完成测评 counts in the navigation's badge like any line
  (as the inspector's informational election lines do): the superior cannot
  evaluate yet, but follows the organization up and may close its session;
* the office running the campaign (``access.is_office_for``: its root in the
  office's subtree): five-star proposals awaiting review (五星级待审核) and
  objections awaiting an answer (异议待答复), one line per campaign; public
  notices ending within ``NOTICE_ENDING_DAYS`` days (公示即将结束) or ended and
  not yet closed (公示期满待结束, overdue);
* the inspector: nothing (it acts on no evaluation).

A superuser gets the superior's and the office's lines. Queries: one for the
own self-evaluation and survey, one for the superior's counts (grouped by
campaign and kind, the kind a ``Case`` on the state and the figures'
presence), three for the office's lines, whatever the number of
organizations.
"""

from __future__ import annotations

from datetime import date, timedelta

from django.db.models import Case, CharField, Count, F, Min, Q, Value, When
from django.urls import reverse
from django.utils.http import urlencode

from xingji.accounts.access import SELF_ROLES, SUPERIOR_ROLES, visible_organizations
from xingji.accounts.models import Role
from xingji.campaigns.access import visible_evaluations
from xingji.campaigns.models import (
    CampaignState,
    Evaluation,
    EvaluationState,
    Notice,
    NoticeState,
    Objection,
    ObjectionState,
)
from xingji.common.due import DueItem

SECTION = "campaigns"
OPEN_STATES = (CampaignState.OPEN, CampaignState.NOTICE)
#: A public notice ending within this many days is listed for the office.
NOTICE_ENDING_DAYS = 3

#: The superior's lines, in their order: the grouping key (a state, or ``SURVEY_MISSING``), the evaluation
#: list's filters that show the line's organizations, the kind and the title.
SURVEY_MISSING = "survey_missing"
SUPERIOR_KINDS: dict[str, tuple[dict[str, str], str, str]] = {
    EvaluationState.SELF_SUBMITTED: (
        {"state": EvaluationState.SELF_SUBMITTED, "survey": "done"},
        "待上级考评",
        "{n} 个组织自评已提交，待上级考评",
    ),
    SURVEY_MISSING: (
        {"state": EvaluationState.SELF_SUBMITTED, "survey": "missing"},
        "待完成测评",
        "{n} 个组织自评已提交，尚待完成党员群众测评",
    ),
    EvaluationState.REEVALUATION: (
        {"state": EvaluationState.REEVALUATION},
        "退回重新考评",
        "{n} 个组织退回上级重新考评",
    ),
}
SUPERIOR_STATES = [EvaluationState.SELF_SUBMITTED, EvaluationState.REEVALUATION]


def _evaluation_list(campaign_id: int, **filters: str) -> str:
    return f"{reverse('campaigns:evaluation_list', args=[campaign_id])}?{urlencode(filters)}"


def _own(user, today: date) -> list[DueItem]:
    survey_missing = Q(
        state__in=[EvaluationState.SELF_DRAFT, EvaluationState.SELF_SUBMITTED], survey_satisfaction__isnull=True
    )
    evaluations = (
        visible_evaluations(user)
        .filter(
            Q(state=EvaluationState.SELF_DRAFT) | survey_missing,
            organization_id=user.organization_id,
            campaign__state__in=OPEN_STATES,
        )
        .select_related("campaign", "organization")
        .order_by("campaign__deadline", "id")
    )
    items = []
    for evaluation in evaluations:
        campaign, name = evaluation.campaign, evaluation.organization.name
        if evaluation.state == EvaluationState.SELF_DRAFT:
            if evaluation.return_reason:
                kind, title = "自评被退回", f"{campaign.name}：{name}自评被上级退回，请修改后重新提交"
            else:
                kind, title = "自评待提交", f"{campaign.name}：{name}自评待填写提交"
            items.append(
                DueItem(
                    SECTION,
                    kind,
                    title,
                    reverse("campaigns:self_evaluation", args=[evaluation.pk]),
                    campaign.deadline,
                    evaluation.is_overdue(today),
                )
            )
        if evaluation.survey_satisfaction is None:
            items.append(
                DueItem(
                    SECTION,
                    "党员群众测评待完成",
                    f"{campaign.name}：{name}尚未完成党员群众测评（参加党员须达到规定比例），完成后上级方可考评",
                    reverse("surveys:evaluation", args=[evaluation.pk]),
                    campaign.deadline,
                    today > campaign.deadline,
                )
            )
    return items


def _superior(user) -> list[DueItem]:
    evaluations = visible_evaluations(user).filter(campaign__state__in=OPEN_STATES, state__in=SUPERIOR_STATES)
    if user.organization_id is not None:
        evaluations = evaluations.exclude(organization_id=user.organization_id)
    line = Case(
        When(state=EvaluationState.SELF_SUBMITTED, survey_satisfaction__isnull=True, then=Value(SURVEY_MISSING)),
        default=F("state"),
        output_field=CharField(),
    )
    rows = (
        evaluations.order_by()
        .annotate(line=line)
        .values("campaign_id", "campaign__name", "line")
        .annotate(count=Count("id"))
    )
    order = list(SUPERIOR_KINDS)
    items = []
    for row in sorted(rows, key=lambda row: (row["campaign_id"], order.index(row["line"]))):
        filters, kind, title = SUPERIOR_KINDS[row["line"]]
        items.append(
            DueItem(
                SECTION,
                kind,
                f"{row['campaign__name']}：{title.format(n=row['count'])}",
                _evaluation_list(row["campaign_id"], **filters),
            )
        )
    return items


def _office(user, today: date) -> list[DueItem]:
    roots = visible_organizations(user)
    items = []
    reviews = (
        Evaluation.objects.filter(
            campaign__root__in=roots, campaign__state__in=OPEN_STATES, state=EvaluationState.REVIEW_PENDING
        )
        .order_by()
        .values("campaign_id", "campaign__name")
        .annotate(count=Count("id"))
        .order_by("campaign_id")
    )
    for row in reviews:
        items.append(
            DueItem(
                SECTION,
                "五星级待审核",
                f"{row['campaign__name']}：{row['count']} 个五星级建议待审核",
                _evaluation_list(row["campaign_id"], state=EvaluationState.REVIEW_PENDING),
            )
        )
    objections = (
        Objection.objects.filter(notice__campaign__root__in=roots, state=ObjectionState.OPEN)
        .order_by()
        .values("notice__campaign_id", "notice__campaign__name")
        .annotate(count=Count("id"), ends_on=Min("notice__ends_on"))
        .order_by("notice__campaign_id")
    )
    for row in objections:
        items.append(
            DueItem(
                SECTION,
                "异议待答复",
                f"{row['notice__campaign__name']}：{row['count']} 件异议待答复",
                reverse("campaigns:objections", args=[row["notice__campaign_id"]]),
                row["ends_on"],
                row["ends_on"] < today,
            )
        )
    notices = (
        Notice.objects.filter(
            campaign__root__in=roots,
            state=NoticeState.PUBLISHED,
            ends_on__lte=today + timedelta(days=NOTICE_ENDING_DAYS),
        )
        .select_related("campaign")
        .order_by("ends_on", "id")
    )
    for notice in notices:
        url = reverse("campaigns:detail", args=[notice.campaign_id])
        name = f"{notice.campaign.name}：“{notice.title}”"
        if notice.ends_on < today:
            items.append(
                DueItem(
                    SECTION,
                    "公示期满待结束",
                    f"{name}已于 {notice.ends_on:%Y-%m-%d} 期满，请结束公示",
                    url,
                    notice.ends_on,
                    overdue=True,
                )
            )
        else:
            items.append(DueItem(SECTION, "公示即将结束", f"{name}{notice.ends_on:%Y-%m-%d} 截止", url, notice.ends_on))
    return items


def due_items(user, today: date) -> list[DueItem]:
    if not (user.is_authenticated and user.is_active):
        return []
    items: list[DueItem] = []
    if user.organization_id is not None and user.role in SELF_ROLES:
        items.extend(_own(user, today))
    if user.is_superuser or (user.organization_id is not None and user.role in SUPERIOR_ROLES):
        items.extend(_superior(user))
    if user.is_superuser or (user.organization_id is not None and user.role == Role.COMMITTEE_OFFICE):
        items.extend(_office(user, today))
    return items
