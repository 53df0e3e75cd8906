"""Every write of the improvement plans and the rectification ledger.

Each service checks the actor's role and subtree through ``xingji.ledger.access``,
takes the current row under ``select_for_update``, checks the state through
``xingji.ledger.workflow``, writes, and appends its audit entry in the same
transaction. A refusal raises ``TransitionRefused`` (state or data) or
``ActionForbidden`` (role) and changes nothing.

``item_open`` is the public entry other apps (supervision, campaigns) call to
put a problem they found on an organization's ledger.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from datetime import date
from functools import partial
from typing import IO, Any

from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Model, QuerySet
from django.urls import reverse
from django.utils import timezone

from xingji.accounts.access import is_inspector_of
from xingji.accounts.models import Actor, User
from xingji.audit.services import audit_log, snapshot
from xingji.campaigns.selectors import current_level
from xingji.common.errors import ActionForbidden, TransitionRefused
from xingji.common.mail import notify_after_commit
from xingji.ledger import access
from xingji.ledger.models import (
    ImprovementPlan,
    ItemSource,
    ItemState,
    PlanMilestone,
    PlanState,
    RectificationItem,
)
from xingji.ledger.workflow import check_item, check_plan, move_item, move_plan
from xingji.orgs.models import Organization
from xingji.records import services as record_services
from xingji.records.models import Attachment

PLAN_FIELDS = (
    "organization",
    "year",
    "current_level",
    "target_level",
    "targets",
    "measures",
    "responsible",
    "state",
    "review_comment",
)
ITEM_FIELDS = (
    "organization",
    "problem",
    "source",
    "source_note",
    "target",
    "measures",
    "responsible",
    "deadline",
    "state",
    "closing_evidence",
    "closed_on",
    "review_comment",
    "opened_by_superior",
)
ITEM_EDITABLE = ("problem", "source", "source_note", "target", "measures", "responsible", "deadline")
TOP_LEVEL = 5


def _active_users(organization: Organization) -> list[User]:
    """The organization's own active accounts: who hears of a change to its plan or its ledger."""
    return list(User.objects.filter(organization=organization, is_active=True))


def _refused(error: ValidationError) -> TransitionRefused:
    if hasattr(error, "error_dict"):
        return TransitionRefused(error.error_dict)
    return TransitionRefused(error.messages)


def _full_clean(instance: Model, *, exclude: Iterable[str] = ()) -> None:
    try:
        instance.full_clean(exclude=list(exclude), validate_unique=False, validate_constraints=False)
    except ValidationError as error:
        raise _refused(error) from None


# --- rectification items (整改台账) ----------------------------------------------------------


def _check_deadline(deadline: date) -> None:
    if deadline < timezone.localdate():
        raise TransitionRefused({"deadline": ["整改时限不能早于今天"]})


def _check_source(source: str) -> None:
    if source not in ItemSource.values:
        raise TransitionRefused({"source": [f"“{source}”不是有效的问题来源"]})


def item_open(
    *,
    organization: Organization,
    problem: str,
    source: str,
    target: str,
    measures: str,
    responsible: str,
    deadline: date,
    actor: Actor,
    source_note: str = "",
) -> RectificationItem:
    """Put a problem on the organization's rectification ledger (整改中).

    The organization itself opens what it found (自查发现); a superior opens
    items of any source. The deadline may not lie before today.
    """
    with transaction.atomic():
        # The source first: the actor's check names it.
        _check_source(source)
        access.require_open_item(actor, organization, source)
        return _item_create(
            organization=organization,
            problem=problem,
            source=source,
            target=target,
            measures=measures,
            responsible=responsible,
            deadline=deadline,
            source_note=source_note,
            actor=actor,
            action="rectification_item.opened",
        )


