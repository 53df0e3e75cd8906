"""Every change of re-checks, changes of level, focus guides and supervision visits.

Each service is ``<entity>_<verb>(*, …, actor)`` and runs in one
transaction: it checks the actor's role and subtree
(``xingji.supervision.access``), locks what it changes
(``select_for_update``: the change of level, then its organization), checks
the state and the data, writes, and appends its audit entries last. A
refusal is a ``TransitionRefused`` (state, data) or an ``ActionForbidden``
(role) — or ``Http404`` outside the actor's subtree — and then nothing has
changed and nothing is logged.

An approved change of level writes the star ledger and has
``xingji.reports.services.withdrawals_check`` put a plaque or a demonstration
site it leaves short due for withdrawal (待撤销).

Rectification items are opened only through ``xingji.ledger.services.item_open``
(sources 复检核星, 督导检查, 通报批评); criticism notices only through
``xingji.records.services.record_create``, so that the rules read them like
any other (``records.selectors.engine_facts``).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import date
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from xingji.accounts.access import visible_organizations
from xingji.accounts.models import Actor, User
from xingji.audit.services import audit_log
from xingji.campaigns.models import StarLedgerEntry
from xingji.campaigns.selectors import current_ledger_entry, current_level
from xingji.common.errors import ActionForbidden, TransitionRefused, required_text
from xingji.common.levels import PLAIN_LEVEL_NAMES, plain_level_name
from xingji.ledger.models import ItemSource, RectificationItem
from xingji.ledger.services import item_open
from xingji.orgs.models import Organization
from xingji.records import services as record_services
from xingji.records.models import CriticismIssuer, CriticismNotice
from xingji.reports.services import withdrawals_check
from xingji.supervision import access
from xingji.supervision.models import (
    ChangeState,
    FocusGuide,
    InspectionVisit,
    LevelChange,
    Recheck,
    RecheckMethod,
    VisitMethod,
)

#: The fields of one rectification item opened from findings (``item_open``'s, minus the source).
ITEM_FIELDS = {
    "problem": "存在问题",
    "target": "整改目标",
    "measures": "整改措施",
    "responsible": "责任人",
    "deadline": "整改时限",
}


def _today() -> date:
    return timezone.localdate()


def _not_in_future(day: date | None, label: str) -> date:
    if day is None:
        raise TransitionRefused(f"请填写{label}", code="required")
    if day > _today():
        raise TransitionRefused(f"{label}不能晚于今天", code="date_in_future")
    return day


def _messages(error: ValidationError) -> str:
    return "；".join(error.messages)


# --- levels and their names --------------------------------------------------------------------


def _rated_under(organization: Organization) -> StarLedgerEntry | None:
    """The latest ledger line written by a campaign: its scheme names the organization's levels."""
    return (
        StarLedgerEntry.objects.filter(organization=organization, campaign__isnull=False)
        .select_related("campaign")
        .order_by("-effective_on", "-id")
        .first()
    )


def level_names(organization: Organization) -> dict[int, str]:
    """{level: name} of the scheme the organization was last rated under, else the plain names."""
    entry = _rated_under(organization)
    campaign = entry.campaign if entry is not None else None
    if campaign is None:
        return dict(PLAIN_LEVEL_NAMES)
    return {level: campaign.level_name(level) for level in sorted(campaign.scheme.level_values())}


def level_label(level: int | None, names: Mapping[int, str] | None = None) -> str:
    return plain_level_name(level, names)


# --- rectification items -----------------------------------------------------------------------


def clean_items(items: Sequence[Mapping[str, Any]], *, what: str = "整改事项") -> list[dict[str, Any]]:
    """Check every item before any is opened; each error names the item's row and field."""
    cleaned = []
    errors = []
    for row, item in enumerate(items, start=1):
        values = {}
        for name, label in ITEM_FIELDS.items():
            value = item.get(name)
            if isinstance(value, str):
                value = value.strip()
            if value in (None, ""):
                errors.append(f"第{row}条{what}：请填写{label}")
            values[name] = value
        if item.get("organization") is not None:
            values["organization"] = item["organization"]
        cleaned.append(values)
    if errors:
        raise TransitionRefused(errors, code="item_invalid")
    return cleaned


