"""Every change of the results' use: plaques, demonstration sites, recommendations, publications.

Each service is ``<entity>_<verb>(*, …, actor)``, runs in one transaction,
checks the actor first (the committee office, or a superuser: ``ActionForbidden``
for another role; ``Http404`` for an organization outside the office's
subtree), then the data (``TransitionRefused``: not five-star that year, a
duplicate, the wrong state), and writes its audit entries last. A refusal
changes nothing and logs nothing.

``withdrawals_check`` is called by the services that write the star ledger
(the committee's approval, the municipal re-review, an approved change of
level), inside their transactions, before their own audit entries: a plaque
or a demonstration site whose organization now stands below the level it
requires falls due for withdrawal (待撤销), which the office completes with
``plaque_withdraw`` / ``demonstration_site_revoke``.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import date
from typing import Any

from django.db import transaction
from django.db.models import Max
from django.utils import timezone

from xingji.accounts.access import access_organization, visible_organizations
from xingji.accounts.models import Actor, Role, User
from xingji.audit.services import audit_log
from xingji.campaigns.models import StarLedgerEntry
from xingji.campaigns.selectors import current_ledger_entries
from xingji.common.confirmation import check_confirmation
from xingji.common.errors import ActionForbidden, TransitionRefused, required_text
from xingji.orgs.models import Organization
from xingji.records import services as record_services
from xingji.records.models import Commendation, CommendationKind, HonourLevel, Recipient
from xingji.reports import selectors
from xingji.reports.models import (
    CommendationRecommendation,
    DemonstrationSite,
    Plaque,
    PublishedResult,
    RecommendationState,
    ResultPublication,
)

OFFICE_ONLY = "只有市直工委组织部可以进行这项操作"
TEXT_MAX_LENGTH = 2000
#: What a plaque says after the level's name (五星级 + 服务型党组织).
PLAQUE_TITLE_SUFFIX = "服务型党组织"
COMMENDATION_TITLE = "先进基层党组织"


def _today() -> date:
    return timezone.localdate()


def is_office(user: User | None) -> bool:
    """The committee office (or a superuser): the only writers of this app."""
    if user is None or not (user.is_authenticated and user.is_active):
        return False
    return user.is_superuser or (user.organization_id is not None and user.role == Role.COMMITTEE_OFFICE)


def require_office(actor: Actor, organization: Organization | None = None) -> None:
    """403 for a role other than the office; 404 for an organization outside the office's subtree."""
    if not is_office(actor):
        raise ActionForbidden(OFFICE_ONLY)
    if organization is not None:
        access_organization(actor, organization.pk, write=True)


def _text(value: str | None, label: str, *, maximum: int = TEXT_MAX_LENGTH) -> str:
    return required_text(value, label, maximum=maximum)


def _lock_organization(organization: Organization) -> Organization:
    locked: Organization = Organization.objects.select_for_update().get(pk=organization.pk)
    return locked


def _require_top(organization: Organization, year: int, what: str) -> selectors.YearResult:
    result = selectors.top_result(organization, year)
    if result is None:
        raise TransitionRefused(
            f"{organization.name}不是{year}年度经批准的五星级党组织，不能{what}", code="not_top_level"
        )
    if result.is_lowered:
        raise TransitionRefused(
            f"{organization.name}现为{result.current_level_name}（星级管理台账），不能{what}", code="lowered"
        )
    return result


# --- plaques (授牌) -------------------------------------------------------------------------