def _item_create(
    *,
    organization: Organization,
    problem: str,
    source: str,
    target: str,
    measures: str,
    responsible: str,
    deadline: date,
    source_note: str,
    actor: Actor,
    action: str,
    state: str = ItemState.OPEN,
    closed_on: date | None = None,
    check_deadline: bool = True,
) -> RectificationItem:
    item = RectificationItem(
        organization=organization,
        problem=(problem or "").strip(),
        source=source,
        source_note=(source_note or "").strip(),
        target=(target or "").strip(),
        measures=(measures or "").strip(),
        responsible=(responsible or "").strip(),
        deadline=deadline,
        state=state,
        closed_on=closed_on,
        created_by=actor,
        opened_by_superior=access.is_superior(actor, organization.pk) or is_inspector_of(actor, organization.pk),
    )
    _full_clean(item, exclude=["created_by"])
    if check_deadline:
        _check_deadline(deadline)
    item.save()
    audit_log(actor=actor, action=action, obj=item, before=None, after=snapshot(item, ITEM_FIELDS))
    return item


def _lock_item(item: RectificationItem) -> RectificationItem:
    return RectificationItem.objects.select_for_update(of=("self",)).select_related("organization").get(pk=item.pk)


def item_update(*, item: RectificationItem, actor: Actor, **changes: Any) -> RectificationItem:
    """Change an open item's text, source or deadline (the organization: only the items it opened itself)."""
    unknown = set(changes) - set(ITEM_EDITABLE)
    if unknown:
        raise TypeError(f"item_update cannot change {sorted(unknown)}")
    with transaction.atomic():
        current = _lock_item(item)
        access.require_edit_item(actor, current)
        check_item("edit", current)
        if "source" in changes:
            _check_source(changes["source"])
            if changes["source"] != ItemSource.SELF and not access.is_superior(actor, current.organization_id):
                raise ActionForbidden("本组织只能登记自查发现的问题")
        before = snapshot(current, ITEM_FIELDS)
        old_deadline = current.deadline
        for name, value in changes.items():
            setattr(current, name, value.strip() if isinstance(value, str) else value)
        _full_clean(current)
        if "deadline" in changes and current.deadline != old_deadline:
            _check_deadline(current.deadline)
        current.save()
        audit_log(
            actor=actor,
            action="rectification_item.updated",
            obj=current,
            before=before,
            after=snapshot(current, ITEM_FIELDS),
        )
    return current


def item_attachments(item: RectificationItem) -> QuerySet[Attachment]:
    """The evidence files (佐证材料) of an item, oldest first."""
    return Attachment.objects.filter(
        content_type=ContentType.objects.get_for_model(RectificationItem), object_id=item.pk
    ).order_by("id")


def _check_evidence_editable(actor: Actor, item: RectificationItem) -> None:
    access.require_own(actor, item.organization, "只有本组织可以上传或删除销账佐证材料")
    check_item("attach", item)


def item_attachment_add(
    *, item: RectificationItem, upload: IO[bytes], name: str, size: int, actor: Actor
) -> Attachment:
    """Attach an evidence file to an open item (the organization's own user)."""
    with transaction.atomic():
        current = _lock_item(item)
        _check_evidence_editable(actor, current)
        return record_services.attachment_add(record=current, upload=upload, name=name, size=size, actor=actor)


def item_attachment_delete(*, item: RectificationItem, attachment: Attachment, actor: Actor) -> None:
    with transaction.atomic():
        current = _lock_item(item)
        _check_evidence_editable(actor, current)
        if not item_attachments(current).filter(pk=attachment.pk).exists():
            raise TransitionRefused("该文件不属于这个整改事项", code="attachment")
        record_services.attachment_delete(attachment=attachment, actor=actor)


