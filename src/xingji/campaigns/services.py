"""Every change of a campaign, its evaluations, notices, objections and the star ledger.

Each service is ``<entity>_<verb>(*, …, actor)``, runs in one transaction,
locks the rows it changes (``select_for_update``, campaign → notice →
objection → evaluation, always in this order), checks the actor's role and
subtree (``xingji.campaigns.access``) and the current state
(``xingji.campaigns.workflow``), and writes its audit entries last, in the
same transaction. A refusal is a ``TransitionRefused`` (state, data) or an
``ActionForbidden`` (role) with a message for the user — or ``Http404`` from
the access functions for an object outside the actor's subtree — and then
nothing has changed and nothing is logged.

Views stay thin: they fetch the object through ``access_*``, call one
service with the form's cleaned data and show the refusal's message.
"""

from __future__ import annotations

import hashlib
import secrets
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal, InvalidOperation
from functools import partial
from pathlib import Path
from typing import Any

from django.conf import settings
from django.contrib.auth.models import AnonymousUser
from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Max, Model, QuerySet
from django.utils import timezone

from xingji.audit.services import audit_log
from xingji.campaigns import access, scoring
from xingji.campaigns.models import (
    DEFAULT_DEADLINES,
    Approval,
    Campaign,
    CampaignKind,
    CampaignState,
    CheckMethod,
    CriterionScore,
    Evaluation,
    EvaluationState,
    MunicipalResult,
    MunicipalReview,
    Notice,
    NoticeEntry,
    NoticeState,
    Objection,
    ObjectionState,
    QuotaMode,
    QuotaTie,
    RatingRun,
    RunPhase,
    RunState,
    ScorePart,
    StarLedgerEntry,
    TieState,
)
from xingji.campaigns.selectors import current_levels, latest_run, municipal_pending
from xingji.campaigns.workflow import (
    check_campaign,
    check_evaluation,
    move_campaign,
    move_evaluation,
)
from xingji.common.errors import TransitionRefused, required_text
from xingji.orgs.models import Organization
from xingji.records import services as record_services
from xingji.records.models import Attachment
from xingji.rules.scheme import SchemeError, list_schemes, load_scheme, parse_scheme

E = EvaluationState

#: At most this many objections to one notice in any hour, from everyone together
#: (``XINGJI_OBJECTIONS_PER_NOTICE_PER_HOUR``); per-client throttling is the view's.
DEFAULT_OBJECTIONS_PER_NOTICE_PER_HOUR = 100
#: A rating run with no progress for this long is taken as interrupted (``XINGJI_RATING_RUN_STALE_MINUTES``).
DEFAULT_RATING_RUN_STALE_MINUTES = 15
OBJECTION_MAX_LENGTH = 2000
CONTACT_MAX_LENGTH = 100
COMMITTEE_BODY = "市直工委工委会"
MUNICIPAL_BODY = "市委组织部复审"


# --- helpers -----------------------------------------------------------------------------


class _Audit:
    """Audit entries collected during a service and written at its end.

    ``audit_log`` takes the chain lock; writing every entry after the domain
    rows keeps the lock order fixed (domain rows first, chain last).
    """

    def __init__(self, actor) -> None:
        self.actor = actor
        self.entries: list[tuple[str, Model, Any, Any]] = []

    def add(self, action: str, obj: Model, before: Any, after: Any) -> None:
        self.entries.append((action, obj, before, after))

    def flush(self) -> None:
        for action, obj, before, after in self.entries:
            audit_log(actor=self.actor, action=action, obj=obj, before=before, after=after)


def _today() -> date:
    return timezone.localdate()


def _not_in_future(day: date, label: str) -> date:
    if day > _today():
        raise TransitionRefused(f"{label}不能晚于今天", code="date_in_future")
    return day


def _lock_campaign(campaign: Campaign) -> Campaign:
    return Campaign.objects.select_for_update(of=("self",)).select_related("root").get(pk=campaign.pk)


def _lock_evaluation(evaluation: Evaluation) -> Evaluation:
    return (
        Evaluation.objects.select_for_update(of=("self",))
        .select_related("campaign", "campaign__root", "organization")
        .get(pk=evaluation.pk)
    )


def _lock_evaluations(
    campaign: Campaign, among: QuerySet[Evaluation] | None = None, **filters: Any
) -> list[Evaluation]:
    """The campaign's evaluations ``among`` a selector's (default all) matching ``filters``, locked, by id."""
    evaluations = list(
        (Evaluation.objects.all() if among is None else among)
        .select_for_update(of=("self",))
        .select_related("organization")
        .filter(campaign=campaign, **filters)
        .order_by("pk")
    )
    for evaluation in evaluations:
        # The campaign row is locked already; sharing it spares a query per evaluation.
        evaluation.campaign = campaign
    return evaluations


def _save(evaluation: Evaluation, fields: Iterable[str]) -> None:
    evaluation.version += 1
    evaluation.save(update_fields=sorted({*fields, "state", "version"}))


def _evaluation_summary(evaluation: Evaluation) -> dict[str, Any]:
    return {
        "state": evaluation.state,
        "level": evaluation.level,
        "final_score": evaluation.final_score,
    }


def _scores(evaluation: Evaluation, part: str) -> dict[str, CriterionScore]:
    return {row.criterion_code: row for row in evaluation.criterion_scores.filter(part=part)}


