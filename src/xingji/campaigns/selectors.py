"""Reading campaigns: the star ledger, evaluations, progress, notices, objections, a live preview.

Each list starts from ``xingji.campaigns.access`` (the user's subtree) and
joins what a page shows, so a page issues the same number of queries for ten
organizations and for ten thousand. The star ledger is the single source of
an organization's current level: ``current_level`` / ``current_levels`` /
``current_ledger_entries`` for organizations, ``with_current_level`` for any
list that joins an organization (``ledger_latest`` is the one subquery they
share). An evaluation's own level is its proposal; a page shows it only under
a label that says so.

A notice's preview (``notice_preview``) is what ``services.notice_publish``
would list, with every quota the listed levels break (``quota_warnings``: the
scheme's quotas, checked by the engine's ``count_check``).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any, TypeVar

from django.db.models import Count, Model, OuterRef, QuerySet, Subquery
from django.utils import timezone

from xingji.accounts.models import Actor
from xingji.campaigns import scoring
from xingji.campaigns.access import visible_campaigns, visible_evaluations
from xingji.campaigns.evidence import criterion_attachments
from xingji.campaigns.models import (
    Campaign,
    Evaluation,
    EvaluationState,
    MunicipalReview,
    Notice,
    NoticeEntry,
    NoticeState,
    Objection,
    QuotaMode,
    RatingRun,
    ScorePart,
    StarLedgerEntry,
    share_text,
)
from xingji.campaigns.receipts import receipt_digest
from xingji.common.confirmation import preview_digest
from xingji.orgs.models import Organization
from xingji.records.models import Attachment
from xingji.rules.quota import count_check
from xingji.rules.scheme import Scheme

M = TypeVar("M", bound=Model)


# --- the star ledger ---------------------------------------------------------------------


def _ledger_newest_first() -> QuerySet[StarLedgerEntry]:
    return StarLedgerEntry.objects.order_by("-effective_on", "-id")


def ledger_latest(organization: OuterRef) -> QuerySet[StarLedgerEntry]:
    """The star ledger of an outer query's organization, newest line first: slice ``[:1]`` in a ``Subquery``.

    The one definition of "the latest line" (by effective date, then by id) that every current level reads.
    """
    return _ledger_newest_first().filter(organization=organization)


def current_ledger_entry(organization: Organization) -> StarLedgerEntry | None:
    """The latest line of the organization's star ledger, or None for an organization never rated."""
    return _ledger_newest_first().filter(organization=organization).first()


def current_level(organization: Organization) -> int | None:
    """The organization's current level: the latest line of its star ledger (None: never rated)."""
    entry = current_ledger_entry(organization)
    return entry.level if entry is not None else None


def current_levels(organization_ids: Iterable[int]) -> dict[int, int]:
    """``current_level`` for many organizations in one query: {organization id: level}, rated ones only."""
    return {pk: entry.level for pk, entry in current_ledger_entries(organization_ids).items()}


def current_ledger_entries(organization_ids: Iterable[int]) -> dict[int, StarLedgerEntry]:
    """``current_ledger_entry`` for many organizations in one query: {organization id: its latest line}."""
    ids = list(organization_ids)
    if not ids:
        return {}
    latest = ledger_latest(OuterRef("organization")).values("pk")[:1]
    entries = StarLedgerEntry.objects.filter(organization_id__in=ids, pk=Subquery(latest))
    return {entry.organization_id: entry for entry in entries}


def with_current_level(queryset: QuerySet[M], organization: str = "organization") -> QuerySet[M]:
    """``queryset`` with ``current_level`` and ``current_level_name`` of the organization at ``organization``.

    ``organization`` is the path from the queryset's model to the organization ("pk" for organizations
    themselves). The name is the one the ledger wrote (under the scheme of the decision that set it);
    both are None for an organization never rated.
    """
    latest = ledger_latest(OuterRef(organization))
    annotated: QuerySet[M] = queryset.annotate(
        current_level=Subquery(latest.values("level")[:1]),
        current_level_name=Subquery(latest.values("level_name")[:1]),
    )
    return annotated


def star_ledger(organization: Organization) -> QuerySet[StarLedgerEntry]:
    """The organization's full ledger, oldest first, with who and what approved each line."""
    return (
        StarLedgerEntry.objects.filter(organization=organization)
        .select_related("campaign", "approval", "approver")
        .order_by("effective_on", "id")
    )


# --- campaigns and evaluations -----------------------------------------------------------------