def _open_items(
    items: list[dict[str, Any]],
    *,
    organization: Organization | None,
    source: str,
    source_note: str,
    actor: Actor,
    what: str = "整改事项",
) -> list[RectificationItem]:
    opened = []
    for row, item in enumerate(items, start=1):
        arguments = {name: item[name] for name in ITEM_FIELDS}
        target = item.get("organization") or organization
        if target is None:
            raise TransitionRefused(f"第{row}条{what}：请选择党组织", code="item_invalid")
        try:
            opened.append(
                item_open(
                    organization=target,
                    source=source,
                    source_note=source_note,
                    actor=actor,
                    **arguments,
                )
            )
        except ValidationError as error:
            raise TransitionRefused(f"第{row}条{what}：{_messages(error)}", code="item_invalid") from None
    return opened


# --- re-checks ---------------------------------------------------------------------------------


def _recheck_snapshot(recheck: Recheck) -> dict[str, Any]:
    return {
        "organization_id": recheck.organization_id,
        "checked_on": recheck.checked_on,
        "method": recheck.method,
        "findings": recheck.findings,
    }


def recheck_record(
    *,
    organization: Organization,
    checked_on: date,
    method: str,
    findings: str,
    items: Sequence[Mapping[str, Any]] = (),
    propose_level: int | None = None,
    propose_reason: str = "",
    actor: Actor,
) -> Recheck:
    """Record a re-check (复检) by the organization's superior, opening an item for each of ``items``.

    With ``propose_level``, also propose that change of level (``level_change_propose``) on the
    re-check's grounds, in the same transaction: both are recorded, or neither.
    """
    with transaction.atomic():
        # Locked first: a proposal below locks it again, and no lock may follow the audit chain's.
        organization = Organization.objects.select_for_update().get(pk=organization.pk)
        access.require_superior(actor, organization)
        _not_in_future(checked_on, "复检日期")
        if method not in RecheckMethod.values:
            raise TransitionRefused(f"复检方式“{method}”无效", code="method")
        findings = required_text(findings, "复检发现")
        cleaned = clean_items(items)
        recheck = Recheck.objects.create(
            organization=organization, checked_on=checked_on, method=method, findings=findings, recorded_by=actor
        )
        opened = _open_items(
            cleaned,
            organization=organization,
            source=ItemSource.RECHECK,
            source_note=f"{checked_on:%Y年%m月%d日}复检",
            actor=actor,
        )
        recheck.items.add(*opened)
        audit_log(
            actor=actor,
            action="recheck.recorded",
            obj=recheck,
            before=None,
            after={**_recheck_snapshot(recheck), "items": [item.pk for item in opened]},
        )
        if propose_level is not None:
            level_change_propose(
                organization=organization,
                to_level=propose_level,
                reason=propose_reason or findings,
                recheck=recheck,
                actor=actor,
            )
    return recheck


def recheck_items_open(
    *, recheck: Recheck, items: Sequence[Mapping[str, Any]], actor: Actor
) -> list[RectificationItem]:
    """Open more items from a recorded re-check's findings."""
    with transaction.atomic():
        current = Recheck.objects.select_for_update().select_related("organization").get(pk=recheck.pk)
        access.require_superior(actor, current.organization)
        if not items:
            raise TransitionRefused("请至少填写一条整改事项", code="no_items")
        cleaned = clean_items(items)
        before = list(current.items.values_list("pk", flat=True))
        opened = _open_items(
            cleaned,
            organization=current.organization,
            source=ItemSource.RECHECK,
            source_note=f"{current.checked_on:%Y年%m月%d日}复检",
            actor=actor,
        )
        current.items.add(*opened)
        audit_log(
            actor=actor,
            action="recheck.items_opened",
            obj=current,
            before={"items": before},
            after={"items": before + [item.pk for item in opened]},
        )
    return opened


# --- changes of level --------------------------------------------------------------------------


def _change_snapshot(change: LevelChange) -> dict[str, Any]:
    return {
        "organization_id": change.organization_id,
        "state": change.state,
        "from_level": change.from_level,
        "to_level": change.to_level,
        "recheck_id": change.recheck_id,
    }