def _scores_snapshot(rows: Mapping[str, CriterionScore]) -> dict[str, list[str]]:
    return {code: [scoring.score_text(row.score), row.comment] for code, row in sorted(rows.items())}


def _store_scores(evaluation: Evaluation, part: str, entries: Mapping[str, scoring.CriterionEntry]) -> None:
    rows = _scores(evaluation, part)
    new_rows, changed_rows = [], []
    for code, entry in entries.items():
        row = rows.get(code)
        if row is None:
            new_rows.append(
                CriterionScore(
                    evaluation=evaluation,
                    part=part,
                    criterion_code=code,
                    score=entry.score,
                    comment=entry.comment,
                )
            )
        elif row.score != entry.score or row.comment != entry.comment:
            row.score, row.comment = entry.score, entry.comment
            changed_rows.append(row)
    CriterionScore.objects.bulk_create(new_rows)
    CriterionScore.objects.bulk_update(changed_rows, ["score", "comment"])


def _entries_snapshot(entries: Mapping[str, scoring.CriterionEntry]) -> dict[str, list[str]]:
    return {code: [scoring.score_text(entry.score), entry.comment] for code, entry in sorted(entries.items())}


def _check_level(campaign: Campaign, level: int | None, label: str) -> None:
    if level is not None and level not in campaign.scheme.level_values():
        raise TransitionRefused(f"{label}“{level}”不是评定方案中的等级", code="level")


def _is_direct(campaign: Campaign, organization: Organization) -> bool:
    """Directly under the committee (the campaign's root): checked by the office itself."""
    root = campaign.root
    return organization.depth == root.depth + 1 and organization.path.startswith(root.path)


def _ready_state(evaluation: Evaluation) -> str:
    """Where a finished evaluation goes: rating, a supplementary notice, or approval as noticed."""
    if evaluation.noticed_level is None:
        return E.EVALUATED
    if evaluation.level == evaluation.noticed_level:
        return E.NOTICE_PASSED
    return E.RATED


def _check_open_for_evaluation(campaign: Campaign) -> None:
    check_campaign("evaluate", campaign)


# --- campaigns ----------------------------------------------------------------------------


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
    actor,
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


def campaign_update(*, campaign: Campaign, data: Mapping[str, Any], actor) -> Campaign:
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


def campaign_open(*, campaign: Campaign, actor) -> Campaign:
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


def campaign_close(*, campaign: Campaign, actor) -> Campaign:
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


# --- self-evaluation and survey figures -----------------------------------------------------


def self_evaluation_save_draft(
    *, evaluation: Evaluation, scores: Mapping[str, Any], claimed_level: int | None = None, actor
) -> Evaluation:
    """Save the self-evaluation (自评表) as a draft: any criteria scored so far, each with a comment.

    A score of None clears the criterion's score. ``claimed_level`` None keeps
    the level claimed before.
    """
    with transaction.atomic():
        current = _lock_evaluation(evaluation)
        access.require_self(actor, current)
        campaign = current.campaign
        _check_open_for_evaluation(campaign)
        check_evaluation("self_save", current)
        entries = scoring.clean_scores(campaign.scheme, current.organization.category, scores, complete=False)
        _check_level(campaign, claimed_level, "申报星级")
        rows = _scores(current, ScorePart.SELF)
        before = {"scores": _scores_snapshot(rows), "claimed_level": current.claimed_level}
        merged = {**before["scores"], **_entries_snapshot(entries)}
        after = {
            "scores": merged,
            "claimed_level": claimed_level if claimed_level is not None else current.claimed_level,
        }
        if before == after:
            return current
        _store_scores(current, ScorePart.SELF, entries)
        current.claimed_level = after["claimed_level"]
        _save(current, ["claimed_level"])
        audit_log(actor=actor, action="evaluation.self_saved", obj=current, before=before, after=after)
    return current


def self_evaluation_submit(*, evaluation: Evaluation, actor) -> Evaluation:
    """Submit the self-evaluation: every criterion scored and a level claimed; the form locks."""
    with transaction.atomic():
        current = _lock_evaluation(evaluation)
        access.require_self(actor, current)
        campaign = current.campaign
        _check_open_for_evaluation(campaign)
        check_evaluation("self_submit", current)
        rows = _scores(current, ScorePart.SELF)
        problems = [
            f"“{criterion.code} {criterion.name}”尚未评分"
            for criterion in campaign.scheme.criteria_for(current.organization.category)
            if rows.get(criterion.code) is None or rows[criterion.code].score is None
        ]
        if current.claimed_level is None:
            problems.append("尚未选择申报星级")
        if problems:
            raise TransitionRefused(problems, code="incomplete")
        before = {"state": current.state}
        move_evaluation("self_submit", current, E.SELF_SUBMITTED)
        current.self_submitted_at = timezone.now()
        current.self_submitted_by = actor
        current.return_reason = ""
        _save(current, ["self_submitted_at", "self_submitted_by", "return_reason"])
        audit_log(
            actor=actor,
            action="evaluation.self_submitted",
            obj=current,
            before=before,
            after={
                "state": current.state,
                "claimed_level": current.claimed_level,
                "self_total": sum(row.score for row in rows.values()),
            },
        )
    return current


