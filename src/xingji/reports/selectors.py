"""Reading the year's approved results and what was made of them.

"The year's result" of an organization is the level the committee approved
(``Evaluation.approved_level`` with an ``approval``) in a campaign of that
year. When both the mid-year application and the year-end re-check of a
year were approved, the year-end one is the year's result (it is the later
judgment of the same year); among two of one kind, the later approval. A
five-star result that the municipal re-review did not confirm counts at the
level the re-review gave. The top level is the campaign scheme's, never a
literal 5.

Beside the year's result, each ``YearResult`` carries the organization's
current level (the star ledger's, ``campaigns.selectors.with_current_level``):
a five-star result of a year whose organization a later decision lowered
(``is_lowered``) gets no new plaque, site or recommendation, and its plaque
and site fall due for withdrawal (``services.withdrawals_check``).

A publication's preview (``publication_preview``) is what
``services.results_publish`` would publish for a scope — a subtree, or some
organizations in it — with each campaign's quotas checked over the published
levels, the organizations already published (left out), and those of the
year still under evaluation.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any

from django.db.models import Q, QuerySet

from xingji.accounts.access import visible_organizations
from xingji.accounts.models import User
from xingji.campaigns.models import (
    Approval,
    Campaign,
    CampaignKind,
    CampaignState,
    Evaluation,
    MunicipalResult,
    MunicipalReview,
    ObjectionState,
)
from xingji.campaigns.selectors import QuotaWarning, current_ledger_entries, quota_warnings, with_current_level
from xingji.common.confirmation import preview_digest
from xingji.orgs.models import Organization
from xingji.reports.models import (
    CommendationRecommendation,
    CorrectionObjection,
    DemonstrationSite,
    Plaque,
    PublishedResult,
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
    #: The star ledger's level now (None: no line), and its name as the ledger wrote it.
    current_level: int | None = None
    current_level_name: str = ""

    @property
    def is_lowered(self) -> bool:
        """A later decision put the organization below this result (a re-check, a later rating)."""
        return self.current_level is not None and self.current_level < self.level


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
    evaluations = with_current_level(
        _approved_evaluations(organizations, year).select_related(
            "campaign", "campaign__root", "approval", "organization", "municipal_review"
        )
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
            current_level=evaluation.current_level,  # type: ignore[attr-defined]  # annotated
            current_level_name=evaluation.current_level_name or "",  # type: ignore[attr-defined]  # annotated
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


def top_results(organizations: QuerySet[Organization], year: int, *, standing: bool = False) -> list[YearResult]:
    """The year's five-star (top-level) organizations among ``organizations``, in tree order.

    ``standing``: only those still at that level in the star ledger (no later decision lowered them).
    """
    return sorted(
        (
            result
            for result in year_results(organizations, year).values()
            if result.is_top and not (standing and result.is_lowered)
        ),
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
    """Every publication, every version, for the public pages (no login); each knows its successor."""
    queryset = ResultPublication.objects.select_related("root", "supersedes", "superseded_by")
    if search:
        queryset = queryset.filter(title__icontains=search)
    return queryset.order_by("-year", "-id")


def publication_rows(publication: ResultPublication, search: str = "") -> list[dict[str, Any]]:
    """The publication's frozen rows; each also says (``changed``) when the star ledger holds another level now.

    The rows stay as published; ``changed`` ("2026-03-01起为四星级") is read from the ledger on every
    view, so that a later decision never leaves a stale level unremarked (rows published before they
    carried the organization's id get no remark). One query.
    """
    rows: list[dict[str, Any]] = publication.rows
    if search:
        rows = [row for row in rows if search in row["organization"]]
    entries = current_ledger_entries(row["organization_id"] for row in rows if row.get("organization_id"))
    shown = []
    for row in rows:
        entry = entries.get(row.get("organization_id") or 0)
        changed = ""
        if entry is not None and entry.level != row["level"]:
            changed = f"{entry.effective_on:%Y-%m-%d}起为{entry.level_name}"
        # "corrected": the level before this version's correction (a corrected version's changed rows only).
        shown.append({**row, "changed": changed, "corrected": row.get("previous_level_name", "")})
    return shown


def corrected_lines(publication: ResultPublication) -> QuerySet[PublishedResult]:
    """The lines a corrected version changed, in tree order (those that take objections during its notice)."""
    return (
        PublishedResult.objects.filter(publication=publication, changed=True)
        .select_related("organization")
        .order_by("organization__path")
    )


def correction_lines(publication: ResultPublication) -> QuerySet[PublishedResult]:
    """Every line of a publication, in tree order: what a correction chooses from."""
    return (
        PublishedResult.objects.filter(publication=publication)
        .select_related("organization")
        .order_by("organization__path")
    )


def correction_objections(user: User, *, open_only: bool = False) -> QuerySet[CorrectionObjection]:
    """The objections to corrections of publications over the user's subtree, oldest first."""
    queryset = CorrectionObjection.objects.filter(publication__root__in=visible_organizations(user)).select_related(
        "publication", "result__organization"
    )
    if open_only:
        queryset = queryset.filter(state=ObjectionState.OPEN)
    return queryset.order_by("filed_at", "id")


NOT_RATED = "未参评"


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
    organizations = list(with_current_level(visible_organizations(user), "pk").order_by("path"))
    results = year_results(visible_organizations(user), year)
    rows: list[list[object]] = []
    for organization in organizations:
        result = results.get(organization.pk)
        current = organization.current_level_name or ""
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


# --- publication's preview ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class PublicationPreview:
    """What ``services.results_publish`` would publish now for a scope, and what the office should know first.

    ``results``: the approved results to publish (highest level first, then tree order); ``published``:
    organizations of the scope whose result of the year is already public (left out); ``warnings``: each
    campaign's quotas over the levels published; ``unfinished``: organizations of the scope with an
    evaluation of the year not approved yet in a campaign still running (a later result may follow).
    """

    root: Organization
    year: int
    results: list[YearResult]
    published: list[PublishedResult]
    warnings: list[QuotaWarning]
    warning_campaigns: list[str]
    unfinished: list[Organization]
    digest: str

    @property
    def warning_messages(self) -> list[str]:
        return [
            f"{campaign}：{warning.message}" if campaign else warning.message
            for campaign, warning in zip(self.warning_campaigns, self.warnings, strict=True)
        ]

    @property
    def unfinished_ids(self) -> set[int]:
        return {organization.pk for organization in self.unfinished}


def publication_scope(
    root: Organization, organizations: Iterable[Organization] | None = None
) -> QuerySet[Organization]:
    """``root``'s subtree, or the ``organizations`` chosen in it (one outside it is simply not there)."""
    # Organization derives from treebeard's untyped node: its manager's querysets read as Any.
    subtree: QuerySet[Organization] = Organization.objects.filter(path__startswith=root.path)
    if organizations is None:
        return subtree
    return subtree.filter(pk__in=[organization.pk for organization in organizations])


def _quota_warnings_by_campaign(results: Sequence[YearResult]) -> list[tuple[str, QuotaWarning]]:
    by_campaign: dict[int, list[YearResult]] = defaultdict(list)
    for result in results:
        by_campaign[result.campaign.pk].append(result)
    several = len(by_campaign) > 1
    found = []
    for group in by_campaign.values():
        campaign = group[0].campaign
        levels = [result.level for result in group]
        categories = [result.organization.category for result in group]
        for warning in quota_warnings(campaign.scheme, levels, categories=categories, mode=campaign.quota_mode):
            found.append((campaign.name if several else "", warning))
    return found


def publication_preview(
    *, root: Organization, year: int, organizations: Iterable[Organization] | None = None
) -> PublicationPreview:
    """The preview of publishing ``year`` for ``root``'s subtree or the ``organizations`` chosen in it; 4 queries."""
    scope = publication_scope(root, organizations)
    results = year_results(scope, year)
    published = list(
        PublishedResult.objects.filter(year=year, organization__in=scope, is_current=True)
        .select_related("organization", "publication")
        .order_by("organization__path")
    )
    done = {line.organization_id for line in published}
    listed = sorted_results({pk: result for pk, result in results.items() if pk not in done})
    unfinished = list(
        Organization.objects.filter(
            pk__in=Evaluation.objects.filter(organization__in=scope, campaign__year=year, approval__isnull=True)
            .exclude(campaign__state=CampaignState.CLOSED)
            .values("organization_id")
        ).order_by("path")
    )
    warnings = _quota_warnings_by_campaign(listed)
    content = [[result.organization.pk, result.evaluation.pk, result.level] for result in listed]
    return PublicationPreview(
        root=root,
        year=year,
        results=listed,
        published=published,
        warnings=[warning for _, warning in warnings],
        warning_campaigns=[campaign for campaign, _ in warnings],
        unfinished=unfinished,
        digest=preview_digest({"root": root.pk, "year": year, "results": content}),
    )


def publishable_organizations(user: User, year: int) -> QuerySet[Organization]:
    """The organizations of the user's subtree with an approved result of ``year`` not published yet."""
    visible = visible_organizations(user)
    approved = _approved_evaluations(visible, year).values("organization_id")
    published = PublishedResult.objects.filter(year=year).values("organization_id")
    return visible.filter(pk__in=approved).exclude(pk__in=published).order_by("path")


# --- withdrawals (待撤销) -----------------------------------------------------------------------------------


def plaques_due(user: User) -> QuerySet[Plaque]:
    """The plaques of the user's subtree due for withdrawal and not withdrawn, oldest first."""
    return (
        Plaque.objects.filter(
            organization__in=visible_organizations(user), withdrawal_due_since__isnull=False, withdrawn_at__isnull=True
        )
        .select_related("organization", "withdrawal_entry")
        .order_by("withdrawal_due_since", "year", "number")
    )


def sites_due(user: User) -> QuerySet[DemonstrationSite]:
    """The demonstration sites of the user's subtree due for withdrawal and not revoked, oldest first."""
    return (
        DemonstrationSite.objects.filter(
            organization__in=visible_organizations(user), withdrawal_due_since__isnull=False, revoked_at__isnull=True
        )
        .select_related("organization", "withdrawal_entry")
        .order_by("withdrawal_due_since", "year", "id")
    )


def withdrawal_notices(organization: Organization) -> dict[int, list[str]]:
    """{star ledger line id: what it put due for withdrawal}, for the organization's star ledger; two queries.

    "已通知撤销五星级牌匾（2025-001）", "已通知撤销示范点（2025年度），已撤销".
    """
    notices: dict[int, list[str]] = defaultdict(list)
    for plaque in Plaque.objects.filter(organization=organization, withdrawal_entry__isnull=False).order_by(
        "year", "number"
    ):
        done = "，已撤牌" if not plaque.is_active else ""
        notices[plaque.withdrawal_entry_id or 0].append(f"已通知撤销{plaque.level_name}牌匾（{plaque.serial}）{done}")
    for site in DemonstrationSite.objects.filter(organization=organization, withdrawal_entry__isnull=False).order_by(
        "year", "id"
    ):
        done = "，已撤销" if not site.is_active else ""
        notices[site.withdrawal_entry_id or 0].append(f"已通知撤销示范点（{site.year}年度）{done}")
    return dict(notices)