def latest_run(campaign: Campaign) -> RatingRun | None:
    return RatingRun.objects.filter(campaign=campaign).order_by("-id").first()


def campaign_list(*, user: Actor) -> QuerySet[Campaign]:
    return visible_campaigns(user).select_related("root").order_by("-year", "-id")


def evaluation_list(*, user: Actor, campaign: Campaign, state: str | None = None) -> QuerySet[Evaluation]:
    """The campaign's evaluations in the user's subtree, in tree order, each with the organization's current level.

    ``current_level``/``current_level_name`` (``with_current_level``) are the star ledger's: after a
    municipal re-review or a re-check, the level the organization holds now, not the level proposed here.
    """
    evaluations = visible_evaluations(user).filter(campaign=campaign)
    if state:
        evaluations = evaluations.filter(state=state)
    return with_current_level(evaluations.select_related("organization", "campaign")).order_by("organization__path")


def evaluation_scores(evaluation: Evaluation) -> dict[str, dict[str, Any]]:
    """Side by side for each criterion of the scheme: {code: {name, max, self, self_comment, superior, …}}."""
    campaign = evaluation.campaign
    rows = {(row.part, row.criterion_code): row for row in evaluation.criterion_scores.all()}
    table = {}
    for criterion in campaign.scheme.criteria_for(evaluation.organization.category):
        own = rows.get((ScorePart.SELF, criterion.code))
        superior = rows.get((ScorePart.SUPERIOR, criterion.code))
        table[criterion.code] = {
            "name": criterion.name,
            "max": Decimal(criterion.max_cents).scaleb(-2),
            "self": own.score if own else None,
            "self_comment": own.comment if own else "",
            "superior": superior.score if superior else None,
            "superior_comment": superior.comment if superior else "",
        }
    return table


@dataclass(frozen=True)
class Preview:
    """The engine's result for scores not yet saved: what the superior's form shows live."""

    final_score: Decimal
    level: int
    level_name: str
    reasons: list[dict[str, Any]]
    explanation: list[str]
    composite_hint: Decimal | None
    facts: dict[str, Any]


def evaluation_preview(
    *, evaluation: Evaluation, scores: Mapping[str, Any], innovation_project: bool = False
) -> Preview:
    """Rate the evaluation on the given superior scores without saving anything.

    Incomplete or invalid scores are refused (``TransitionRefused``) with a
    message per criterion, like the service would.
    """
    campaign = evaluation.campaign
    entries = scoring.clean_scores(campaign.scheme, evaluation.organization.category, scores, complete=True)
    superior_scores = scoring.given_scores(entries)
    facts = scoring.organization_facts(campaign, evaluation.organization)
    probe = Evaluation(
        survey_satisfaction=evaluation.survey_satisfaction,
        newly_founded=evaluation.newly_founded,
        innovation_project=innovation_project,
        previous_level=evaluation.previous_level,
    )
    data = scoring.engine_input(campaign, probe, facts, superior_scores)
    stored = scoring.stored_result(campaign, scoring.rate_one(campaign, data))
    self_scores = {row.criterion_code: row.score for row in evaluation.criterion_scores.filter(part=ScorePart.SELF)}
    return Preview(
        final_score=stored.final_score,
        level=stored.level,
        level_name=campaign.level_name(stored.level),
        reasons=stored.reasons,
        explanation=stored.explanation,
        composite_hint=scoring.composite_hint(
            campaign.scheme,
            self_scores,
            scoring.survey_component(evaluation),
            superior_scores,
            satisfaction_rate=evaluation.survey_satisfaction,
        ),
        facts=data,
    )


@dataclass(frozen=True)
class Progress:
    """A campaign's progress under a node: evaluations per state, overdue, levels proposed and approved.

    ``by_approved_level`` counts the approved organizations by their current level (the star ledger's).
    """

    total: int
    by_state: dict[str, int]
    overdue: int
    by_level: dict[int, int]
    by_approved_level: dict[int, int]