def self_evaluation_return(*, evaluation: Evaluation, reason: str, actor) -> Evaluation:
    """The superior returns a submitted self-evaluation with a reason; the form unlocks."""
    with transaction.atomic():
        current = _lock_evaluation(evaluation)
        access.require_superior(actor, current)
        _check_open_for_evaluation(current.campaign)
        check_evaluation("self_return", current)
        reason = required_text(reason, "退回理由")
        before = {"state": current.state}
        move_evaluation("self_return", current, E.SELF_DRAFT)
        current.return_reason = reason
        _save(current, ["return_reason"])
        audit_log(
            actor=actor,
            action="evaluation.self_returned",
            obj=current,
            before=before,
            after={"state": current.state, "reason": reason},
        )
    return current


def _check_evidence_editable(actor, evaluation: Evaluation) -> None:
    """The organization's own user, on an open campaign, while the self-evaluation is a draft."""
    access.require_self(actor, evaluation)
    _check_open_for_evaluation(evaluation.campaign)
    if evaluation.state != E.SELF_DRAFT:
        raise TransitionRefused(
            f"“{evaluation.organization.name}”的自评当前状态为“{evaluation.get_state_display()}”，"
            "不能添加或删除证明材料；如需修改请由上级退回",
            code="state",
        )


def criterion_attachment_add(
    *, evaluation: Evaluation, criterion_code: str, upload, name: str, size: int, actor
) -> Attachment:
    """Attach an evidence file (证明材料) to one criterion of the self-evaluation.

    The file hangs on the criterion's self-part score row (made empty if not
    scored yet) and goes through the records attachment checks and storage
    (type by extension and content, size, SHA-256, ``attachment.created`` in
    this same transaction). Refused, with nothing written, unless the actor
    is the organization's own user and the self-evaluation is a draft.
    """
    with transaction.atomic():
        current = _lock_evaluation(evaluation)
        _check_evidence_editable(actor, current)
        codes = [criterion.code for criterion in current.campaign.scheme.criteria_for(current.organization.category)]
        if criterion_code not in codes:
            raise TransitionRefused(f"评定方案中没有编号为“{criterion_code}”的评定内容", code="criterion")
        row, _ = CriterionScore.objects.get_or_create(
            evaluation=current, part=ScorePart.SELF, criterion_code=criterion_code
        )
        return record_services.attachment_add(record=row, upload=upload, name=name, size=size, actor=actor)


def criterion_attachment_delete(*, evaluation: Evaluation, attachment: Attachment, actor) -> None:
    """Delete an evidence file of the self-evaluation, under the same conditions as adding one."""
    with transaction.atomic():
        current = _lock_evaluation(evaluation)
        _check_evidence_editable(actor, current)
        rows = current.criterion_scores.filter(part=ScorePart.SELF).values("pk")
        if not Attachment.objects.filter(
            pk=attachment.pk, content_type=ContentType.objects.get_for_model(CriterionScore), object_id__in=rows
        ).exists():
            raise TransitionRefused("该证明材料不属于本组织的自评", code="attachment")
        record_services.attachment_delete(attachment=attachment, actor=actor)