def item_request_close(
    *, item: RectificationItem, evidence: str, actor: Actor, uploads: Sequence[tuple[IO[bytes], str, int]] = ()
) -> RectificationItem:
    """The organization asks to close (申请销账): evidence text and at least one file (those given here count)."""
    evidence = (evidence or "").strip()
    with transaction.atomic():
        current = _lock_item(item)
        access.require_own(actor, current.organization, "只有本组织可以申请销账")
        check_item("request_close", current)
        if not evidence:
            raise TransitionRefused({"evidence": ["请填写整改完成情况"]})
        for upload, name, size in uploads:
            record_services.attachment_add(record=current, upload=upload, name=name, size=size, actor=actor)
        if not item_attachments(current).exists():
            raise TransitionRefused({"file": ["申请销账须至少上传一份佐证材料"]})
        before = snapshot(current, ITEM_FIELDS)
        current.closing_evidence = evidence
        current.close_requested_at = timezone.now()
        current.close_requested_by = actor
        move_item("request_close", current, ItemState.CLOSING)
        current.save()
        audit_log(
            actor=actor,
            action="rectification_item.close_requested",
            obj=current,
            before=before,
            after=snapshot(current, ITEM_FIELDS),
        )
    return current


def item_confirm_close(*, item: RectificationItem, actor: Actor, comment: str = "") -> RectificationItem:
    """The superior confirms the closing (销账): closed on that day."""
    with transaction.atomic():
        current = _lock_item(item)
        access.require_superior(actor, current.organization, "只有上级党组织可以确认销账")
        check_item("confirm_close", current)
        before = snapshot(current, ITEM_FIELDS)
        move_item("confirm_close", current, ItemState.CLOSED)
        current.closed_on = timezone.localdate()
        current.closed_by = actor
        current.review_comment = (comment or "").strip()
        current.save()
        audit_log(
            actor=actor,
            action="rectification_item.closed",
            obj=current,
            before=before,
            after=snapshot(current, ITEM_FIELDS),
        )
        notify_after_commit(
            partial(_active_users, current.organization),
            "整改事项已销账",
            f"{current.organization.name}的整改事项“{current.problem[:40]}”已经上级确认销账（{current.closed_on:%Y-%m-%d}）。",
            reverse("ledger:item_detail", args=[current.pk]),
        )
    return current


def item_refuse_close(*, item: RectificationItem, comment: str, actor: Actor) -> RectificationItem:
    """The superior refuses the closing with a comment: the item is open again."""
    comment = (comment or "").strip()
    with transaction.atomic():
        current = _lock_item(item)
        access.require_superior(actor, current.organization, "只有上级党组织可以退回销账申请")
        check_item("refuse_close", current)
        if not comment:
            raise TransitionRefused({"comment": ["退回销账申请须填写意见"]})
        before = snapshot(current, ITEM_FIELDS)
        move_item("refuse_close", current, ItemState.OPEN)
        current.review_comment = comment
        current.save()
        audit_log(
            actor=actor,
            action="rectification_item.close_refused",
            obj=current,
            before=before,
            after=snapshot(current, ITEM_FIELDS),
        )
        notify_after_commit(
            partial(_active_users, current.organization),
            "销账申请被退回",
            f"{current.organization.name}的整改事项“{current.problem[:40]}”的销账申请被退回。上级意见：{comment}",
            reverse("ledger:item_detail", args=[current.pk]),
        )
    return current


def items_import(*, rows: Sequence[dict[str, Any]], actor: Actor) -> list[RectificationItem]:
    """Create checked rows (from ``spreadsheets.read_import``) in one transaction, one audit entry each.

    A closed row (migrating a paper ledger) keeps its closing date; a past
    deadline is allowed here, since the ledger being imported already exists.
    """
    created = []
    with transaction.atomic():
        for row in rows:
            access.require_open_item(actor, row["organization"], row["source"])
            if row["state"] == ItemState.CLOSED:
                access.require_superior(actor, row["organization"], "只有上级党组织可以导入已销账的事项")
            created.append(
                _item_create(
                    organization=row["organization"],
                    problem=row["problem"],
                    source=row["source"],
                    target=row["target"],
                    measures=row["measures"],
                    responsible=row["responsible"],
                    deadline=row["deadline"],
                    source_note=row["source_note"],
                    actor=actor,
                    action="rectification_item.imported",
                    state=row["state"],
                    closed_on=row["closed_on"],
                    check_deadline=False,
                )
            )
    return created


