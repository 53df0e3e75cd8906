"""What a client reads: the querysets of every list, scoped as the web scopes its user.

Every queryset starts from ``xingji.accounts.access`` (or the app's own
``access``) with the client's service account, so a token sees exactly the
subtree of its node; ``under`` narrows it to a visible node's subtree (404 for
a node outside it, like a missing one).
"""

from __future__ import annotations

from datetime import date, datetime

from django.db.models import Count, Prefetch, Q, QuerySet

from xingji.accounts.access import access_organization, visible_elections, visible_members, visible_organizations
from xingji.accounts.models import User
from xingji.api.access import visible_api_clients
from xingji.api.models import ApiClient
from xingji.branchwork.access import visible_meetings
from xingji.branchwork.models import Appraisal, AppraisalGrade, AttendanceStatus, Meeting
from xingji.campaigns.access import visible_campaigns, visible_evaluations
from xingji.campaigns.models import Campaign, CriterionScore, Evaluation, StarLedgerEntry
from xingji.dues.models import DuesPayment
from xingji.orgs.models import Election, Member, Organization
from xingji.records.access import visible_records
from xingji.records.models import EvidenceRecord
from xingji.reports.models import ResultPublication
from xingji.surveys.models import SurveySession


def api_clients_of(user: User) -> QuerySet[ApiClient]:
    """The clients a manager sees on the clients page (``access.visible_api_clients``), newest first."""
    return visible_api_clients(user).select_related("organization", "created_by", "revoked_by")


def organizations_under(user: User, under: int | None) -> QuerySet[Organization]:
    organizations = visible_organizations(user)
    if under is None:
        return organizations
    node = access_organization(user, under)
    return organizations.filter(path__startswith=node.path)


def organizations(user: User, under: int | None) -> QuerySet[Organization]:
    return organizations_under(user, under)


def parent_ids(items: list[Organization]) -> dict[str, int]:
    """Each listed node's parent id by the parent's path, in one query (the path holds the parent's)."""
    step = Organization.steplen
    paths = {item.path[:-step] for item in items if item.depth > 1}
    return dict(Organization.objects.filter(path__in=paths).values_list("path", "pk"))


def members(user: User, under: int | None) -> QuerySet[Member]:
    return visible_members(user).filter(organization__in=organizations_under(user, under))


def elections(user: User, under: int | None) -> QuerySet[Election]:
    return visible_elections(user).filter(organization__in=organizations_under(user, under))


def records(
    user: User,
    model: type[EvidenceRecord],
    *,
    under: int | None,
    date_from: date | None,
    date_to: date | None,
    updated_since: datetime | None,
) -> QuerySet[EvidenceRecord]:
    queryset = visible_records(user, model).filter(organization__in=organizations_under(user, under))
    if date_from:
        queryset = queryset.filter(date__gte=date_from)
    if date_to:
        queryset = queryset.filter(date__lte=date_to)
    if updated_since:
        queryset = queryset.filter(updated_at__gte=updated_since)
    return queryset


def meetings(user: User, *, under: int | None, date_from: date | None, date_to: date | None) -> QuerySet[Meeting]:
    queryset = visible_meetings(user).filter(organization__in=organizations_under(user, under))
    if date_from:
        queryset = queryset.filter(held_on__gte=date_from)
    if date_to:
        queryset = queryset.filter(held_on__lte=date_to)
    return queryset.annotate(
        present_count=Count("attendances", filter=Q(attendances__status=AttendanceStatus.PRESENT)),
        leave_count=Count("attendances", filter=Q(attendances__status=AttendanceStatus.LEAVE)),
        absent_count=Count("attendances", filter=Q(attendances__status=AttendanceStatus.ABSENT)),
    )


def appraisals(
    user: User, *, under: int | None, year: int | None, updated_since: datetime | None
) -> QuerySet[Appraisal]:
    queryset = Appraisal.objects.filter(organization__in=organizations_under(user, under))
    if year:
        queryset = queryset.filter(year=year)
    if updated_since:
        queryset = queryset.filter(updated_at__gte=updated_since)
    return queryset.prefetch_related(Prefetch("grades", queryset=AppraisalGrade.objects.order_by("member_id")))


def dues_payments(
    user: User,
    *,
    under: int | None,
    month_from: date | None,
    month_to: date | None,
    updated_since: datetime | None,
) -> QuerySet[DuesPayment]:
    queryset = DuesPayment.objects.filter(member__in=members(user, under)).select_related("member")
    if month_from:
        queryset = queryset.filter(month__gte=month_from.replace(day=1))
    if month_to:
        queryset = queryset.filter(month__lte=month_to)
    if updated_since:
        queryset = queryset.filter(created_at__gte=updated_since)
    return queryset


def campaigns(user: User, *, year: int | None) -> QuerySet[Campaign]:
    queryset = visible_campaigns(user)
    if year:
        queryset = queryset.filter(year=year)
    return queryset


def evaluations(user: User, campaign: Campaign, *, under: int | None) -> QuerySet[Evaluation]:
    return (
        visible_evaluations(user)
        .filter(campaign=campaign, organization__in=organizations_under(user, under))
        .prefetch_related(
            Prefetch("criterion_scores", queryset=CriterionScore.objects.order_by("part", "criterion_code", "id"))
        )
    )


def star_ledger(
    user: User,
    *,
    under: int | None,
    date_from: date | None,
    date_to: date | None,
    updated_since: datetime | None,
) -> QuerySet[StarLedgerEntry]:
    queryset = StarLedgerEntry.objects.filter(organization__in=organizations_under(user, under))
    if date_from:
        queryset = queryset.filter(effective_on__gte=date_from)
    if date_to:
        queryset = queryset.filter(effective_on__lte=date_to)
    if updated_since:
        queryset = queryset.filter(recorded_at__gte=updated_since)
    return queryset


def _ancestor_paths(path: str) -> list[str]:
    step = Organization.steplen
    return [path[:end] for end in range(step, len(path) + 1, step)]


def publications(user: User, *, year: int | None) -> QuerySet[ResultPublication]:
    """Publications over the client's subtree or over one of its ancestors (their rows are narrowed later)."""
    if not user.is_active:
        return ResultPublication.objects.none()
    node = Organization.objects.filter(pk=user.organization_id).values_list("path", flat=True).first()
    if node is None:
        return ResultPublication.objects.none()
    queryset = ResultPublication.objects.filter(
        Q(root__path__startswith=node) | Q(root__path__in=_ancestor_paths(node))
    )
    if year:
        queryset = queryset.filter(year=year)
    return queryset


def surveys(user: User, *, under: int | None, campaign: int | None) -> QuerySet[SurveySession]:
    queryset = SurveySession.objects.filter(
        evaluation__in=visible_evaluations(user).filter(organization__in=organizations_under(user, under))
    ).select_related("evaluation")
    if campaign:
        queryset = queryset.filter(evaluation__campaign_id=campaign)
    return queryset