def _count(value: Any, label: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise TransitionRefused(f"{label}应为整数", code="count")
    if value < 0:
        raise TransitionRefused(f"{label}不能为负数", code="count")
    return value


def survey_figures_record(
    *,
    evaluation: Evaluation,
    member_count: int,
    participant_count: int,
    satisfaction: Decimal | str,
    meeting_on: date,
    score: Decimal | str | None = None,
    actor,
) -> Evaluation:
    """Record a survey's figures: members, participants, satisfaction (0-1), the meeting's date and the
    survey score (0-1, from the scheme's option weights).

    Called only by ``xingji.surveys.services.session_close`` for a valid
    session, inside its transaction: the figures are never typed by hand.
    """
    with transaction.atomic():
        current = _lock_evaluation(evaluation)
        access.require_self_or_superior(actor, current)
        _check_open_for_evaluation(current.campaign)
        check_evaluation("survey_record", current)
        member_count = _count(member_count, "党员总数")
        participant_count = _count(participant_count, "参加测评党员数")
        if member_count == 0:
            raise TransitionRefused("党员总数应大于0", code="count")
        if participant_count > member_count:
            raise TransitionRefused("参加测评党员数不能超过党员总数", code="count")
        try:
            share = Decimal(str(satisfaction).strip())
        except (InvalidOperation, ValueError):
            raise TransitionRefused(f"满意率“{satisfaction}”不是数字", code="satisfaction") from None
        if not share.is_finite() or not Decimal(0) <= share <= Decimal(1):
            raise TransitionRefused("满意率应在0到1之间（如0.92）", code="satisfaction")
        if share != share.quantize(Decimal("0.0001")):
            raise TransitionRefused("满意率最多保留四位小数", code="satisfaction")
        _not_in_future(meeting_on, "测评会日期")
        survey_score = None
        if score is not None:
            survey_score = Decimal(str(score)).quantize(Decimal("0.0001"))
            if not Decimal(0) <= survey_score <= Decimal(1):
                raise TransitionRefused("测评得分率应在0到1之间", code="score")
        fields = {
            "survey_member_count": member_count,
            "survey_participant_count": participant_count,
            "survey_satisfaction": share.quantize(Decimal("0.0001")),
            "survey_meeting_on": meeting_on,
            "survey_score": survey_score,
        }
        before = {name: getattr(current, name) for name in fields}
        if before == fields:
            return current
        for name, value in fields.items():
            setattr(current, name, value)
        _save(current, fields)
        audit_log(actor=actor, action="evaluation.survey_recorded", obj=current, before=before, after=fields)
    return current


# --- superior evaluation, five-star review, direct check --------------------------------------


def _refuse_invalid_survey(evaluation: Evaluation) -> None:
    """Say why when the latest survey session (``xingji.surveys``) closed below the participation threshold."""
    latest = (
        evaluation.survey_sessions.filter(state="closed")
        .order_by("-closed_at", "-id")
        .values("valid", "participation")
        .first()
    )
    if latest is not None and latest["valid"] is False:
        raise TransitionRefused(
            f"参加测评的党员占{latest['participation'] * 100:.1f}%，不足80%，测评无效，应重新组织测评",
            code="survey_invalid",
        )


def superior_evaluate(
    *,
    evaluation: Evaluation,
    scores: Mapping[str, Any],
    comment: str = "",
    innovation_project: bool = False,
    actor,
) -> Evaluation:
    """The superior scores every criterion; the engine computes the score and level (建议星级).

    The engine reads the superior's scores, the organization's evidence facts
    for the year, the survey's satisfaction and the campaign's facts. A
    proposal at the scheme's top level goes to the committee office for review
    (五星级待审核); any other is ready for the campaign-wide rating — or, after
    a notice, for a supplementary notice when its level differs from the one
    noticed, for approval when it does not.
    """
    with transaction.atomic():
        current = _lock_evaluation(evaluation)
        access.require_superior(actor, current)
        campaign = current.campaign
        _check_open_for_evaluation(campaign)
        check_evaluation("superior_evaluate", current)
        if current.survey_satisfaction is None:
            _refuse_invalid_survey(current)
            raise TransitionRefused("尚未录入党员群众测评结果，不能考评", code="survey_missing")
        if not current.survey_is_valid:
            participation = current.survey_participation * 100
            raise TransitionRefused(
                f"参加测评的党员占{participation:.1f}%，不足80%，测评无效，应重新组织测评", code="survey_invalid"
            )
        entries = scoring.clean_scores(campaign.scheme, current.organization.category, scores, complete=True)
        superior_scores = {code: entry.score for code, entry in entries.items()}
        facts = scoring.organization_facts(campaign, current.organization)
        current.innovation_project = bool(innovation_project)
        data = scoring.engine_input(campaign, current, facts, superior_scores)
        stored = scoring.stored_result(campaign, scoring.rate_one(campaign, data))
        self_scores = {code: row.score for code, row in _scores(current, ScorePart.SELF).items()}

        before = {**_evaluation_summary(current), "scores": _scores_snapshot(_scores(current, ScorePart.SUPERIOR))}
        _store_scores(current, ScorePart.SUPERIOR, entries)
        fields = scoring.apply_result(current, stored)
        current.facts = data
        current.proposed_level = stored.level
        current.superior_comment = (comment or "").strip()
        current.composite_hint = scoring.composite_hint(
            campaign.scheme, self_scores, scoring.survey_component(current), superior_scores
        )
        current.evaluated_at = timezone.now()
        current.evaluated_by = actor
        current.rating_run = None
        target = E.REVIEW_PENDING if stored.level == campaign.top_level else _ready_state(current)
        move_evaluation("superior_evaluate", current, target)
        _save(
            current,
            [
                *fields,
                "facts",
                "proposed_level",
                "superior_comment",
                "composite_hint",
                "evaluated_at",
                "evaluated_by",
                "rating_run",
                "innovation_project",
            ],
        )
        audit_log(
            actor=actor,
            action="evaluation.superior_evaluated",
            obj=current,
            before=before,
            after={
                **_evaluation_summary(current),
                "scores": _entries_snapshot(entries),
                "proposed_level": current.proposed_level,
                "innovation_project": current.innovation_project,
            },
        )
    return current


def five_star_review_approve(*, evaluation: Evaluation, comment: str = "", actor) -> Evaluation:
    """The committee office approves a top-level proposal (五星级审核通过).

    For an organization directly under the committee the office must first
    have recorded how it checked it (``direct_check_record``).
    """
    with transaction.atomic():
        current = _lock_evaluation(evaluation)
        campaign = current.campaign
        access.require_office(actor, campaign)
        _check_open_for_evaluation(campaign)
        check_evaluation("five_star_approve", current)
        if _is_direct(campaign, current.organization) and not current.check_method:
            raise TransitionRefused("直属组织须先记录普查或抽查情况，才能审核通过", code="direct_check_missing")
        before = {"state": current.state}
        move_evaluation("five_star_approve", current, _ready_state(current))
        current.review_comment = (comment or "").strip()
        current.reviewed_at = timezone.now()
        current.reviewed_by = actor
        _save(current, ["review_comment", "reviewed_at", "reviewed_by"])
        audit_log(
            actor=actor,
            action="evaluation.five_star_approved",
            obj=current,
            before=before,
            after={"state": current.state, "level": current.level, "comment": current.review_comment},
        )
    return current


def five_star_review_return(*, evaluation: Evaluation, reason: str, actor) -> Evaluation:
    """The committee office returns a top-level proposal to the superior with a reason."""
    with transaction.atomic():
        current = _lock_evaluation(evaluation)
        campaign = current.campaign
        access.require_office(actor, campaign)
        _check_open_for_evaluation(campaign)
        check_evaluation("five_star_return", current)
        reason = required_text(reason, "退回理由")
        before = {"state": current.state}
        move_evaluation("five_star_return", current, E.REEVALUATION)
        current.return_reason = reason
        current.review_comment = reason
        current.reviewed_at = timezone.now()
        current.reviewed_by = actor
        _save(current, ["return_reason", "review_comment", "reviewed_at", "reviewed_by"])
        audit_log(
            actor=actor,
            action="evaluation.five_star_returned",
            obj=current,
            before=before,
            after={"state": current.state, "reason": reason},
        )
    return current


def direct_check_record(
    *, evaluation: Evaluation, method: str, finding: str, checked_on: date | None = None, actor
) -> Evaluation:
    """The office records how it checked an organization directly under the committee (普查/抽查) and the finding."""
    with transaction.atomic():
        current = _lock_evaluation(evaluation)
        campaign = current.campaign
        access.require_office(actor, campaign)
        _check_open_for_evaluation(campaign)
        check_evaluation("direct_check", current)
        if not _is_direct(campaign, current.organization):
            raise TransitionRefused("只有市直工委直属的组织由组织部普查或抽查", code="not_direct")
        if method not in CheckMethod.values:
            raise TransitionRefused("核查方式应为普查或抽查", code="method")
        finding = required_text(finding, "核查情况")
        checked_on = _not_in_future(checked_on or _today(), "核查日期")
        before = {
            "check_method": current.check_method,
            "check_finding": current.check_finding,
            "checked_on": current.checked_on,
        }
        current.check_method, current.check_finding, current.checked_on = method, finding, checked_on
        current.checked_by = actor
        _save(current, ["check_method", "check_finding", "checked_on", "checked_by"])
        audit_log(
            actor=actor,
            action="evaluation.direct_checked",
            obj=current,
            before=before,
            after={"check_method": method, "check_finding": finding, "checked_on": checked_on},
        )
    return current


# --- the campaign-wide rating and its quotas -------------------------------------------------


def _stale_after() -> timedelta:
    return timedelta(minutes=getattr(settings, "XINGJI_RATING_RUN_STALE_MINUTES", DEFAULT_RATING_RUN_STALE_MINUTES))


def campaign_rate_check(campaign: Campaign) -> RatingRun | None:
    """Refuse (``TransitionRefused``) unless a campaign-wide rating of ``campaign`` can start now.

    ``campaign_rate`` asks it under its lock; the rating page asks it to offer
    the button only when it would be accepted, or else to say why. Answers
    the latest run, which if still active has made no progress for
    ``XINGJI_RATING_RUN_STALE_MINUTES`` (a fresher one refuses).
    """
    check_campaign("rate", campaign)
    if campaign.notices.exists():
        raise TransitionRefused(
            "已发布公示，不能再运行全面评定；异议成立重新考评的组织按考评结果进入补充公示", code="noticed"
        )
    not_ready = campaign.evaluations.exclude(state__in=[E.EVALUATED, E.RATED]).count()
    if not_ready:
        raise TransitionRefused(f"还有{not_ready}个组织未完成考评或五星级审核，不能运行全面评定", code="not_ready")
    previous = latest_run(campaign)
    if previous is not None and previous.is_active:
        last_progress = previous.heartbeat_at or previous.created_at
        if timezone.now() - last_progress < _stale_after():
            raise TransitionRefused(f"全面评定正在运行（已完成{previous.percent}%），请等待结束", code="running")
    return previous


def campaign_rate(*, campaign: Campaign, actor) -> RatingRun:
    """Start the campaign-wide rating (全面评定): every evaluation through the engine with the quotas.

    Runs in the background (``xingji.campaigns.tasks``) after this
    transaction commits; the returned ``RatingRun`` shows its progress. Every
    evaluation must have finished its superior evaluation and review; the run
    may be repeated until the first notice. A run with no progress for
    ``XINGJI_RATING_RUN_STALE_MINUTES`` is taken as interrupted and replaced.
    """
    from xingji.campaigns.tasks import enqueue_rating_run

    with transaction.atomic():
        current = _lock_campaign(campaign)
        access.require_office(actor, current)
        previous = campaign_rate_check(current)
        audit = _Audit(actor)
        if previous is not None and previous.is_active:  # stale, since the check let it pass
            RatingRun.objects.filter(pk=previous.pk).update(
                state=RunState.FAILED,
                error="运行中断（长时间没有进展），已由新的全面评定取代",
                finished_at=timezone.now(),
            )
            audit.add("rating_run.interrupted", previous, {"state": previous.state}, {"state": RunState.FAILED})
        run = RatingRun.objects.create(
            campaign=current, state=RunState.QUEUED, phase=RunPhase.WAITING, requested_by=actor
        )
        audit.add(
            "rating_run.requested",
            run,
            None,
            {"state": run.state, "quota_mode": current.quota_mode, "stage": current.engine_stage},
        )
        audit.flush()
        transaction.on_commit(partial(enqueue_rating_run, run.pk))
    return run


def _decision_reason(
    tie: QuotaTie, campaign: Campaign, kept: bool, from_level: int, to_level: int, reason: str
) -> dict[str, Any]:
    names = campaign.level_name
    change = f"由{names(from_level)}调整为{names(to_level)}" if from_level != to_level else f"维持{names(to_level)}"
    outcome = "保留" if kept else "调整"
    message = (
        f"与其他组织最终得分同为{tie.final_score}分，位于“{tie.label}”比例线上，"
        f"经研究决定{outcome}，{change}；理由：{reason}"
    )
    return {
        "rule": "quota_tie_decision",
        "clause": tie.clause,
        "effect": "quota",
        "from": from_level,
        "to": to_level,
        "message": f"{message}（{tie.clause}）" if tie.clause else message,
    }


def quota_tie_decide(*, tie: QuotaTie, kept: Sequence[Evaluation], reason: str, actor) -> QuotaTie:
    """Decide a tie at a quota's cut line: which of the tied organizations keep their level, and why.

    ``kept`` names as many evaluations as the engine kept; giving the engine's
    own choice confirms it. Each evaluation whose level changes gets the
    decision as a reason, and an audit entry.
    """
    with transaction.atomic():
        run = RatingRun.objects.select_related("campaign").get(pk=tie.run_id)
        campaign = _lock_campaign(run.campaign)
        access.require_office(actor, campaign)
        check_campaign("tie_decide", campaign)
        current = QuotaTie.objects.select_for_update().get(pk=tie.pk)
        if current.state != TieState.OPEN:
            raise TransitionRefused("该并列情况已作出决定", code="decided")
        latest = latest_run(campaign)
        if campaign.notices.exists() or latest is None or latest.pk != run.pk or run.state != RunState.DONE:
            raise TransitionRefused("该并列情况所属的全面评定已不是最新结果，请按最新评定处理", code="stale")
        reason = required_text(reason, "决定理由")
        candidates = [int(pk) for pk in current.candidates]
        chosen = sorted({evaluation.pk for evaluation in kept})
        if not set(chosen) <= set(candidates):
            raise TransitionRefused("保留的组织应在并列的组织之中", code="not_tied")
        if len(chosen) != len(current.kept):
            raise TransitionRefused(f"应保留{len(current.kept)}个组织，不多不少", code="count")
        evaluations = _lock_evaluations(campaign, pk__in=candidates)
        for evaluation in evaluations:
            if evaluation.state != E.RATED or evaluation.rating_run_id != run.pk:
                raise TransitionRefused(
                    f"“{evaluation.organization.name}”的评定结果已变化，请重新运行全面评定", code="stale"
                )
        audit = _Audit(actor)
        for evaluation in evaluations:
            level_before_quota = int(current.levels_before[str(evaluation.pk)])
            keep = evaluation.pk in chosen
            new_level = level_before_quota if keep else current.move_to
            old_level = evaluation.level
            reasons = [
                r for r in evaluation.reasons if not (r.get("effect") == "quota" and r.get("rule") == current.rule)
            ]
            removed = {r["message"] for r in evaluation.reasons if r not in reasons}
            decision = _decision_reason(current, campaign, keep, level_before_quota, new_level, reason)
            evaluation.reasons = [*reasons, decision]
            lines = [line for line in evaluation.explanation[:-1] if line not in removed]
            evaluation.explanation = [*lines, decision["message"], f"评定结果：{campaign.level_name(new_level)}"]
            evaluation.level = new_level
            _save(evaluation, ["level", "reasons", "explanation"])
            if new_level != old_level:
                audit.add(
                    "evaluation.tie_decided",
                    evaluation,
                    {"level": old_level},
                    {"level": new_level, "rule": current.rule, "reason": reason},
                )
        current.state = TieState.DECIDED
        current.decision_kept = chosen
        current.decision_reason = reason
        current.decided_by = actor
        current.decided_at = timezone.now()
        current.save(update_fields=["state", "decision_kept", "decision_reason", "decided_by", "decided_at"])
        audit.add(
            "quota_tie.decided",
            current,
            {"kept": current.kept, "moved": current.moved},
            {"kept": chosen, "reason": reason},
        )
        audit.flush()
    return current


# --- public notice and objections -------------------------------------------------------------


def notice_publish(*, campaign: Campaign, title: str, starts_on: date | None = None, actor) -> Notice:
    """Publish a notice (公示) of every rated evaluation with its proposed level.

    The first notice of a campaign needs the latest campaign-wide rating to
    have finished, every evaluation rated by it and every tie at a cut line
    decided. Later (supplementary) notices list the evaluations re-evaluated
    after an upheld objection whose level changed. The notice runs from
    ``starts_on`` (today by default) for the campaign's ``notice_days`` days,
    both ends included.
    """
    with transaction.atomic():
        current = _lock_campaign(campaign)
        access.require_office(actor, current)
        check_campaign("publish", current)
        title = required_text(title, "公示标题", maximum=200)
        starts_on = starts_on or _today()
        if starts_on < _today():
            raise TransitionRefused("公示开始日期不能早于今天", code="starts_in_past")
        if not current.notices.exists():
            _check_first_notice(current)
        evaluations = _lock_evaluations(current, state=E.RATED)
        if not evaluations:
            raise TransitionRefused("没有待公示的组织", code="nothing_to_notice")
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
                    level=evaluation.level,
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
            },
        )
        audit.flush()
    return notice


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