# --- improvement plans (晋位争星方案) ------------------------------------------------------------


def _clean_milestones(milestones: Iterable[tuple[date, str]]) -> list[tuple[date, str]]:
    cleaned = []
    for due_on, description in milestones:
        description = (description or "").strip()
        if not description:
            raise TransitionRefused({"milestones": [f"{due_on:%Y-%m-%d} 的节点任务不能为空"]})
        if len(description) > 300:
            raise TransitionRefused({"milestones": ["节点任务不能超过 300 个字"]})
        cleaned.append((due_on, description))
    return sorted(cleaned, key=lambda pair: pair[0])


def _clean_targets(targets: Iterable[Mapping[str, Any]]) -> list[dict[str, Any]]:
    """The targets as stored: kind, clause, message and amount (text or None) of each; one without a message refused."""
    cleaned = []
    for number, target in enumerate(targets, start=1):
        message = str(target.get("message") or "").strip()
        kind = str(target.get("kind") or "").strip()
        if not message or not kind:
            raise TransitionRefused({"targets": [f"第{number}项争星目标缺少类型或内容"]})
        amount = target.get("amount")
        cleaned.append(
            {
                "kind": kind,
                "clause": str(target.get("clause") or ""),
                "message": message,
                "amount": None if amount is None else str(amount),
            }
        )
    return cleaned


def _check_target(plan: ImprovementPlan) -> None:
    current = plan.current_level or 0
    if not 1 <= plan.target_level <= TOP_LEVEL:
        raise TransitionRefused({"target_level": ["目标星级应在一星级到五星级之间"]})
    if plan.target_level < current:
        raise TransitionRefused({"target_level": [f"目标星级不能低于现有星级（{current}星级）"]})


def _plan_snapshot(plan: ImprovementPlan, milestones: list[tuple[date, str]] | None = None) -> dict[str, Any]:
    data = snapshot(plan, PLAN_FIELDS)
    if milestones is None:
        milestones = [(milestone.due_on, milestone.description) for milestone in plan.milestones.all()]
    data["milestones"] = [f"{due_on:%Y-%m-%d} {text}" for due_on, text in milestones]
    return data


def plan_create(
    *,
    organization: Organization,
    year: int,
    target_level: int,
    measures: str,
    responsible: str,
    milestones: Iterable[tuple[date, str]] = (),
    targets: Iterable[Mapping[str, Any]] = (),
    actor: Actor,
) -> ImprovementPlan:
    """The organization writes its plan for the year (草稿); the current level is read from the star ledger.

    ``targets``: what the rating engine says the target level needs (``xingji.campaigns.guidance.plan_targets``).
    """
    with transaction.atomic():
        access.require_own(actor, organization, "只有本组织可以制定本组织的晋位争星方案")
        steps = _clean_milestones(milestones)
        current_org = Organization.objects.select_for_update().get(pk=organization.pk)
        if ImprovementPlan.objects.filter(organization=current_org, year=year).exists():
            raise TransitionRefused(f"“{current_org.name}”{year}年已有晋位争星方案，请修改原方案", code="unique")
        plan = ImprovementPlan(
            organization=current_org,
            year=year,
            current_level=current_level(current_org),
            target_level=target_level,
            targets=_clean_targets(targets),
            measures=(measures or "").strip(),
            responsible=(responsible or "").strip(),
        )
        _full_clean(plan)
        _check_target(plan)
        try:
            with transaction.atomic():
                plan.save()
        except IntegrityError:
            raise TransitionRefused(
                f"“{current_org.name}”{year}年已有晋位争星方案，请修改原方案", code="unique"
            ) from None
        PlanMilestone.objects.bulk_create(
            [PlanMilestone(plan=plan, due_on=due_on, description=text) for due_on, text in steps]
        )
        audit_log(
            actor=actor, action="improvement_plan.created", obj=plan, before=None, after=_plan_snapshot(plan, steps)
        )
    return plan