def campaign_progress(
    *, user: Actor, campaign: Campaign, node: Organization | None = None, today: date | None = None
) -> Progress:
    """Counts for the progress page, in three queries whatever the number of organizations."""
    evaluations = evaluation_list(user=user, campaign=campaign).order_by()
    if node is not None:
        evaluations = evaluations.filter(organization__path__startswith=node.path)
    by_state = dict(evaluations.values_list("state").annotate(n=Count("id")))
    levels = evaluations.filter(level__isnull=False).values_list("level").annotate(n=Count("id"))
    # The approved organizations at the level they hold now (a municipal re-review, a re-check may have lowered it).
    approved = (
        evaluations.filter(approved_level__isnull=False)
        .annotate(now=Subquery(ledger_latest(OuterRef("organization")).values("level")[:1]))
        .values_list("now")
        .annotate(n=Count("id"))
    )
    overdue = by_state.get(EvaluationState.SELF_DRAFT, 0) if (today or timezone.localdate()) > campaign.deadline else 0
    return Progress(
        total=sum(by_state.values()),
        by_state={state: by_state.get(state, 0) for state in EvaluationState.values},
        overdue=overdue,
        by_level=dict(levels),
        by_approved_level=dict(approved),
    )


def quota_summary(campaign: Campaign) -> dict[str, Any] | None:
    """The latest campaign-wide rating's distribution against the scheme's quotas (None before any)."""
    run = latest_run(campaign)
    return run.summary if run is not None and run.summary else None


@dataclass(frozen=True)
class QuotaWarning:
    """A quota of the scheme that a set of levels breaks: too many at a ceiling, too few at a floor."""

    code: str
    clause: str
    label: str
    bound: str  # "max" or "min"
    level_names: list[str]
    population: int
    count: int
    limit: int

    @property
    def message(self) -> str:
        share = share_text(Decimal(self.count) / Decimal(self.population)) if self.population else "0%"
        levels = "、".join(self.level_names)
        where = f"超过上限（最多{self.limit}个）" if self.bound == "max" else f"低于下限（至少{self.limit}个）"
        clause = f"（{self.clause}）" if self.clause else ""
        return f"{self.label}{clause}：{self.population}个组织中{levels}{self.count}个，占{share}，{where}"


def quota_warnings(
    scheme: Scheme,
    levels: Iterable[int],
    *,
    categories: Iterable[str | None] | None = None,
    mode: str = QuotaMode.WARN,
) -> list[QuotaWarning]:
    """Every quota of ``scheme`` that ``levels`` (one per organization rated together) break; none in mode off.

    ``categories``: the organizations' categories in the same order, so that a quota by category
    (天津西青: 后进 among the communities) counts its own base. The check is the engine's
    (``xingji.rules.quota.count_check``): one definition of a quota, here and in the rating.
    """
    if mode == QuotaMode.OFF:
        return []
    values = list(levels)
    listed = list(categories) if categories is not None else None
    if not values:
        return []
    warnings = []
    for quota in scheme.quotas:
        check = count_check(quota, values, listed)
        if check.population and not check.satisfied_before:
            warnings.append(
                QuotaWarning(
                    code=quota.code,
                    clause=quota.clause,
                    label=quota.label,
                    bound=quota.bound,
                    level_names=[scheme.level_name(value) for value in sorted(quota.levels, reverse=True)],
                    population=check.population,
                    count=check.count_before,
                    limit=check.limit,
                )
            )
    return warnings


@dataclass(frozen=True)
class NoticeLine:
    evaluation: Evaluation
    level: int
    level_name: str
    final_score: Decimal | None


@dataclass(frozen=True)
class NoticePreview:
    """What ``services.notice_publish`` would list now: the lines, the quotas they break, a digest of them.

    The lines are the rated evaluations awaiting a notice (已评定待公示) of ``root``'s subtree (the
    campaign's whole scope by default), or of the ``chosen`` organizations in it. ``population`` is
    every rated evaluation of the campaign: the quotas hold over all the organizations rated together,
    with each one's level as it stands once this notice is out.
    """

    campaign: Campaign
    lines: list[NoticeLine]
    warnings: list[QuotaWarning]
    population: int
    supplementary: bool
    digest: str
    root: Organization | None = None
    chosen: list[Organization] | None = None

    @property
    def warning_messages(self) -> list[str]:
        return [warning.message for warning in self.warnings]


def notice_candidates(
    campaign: Campaign, root: Organization | None = None, organizations: Iterable[Organization] | None = None
) -> QuerySet[Evaluation]:
    """The campaign's evaluations rated and awaiting a notice in ``root``'s subtree, or of ``organizations``."""
    evaluations = campaign.evaluations.filter(state=EvaluationState.RATED).select_related("organization")
    if root is not None:
        evaluations = evaluations.filter(organization__path__startswith=root.path)
    if organizations is not None:
        evaluations = evaluations.filter(organization__in=[organization.pk for organization in organizations])
    return evaluations.order_by("organization__path")