RECEIPT_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"  # no 0/O, 1/I: read aloud or copied by hand


def new_receipt() -> str:
    """A receipt number: 16 characters of 32 (80 bits), as XXXX-XXXX-XXXX-XXXX."""
    raw = "".join(secrets.choice(RECEIPT_ALPHABET) for _ in range(16))
    return "-".join(raw[i : i + 4] for i in range(0, 16, 4))


def receipt_digest(receipt: str) -> str:
    normalized = "".join(ch for ch in (receipt or "").upper() if ch.isalnum())
    return hashlib.sha256(normalized.encode()).hexdigest()


def objection_file(
    *, notice: Notice, evaluation: Evaluation, content: str, contact: str = "", actor=None
) -> FiledObjection:
    """Anyone files an objection (异议) to an organization on a published notice, during its period.

    Content is required, contact optional. At most
    ``XINGJI_OBJECTIONS_PER_NOTICE_PER_HOUR`` objections to one notice are
    accepted in any hour, whoever files them (the view throttles per client).
    """
    actor = actor if actor is not None else AnonymousUser()
    with transaction.atomic():
        current = Notice.objects.select_for_update().get(pk=notice.pk)
        today = _today()
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


def objection_answer(*, objection: Objection, upheld: bool, answer: str, actor) -> Objection:
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