def level_change_propose(
    *,
    organization: Organization,
    to_level: int,
    reason: str,
    recheck: Recheck | None = None,
    actor: Actor,
) -> LevelChange:
    """Propose a change of level (mostly a downgrade, 降星) to the committee; nothing changes before approval."""
    with transaction.atomic():
        organization = Organization.objects.select_for_update().get(pk=organization.pk)
        access.require_superior(actor, organization)
        reason = required_text(reason, "调整理由")
        if recheck is not None and recheck.organization_id != organization.pk:
            raise TransitionRefused("所依据的复检不是该组织的复检", code="recheck_elsewhere")
        if LevelChange.objects.filter(organization=organization, state=ChangeState.PROPOSED).exists():
            raise TransitionRefused(
                f"“{organization.name}”已有待工委会批准的星级调整，请先批准、不批准或撤回", code="pending"
            )
        names = level_names(organization)
        if to_level not in names:
            raise TransitionRefused(f"调整后的星级应为{'、'.join(names.values())}之一", code="level")
        from_level = current_level(organization)
        if from_level == to_level:
            raise TransitionRefused(
                f"“{organization.name}”现为{level_label(to_level, names)}，无需调整", code="same_level"
            )
        if from_level is None and to_level == 0:
            raise TransitionRefused(
                f"“{organization.name}”尚未定级，无需调整为{level_label(0, names)}", code="same_level"
            )
        change = LevelChange.objects.create(
            organization=organization,
            from_level=from_level,
            to_level=to_level,
            reason=reason,
            recheck=recheck,
            proposed_by=actor,
        )
        audit_log(
            actor=actor,
            action="level_change.proposed",
            obj=change,
            before=None,
            after={**_change_snapshot(change), "reason": reason},
        )
    return change


def _lock_change(change: LevelChange) -> LevelChange:
    current = (
        LevelChange.objects.select_for_update(of=("self",)).select_related("organization", "recheck").get(pk=change.pk)
    )
    # The organization next: its ledger is about to grow; a campaign approval never locks it.
    Organization.objects.select_for_update().filter(pk=current.organization_id).first()
    return current


def _check_pending(change: LevelChange, verb: str) -> None:
    if change.state != ChangeState.PROPOSED:
        raise TransitionRefused(
            f"“{change.organization.name}”的星级调整当前状态为“{change.get_state_display()}”，不能{verb}", code="state"
        )


def _approving_body(actor: Actor, organization: Organization) -> str:
    """The office's organization (the working committee whose 工委会 decided)."""
    # Organization derives from treebeard's untyped node, so its fields read as Any.
    if actor.organization is not None:
        return str(actor.organization.name)
    return str(Organization.objects.get(path=organization.path[: Organization.steplen]).name)


def level_change_approve(
    *,
    change: LevelChange,
    meeting_on: date,
    minutes_number: str,
    comment: str = "",
    actor: Actor,
) -> LevelChange:
    """Record the committee's approval (工委会批准): the new level enters the star ledger from the meeting date."""
    with transaction.atomic():
        current = _lock_change(change)
        organization = current.organization
        access.require_committee_office(actor, organization)
        _check_pending(current, "批准")
        minutes_number = required_text(minutes_number, "会议纪要编号", maximum=100)
        _not_in_future(meeting_on, "工委会会议日期")
        proposed_on = timezone.localtime(current.proposed_at).date()
        if meeting_on < proposed_on:
            raise TransitionRefused(
                f"工委会会议日期不能早于提出调整的日期（{proposed_on:%Y年%m月%d日}）", code="too_early"
            )
        latest = current_ledger_entry(organization)
        previous = latest.level if latest is not None else None
        if latest is not None and meeting_on < latest.effective_on:
            raise TransitionRefused(
                f"工委会会议日期不能早于星级管理台账最近一条记录的生效日期（{latest.effective_on:%Y年%m月%d日}）",
                code="before_ledger",
            )
        names = level_names(organization)
        if previous == current.to_level:
            raise TransitionRefused(
                f"“{organization.name}”现已是{level_label(previous, names)}，不能再调整为同一星级", code="same_level"
            )
        body = _approving_body(actor, organization)
        grounds = f"{current.recheck.checked_on:%Y年%m月%d日}复检，" if current.recheck is not None else ""
        direction = "晋升" if previous is not None and current.to_level > previous else "调整"
        reason = (
            f"{grounds}由{level_label(previous, names)}{direction}为{level_label(current.to_level, names)}，"
            f"{body}工委会{meeting_on:%Y年%m月%d日}批准（{minutes_number}）。理由：{current.reason}"
        )
        entry = StarLedgerEntry.objects.create(
            organization=organization,
            level=current.to_level,
            level_name=level_label(current.to_level, names),
            previous_level=previous,
            effective_on=meeting_on,
            approving_body=body,
            reason=reason,
            approver=actor,
        )
        before = _change_snapshot(current)
        current.state = ChangeState.APPROVED
        current.decided_by = actor
        current.decided_at = timezone.now()
        current.meeting_on = meeting_on
        current.minutes_number = minutes_number
        current.decision_comment = (comment or "").strip()
        current.ledger_entry = entry
        current.save(
            update_fields=[
                "state",
                "decided_by",
                "decided_at",
                "meeting_on",
                "minutes_number",
                "decision_comment",
                "ledger_entry",
            ]
        )
        # A downgrade below a plaque's or a demonstration site's level puts it due for withdrawal (待撤销).
        withdrawals_check(organizations=[organization.pk], actor=actor)
        audit_log(
            actor=actor,
            action="level_change.approved",
            obj=current,
            before=before,
            after={
                **_change_snapshot(current),
                "meeting_on": meeting_on,
                "minutes_number": minutes_number,
                "ledger_entry_id": entry.pk,
            },
        )
        audit_log(
            actor=actor,
            action="star_ledger.recorded",
            obj=entry,
            before={"level": previous},
            after={"level": entry.level, "effective_on": meeting_on, "reason": reason},
        )
    return current