def plaques_issue(*, year: int, actor: Actor, issuing_body: str = "", issued_on: date | None = None) -> list[Plaque]:
    """Make the plaques of the year's five-star organizations in the office's subtree that have none yet.

    An organization a later decision lowered below that level gets none.

    A plaque keeps its serial number (``2026-001``, by year, in tree order of
    issue) and its printed text once made; ``issuing_body`` (default: the
    name of the campaign's scope, 市直工委) and ``issued_on`` (default:
    today) apply to the plaques made now.
    """
    with transaction.atomic():
        require_office(actor)
        body = (issuing_body or "").strip()
        if len(body) > 100:
            raise TransitionRefused("授牌单位不能超过100字", code="too_long")
        issued_on = issued_on or _today()
        if issued_on > _today():
            raise TransitionRefused("授牌日期不能晚于今天", code="date_in_future")
        # Serial numbers of a year are handed out one issue at a time.
        list(Plaque.objects.select_for_update().filter(year=year).values_list("pk", flat=True))
        done = set(Plaque.objects.filter(year=year).values_list("organization_id", flat=True))
        results = [
            result
            for result in selectors.top_results(visible_organizations(actor), year, standing=True)
            if result.organization.pk not in done
        ]
        if not results:
            raise TransitionRefused(f"{year}年度没有尚未授牌的五星级党组织", code="nothing_to_issue")
        number = Plaque.objects.filter(year=year).aggregate(last=Max("number"))["last"] or 0
        made = []
        for result in results:
            number += 1
            made.append(
                Plaque.objects.create(
                    organization=result.organization,
                    year=year,
                    number=number,
                    evaluation=result.evaluation,
                    level=result.level,
                    level_name=result.level_name,
                    title=f"{result.level_name}{PLAQUE_TITLE_SUFFIX}",
                    organization_name=result.organization.name,
                    issuing_body=body or result.campaign.root.name,
                    issued_on=issued_on,
                    created_by=actor,
                )
            )
        for plaque in made:
            audit_log(actor=actor, action="plaque.issued", obj=plaque, before=None, after=_plaque_snapshot(plaque))
    return made


def _plaque_snapshot(plaque: Plaque) -> dict[str, Any]:
    return {
        "organization_id": plaque.organization_id,
        "year": plaque.year,
        "serial": plaque.serial,
        "level": plaque.level,
        "title": plaque.title,
        "issuing_body": plaque.issuing_body,
        "issued_on": plaque.issued_on.isoformat(),
    }


def plaque_withdraw(*, plaque: Plaque, reason: str, actor: Actor) -> Plaque:
    """Withdraw a plaque (撤牌) with the reason: due for withdrawal after a downgrade, or at the office's call."""
    with transaction.atomic():
        require_office(actor, plaque.organization)
        reason = _text(reason, "撤牌理由")
        current = Plaque.objects.select_for_update().get(pk=plaque.pk)
        if current.withdrawn_at is not None:
            raise TransitionRefused(f"授牌证书{current.serial}已撤销", code="withdrawn")
        before = {"status": current.status}
        current.withdrawn_at, current.withdrawn_by, current.withdraw_reason = timezone.now(), actor, reason
        current.save(update_fields=["withdrawn_at", "withdrawn_by", "withdraw_reason"])
        audit_log(
            actor=actor,
            action="plaque.withdrawn",
            obj=current,
            before=before,
            after={
                "status": current.status,
                "withdraw_reason": reason,
                "was_due": current.withdrawal_due_since is not None,
            },
        )
    return current


# --- demonstration sites (示范点) -------------------------------------------------------------


def demonstration_site_choose(*, organization: Organization, year: int, reason: str, actor: Actor) -> DemonstrationSite:
    """Choose a five-star organization of ``year`` as a demonstration site, with the reason."""
    with transaction.atomic():
        require_office(actor, organization)
        reason = _text(reason, "确定理由")
        organization = _lock_organization(organization)
        _require_top(organization, year, "确定为示范点")
        if DemonstrationSite.objects.filter(organization=organization, year=year, revoked_at__isnull=True).exists():
            raise TransitionRefused(f"{organization.name}已是{year}年度示范点", code="duplicate")
        site = DemonstrationSite.objects.create(organization=organization, year=year, reason=reason, chosen_by=actor)
        audit_log(
            actor=actor,
            action="demonstration_site.chosen",
            obj=site,
            before=None,
            after={"organization_id": organization.pk, "year": year, "reason": reason},
        )
    return site