def notice_close(*, notice: Notice, actor) -> Notice:
    """Close a notice after its last day when no objection is open; its evaluations await approval."""
    with transaction.atomic():
        campaign = _lock_campaign(Campaign(pk=notice.campaign_id))
        access.require_office(actor, campaign)
        current = Notice.objects.select_for_update().get(pk=notice.pk)
        if current.state != NoticeState.PUBLISHED:
            raise TransitionRefused("该公示已经结束", code="notice_closed")
        check_campaign("notice_close", campaign)
        if _today() <= current.ends_on:
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


# --- approval, the star ledger, municipal re-review ----------------------------------------


FINISHED_STATES = (E.APPROVED, E.MUNICIPAL_REVIEW, E.MUNICIPAL_RETURNED)


def _ledger_reason(campaign: Campaign, previous: int | None, level: int, approval_text: str) -> str:
    names = campaign.level_name
    if previous is None:
        change = f"评定为{names(level)}"
    elif previous == level:
        change = f"维持{names(level)}"
    else:
        direction = "晋升" if level > previous else "调整"
        change = f"由{_any_level_name(campaign, previous)}{direction}为{names(level)}"
    return f"{campaign.name}：{change}，{approval_text}"


def _any_level_name(campaign: Campaign, level: int) -> str:
    """A level's name in this campaign's scheme, or as the ledger recorded it under another scheme."""
    if level in campaign.scheme.level_values():
        return campaign.level_name(level)
    return f"{level}级"


