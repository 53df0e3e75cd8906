"""Correcting a published result (评定结果更正) and the objections to a correction (更正公示异议).

A published result proves wrong — an objection upheld after the notice, a record proved wrong: the
office gives the corrected level of each organization, the kind of correction (异议成立 / 记录有误 /
其他) and the reason. ``result_correct`` then, in one transaction:

* publishes a new version (第N版) of the publication that supersedes it, every line carried over and
  the corrected ones marked with their level before; the old version stays as published, reachable,
  its lines no longer current;
* sets the evaluation's approved level (``Evaluation.approved_level``: the year's result every page,
  export and plaque reads) to the corrected one;
* writes a star-ledger line (星级管理台账) for each corrected organization whose current line is that
  evaluation's (a later decision — a re-check, a later year — stays the current level, and the
  correction says so in its audit entry), and puts due for withdrawal (待撤销) the plaques and sites
  it leaves above their level, or lifts their due (``services.withdrawals_check``);
* opens a fresh notice period (更正公示: the longest ``notice_days`` of the campaigns concerned) on the
  new version, during which anyone may object to a corrected line only (``correction_objection_file``);
  the office answers (``correction_objection_answer``), and an upheld objection is followed by a further
  correction.

The level is the office's, not a new run of the engine: the correction records a decision taken after
the investigation (the engine's score and explanation stay as rated, the reason says why the level
differs), and a re-rating outside the campaign would bypass its quotas and ties.

Only evaluations still at their committee approval are corrected here: a five-star result sent to the
municipal re-review (市委组织部复审) takes the level the re-review gives.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, timedelta

from django.conf import settings
from django.contrib.auth.models import AnonymousUser
from django.db import transaction
from django.db.models import F
from django.utils import timezone

from xingji.accounts.models import Actor
from xingji.audit.services import audit_log
from xingji.campaigns.models import Evaluation, EvaluationState, ObjectionState, StarLedgerEntry
from xingji.campaigns.selectors import current_ledger_entries
from xingji.common.confirmation import CONFIRMATION_PHRASE
from xingji.common.errors import TransitionRefused, required_text
from xingji.orgs.models import Organization
from xingji.reports import selectors
from xingji.reports.models import (
    CorrectionKind,
    CorrectionObjection,
    PublishedResult,
    ResultPublication,
)
from xingji.reports.services import TEXT_MAX_LENGTH, require_office, withdrawals_check

#: Who decides a correction, as the star ledger names it.
CORRECTING_BODY = "市直工委组织部（评定结果更正）"
OBJECTION_MAX_LENGTH = 2000
CONTACT_MAX_LENGTH = 100
#: At most this many objections to one correction in any hour, from everyone together (the notice's setting).
DEFAULT_OBJECTIONS_PER_PUBLICATION_PER_HOUR = 100
VERSION_SUFFIX = re.compile(r"（第\d+版）$")


def _today() -> date:
    return timezone.localdate()


@dataclass(frozen=True)
class ResultChange:
    """One organization's corrected level on a publication."""

    organization: Organization
    level: int