def demonstration_site_revoke(*, site: DemonstrationSite, reason: str, actor: Actor) -> DemonstrationSite:
    with transaction.atomic():
        require_office(actor, site.organization)
        reason = _text(reason, "撤销理由")
        current = DemonstrationSite.objects.select_for_update().get(pk=site.pk)
        if current.revoked_at is not None:
            raise TransitionRefused("该示范点已撤销", code="revoked")
        current.revoked_at, current.revoked_by, current.revoke_reason = timezone.now(), actor, reason
        current.save(update_fields=["revoked_at", "revoked_by", "revoke_reason"])
        audit_log(
            actor=actor,
            action="demonstration_site.revoked",
            obj=current,
            before={"revoked": False},
            after={"revoked": True, "revoke_reason": reason, "was_due": current.withdrawal_due_since is not None},
        )
    return current


# --- commendation recommendations (先进基层党组织推荐) ----------------------------------------


def recommendation_create(
    *, organization: Organization, year: int, deeds: str, actor: Actor
) -> CommendationRecommendation:
    """Put a five-star organization of ``year`` on the year's recommendation list, as a draft."""
    with transaction.atomic():
        require_office(actor, organization)
        deeds = _text(deeds, "主要事迹")
        organization = _lock_organization(organization)
        _require_top(organization, year, "推荐为先进基层党组织")
        if CommendationRecommendation.objects.filter(organization=organization, year=year).exists():
            raise TransitionRefused(f"{organization.name}已在{year}年度推荐名单中", code="duplicate")
        recommendation = CommendationRecommendation.objects.create(
            organization=organization, year=year, deeds=deeds, created_by=actor
        )
        audit_log(
            actor=actor,
            action="recommendation.created",
            obj=recommendation,
            before=None,
            after={"organization_id": organization.pk, "year": year, "deeds": deeds, "state": recommendation.state},
        )
    return recommendation


def recommendation_delete(*, recommendation: CommendationRecommendation, actor: Actor) -> None:
    """Take a draft off the list."""
    with transaction.atomic():
        require_office(actor, recommendation.organization)
        current = CommendationRecommendation.objects.select_for_update().get(pk=recommendation.pk)
        if current.state != RecommendationState.DRAFT:
            raise TransitionRefused("只能删除草稿状态的推荐", code="state")
        before = {"organization_id": current.organization_id, "year": current.year, "state": current.state}
        audit_log(actor=actor, action="recommendation.deleted", obj=current, before=before, after=None)
        current.delete()


def recommendations_submit(*, year: int, actor: Actor) -> list[CommendationRecommendation]:
    """Submit (报送) every draft of the year's list in the office's subtree."""
    with transaction.atomic():
        require_office(actor)
        drafts = list(
            CommendationRecommendation.objects.select_for_update()
            .filter(year=year, state=RecommendationState.DRAFT, organization__in=visible_organizations(actor))
            .order_by("id")
        )
        if not drafts:
            raise TransitionRefused(f"{year}年度推荐名单中没有待报送的草稿", code="nothing_to_submit")
        now = timezone.now()
        for recommendation in drafts:
            recommendation.state, recommendation.submitted_at = RecommendationState.SUBMITTED, now
            recommendation.save(update_fields=["state", "submitted_at"])
        for recommendation in drafts:
            audit_log(
                actor=actor,
                action="recommendation.submitted",
                obj=recommendation,
                before={"state": RecommendationState.DRAFT},
                after={"state": recommendation.state},
            )
    return drafts


def _decision_note(note: str) -> str:
    note = (note or "").strip()
    if len(note) > TEXT_MAX_LENGTH:
        raise TransitionRefused(f"表彰情况不能超过{TEXT_MAX_LENGTH}字", code="too_long")
    return note


