"""The public notice (公示) and the objections (异议) filed to it."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, timedelta

from django.conf import settings
from django.contrib.auth.models import AnonymousUser
from django.db import transaction
from django.utils import timezone

import xingji.campaigns.services.base as base
from xingji.accounts.models import Actor
from xingji.audit.services import audit_log
from xingji.campaigns import access
from xingji.campaigns.models import (
    Campaign,
    CampaignState,
    Evaluation,
    Notice,
    NoticeEntry,
    NoticeState,
    Objection,
    ObjectionState,
    RunState,
    TieState,
)
from xingji.campaigns.receipts import new_receipt, receipt_digest
from xingji.campaigns.selectors import latest_run, notice_preview
from xingji.campaigns.services.base import (
    E,
    _Audit,
    _lock_campaign,
    _lock_evaluation,
    _lock_evaluations,
    _rated_level,
    _save,
)
from xingji.campaigns.workflow import check_campaign, check_evaluation, move_campaign, move_evaluation
from xingji.common.confirmation import check_confirmation
from xingji.common.errors import TransitionRefused, required_text
from xingji.orgs.models import Organization

#: At most this many objections to one notice in any hour, from everyone together
#: (``XINGJI_OBJECTIONS_PER_NOTICE_PER_HOUR``); per-client throttling is the view's.
DEFAULT_OBJECTIONS_PER_NOTICE_PER_HOUR = 100
OBJECTION_MAX_LENGTH = 2000
CONTACT_MAX_LENGTH = 100


def notice_publish(
    *,
    campaign: Campaign,
    title: str,
    starts_on: date | None = None,
    root: Organization | None = None,
    organizations: Sequence[Organization] | None = None,
    confirmation: str = "",
    preview_digest: str = "",
    actor: Actor,
) -> Notice:
    """Publish a notice (公示) of every rated evaluation with its proposed level.

    The first notice of a campaign needs the latest campaign-wide rating to
    have finished, every evaluation rated by it and every tie at a cut line
    decided. Later (supplementary) notices list the evaluations re-evaluated
    after an upheld objection whose level changed. The notice runs from
    ``starts_on`` (today by default) for the campaign's ``notice_days`` days,
    both ends included.

    It lists the rated evaluations awaiting a notice of ``root``'s subtree (the campaign's whole scope by
    default), or only those of the ``organizations`` chosen in it: each chosen one must lie in the subtree
    and be rated and not on a notice yet (else refused, naming it). What it lists is
    ``selectors.notice_preview``'s. When those levels break a
    quota of the scheme (``selectors.quota_warnings``; none in quota mode off),
    the notice goes out only with ``confirmation`` typed as
    ``xingji.common.confirmation.CONFIRMATION_PHRASE``; with ``preview_digest``
    (what the confirmation page showed), only if the list is still that one.
    """
    with transaction.atomic():
        current = _lock_campaign(campaign)
        access.require_office(actor, current)
        check_campaign("publish", current)
        title = required_text(title, "公示标题", maximum=200)
        starts_on = starts_on or base._today()
        if starts_on < base._today():
            raise TransitionRefused("公示开始日期不能早于今天", code="starts_in_past")
        if not current.notices.exists():
            _check_first_notice(current)
        chosen = _check_notice_choice(current, root, organizations)
        evaluations = _lock_evaluations(current, state=E.RATED)
        if root is not None:
            evaluations = [e for e in evaluations if e.organization.path.startswith(root.path)]
        if chosen is not None:
            ids = {organization.pk for organization in chosen}
            evaluations = [e for e in evaluations if e.organization_id in ids]
        if not evaluations:
            raise TransitionRefused("没有待公示的组织", code="nothing_to_notice")
        preview = notice_preview(current, evaluations, root=root, organizations=chosen)
        warnings = preview.warning_messages
        check_confirmation(
            warnings=warnings, confirmation=confirmation, digest=preview_digest, expected_digest=preview.digest
        )
        notice = Notice.objects.create(
            campaign=current,
            title=title,
            starts_on=starts_on,
            ends_on=starts_on + timedelta(days=current.notice_days - 1),
            state=NoticeState.PUBLISHED,
            published_by=actor,
        )
        NoticeEntry.objects.bulk_create(
            [
                NoticeEntry(
                    notice=notice,
                    evaluation=evaluation,
                    organization=evaluation.organization,
                    level=_rated_level(evaluation),
                    level_name=current.level_name(evaluation.level),
                    final_score=evaluation.final_score,
                )
                for evaluation in evaluations
            ]
        )
        audit = _Audit(actor)
        for evaluation in evaluations:
            move_evaluation("publish", evaluation, E.ON_NOTICE)
            evaluation.noticed_level = evaluation.level
            _save(evaluation, ["noticed_level"])
            audit.add(
                "evaluation.noticed",
                evaluation,
                {"state": E.RATED},
                {"state": evaluation.state, "notice_id": notice.pk, "level": evaluation.level},
            )
        move_campaign("publish", current, CampaignState.NOTICE)
        current.save(update_fields=["state"])
        audit.add(
            "notice.published",
            notice,
            None,
            {
                "title": title,
                "starts_on": notice.starts_on,
                "ends_on": notice.ends_on,
                "entries": {evaluation.organization.code: evaluation.level for evaluation in evaluations},
                "quota_warnings": warnings,
            },
        )
        audit.flush()
    return notice


def _check_notice_choice(
    campaign: Campaign, root: Organization | None, organizations: Sequence[Organization] | None
) -> list[Organization] | None:
    """The chosen organizations, each in ``root``'s subtree with a rated evaluation awaiting a notice (else named)."""
    if root is not None and not root.path.startswith(campaign.root.path):
        raise TransitionRefused(f"{root.name}不在评定活动的范围内", code="outside_scope")
    if organizations is None:
        return None
    chosen = list({organization.pk: organization for organization in organizations}.values())
    if not chosen:
        raise TransitionRefused("请选择要公示的组织", code="nothing_chosen")
    states = dict(
        campaign.evaluations.filter(organization__in=[o.pk for o in chosen]).values_list("organization_id", "state")
    )
    for organization in sorted(chosen, key=lambda item: item.path):
        if root is not None and not organization.path.startswith(root.path):
            raise TransitionRefused(f"{organization.name}不在{root.name}的范围内，不能一并公示", code="outside_scope")
        state = states.get(organization.pk)
        if state in (E.ON_NOTICE, E.NOTICE_PASSED, E.APPROVED):
            entry = (
                NoticeEntry.objects.filter(evaluation__campaign=campaign, organization=organization)
                .select_related("notice")
                .order_by("-notice_id")
                .first()
            )
            where = f"（{entry.notice.title}）" if entry is not None else ""
            raise TransitionRefused(f"{organization.name}已在公示{where}中，不能重复公示", code="already_noticed")
        if state != E.RATED:
            raise TransitionRefused(f"{organization.name}尚未评定待公示，不能公示", code="not_rated")
    return sorted(chosen, key=lambda item: item.path)