def result_correct(
    *,
    publication: ResultPublication,
    changes: Sequence[ResultChange],
    kind: str,
    reason: str,
    actor: Actor,
    confirmation: str = "",
) -> ResultPublication:
    """Correct ``changes`` on ``publication`` (its current version): the new version, ledger and plaques follow.

    Refused, naming the organization, when one is not on the publication, is given twice or at its
    published level, has a level outside its campaign's scheme, or a year's result that no longer matches
    the published line, or was sent to the municipal re-review; also without a kind, a reason or
    ``confirmation`` typed as ``CONFIRMATION_PHRASE``. A refusal changes nothing and logs nothing.
    """
    with transaction.atomic():
        require_office(actor, publication.root)
        current = ResultPublication.objects.select_for_update().select_related("root").get(pk=publication.pk)
        successor = ResultPublication.objects.filter(supersedes=current).first()
        if successor is not None:
            raise TransitionRefused(
                f"《{current.title}》已更正，见第{successor.version}版，请在最新版本上更正", code="superseded"
            )
        if kind not in CorrectionKind.values:
            raise TransitionRefused("请选择更正类别（异议成立、记录有误或其他）", code="kind")
        reason = required_text(reason, "更正理由", maximum=TEXT_MAX_LENGTH)
        if not changes:
            raise TransitionRefused("请至少更正一个组织的星级", code="nothing_chosen")
        lines = {line.organization_id: line for line in current.results.select_related("organization")}
        found = _check_changes(current, changes, lines)
        if (confirmation or "").strip() != CONFIRMATION_PHRASE:
            raise TransitionRefused(
                f"更正将公布新版本并记入星级管理台账，核对无误后请输入“{CONFIRMATION_PHRASE}”",
                code="confirmation_required",
            )
        evaluations = {
            evaluation.pk: evaluation
            for evaluation in Evaluation.objects.select_for_update(of=("self",))
            .select_related("campaign", "approval")
            .filter(pk__in=[result.evaluation.pk for result, _ in found.values()])
        }
        today = _today()
        notice_days = max(result.campaign.notice_days for result, _ in found.values())
        version = current.version + 1
        base_title = VERSION_SUFFIX.sub("", current.title)[:190]
        corrected = {
            organization_id: (level, result.campaign.level_name(level))
            for organization_id, (result, level) in found.items()
        }
        rows = []
        for row in current.rows:
            change = corrected.get(row.get("organization_id") or 0)
            if change is None:
                rows.append({key: value for key, value in row.items() if key != "previous_level_name"})
            else:
                rows.append(
                    {**row, "level": change[0], "level_name": change[1], "previous_level_name": row["level_name"]}
                )
        new = ResultPublication.objects.create(
            year=current.year,
            root=current.root,
            title=f"{base_title}（第{version}版）",
            rows=rows,
            published_by=actor,
            version=version,
            supersedes=current,
            correction_kind=kind,
            correction_reason=reason,
            notice_starts_on=today,
            notice_ends_on=today + timedelta(days=notice_days - 1),
        )
        # The old version's lines step aside first: one current line per organization and year.
        PublishedResult.objects.filter(publication=current).update(is_current=False)
        PublishedResult.objects.bulk_create(
            [_new_line(new, line, corrected.get(line.organization_id)) for line in lines.values()]
        )
        ledger = current_ledger_entries(found)
        kind_label = CorrectionKind(kind).label
        entries: list[StarLedgerEntry] = []
        unchanged: list[int] = []
        level_audits = []
        for organization_id, (result, level) in found.items():
            evaluation = evaluations[result.evaluation.pk]
            line = lines[organization_id]
            Evaluation.objects.filter(pk=evaluation.pk).update(approved_level=level, version=F("version") + 1)
            latest = ledger.get(organization_id)
            if latest is not None and latest.evaluation_id == evaluation.pk:
                entries.append(
                    StarLedgerEntry.objects.create(
                        organization=line.organization,
                        level=level,
                        level_name=corrected[organization_id][1],
                        previous_level=latest.level,
                        effective_on=today,
                        campaign=evaluation.campaign,
                        evaluation=evaluation,
                        approval=evaluation.approval,
                        approving_body=CORRECTING_BODY,
                        reason=(
                            f"{new.title}更正（{kind_label}）：由{line.level_name}更正为{corrected[organization_id][1]}，"
                            f"{reason}"
                        )[:TEXT_MAX_LENGTH],
                        approver=actor,
                    )
                )
            else:
                unchanged.append(organization_id)
            level_audits.append((evaluation, line.level, level))
        withdrawals_check(organizations=[entry.organization_id for entry in entries], actor=actor)
        for entry in entries:
            audit_log(
                actor=actor,
                action="star_ledger.recorded",
                obj=entry,
                before={"level": entry.previous_level},
                after={"level": entry.level, "effective_on": entry.effective_on, "reason": entry.reason},
            )
        for evaluation, before_level, level in level_audits:
            audit_log(
                actor=actor,
                action="evaluation.level_corrected",
                obj=evaluation,
                before={"approved_level": before_level},
                after={"approved_level": level, "publication_id": new.pk, "kind": kind, "reason": reason},
            )
        published = audit_log(
            actor=actor,
            action="results.corrected",
            obj=new,
            before={"publication_id": current.pk, "version": current.version},
            after={
                "version": version,
                "kind": kind,
                "reason": reason,
                "changes": [
                    {
                        "organization_id": organization_id,
                        "from": lines[organization_id].level,
                        "to": level,
                    }
                    for organization_id, (_, level) in found.items()
                ],
                "notice": [new.notice_starts_on, new.notice_ends_on],
                # A later decision stays the current level of these: no ledger line was written.
                "ledger_unchanged": unchanged,
            },
        )
        # The chain's head right after the version's own entry: it covers the corrected rows.
        new.head_hash = published.hash
        new.save(update_fields=["head_hash"])
    return new


def _check_changes(
    publication: ResultPublication, changes: Sequence[ResultChange], lines: dict[int, PublishedResult]
) -> dict[int, tuple[selectors.YearResult, int]]:
    """{organization id: (its year's result, the corrected level)} in tree order, each change checked."""
    seen: set[int] = set()
    for change in changes:
        organization = change.organization
        if organization.pk in seen:
            raise TransitionRefused(f"{organization.name}重复出现，每个组织只能更正一次", code="duplicate")
        seen.add(organization.pk)
        if organization.pk not in lines:
            raise TransitionRefused(f"{organization.name}不在《{publication.title}》的名单中，不能更正", code="unknown")
    results = selectors.year_results(Organization.objects.filter(pk__in=seen), publication.year)
    found: dict[int, tuple[selectors.YearResult, int]] = {}
    for change in sorted(changes, key=lambda item: item.organization.path):
        organization, line = change.organization, lines[change.organization.pk]
        result = results.get(organization.pk)
        if result is None or result.level != line.level:
            now = f"（现为{result.level_name}）" if result is not None else ""
            raise TransitionRefused(
                f"{organization.name}的{publication.year}年度评定结果{now}与公布的{line.level_name}不一致，不能更正",
                code="stale",
            )
        if result.evaluation.state != EvaluationState.APPROVED:
            raise TransitionRefused(
                f"{organization.name}的评定结果已报送市委组织部复审，以复审结果为准，不能在此更正", code="municipal"
            )
        if change.level not in result.campaign.scheme.level_values():
            raise TransitionRefused(
                f"{organization.name}：更正后的星级“{change.level}”不是评定方案中的等级", code="level"
            )
        if change.level == line.level:
            raise TransitionRefused(f"{organization.name}：更正后的星级与公布的{line.level_name}相同", code="unchanged")
        found[organization.pk] = (result, change.level)
    return found