def _check_commendation(*, adopted: bool, commended_on: date | None, issuer: str) -> str:
    """The issuer of the commendation to record, once the decision allows one."""
    if not adopted:
        raise TransitionRefused("未表彰的推荐不能记为表彰记录", code="not_adopted")
    if commended_on is None:
        raise TransitionRefused("请填写表彰日期", code="required")
    if commended_on > _today():
        raise TransitionRefused("表彰日期不能晚于今天", code="date_in_future")
    return _text(issuer, "表彰机关", maximum=200)


def recommendation_decide(
    *,
    recommendation: CommendationRecommendation,
    adopted: bool,
    note: str = "",
    record_commendation: bool = False,
    commended_on: date | None = None,
    issuer: str = "",
    document_number: str = "",
    actor: Actor,
) -> CommendationRecommendation:
    """Record whether a submitted recommendation was adopted (表彰).

    With ``record_commendation`` an adopted one is also recorded as a city-level
    commendation of the organization (``records.Commendation``, through the
    records services), which the next rating reads as 五(三)1.
    """
    with transaction.atomic():
        require_office(actor, recommendation.organization)
        note = _decision_note(note)
        if record_commendation:
            issuer = _check_commendation(adopted=adopted, commended_on=commended_on, issuer=issuer)
        current = (
            CommendationRecommendation.objects.select_for_update(of=("self",))
            .select_related("organization")
            .get(pk=recommendation.pk)
        )
        if current.state != RecommendationState.SUBMITTED:
            raise TransitionRefused("只有已报送的推荐可以录入表彰结果", code="state")
        current.state = RecommendationState.ADOPTED if adopted else RecommendationState.NOT_ADOPTED
        current.decided_at, current.decided_by, current.decision_note = timezone.now(), actor, note
        if record_commendation:
            current.commendation = record_services.record_create(
                model=Commendation,
                data={
                    "organization": current.organization,
                    "date": commended_on,
                    "kind": CommendationKind.COMMENDATION,
                    "recipient": Recipient.ORGANIZATION,
                    "level": HonourLevel.CITY,
                    "title": COMMENDATION_TITLE,
                    "issuer": issuer,
                    "document_number": (document_number or "").strip()[:100],
                },
                actor=actor,
            )
        current.save(update_fields=["state", "decided_at", "decided_by", "decision_note", "commendation"])
        audit_log(
            actor=actor,
            action="recommendation.decided",
            obj=current,
            before={"state": RecommendationState.SUBMITTED},
            after={"state": current.state, "note": note, "commendation_id": current.commendation_id},
        )
    return current


# --- withdrawals after a downgrade (待撤销) ------------------------------------------------------------


def _site_levels(sites: Sequence[DemonstrationSite]) -> dict[tuple[int, int], int]:
    """{(organization id, year): the level a site of that year requires}: the top level of its result's scheme."""
    required: dict[tuple[int, int], int] = {}
    for year in sorted({site.year for site in sites}):
        organizations = Organization.objects.filter(
            pk__in={site.organization_id for site in sites if site.year == year}
        )
        for organization_id, result in selectors.year_results(organizations, year).items():
            required[(organization_id, year)] = result.campaign.top_level
    return required


def _withdrawal_text(entry: StarLedgerEntry) -> str:
    return f"{entry.effective_on:%Y年%m月%d日}起为{entry.level_name}：{entry.reason}"[:2000]


def _due_changes(
    holders: Sequence[Plaque | DemonstrationSite],
    required: dict[int, int],
    entries: dict[int, StarLedgerEntry],
) -> tuple[list[Plaque | DemonstrationSite], list[Plaque | DemonstrationSite]]:
    """(those falling due now, those whose due is lifted) among active ``holders`` ({pk: level required})."""
    marked, lifted = [], []
    for holder in holders:
        entry = entries.get(holder.organization_id)
        needed = required.get(holder.pk)
        if entry is None or needed is None:
            continue
        if entry.level < needed and holder.withdrawal_due_since is None:
            holder.withdrawal_due_since, holder.withdrawal_reason = entry.effective_on, _withdrawal_text(entry)
            holder.withdrawal_entry = entry
            marked.append(holder)
        elif entry.level >= needed and holder.withdrawal_due_since is not None:
            holder.withdrawal_due_since, holder.withdrawal_reason, holder.withdrawal_entry = None, "", None
            lifted.append(holder)
    return marked, lifted