def _check_first_notice(campaign: Campaign) -> None:
    run = latest_run(campaign)
    if run is None or run.state != RunState.DONE:
        raise TransitionRefused("请先运行全面评定并等待其完成，再发布公示", code="not_rated")
    stale = campaign.evaluations.exclude(state=E.RATED, rating_run=run).count()
    if stale:
        raise TransitionRefused(
            f"有{stale}个组织的评定结果不是最新一次全面评定的结果，请重新运行全面评定", code="stale"
        )
    open_ties = run.ties.filter(state=TieState.OPEN).count()
    if open_ties:
        raise TransitionRefused(f"有{open_ties}处比例线并列尚未决定", code="open_ties")


@dataclass(frozen=True)
class FiledObjection:
    """A filed objection and its receipt number, shown to the filer once and stored only as a digest."""

    objection: Objection
    receipt: str


def objection_file(
    *,
    notice: Notice,
    evaluation: Evaluation,
    content: str,
    contact: str = "",
    actor: Actor | AnonymousUser | None = None,
) -> FiledObjection:
    """Anyone files an objection (异议) to an organization on a published notice, during its period.

    Content is required, contact optional. At most
    ``XINGJI_OBJECTIONS_PER_NOTICE_PER_HOUR`` objections to one notice are
    accepted in any hour, whoever files them (the view throttles per client).
    """
    actor = actor if actor is not None else AnonymousUser()
    with transaction.atomic():
        current = Notice.objects.select_for_update().get(pk=notice.pk)
        today = base._today()
        if current.state != NoticeState.PUBLISHED:
            raise TransitionRefused("该公示已结束，不能再提出异议", code="notice_closed")
        if not current.accepts_objections_on(today):
            raise TransitionRefused(
                f"公示期为{current.starts_on:%Y年%m月%d日}至{current.ends_on:%Y年%m月%d日}，当前不在公示期内",
                code="outside_period",
            )
        entry = NoticeEntry.objects.filter(notice=current, evaluation_id=evaluation.pk).first()
        if entry is None:
            raise TransitionRefused("该组织不在本次公示名单中", code="not_on_notice")
        content = required_text(content, "异议内容", maximum=OBJECTION_MAX_LENGTH)
        contact = (contact or "").strip()
        if len(contact) > CONTACT_MAX_LENGTH:
            raise TransitionRefused(f"联系方式不能超过{CONTACT_MAX_LENGTH}字", code="too_long")
        limit = getattr(settings, "XINGJI_OBJECTIONS_PER_NOTICE_PER_HOUR", DEFAULT_OBJECTIONS_PER_NOTICE_PER_HOUR)
        recent = Objection.objects.filter(notice=current, filed_at__gte=timezone.now() - timedelta(hours=1)).count()
        if recent >= limit:
            raise TransitionRefused("本公示收到的异议过于频繁，请稍后再试", code="throttled")
        receipt = new_receipt()
        objection = Objection.objects.create(
            notice=current,
            evaluation_id=evaluation.pk,
            content=content,
            contact=contact,
            receipt_digest=receipt_digest(receipt),
            state=ObjectionState.OPEN,
        )
        # Content and contact stay out of the log, which can never be erased.
        audit_log(
            actor=actor,
            action="objection.filed",
            obj=objection,
            before=None,
            after={"notice_id": current.pk, "evaluation_id": evaluation.pk, "state": objection.state},
        )
    return FiledObjection(objection, receipt)