def campaign_approve(*, campaign: Campaign, approved_on: date, minutes_number: str, actor) -> Approval:
    """Record the committee's approval (工委会批准) of every evaluation whose notice has passed.

    Writes each organization's approved level to its star ledger, with the
    approval as its approver. The campaign is approved (已批准) once every
    evaluation is.
    """
    with transaction.atomic():
        current = _lock_campaign(campaign)
        access.require_office(actor, current)
        check_campaign("approve", current)
        minutes_number = required_text(minutes_number, "会议纪要编号", maximum=100)
        _not_in_future(approved_on, "工委会批准日期")
        evaluations = _lock_evaluations(current, state=E.NOTICE_PASSED)
        if not evaluations:
            raise TransitionRefused("没有公示期满待批准的组织", code="nothing_to_approve")
        last_day = current.notices.filter(state=NoticeState.CLOSED).aggregate(last=Max("ends_on"))["last"]
        if last_day is not None and approved_on <= last_day:
            raise TransitionRefused(f"工委会批准日期应在公示期满（{last_day:%Y年%m月%d日}）之后", code="too_early")
        approval = Approval.objects.create(
            campaign=current, approved_on=approved_on, minutes_number=minutes_number, recorded_by=actor
        )
        previous = current_levels([evaluation.organization_id for evaluation in evaluations])
        approval_text = f"{COMMITTEE_BODY}{approved_on:%Y年%m月%d日}批准（{minutes_number}）"
        audit = _Audit(actor)
        entries = []
        for evaluation in evaluations:
            move_evaluation("approve", evaluation, E.APPROVED)
            evaluation.approval = approval
            evaluation.approved_level = evaluation.level
            _save(evaluation, ["approval", "approved_level"])
            before_level = previous.get(evaluation.organization_id)
            entry = StarLedgerEntry.objects.create(
                organization=evaluation.organization,
                level=evaluation.level,
                level_name=current.level_name(evaluation.level),
                previous_level=before_level,
                effective_on=approved_on,
                campaign=current,
                evaluation=evaluation,
                approval=approval,
                approving_body=COMMITTEE_BODY,
                reason=_ledger_reason(current, before_level, evaluation.level, approval_text),
                approver=actor,
            )
            entries.append(entry)
            audit.add(
                "evaluation.approved",
                evaluation,
                {"state": E.NOTICE_PASSED},
                {"state": evaluation.state, "approval_id": approval.pk, "level": evaluation.level},
            )
            audit.add(
                "star_ledger.recorded",
                entry,
                {"level": before_level},
                {"level": entry.level, "effective_on": approved_on, "reason": entry.reason},
            )
        if not current.evaluations.exclude(state__in=FINISHED_STATES).exists():
            move_campaign("approve", current, CampaignState.APPROVED)
            current.save(update_fields=["state"])
        audit.add(
            "approval.recorded",
            approval,
            None,
            {
                "approved_on": approved_on,
                "minutes_number": minutes_number,
                "evaluations": len(evaluations),
                "campaign_state": current.state,
            },
        )
        audit.flush()
    return approval