def notice_organizations(campaign: Campaign) -> QuerySet[Organization]:
    """The organizations whose evaluation in the campaign awaits a notice, in tree order (the office ticks them)."""
    ids = notice_candidates(campaign).values("organization_id")
    organizations: QuerySet[Organization] = Organization.objects.filter(pk__in=ids).order_by("path")
    return organizations


def notice_preview(
    campaign: Campaign,
    evaluations: Iterable[Evaluation] | None = None,
    *,
    root: Organization | None = None,
    organizations: Iterable[Organization] | None = None,
) -> NoticePreview:
    """The notice of the rated evaluations awaiting a notice, of ``root``'s subtree or the ``organizations``.

    ``evaluations``: those evaluations already read (and locked) by the service; by default they are
    read (``notice_candidates``). Three queries.
    """
    chosen = None if organizations is None else sorted(organizations, key=lambda organization: organization.path)
    if evaluations is None:
        evaluations = notice_candidates(campaign, root, chosen)
    listed = sorted(
        (evaluation for evaluation in evaluations if evaluation.level is not None),
        key=lambda evaluation: (-(evaluation.level or 0), evaluation.organization.path),
    )
    lines = [
        NoticeLine(
            evaluation=evaluation,
            level=evaluation.level or 0,
            level_name=campaign.level_name(evaluation.level),
            final_score=evaluation.final_score,
        )
        for evaluation in listed
    ]
    levels: dict[int, int] = {}
    categories: dict[int, str | None] = {}
    for pk, level, category in campaign.evaluations.values_list("pk", "level", "organization__category"):
        if level is not None:
            levels[pk], categories[pk] = level, category
    levels.update({line.evaluation.pk: line.level for line in lines})
    categories.update({line.evaluation.pk: line.evaluation.organization.category for line in lines})
    content = [[line.evaluation.pk, line.evaluation.organization_id, line.level] for line in lines]
    return NoticePreview(
        campaign=campaign,
        lines=lines,
        warnings=quota_warnings(
            campaign.scheme,
            levels.values(),
            categories=[categories[pk] for pk in levels],
            mode=campaign.quota_mode,
        ),
        population=len(levels),
        supplementary=campaign.notices.exists(),
        digest=preview_digest({"campaign": campaign.pk, "lines": content}),
        root=root,
        chosen=chosen,
    )


def municipal_outstanding(campaign: Campaign) -> QuerySet[MunicipalReview]:
    """The campaign's re-reviews sent to the municipal organization department and not returned yet."""
    return MunicipalReview.objects.filter(evaluation__campaign=campaign, returned_on__isnull=True)


def municipal_pending(campaign: Campaign) -> QuerySet[Evaluation]:
    """The approved top-level (五星级) evaluations of the campaign not sent to the municipal re-review yet."""
    return Evaluation.objects.filter(
        campaign=campaign, state=EvaluationState.APPROVED, approved_level=campaign.top_level
    )


# --- notices and objections ---------------------------------------------------------------


def public_notices() -> QuerySet[Notice]:
    """Current and past notices, for the public page (no login)."""
    return (
        Notice.objects.filter(state__in=[NoticeState.PUBLISHED, NoticeState.CLOSED])
        .select_related("campaign")
        .order_by("-starts_on", "-id")
    )


def notice_entries(notice: Notice) -> QuerySet[NoticeEntry]:
    return notice.entries.select_related("organization").order_by("-level", "organization__path")


def notice_objections(notice: Notice) -> QuerySet[Objection]:
    return notice.objections.select_related("evaluation__organization", "answered_by").order_by("filed_at", "id")


def objection_by_receipt(receipt: str) -> Objection | None:
    """The objection a receipt number belongs to, for its filer to read the answer."""
    return (
        Objection.objects.select_related("notice", "evaluation__organization")
        .filter(receipt_digest=receipt_digest(receipt))
        .first()
    )


# --- self-evaluation evidence ------------------------------------------------------------


def self_evidence(evaluation: Evaluation) -> dict[str, list[Attachment]]:
    """{criterion code: its evidence files, oldest first} for each criterion of the scheme."""
    codes = dict(evaluation.criterion_scores.filter(part=ScorePart.SELF).values_list("pk", "criterion_code"))
    table: dict[str, list[Attachment]] = {
        criterion.code: [] for criterion in evaluation.campaign.scheme.criteria_for(evaluation.organization.category)
    }
    for attachment in criterion_attachments(evaluation).order_by("uploaded_at", "id"):
        table.setdefault(codes[attachment.object_id], []).append(attachment)
    return table
