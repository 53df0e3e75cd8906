"""Reading the year's approved results and what was made of them.

"The year's result" of an organization is the level the committee approved
(``Evaluation.approved_level`` with an ``approval``) in a campaign of that
year. When both the mid-year application and the year-end re-check of a
year were approved, the year-end one is the year's result (it is the later
judgment of the same year); among two of one kind, the later approval. A
five-star result that the municipal re-review did not confirm counts at the
level the re-review gave. The top level is the campaign scheme's, never a
literal 5.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any

from django.db.models import Q, QuerySet

from xingji.accounts.access import visible_organizations
from xingji.accounts.models import User
from xingji.campaigns.models import Approval, Campaign, CampaignKind, Evaluation, MunicipalResult, MunicipalReview
from xingji.orgs.models import Organization
from xingji.reports.models import (
    CommendationRecommendation,
    DemonstrationSite,
    Plaque,
    ResultPublication,
)


@dataclass(frozen=True)
class YearResult:
    """One organization's approved result of a year."""

    organization: Organization
    evaluation: Evaluation
    campaign: Campaign
    level: int
    level_name: str
    is_top: bool
    final_score: Decimal | None
    base_score: Decimal | None
    approved_on: date
    minutes_number: str


def _result_level(evaluation: Evaluation) -> int:
    review = _has_review(evaluation)
    if review is not None and review.result == MunicipalResult.NOT_CONFIRMED and review.result_level is not None:
        return review.result_level
    # Only approved evaluations get here (``_approved_evaluations``): the level is set.
    return evaluation.approved_level or 0


def _approval(evaluation: Evaluation) -> Approval:
    # Only approved evaluations get here (``_approved_evaluations``): the approval is set.
    approval = evaluation.approval
    assert approval is not None
    return approval


def _has_review(evaluation: Evaluation) -> MunicipalReview | None:
    try:
        return evaluation.municipal_review
    except Evaluation.municipal_review.RelatedObjectDoesNotExist:
        return None


def _approved_evaluations(organizations: QuerySet[Organization], year: int) -> QuerySet[Evaluation]:
    return Evaluation.objects.filter(
        organization__in=organizations, campaign__year=year, approval__isnull=False, approved_level__isnull=False
    )


def has_year_results(organizations: QuerySet[Organization], year: int) -> bool:
    """Whether ``year_results`` would find anything (what publishing the year needs), in one cheap query."""
    return _approved_evaluations(organizations, year).exists()


def year_results(organizations: QuerySet[Organization], year: int) -> dict[int, YearResult]:
    """{organization id: its result of ``year``} for the approved organizations among ``organizations``; one query."""
    evaluations = _approved_evaluations(organizations, year).select_related(
        "campaign", "campaign__root", "approval", "organization", "municipal_review"
    )
    chosen: dict[int, Evaluation] = {}
    for evaluation in evaluations:
        current = chosen.get(evaluation.organization_id)
        if current is None or _rank(evaluation) > _rank(current):
            chosen[evaluation.organization_id] = evaluation
    results = {}
    for organization_id, evaluation in chosen.items():
        campaign = evaluation.campaign
        level = _result_level(evaluation)
        approval = _approval(evaluation)
        results[organization_id] = YearResult(
            organization=evaluation.organization,
            evaluation=evaluation,
            campaign=campaign,
            level=level,
            level_name=campaign.level_name(level),
            is_top=level == campaign.top_level,
            final_score=evaluation.final_score,
            base_score=evaluation.base_score,
            approved_on=approval.approved_on,
            minutes_number=approval.minutes_number,
        )
    return results


def _rank(evaluation: Evaluation) -> tuple[bool, date, int | None, int]:
    return (
        evaluation.campaign.kind == CampaignKind.YEAR_END,
        _approval(evaluation).approved_on,
        evaluation.approval_id,
        evaluation.pk,
    )


def sorted_results(results: dict[int, YearResult]) -> list[YearResult]:
    """Highest level first, then in tree order."""
    return sorted(results.values(), key=lambda result: (-result.level, result.organization.path))