def _lock_plan(plan: ImprovementPlan) -> ImprovementPlan:
    return ImprovementPlan.objects.select_for_update(of=("self",)).select_related("organization").get(pk=plan.pk)


def plan_update(
    *,
    plan: ImprovementPlan,
    target_level: int,
    measures: str,
    responsible: str,
    milestones: Iterable[tuple[date, str]],
    targets: Iterable[Mapping[str, Any]] | None = None,
    actor: Actor,
) -> ImprovementPlan:
    """Change a draft or returned plan, its milestones replaced by those given (``targets``: None keeps them)."""
    steps = _clean_milestones(milestones)
    with transaction.atomic():
        current = _lock_plan(plan)
        access.require_own(actor, current.organization, "只有本组织可以修改本组织的晋位争星方案")
        check_plan("edit", current)
        before = _plan_snapshot(current)
        current.target_level = target_level
        if targets is not None:
            current.targets = _clean_targets(targets)
        current.measures = (measures or "").strip()
        current.responsible = (responsible or "").strip()
        _full_clean(current)
        _check_target(current)
        current.save()
        current.milestones.all().delete()
        PlanMilestone.objects.bulk_create(
            [PlanMilestone(plan=current, due_on=due_on, description=text) for due_on, text in steps]
        )
        audit_log(
            actor=actor,
            action="improvement_plan.updated",
            obj=current,
            before=before,
            after=_plan_snapshot(current, steps),
        )
    return current


def plan_submit(*, plan: ImprovementPlan, actor: Actor) -> ImprovementPlan:
    """The organization submits its plan to the superior (报送)."""
    with transaction.atomic():
        current = _lock_plan(plan)
        access.require_own(actor, current.organization, "只有本组织可以报送本组织的晋位争星方案")
        check_plan("submit", current)
        if not current.milestones.exists():
            raise TransitionRefused({"milestones": ["报送前请至少填写一个时间节点"]})
        before = snapshot(current, PLAN_FIELDS)
        move_plan("submit", current, PlanState.SUBMITTED)
        current.submitted_at = timezone.now()
        current.submitted_by = actor
        current.save()
        audit_log(
            actor=actor,
            action="improvement_plan.submitted",
            obj=current,
            before=before,
            after=snapshot(current, PLAN_FIELDS),
        )
    return current


def _review(
    *, plan: ImprovementPlan, actor: Actor, code: str, target: str, comment: str, action: str, message: str
) -> ImprovementPlan:
    with transaction.atomic():
        current = _lock_plan(plan)
        access.require_superior(actor, current.organization, message)
        check_plan(code, current)
        if code == "return" and not comment:
            raise TransitionRefused({"comment": ["退回方案须填写意见"]})
        before = snapshot(current, PLAN_FIELDS)
        move_plan(code, current, target)
        current.reviewed_at = timezone.now()
        current.reviewed_by = actor
        current.review_comment = comment
        current.save()
        audit_log(actor=actor, action=action, obj=current, before=before, after=snapshot(current, PLAN_FIELDS))
        outcome = "已备案" if target == PlanState.ACKNOWLEDGED else "被退回，请修改后重新报送"
        opinion = f"上级意见：{comment}" if comment else ""
        notify_after_commit(
            partial(_active_users, current.organization),
            f"晋位争星方案{outcome[:3]}",
            f"{current.organization.name}{current.year}年晋位争星方案{outcome}。{opinion}",
            reverse("ledger:plan_detail", args=[current.pk]),
        )
    return current


def plan_acknowledge(*, plan: ImprovementPlan, actor: Actor, comment: str = "") -> ImprovementPlan:
    """The superior acknowledges the submitted plan (备案)."""
    return _review(
        plan=plan,
        actor=actor,
        code="acknowledge",
        target=PlanState.ACKNOWLEDGED,
        comment=(comment or "").strip(),
        action="improvement_plan.acknowledged",
        message="只有上级党组织可以备案晋位争星方案",
    )