def _new_line(publication: ResultPublication, line: PublishedResult, change: tuple[int, str] | None) -> PublishedResult:
    if change is None:
        return PublishedResult(
            publication=publication,
            organization_id=line.organization_id,
            year=line.year,
            level=line.level,
            level_name=line.level_name,
        )
    return PublishedResult(
        publication=publication,
        organization_id=line.organization_id,
        year=line.year,
        level=change[0],
        level_name=change[1],
        changed=True,
        previous_level=line.level,
        previous_level_name=line.level_name,
    )


# --- objections to a correction (更正公示异议) ------------------------------------------------------------


def correction_objection_file(
    *,
    publication: ResultPublication,
    result: PublishedResult,
    content: str,
    contact: str = "",
    actor: Actor | AnonymousUser | None = None,
) -> CorrectionObjection:
    """Anyone objects to a corrected line of ``publication`` during its correction notice period.

    Only the lines the correction changed take objections; content is required, contact optional. At most
    ``XINGJI_OBJECTIONS_PER_NOTICE_PER_HOUR`` objections to one correction are accepted in any hour.
    """
    actor = actor if actor is not None else AnonymousUser()
    with transaction.atomic():
        current = ResultPublication.objects.select_for_update().get(pk=publication.pk)
        if current.notice_starts_on is None or current.notice_ends_on is None:
            raise TransitionRefused("该公布不是更正后的版本，没有更正公示期", code="no_notice")
        if ResultPublication.objects.filter(supersedes=current).exists():
            raise TransitionRefused("该公布已再次更正，请对最新版本提出异议", code="superseded")
        if not current.accepts_objections_on(_today()):
            raise TransitionRefused(
                f"更正公示期为{current.notice_starts_on:%Y年%m月%d日}至{current.notice_ends_on:%Y年%m月%d日}，"
                "当前不在公示期内",
                code="outside_period",
            )
        line = PublishedResult.objects.filter(publication=current, pk=result.pk).select_related("organization").first()
        if line is None or not line.changed:
            raise TransitionRefused("只能对本次更正的组织提出异议", code="not_changed")
        content = required_text(content, "异议内容", maximum=OBJECTION_MAX_LENGTH)
        contact = (contact or "").strip()
        if len(contact) > CONTACT_MAX_LENGTH:
            raise TransitionRefused(f"联系方式不能超过{CONTACT_MAX_LENGTH}字", code="too_long")
        limit = getattr(settings, "XINGJI_OBJECTIONS_PER_NOTICE_PER_HOUR", DEFAULT_OBJECTIONS_PER_PUBLICATION_PER_HOUR)
        recent = CorrectionObjection.objects.filter(
            publication=current, filed_at__gte=timezone.now() - timedelta(hours=1)
        ).count()
        if recent >= limit:
            raise TransitionRefused("本更正公示收到的异议过于频繁，请稍后再试", code="throttled")
        objection = CorrectionObjection.objects.create(
            publication=current, result=line, content=content, contact=contact, state=ObjectionState.OPEN
        )
        # Content and contact stay out of the log, which can never be erased.
        audit_log(
            actor=actor,
            action="correction_objection.filed",
            obj=objection,
            before=None,
            after={"publication_id": current.pk, "organization_id": line.organization_id, "state": objection.state},
        )
    return objection


def correction_objection_answer(
    *, objection: CorrectionObjection, upheld: bool, answer: str, actor: Actor
) -> CorrectionObjection:
    """The office answers an objection to a correction; an upheld one calls for a further correction."""
    with transaction.atomic():
        publication = ResultPublication.objects.select_related("root").get(pk=objection.publication_id)
        require_office(actor, publication.root)
        answer = required_text(answer, "答复", maximum=TEXT_MAX_LENGTH)
        current = CorrectionObjection.objects.select_for_update().get(pk=objection.pk)
        if current.state != ObjectionState.OPEN:
            raise TransitionRefused("该异议已经答复", code="answered")
        current.state = ObjectionState.UPHELD if upheld else ObjectionState.REJECTED
        current.answer, current.answered_by, current.answered_at = answer, actor, timezone.now()
        current.save(update_fields=["state", "answer", "answered_by", "answered_at"])
        audit_log(
            actor=actor,
            action="correction_objection.answered",
            obj=current,
            before={"state": ObjectionState.OPEN},
            after={"state": current.state, "answer": answer},
        )
    return current