def objection_answer(*, objection: Objection, upheld: bool, answer: str, actor: Actor) -> Objection:
    """The office answers an objection after investigating it.

    Upheld (异议成立): the evaluation returns to its superior for
    re-evaluation (退回上级重新考评). Rejected (异议不成立): the answer is recorded.
    """
    with transaction.atomic():
        notice = Notice.objects.select_related("campaign").get(pk=objection.notice_id)
        campaign = _lock_campaign(notice.campaign)
        access.require_office(actor, campaign)
        current = Objection.objects.select_for_update().get(pk=objection.pk)
        if current.state != ObjectionState.OPEN:
            raise TransitionRefused("该异议已经答复", code="answered")
        answer = required_text(answer, "答复")
        audit = _Audit(actor)
        if upheld:
            evaluation = _lock_evaluation(current.evaluation)
            check_evaluation("objection_uphold", evaluation)
            if evaluation.state not in (E.REEVALUATION, E.SELF_DRAFT, E.SELF_SUBMITTED):
                before = {"state": evaluation.state}
                move_evaluation("objection_uphold", evaluation, E.REEVALUATION)
                evaluation.return_reason = f"异议成立：{answer}"
                _save(evaluation, ["return_reason"])
                audit.add(
                    "evaluation.objection_upheld",
                    evaluation,
                    before,
                    {"state": evaluation.state, "objection_id": current.pk},
                )
        current.state = ObjectionState.UPHELD if upheld else ObjectionState.REJECTED
        current.answer = answer
        current.answered_by = actor
        current.answered_at = timezone.now()
        current.save(update_fields=["state", "answer", "answered_by", "answered_at"])
        audit.add(
            "objection.answered", current, {"state": ObjectionState.OPEN}, {"state": current.state, "answer": answer}
        )
        audit.flush()
    return current


def notice_close(*, notice: Notice, actor: Actor) -> Notice:
    """Close a notice after its last day when no objection is open; its evaluations await approval."""
    with transaction.atomic():
        campaign = _lock_campaign(Campaign(pk=notice.campaign_id))
        access.require_office(actor, campaign)
        current = Notice.objects.select_for_update().get(pk=notice.pk)
        if current.state != NoticeState.PUBLISHED:
            raise TransitionRefused("该公示已经结束", code="notice_closed")
        check_campaign("notice_close", campaign)
        if base._today() <= current.ends_on:
            raise TransitionRefused(f"公示期至{current.ends_on:%Y年%m月%d日}止，期满后才能结束公示", code="not_ended")
        open_objections = current.objections.filter(state=ObjectionState.OPEN).count()
        if open_objections:
            raise TransitionRefused(f"尚有{open_objections}条异议未答复，不能结束公示", code="open_objections")
        evaluations = _lock_evaluations(campaign, notice_entries__notice=current, state=E.ON_NOTICE)
        audit = _Audit(actor)
        for evaluation in evaluations:
            move_evaluation("notice_pass", evaluation, E.NOTICE_PASSED)
            _save(evaluation, [])
            audit.add("evaluation.notice_passed", evaluation, {"state": E.ON_NOTICE}, {"state": evaluation.state})
        current.state = NoticeState.CLOSED
        current.closed_by = actor
        current.closed_at = timezone.now()
        current.save(update_fields=["state", "closed_by", "closed_at"])
        move_campaign("notice_close", campaign, CampaignState.OPEN)
        campaign.save(update_fields=["state"])
        audit.add(
            "notice.closed",
            current,
            {"state": NoticeState.PUBLISHED},
            {"state": current.state, "passed": len(evaluations)},
        )
        audit.flush()
    return current