def level_change_reject(*, change: LevelChange, comment: str, actor: Actor) -> LevelChange:
    """Record that the committee did not approve the change: the ledger stays as it is."""
    with transaction.atomic():
        current = _lock_change(change)
        access.require_committee_office(actor, current.organization)
        _check_pending(current, "作出不批准的决定")
        comment = required_text(comment, "不批准的理由")
        before = _change_snapshot(current)
        current.state = ChangeState.REJECTED
        current.decided_by = actor
        current.decided_at = timezone.now()
        current.decision_comment = comment
        current.save(update_fields=["state", "decided_by", "decided_at", "decision_comment"])
        audit_log(
            actor=actor,
            action="level_change.rejected",
            obj=current,
            before=before,
            after={**_change_snapshot(current), "comment": comment},
        )
    return current


def level_change_withdraw(*, change: LevelChange, actor: Actor) -> LevelChange:
    """The proposer (or the committee office) withdraws a pending proposal."""
    with transaction.atomic():
        current = _lock_change(change)
        access.require_superior(actor, current.organization)
        if not (
            actor.is_superuser
            or actor.pk == current.proposed_by_id
            or access.is_committee_office_for(actor, current.organization)
        ):
            raise ActionForbidden("只有提出人或市直工委组织部可以撤回星级调整")
        _check_pending(current, "撤回")
        before = _change_snapshot(current)
        current.state = ChangeState.WITHDRAWN
        current.decided_by = actor
        current.decided_at = timezone.now()
        current.save(update_fields=["state", "decided_by", "decided_at"])
        audit_log(
            actor=actor, action="level_change.withdrawn", obj=current, before=before, after=_change_snapshot(current)
        )
    return current


# --- focus management --------------------------------------------------------------------------


def focus_guide_assign(
    *, organization: Organization, name: str, user: User | None = None, note: str = "", actor: Actor
) -> FocusGuide:
    """Assign or change the guide (指导人/联系领导) of an organization under focus management."""
    with transaction.atomic():
        organization = Organization.objects.select_for_update().get(pk=organization.pk)
        access.require_superior(actor, organization)
        name = required_text(name, "指导人", maximum=100)
        note = (note or "").strip()
        if len(note) > 200:
            raise TransitionRefused("说明不能超过200字", code="too_long")
        if user is not None and not (
            user.is_active
            and (user.organization_id is None or visible_organizations(actor).filter(pk=user.organization_id).exists())
        ):
            raise TransitionRefused("所选账号不在本级及下级组织中", code="user_elsewhere")
        guide = FocusGuide.objects.filter(organization=organization).first()
        before = None if guide is None else {"name": guide.name, "user_id": guide.user_id, "note": guide.note}
        if guide is None:
            guide = FocusGuide(organization=organization)
        guide.name, guide.user, guide.note, guide.assigned_by = name, user, note, actor
        guide.save()
        after = {"name": guide.name, "user_id": guide.user_id, "note": guide.note}
        if before != after:
            audit_log(actor=actor, action="focus_guide.assigned", obj=guide, before=before, after=after)
    return guide


# --- supervision visits ------------------------------------------------------------------------