def withdrawals_check(*, organizations: Iterable[int], actor: Actor) -> list[Plaque | DemonstrationSite]:
    """Put due for withdrawal the plaques and sites of ``organizations`` (ids) the star ledger now leaves short.

    Called by a service that has just written the ledger lines of those organizations, in its transaction
    and before its audit entries. An active plaque needs its own level; an active site, the top level of the
    result it was chosen on. Below it, the plaque or site falls due (reason and date: the ledger line's);
    back at it (a later decision restored the level), a due is lifted. Only the office (or a superuser)
    decides the ledger; outside its subtree nothing is touched. Returns what changed.
    """
    with transaction.atomic():
        require_office(actor)
        ids = sorted(set(organizations))
        if not ids:
            return []
        visible = visible_organizations(actor).filter(pk__in=ids)
        plaques = list(
            Plaque.objects.select_for_update()
            .filter(organization__in=visible, withdrawn_at__isnull=True)
            .order_by("pk")
        )
        sites = list(
            DemonstrationSite.objects.select_for_update()
            .filter(organization__in=visible, revoked_at__isnull=True)
            .order_by("pk")
        )
        if not plaques and not sites:
            return []
        entries = current_ledger_entries(ids)
        site_levels = _site_levels(sites)
        marked, lifted = _due_changes(plaques, {plaque.pk: plaque.level for plaque in plaques}, entries)
        more_marked, more_lifted = _due_changes(
            sites,
            {
                site.pk: site_levels[(site.organization_id, site.year)]
                for site in sites
                if (site.organization_id, site.year) in site_levels
            },
            entries,
        )
        marked += more_marked
        lifted += more_lifted
        fields = ["withdrawal_due_since", "withdrawal_reason", "withdrawal_entry"]
        for holder in [*marked, *lifted]:
            holder.save(update_fields=fields)
        for holder in marked:
            after = {
                "status": holder.status,
                "since": holder.withdrawal_due_since,
                "ledger_entry_id": holder.withdrawal_entry_id,
                "reason": holder.withdrawal_reason,
            }
            if isinstance(holder, Plaque):
                audit_log(
                    actor=actor, action="plaque.withdrawal_due", obj=holder, before={"status": "有效"}, after=after
                )
            else:
                audit_log(
                    actor=actor,
                    action="demonstration_site.withdrawal_due",
                    obj=holder,
                    before={"status": "有效"},
                    after=after,
                )
        for holder in lifted:
            before, after = {"status": "待撤销"}, {"status": holder.status}
            if isinstance(holder, Plaque):
                audit_log(actor=actor, action="plaque.withdrawal_lifted", obj=holder, before=before, after=after)
            else:
                audit_log(
                    actor=actor, action="demonstration_site.withdrawal_lifted", obj=holder, before=before, after=after
                )
    return [*marked, *lifted]


# --- publication (评定结果公布) -------------------------------------------------------------------


