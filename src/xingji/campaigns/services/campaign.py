"""Creating, changing, opening and closing a campaign."""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from datetime import date, timedelta
from pathlib import Path
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

import xingji.campaigns.services.base as base
from xingji.accounts.models import Actor
from xingji.audit.services import audit_log
from xingji.campaigns import access
from xingji.campaigns.models import DEFAULT_DEADLINES, Campaign, CampaignKind, CampaignState, Evaluation, QuotaMode
from xingji.campaigns.scope import categories_without_criteria, is_newly_founded, scope_organizations
from xingji.campaigns.selectors import current_levels
from xingji.campaigns.services.base import E, _lock_campaign
from xingji.campaigns.services.scheme_upload import scheme_error_text
from xingji.campaigns.workflow import check_campaign, move_campaign
from xingji.common.errors import TransitionRefused
from xingji.orgs.models import Organization
from xingji.rules.scheme import SchemeError, list_schemes, load_scheme, parse_scheme


def _scheme_from(scheme: str, scheme_text: str | None, scheme_filename: str) -> tuple[str, str, Any]:
    """(text, origin, parsed scheme) of a shipped scheme id or an uploaded TOML text."""
    try:
        if scheme_text is not None:
            name = scheme_filename or "上传的评定方案"
            parsed = parse_scheme(scheme_text, source=name)
            return scheme_text, f"上传：{name}", parsed
        shipped = {info["id"] for info in list_schemes()}
        if scheme not in shipped:
            raise TransitionRefused(
                f"没有编号为“{scheme}”的内置评定方案（内置：{'、'.join(sorted(shipped))}）", code="scheme"
            )
        parsed = load_scheme(scheme)
        text = Path(parsed.path).read_text(encoding="utf-8")
        return text, f"内置：{scheme}", parsed
    except SchemeError as error:
        where = scheme_error_text(error, scheme_text) if scheme_text is not None else str(error)
        raise TransitionRefused(f"评定方案有误：{where}", code="scheme") from None


#: A kind's default deadline already past (a late campaign) gives way to this many days from today.
LATE_DEADLINE_DAYS = 14


def default_deadline(year: int, kind: str, *, today: date | None = None) -> date:
    """The deadline a user who leaves it blank gets: the kind's (5 June / 31 December), never a past day.

    When the kind's date of ``year`` has passed, ``LATE_DEADLINE_DAYS`` from today.
    """
    today = today or base._today()
    month, day = DEFAULT_DEADLINES[CampaignKind(kind)]
    deadline = date(year, month, day)
    return deadline if deadline >= today else today + timedelta(days=LATE_DEADLINE_DAYS)


def deadline_check(deadline: date, *, today: date | None = None) -> None:
    """Refuse a deadline before today: what a user sets or opens a campaign with.

    The forms and the open page ask it; the services themselves accept any
    date, so that a past year's campaign can be recorded (demo data, imports).
    """
    today = today or base._today()
    if deadline < today:
        raise TransitionRefused(
            f"截止日期{deadline:%Y-%m-%d}已过（今天是{today:%Y-%m-%d}），请改为今天或以后的日期", code="deadline_past"
        )


def campaign_create(
    *,
    root: Organization,
    year: int,
    kind: str,
    scheme: str = "anyang-2017",
    scheme_text: str | None = None,
    scheme_filename: str = "",
    quota_mode: str = QuotaMode.WARN,
    notice_days: int | None = None,
    deadline: date | None = None,
    founded_cutoff: date | None = None,
    name: str = "",
    actor: Actor,
) -> Campaign:
    """Create a campaign (草稿) over ``root``'s subtree with a shipped scheme or an uploaded TOML text.

    The scheme's text is stored in the campaign. Defaults: the deadline of the
    kind (5 June / 31 December), the scheme's notice length, organizations
    founded in the campaign's year counted as newly founded.
    """
    with transaction.atomic():
        root = Organization.objects.get(pk=root.pk)
        access.require_office(actor, Campaign(root=root))
        if kind not in CampaignKind.values:
            raise TransitionRefused(f"评定类型“{kind}”无效", code="kind")
        if quota_mode not in QuotaMode.values:
            raise TransitionRefused(f"比例控制方式“{quota_mode}”无效", code="quota_mode")
        text, origin, parsed = _scheme_from(scheme, scheme_text, scheme_filename)
        month, day = DEFAULT_DEADLINES[CampaignKind(kind)]
        campaign = Campaign(
            name=(name or "").strip() or f"{year}年度{CampaignKind(kind).label}",
            year=year,
            kind=kind,
            deadline=deadline or date(year, month, day),
            root=root,
            scheme_code=parsed.id,
            scheme_name=parsed.name,
            scheme_origin=origin[:255],
            scheme_text=text,
            quota_mode=quota_mode,
            notice_days=notice_days if notice_days is not None else parsed.notice_days,
            founded_cutoff=founded_cutoff or date(year - 1, 12, 31),
            state=CampaignState.DRAFT,
            created_by=actor,
        )
        try:
            campaign.full_clean()
        except ValidationError as error:
            raise TransitionRefused(error) from None
        campaign.save()
        audit_log(actor=actor, action="campaign.created", obj=campaign, before=None, after=_campaign_snapshot(campaign))
    return campaign


CAMPAIGN_UPDATABLE_FIELDS = ("name", "deadline", "quota_mode", "notice_days", "founded_cutoff")


def campaign_quota_mode_check(campaign: Campaign) -> None:
    """Refuse unless the campaign's quota mode may still change: before its first campaign-wide rating run.

    A run rates the whole population with the mode it finds, so a change
    afterwards would leave results rated under another rule than the one shown.
    """
    check_campaign("quota_mode", campaign)
    if campaign.rating_runs.exists():
        raise TransitionRefused("已运行全面评定，比例控制方式不能再修改", code="quota_mode_locked")