def municipal_review_send(*, campaign: Campaign, sent_on: date, actor) -> list[MunicipalReview]:
    """Mark every approved top-level (five-star) result as sent to the municipal re-review (市委组织部复审)."""
    with transaction.atomic():
        current = _lock_campaign(campaign)
        access.require_office(actor, current)
        check_campaign("municipal", current)
        _not_in_future(sent_on, "报送日期")
        evaluations = _lock_evaluations(current, municipal_pending(current))
        if not evaluations:
            top_name = current.level_name(current.top_level)
            raise TransitionRefused(f"没有待报送复审的{top_name}组织", code="nothing_to_send")
        approvals = {evaluation.approval_id for evaluation in evaluations}
        approved_on = Approval.objects.filter(pk__in=approvals).aggregate(last=Max("approved_on"))["last"]
        if sent_on < approved_on:
            raise TransitionRefused("报送日期不能早于工委会批准日期", code="too_early")
        audit = _Audit(actor)
        reviews = []
        for evaluation in evaluations:
            review = MunicipalReview.objects.create(evaluation=evaluation, sent_on=sent_on, sent_by=actor)
            reviews.append(review)
            move_evaluation("municipal_send", evaluation, E.MUNICIPAL_REVIEW)
            _save(evaluation, [])
            audit.add("municipal_review.sent", review, None, {"evaluation_id": evaluation.pk, "sent_on": sent_on})
            audit.add("evaluation.municipal_sent", evaluation, {"state": E.APPROVED}, {"state": evaluation.state})
        audit.flush()
    return reviews


def municipal_review_return(
    *,
    review: MunicipalReview,
    returned_on: date,
    result: str,
    result_level: int | None = None,
    note: str = "",
    actor,
) -> MunicipalReview:
    """Record the municipal re-review's result. Not confirmed: the level it gave goes to the star ledger."""
    with transaction.atomic():
        evaluation = Evaluation.objects.select_related("campaign").get(pk=review.evaluation_id)
        campaign = _lock_campaign(evaluation.campaign)
        access.require_office(actor, campaign)
        check_campaign("municipal", campaign)
        evaluation = _lock_evaluation(evaluation)
        check_evaluation("municipal_return", evaluation)
        current = MunicipalReview.objects.select_for_update().get(pk=review.pk)
        if result not in MunicipalResult.values:
            raise TransitionRefused("复审结果应为复审通过或复审未通过", code="result")
        _not_in_future(returned_on, "返回日期")
        if returned_on < current.sent_on:
            raise TransitionRefused("返回日期不能早于报送日期", code="too_early")
        top = campaign.top_level
        if result == MunicipalResult.CONFIRMED:
            result_level = top
        else:
            if result_level is None:
                raise TransitionRefused("复审未通过时请填写复审后的星级", code="level_missing")
            _check_level(campaign, result_level, "复审后星级")
            if result_level >= top:
                raise TransitionRefused(f"复审未通过时，复审后星级应低于{campaign.level_name(top)}", code="level")
        note = (note or "").strip()
        current.returned_on, current.result, current.result_level = returned_on, result, result_level
        current.note, current.returned_by = note, actor
        current.save(update_fields=["returned_on", "result", "result_level", "note", "returned_by"])
        move_evaluation("municipal_return", evaluation, E.MUNICIPAL_RETURNED)
        _save(evaluation, [])
        audit = _Audit(actor)
        if result == MunicipalResult.NOT_CONFIRMED:
            reason = (
                f"{campaign.name}：市委组织部复审未通过，由{campaign.level_name(top)}调整为"
                f"{campaign.level_name(result_level)}"
            )
            entry = StarLedgerEntry.objects.create(
                organization=evaluation.organization,
                level=result_level,
                level_name=campaign.level_name(result_level),
                previous_level=evaluation.approved_level,
                effective_on=returned_on,
                campaign=campaign,
                evaluation=evaluation,
                approval=evaluation.approval,
                approving_body=MUNICIPAL_BODY,
                reason=f"{reason}{'；' + note if note else ''}",
                approver=actor,
            )
            audit.add(
                "star_ledger.recorded",
                entry,
                {"level": evaluation.approved_level},
                {"level": result_level, "effective_on": returned_on, "reason": entry.reason},
            )
        audit.add(
            "municipal_review.returned",
            current,
            {"result": ""},
            {"result": result, "result_level": result_level, "returned_on": returned_on, "note": note},
        )
        audit.add(
            "evaluation.municipal_returned", evaluation, {"state": E.MUNICIPAL_REVIEW}, {"state": evaluation.state}
        )
        audit.flush()
    return current