def results_publish(
    *,
    root: Organization,
    year: int,
    actor: Actor,
    title: str = "",
    organizations: Sequence[Organization] | None = None,
    confirmation: str = "",
    preview_digest: str = "",
) -> ResultPublication:
    """Publish the year's approved results of ``root``'s subtree — or of the ``organizations`` chosen in it.

    Exactly what ``selectors.publication_preview`` shows is published, frozen as it is now: each
    organization's result of a year is published once, so those already public are left out of a subtree
    (and refused when chosen by name), and organizations outside the scope stay publishable. When the
    published levels break a quota of their campaign's scheme, the publication needs ``confirmation``
    typed as ``CONFIRMATION_PHRASE``; with ``preview_digest`` (what the confirmation page showed), it
    happens only if the preview is still that one. Refused when nothing approved is left to publish.
    """
    with transaction.atomic():
        require_office(actor, root)
        root = _lock_organization(root)
        chosen = _check_chosen(root, organizations)
        # The organizations to publish are locked: one result of a year is published once.
        scope = selectors.publication_scope(root, chosen)
        list(Organization.objects.select_for_update().filter(pk__in=scope.values("pk")).order_by("pk").values("pk"))
        preview = selectors.publication_preview(root=root, year=year, organizations=chosen)
        _check_publishable(root, year, preview, chosen)
        warnings = preview.warning_messages
        check_confirmation(
            warnings=warnings, confirmation=confirmation, digest=preview_digest, expected_digest=preview.digest
        )
        title = _publication_title(root, year, title)
        rows = [
            {
                "organization": result.organization.name,
                "level": result.level,
                "level_name": result.level_name,
                "organization_id": result.organization.pk,
            }
            for result in preview.results
        ]
        publication = ResultPublication.objects.create(year=year, root=root, title=title, rows=rows, published_by=actor)
        PublishedResult.objects.bulk_create(
            [
                PublishedResult(
                    publication=publication,
                    organization=result.organization,
                    year=year,
                    level=result.level,
                    level_name=result.level_name,
                )
                for result in preview.results
            ]
        )
        entry = audit_log(
            actor=actor,
            action="results.published",
            obj=publication,
            before=None,
            after={
                "year": year,
                "root_id": root.pk,
                "title": title,
                "rows": rows,
                "chosen": None if chosen is None else [organization.pk for organization in chosen],
                "quota_warnings": warnings,
            },
        )
        # The chain's head right after the publication's own entry: it covers the published rows.
        publication.head_hash = entry.hash
        publication.save(update_fields=["head_hash"])
    return publication


def _check_chosen(root: Organization, organizations: Sequence[Organization] | None) -> list[Organization] | None:
    """The chosen organizations in tree order, each checked to lie in ``root``'s subtree (else named)."""
    if organizations is None:
        return None
    chosen = list({organization.pk: organization for organization in organizations}.values())
    if not chosen:
        raise TransitionRefused("请选择要公布的组织", code="nothing_chosen")
    for organization in chosen:
        if not organization.path.startswith(root.path):
            raise TransitionRefused(f"{organization.name}不在{root.name}的范围内，不能一并公布", code="outside_scope")
    return sorted(chosen, key=lambda organization: organization.path)


def _check_publishable(
    root: Organization, year: int, preview: selectors.PublicationPreview, chosen: list[Organization] | None
) -> None:
    if chosen is not None:
        published = {line.organization_id: line for line in preview.published}
        listed = {result.organization.pk for result in preview.results}
        for organization in chosen:
            if organization.pk in published:
                line = published[organization.pk]
                raise TransitionRefused(
                    f"{organization.name}{year}年度的评定结果已公布（{line.publication.title}）", code="duplicate"
                )
            if organization.pk not in listed:
                raise TransitionRefused(
                    f"{organization.name}没有经批准的{year}年度评定结果，不能公布", code="nothing_approved"
                )
    if preview.results:
        return
    if preview.published:
        raise TransitionRefused(f"{root.name}{year}年度的评定结果已公布，没有尚未公布的组织", code="duplicate")
    raise TransitionRefused(f"{year}年度没有经批准的评定结果，不能公布", code="nothing_approved")


def _publication_title(root: Organization, year: int, title: str) -> str:
    title = (title or "").strip()
    if not title:
        title = f"{root.name}{year}年度基层服务型党组织星级评定结果"
        earlier = ResultPublication.objects.filter(root=root, year=year).count()
        if earlier:
            title += f"（第{earlier + 1}批）"
    if len(title) > 200:
        raise TransitionRefused("标题不能超过200字", code="too_long")
    return title