def _campaign_snapshot(campaign: Campaign) -> dict[str, Any]:
    return {
        "name": campaign.name,
        "year": campaign.year,
        "kind": campaign.kind,
        "deadline": campaign.deadline,
        "root_id": campaign.root_id,
        "scheme_code": campaign.scheme_code,
        "scheme_origin": campaign.scheme_origin,
        "scheme_sha256": hashlib.sha256(campaign.scheme_text.encode()).hexdigest(),
        "quota_mode": campaign.quota_mode,
        "notice_days": campaign.notice_days,
        "founded_cutoff": campaign.founded_cutoff,
        "state": campaign.state,
    }


def campaign_update(*, campaign: Campaign, data: Mapping[str, Any], actor: Actor) -> Campaign:
    """Change a draft campaign's settings (``CAMPAIGN_UPDATABLE_FIELDS``)."""
    unknown = sorted(set(data) - set(CAMPAIGN_UPDATABLE_FIELDS))
    if unknown:
        raise ValueError(f"campaign fields that cannot be updated: {', '.join(unknown)}")
    with transaction.atomic():
        current = _lock_campaign(campaign)
        access.require_office(actor, current)
        check_campaign("update", current)
        before = _campaign_snapshot(current)
        changed = [name for name in CAMPAIGN_UPDATABLE_FIELDS if name in data and getattr(current, name) != data[name]]
        if not changed:
            return current
        if "quota_mode" in changed:
            campaign_quota_mode_check(current)
            if data["quota_mode"] not in QuotaMode.values:
                raise TransitionRefused(f"比例控制方式“{data['quota_mode']}”无效", code="quota_mode")
        for name in changed:
            setattr(current, name, data[name])
        try:
            current.full_clean()
        except ValidationError as error:
            raise TransitionRefused(error) from None
        current.save(update_fields=changed)
        after = _campaign_snapshot(current)
        audit_log(
            actor=actor,
            action="campaign.updated",
            obj=current,
            before={name: before[name] for name in changed},
            after={name: after[name] for name in changed},
        )
    return current


def campaign_quota_mode_change(*, campaign: Campaign, quota_mode: str, actor: Actor) -> Campaign:
    """Change the quota mode (比例控制) of a draft or open campaign, until its first rating run."""
    with transaction.atomic():
        current = _lock_campaign(campaign)
        access.require_office(actor, current)
        campaign_quota_mode_check(current)
        if quota_mode not in QuotaMode.values:
            raise TransitionRefused(f"比例控制方式“{quota_mode}”无效", code="quota_mode")
        before = current.quota_mode
        if before == quota_mode:
            return current
        current.quota_mode = quota_mode
        current.save(update_fields=["quota_mode"])
        audit_log(
            actor=actor,
            action="campaign.quota_mode_changed",
            obj=current,
            before={"quota_mode": before},
            after={"quota_mode": quota_mode},
        )
    return current


def campaign_open(*, campaign: Campaign, actor: Actor) -> Campaign:
    """Open the campaign: an evaluation (自评填写中) for every organization in its scope.

    The scope is ``xingji.campaigns.scope.scope_organizations``: every active
    organization under the root, the list the scope page shows beforehand.

    An organization founded after the campaign's cut-off date is marked newly
    founded, and the scheme decides what that means (``newly_founded`` fact).
    Each evaluation keeps the organization's level in the star ledger.
    """
    with transaction.atomic():
        current = _lock_campaign(campaign)
        access.require_office(actor, current)
        check_campaign("open", current)
        scope = scope_organizations(current)
        organizations = list(scope)
        if not organizations:
            raise TransitionRefused("评定范围内没有下级组织", code="empty_scope")
        without_criteria = categories_without_criteria(current, scope)
        if without_criteria:
            raise TransitionRefused(
                f"评定方案没有适用于“{'、'.join(without_criteria)}”类组织的评定内容", code="no_criteria"
            )
        previous = current_levels([o.pk for o in organizations])
        Evaluation.objects.bulk_create(
            [
                Evaluation(
                    campaign=current,
                    organization=organization,
                    state=E.SELF_DRAFT,
                    newly_founded=is_newly_founded(current, organization),
                    previous_level=previous.get(organization.pk),
                )
                for organization in organizations
            ]
        )
        move_campaign("open", current, CampaignState.OPEN)
        current.opened_at = timezone.now()
        current.save(update_fields=["state", "opened_at"])
        newly_founded = [o.code for o in organizations if is_newly_founded(current, o)]
        audit_log(
            actor=actor,
            action="campaign.opened",
            obj=current,
            before={"state": CampaignState.DRAFT},
            after={"state": current.state, "evaluations": len(organizations), "newly_founded": newly_founded},
        )
    return current


def campaign_close(*, campaign: Campaign, actor: Actor) -> Campaign:
    """End an approved campaign once every municipal re-review has come back."""
    with transaction.atomic():
        current = _lock_campaign(campaign)
        access.require_office(actor, current)
        check_campaign("close", current)
        pending = current.evaluations.filter(state=E.MUNICIPAL_REVIEW).count()
        if pending:
            raise TransitionRefused(f"尚有{pending}个组织的市委组织部复审结果未返回", code="municipal_pending")
        move_campaign("close", current, CampaignState.CLOSED)
        current.save(update_fields=["state"])
        audit_log(
            actor=actor,
            action="campaign.closed",
            obj=current,
            before={"state": CampaignState.APPROVED},
            after={"state": current.state},
        )
    return current