def _clean_criticisms(
    criticisms: Sequence[Mapping[str, Any]], visited: set[int], visited_on: date
) -> list[dict[str, Any]]:
    errors = []
    cleaned = []
    for row, notice in enumerate(criticisms, start=1):
        organization = notice.get("organization")
        if organization is None or organization.pk not in visited:
            errors.append(f"第{row}条通报批评：党组织应为本次督导对象之一")
        if notice.get("issuer") not in CriticismIssuer.values:
            errors.append(f"第{row}条通报批评：请选择通报单位")
        if not (notice.get("reason") or "").strip():
            errors.append(f"第{row}条通报批评：请填写事由")
        day = notice.get("date") or visited_on
        if day > _today():
            errors.append(f"第{row}条通报批评：日期不能晚于今天")
        elif day < visited_on:
            errors.append(f"第{row}条通报批评：日期不能早于督导日期")
        item = notice.get("item")
        if item:
            try:
                item = clean_items(
                    [{"problem": notice.get("reason"), **item}], what=f"通报批评的整改事项（第{row}条）"
                )[0]
            except TransitionRefused as error:
                errors.extend(error.messages)
        cleaned.append(
            {
                "organization": organization,
                "issuer": notice.get("issuer"),
                "date": day,
                "document_number": (notice.get("document_number") or "").strip(),
                "reason": (notice.get("reason") or "").strip(),
                "item": item or None,
            }
        )
    if errors:
        raise TransitionRefused(errors, code="criticism_invalid")
    return cleaned


def visit_record(
    *,
    organizations: Sequence[Organization],
    visited_on: date,
    method: str,
    group_members: str,
    findings: str,
    criticisms: Sequence[Mapping[str, Any]] = (),
    items: Sequence[Mapping[str, Any]] = (),
    actor: Actor,
) -> InspectionVisit:
    """Record a supervision visit (督导), its criticism notices (通报批评) and the items it opens.

    ``criticisms``: {organization, issuer, document_number, reason, date (default: the visit's),
    item (optional {target, measures, responsible, deadline}: an item from the notice)};
    ``items``: {organization, problem, target, measures, responsible, deadline}.
    """
    with transaction.atomic():
        chosen = sorted({organization.pk for organization in organizations})
        if not chosen:
            raise TransitionRefused("请选择督导对象", code="no_organizations")
        locked = list(Organization.objects.select_for_update().filter(pk__in=chosen).order_by("pk"))
        if len(locked) != len(chosen):
            raise TransitionRefused("所选督导对象不存在", code="missing")
        for organization in locked:
            access.require_inspecting(actor, organization)
        _not_in_future(visited_on, "督导日期")
        if method not in VisitMethod.values:
            raise TransitionRefused(f"督导形式“{method}”无效", code="method")
        group_members = required_text(group_members, "督导组成员")
        findings = required_text(findings, "发现问题")
        visited = set(chosen)
        cleaned_criticisms = _clean_criticisms(criticisms, visited, visited_on)
        cleaned_items = clean_items(items)
        for row, item in enumerate(cleaned_items, start=1):
            if item.get("organization") is None or item["organization"].pk not in visited:
                raise TransitionRefused(f"第{row}条整改事项：党组织应为本次督导对象之一", code="item_elsewhere")
        visit = InspectionVisit.objects.create(
            visited_on=visited_on, method=method, group_members=group_members, findings=findings, recorded_by=actor
        )
        visit.organizations.add(*locked)
        notices = []
        opened = []
        note = f"{visited_on:%Y年%m月%d日}{VisitMethod(method).label}"
        for row, notice in enumerate(cleaned_criticisms, start=1):
            data = {key: notice[key] for key in ("organization", "date", "issuer", "document_number", "reason")}
            try:
                created = record_services.record_create(model=CriticismNotice, data=data, actor=actor)
            except ValidationError as error:
                raise TransitionRefused(f"第{row}条通报批评：{_messages(error)}", code="criticism_invalid") from None
            notices.append(created)
            if notice["item"]:
                item = {**notice["item"], "organization": notice["organization"]}
                opened += _open_items(
                    [item],
                    organization=None,
                    source=ItemSource.CRITICISM,
                    source_note=f"{created}"[:200],
                    actor=actor,
                    what=f"通报批评的整改事项（第{row}条）",
                )
        opened += _open_items(
            cleaned_items, organization=None, source=ItemSource.INSPECTION, source_note=note, actor=actor
        )
        visit.criticisms.add(*notices)
        visit.items.add(*opened)
        audit_log(
            actor=actor,
            action="inspection_visit.recorded",
            obj=visit,
            before=None,
            after={
                "visited_on": visited_on,
                "method": method,
                "organizations": chosen,
                "group_members": group_members,
                "findings": findings,
                "criticisms": [notice.pk for notice in notices],
                "items": [item.pk for item in opened],
            },
        )
    return visit
