"""Creating, changing, opening and closing a campaign."""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from datetime import date
from pathlib import Path
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from xingji.accounts.models import Actor
from xingji.audit.services import audit_log
from xingji.campaigns import access
from xingji.campaigns.models import DEFAULT_DEADLINES, Campaign, CampaignKind, CampaignState, Evaluation, QuotaMode
from xingji.campaigns.selectors import current_levels
from xingji.campaigns.services.base import E, _lock_campaign
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
        raise TransitionRefused(f"评定方案有误：{error}", code="scheme") from None


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


def campaign_open(*, campaign: Campaign, actor: Actor) -> Campaign:
    """Open the campaign: an evaluation (自评填写中) for every active organization under its root.

    An organization founded after the campaign's cut-off date is marked newly
    founded, and the scheme decides what that means (``newly_founded`` fact).
    Each evaluation keeps the organization's level in the star ledger.
    """
    with transaction.atomic():
        current = _lock_campaign(campaign)
        access.require_office(actor, current)
        check_campaign("open", current)
        root = current.root
        organizations = list(
            Organization.objects.filter(path__startswith=root.path, depth__gt=root.depth, is_active=True).order_by(
                "path"
            )
        )
        if not organizations:
            raise TransitionRefused("评定范围内没有下级组织", code="empty_scope")
        scheme = current.scheme
        without_criteria = sorted({o.category for o in organizations if not scheme.criteria_for(o.category)})
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
                    newly_founded=bool(organization.founded and organization.founded > current.founded_cutoff),
                    previous_level=previous.get(organization.pk),
                )
                for organization in organizations
            ]
        )
        move_campaign("open", current, CampaignState.OPEN)
        current.opened_at = timezone.now()
        current.save(update_fields=["state", "opened_at"])
        newly_founded = [o.code for o in organizations if o.founded and o.founded > current.founded_cutoff]
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