def top_results(organizations: QuerySet[Organization], year: int) -> list[YearResult]:
    """The year's five-star (top-level) organizations among ``organizations``, in tree order."""
    return sorted(
        (result for result in year_results(organizations, year).values() if result.is_top),
        key=lambda result: result.organization.path,
    )


def top_result(organization: Organization, year: int) -> YearResult | None:
    """The organization's result of ``year`` if it is at the top level, else None."""
    result = year_results(Organization.objects.filter(pk=organization.pk), year).get(organization.pk)
    return result if result is not None and result.is_top else None


def result_years(user: User) -> list[int]:
    """The years with an approved result in the user's subtree, newest first."""
    return sorted(
        set(
            Evaluation.objects.filter(organization__in=visible_organizations(user), approval__isnull=False).values_list(
                "campaign__year", flat=True
            )
        ),
        reverse=True,
    )


def plaques(user: User, year: int | None = None) -> QuerySet[Plaque]:
    queryset = Plaque.objects.filter(organization__in=visible_organizations(user)).select_related("organization")
    if year is not None:
        queryset = queryset.filter(year=year)
    return queryset.order_by("year", "number")


def demonstration_sites(user: User, *, year: int | None = None, search: str = "") -> QuerySet[DemonstrationSite]:
    queryset = DemonstrationSite.objects.filter(organization__in=visible_organizations(user)).select_related(
        "organization", "chosen_by", "revoked_by"
    )
    if year is not None:
        queryset = queryset.filter(year=year)
    if search:
        queryset = queryset.filter(Q(organization__name__icontains=search) | Q(reason__icontains=search))
    return queryset.order_by("-year", "organization__path", "id")


def recommendations(user: User, *, year: int | None = None, search: str = "") -> QuerySet[CommendationRecommendation]:
    queryset = CommendationRecommendation.objects.filter(organization__in=visible_organizations(user)).select_related(
        "organization", "commendation"
    )
    if year is not None:
        queryset = queryset.filter(year=year)
    if search:
        queryset = queryset.filter(organization__name__icontains=search)
    return queryset.order_by("-year", "organization__path")


def publications(*, search: str = "") -> QuerySet[ResultPublication]:
    """Every publication, for the public pages (no login)."""
    queryset = ResultPublication.objects.select_related("root")
    if search:
        queryset = queryset.filter(title__icontains=search)
    return queryset.order_by("-year", "-id")


def publication_rows(publication: ResultPublication, search: str = "") -> list[dict[str, Any]]:
    rows: list[dict[str, Any]] = publication.rows
    if search:
        rows = [row for row in rows if search in row["organization"]]
    return rows


NOT_RATED = "未参评"


def _ledger_annotated(organizations: QuerySet[Organization]) -> QuerySet[Organization]:
    from django.db.models import OuterRef, Subquery

    from xingji.campaigns.models import StarLedgerEntry

    latest = StarLedgerEntry.objects.filter(organization=OuterRef("pk")).order_by("-effective_on", "-id")
    annotated: QuerySet[Organization] = organizations.annotate(
        ledger_level=Subquery(latest.values("level")[:1]), ledger_level_name=Subquery(latest.values("level_name")[:1])
    )
    return annotated


ASSESSMENT_HEADERS = [
    "组织编码",
    "党组织",
    "评定星级",
    "最终得分",
    "基础分",
    "评定活动",
    "工委会批准日期",
    "会议纪要编号",
    "星级管理台账当前星级",
]


def assessment_rows(user: User, year: int) -> list[list[object]]:
    """Every organization of the user's subtree with its result of ``year`` (年度考核); three queries."""
    organizations = list(_ledger_annotated(visible_organizations(user)).order_by("path"))
    results = year_results(visible_organizations(user), year)
    rows: list[list[object]] = []
    for organization in organizations:
        result = results.get(organization.pk)
        current = organization.ledger_level_name or ""
        if result is None:
            rows.append([organization.code, organization.name, NOT_RATED, None, None, "", None, "", current])
        else:
            rows.append(
                [
                    organization.code,
                    organization.name,
                    result.level_name,
                    result.final_score,
                    result.base_score,
                    result.campaign.name,
                    result.approved_on,
                    result.minutes_number,
                    current,
                ]
            )
    return rows