def plan_return(*, plan: ImprovementPlan, comment: str, actor: Actor) -> ImprovementPlan:
    """The superior returns the submitted plan with comments; the organization edits and submits again."""
    return _review(
        plan=plan,
        actor=actor,
        code="return",
        target=PlanState.RETURNED,
        comment=(comment or "").strip(),
        action="improvement_plan.returned",
        message="只有上级党组织可以退回晋位争星方案",
    )


# --- milestones of an acknowledged plan (时间节点完成情况) -----------------------------------------

MILESTONE_FIELDS = ("plan", "due_on", "description", "done_on")


def _lock_milestone(milestone: PlanMilestone, *, actor: Actor, message: str) -> tuple[ImprovementPlan, PlanMilestone]:
    """The plan then the milestone, both locked; the actor must be the plan's own organization, and the plan
    acknowledged (备案): a submitted or returned plan's milestones may still be rewritten (``plan_update``
    replaces them), so their completion is recorded only once the superior has put the plan on record."""
    plan = _lock_plan(ImprovementPlan(pk=milestone.plan_id))
    access.require_own(actor, plan.organization, message)
    if plan.state != PlanState.ACKNOWLEDGED:
        raise TransitionRefused(
            f"“{plan.organization.name}”{plan.year}年的方案当前状态为“{plan.get_state_display()}”，"
            "备案后才能登记时间节点的完成情况",
            code="state",
        )
    current = PlanMilestone.objects.select_for_update(of=("self",)).filter(pk=milestone.pk, plan=plan).first()
    if current is None:
        raise TransitionRefused("该时间节点已不存在", code="milestone")
    return plan, current


def milestone_mark_done(*, milestone: PlanMilestone, done_on: date, actor: Actor) -> PlanMilestone:
    """The organization records a milestone of its acknowledged plan as done on ``done_on``.

    The date may not lie in the future nor before the plan was written; a
    milestone already done is refused (reopen it first to correct the date).
    """
    with transaction.atomic():
        plan, current = _lock_milestone(milestone, actor=actor, message="只有本组织可以登记本组织方案的节点完成情况")
        if current.done_on is not None:
            raise TransitionRefused(f"该时间节点已于{current.done_on:%Y-%m-%d}完成，如需更正请先撤销完成", code="state")
        if done_on is None:
            raise TransitionRefused({"done_on": ["请填写完成日期"]})
        if done_on > timezone.localdate():
            raise TransitionRefused({"done_on": ["完成日期不能晚于今天"]})
        created_on = timezone.localdate(plan.created_at)
        if done_on < created_on:
            raise TransitionRefused({"done_on": [f"完成日期不能早于方案制定日期（{created_on:%Y-%m-%d}）"]})
        before = snapshot(current, MILESTONE_FIELDS)
        current.done_on = done_on
        current.save(update_fields=["done_on"])
        audit_log(
            actor=actor,
            action="plan_milestone.done",
            obj=current,
            before=before,
            after=snapshot(current, MILESTONE_FIELDS),
        )
    return current


def milestone_reopen(*, milestone: PlanMilestone, actor: Actor) -> PlanMilestone:
    """The organization withdraws a milestone's completion (未完成 again), e.g. to correct its date."""
    with transaction.atomic():
        _, current = _lock_milestone(milestone, actor=actor, message="只有本组织可以撤销本组织方案的节点完成情况")
        if current.done_on is None:
            raise TransitionRefused("该时间节点尚未完成，无需撤销", code="state")
        before = snapshot(current, MILESTONE_FIELDS)
        current.done_on = None
        current.save(update_fields=["done_on"])
        audit_log(
            actor=actor,
            action="plan_milestone.reopened",
            obj=current,
            before=before,
            after=snapshot(current, MILESTONE_FIELDS),
        )
    return current
