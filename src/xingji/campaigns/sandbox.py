"""The what-if sandbox (模拟测算): an evaluation rated again with changed scores or added records, unsaved.

An evaluator or the organization's secretary asks what would happen if a
criterion were scored differently, or if one more commendation, criticism
notice, absence … were on record. ``what_if`` builds the very input the real
rating builds (``scoring.organization_facts`` + ``scoring.engine_input`` on
the evaluation's current scores), rates it once as it stands and once with
the changes, through the same engine call (``scoring.rate_one``), and
compares the two. Nothing is written: no row, no audit entry.

The current scores are the superior's (what the rating reads); before the
superior has scored, the self-evaluation's, so that a branch can try its own
figures; a criterion not scored counts 0, as in the engine.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from typing import Any, Literal

from xingji.accounts.access import SELF_ROLES, is_superior_of
from xingji.accounts.models import User
from xingji.campaigns import access, scoring
from xingji.campaigns.models import Campaign, CriterionScore, Evaluation, ScorePart
from xingji.common.errors import ActionForbidden, TransitionRefused
from xingji.records.models import CriticismIssuer, HonourLevel

#: The most records of one kind a what-if may add (a typo of 1000 would only make noise of the result).
MAX_ADDED = 20

FORBIDDEN = "只有本组织的书记和上级考评组织可以使用模拟测算"


@dataclass(frozen=True)
class RecordKind:
    """A kind of hypothetical record and where it goes in the engine's input."""

    key: str
    label: str
    #: The engine field (``commendations``, ``criticisms.working_committee`` …).
    fact: str
    #: For a list of levels (commendations, innovations): the level each added record has.
    level: str | None = None


def _record_kinds() -> tuple[RecordKind, ...]:
    kinds: list[RecordKind] = []
    for level in HonourLevel:
        kinds.append(
            RecordKind(f"commendation_{level.value}", f"表彰或署名文章（{level.label}）", "commendations", level.value)
        )
    for level in HonourLevel:
        kinds.append(RecordKind(f"innovation_{level.value}", f"党建创新（{level.label}）", "innovations", level.value))
    for issuer in CriticismIssuer:
        kinds.append(RecordKind(f"criticism_{issuer.value}", f"{issuer.label}通报批评", f"criticisms.{issuer.value}"))
    kinds += [
        RecordKind("leader_discipline_light", "班子成员受警告、严重警告处分（人次）", "leader_discipline.light"),
        RecordKind("leader_discipline_heavy", "班子成员受撤销党内职务以上处分（人次）", "leader_discipline.heavy"),
        RecordKind("member_violation", "一般党员违法违纪（人次）", "member_violations"),
        RecordKind("absence", "无故缺席会议、培训或未按时完成任务（次）", "absences"),
    ]
    return tuple(kinds)


RECORD_KINDS = _record_kinds()
RECORD_KIND_BY_KEY = {kind.key: kind for kind in RECORD_KINDS}


@dataclass(frozen=True)
class WhatIf:
    """The changes to try: criterion scores (code → score), records added (kind key → count), figures.

    ``satisfaction`` (0-1) replaces the survey's when given; ``election_held``
    takes the re-election as held on time (no overdue election rule applies).
    """

    scores: Mapping[str, Any] = field(default_factory=dict)
    added: Mapping[str, Any] = field(default_factory=dict)
    satisfaction: Decimal | None = None
    election_held: bool = False


@dataclass(frozen=True)
class Outcome:
    """One rating of the evaluation: what a page shows of it."""

    base_score: Decimal
    final_score: Decimal
    level: int
    level_name: str
    reasons: list[dict[str, Any]]
    explanation: list[str]


ChangeKind = Literal["appeared", "disappeared", "changed"]
CHANGE_LABELS: dict[str, str] = {"appeared": "新增", "disappeared": "消失", "changed": "变化"}


@dataclass(frozen=True)
class ReasonChange:
    """A reason (rule) of the what-if that the current rating lacks, or the reverse, or says otherwise."""

    kind: ChangeKind
    rule: str
    clause: str
    before: str
    after: str

    @property
    def label(self) -> str:
        return CHANGE_LABELS[self.kind]


@dataclass(frozen=True)
class Comparison:
    """The current rating beside the what-if, and the reasons that differ."""

    current: Outcome
    what_if: Outcome
    changes: list[ReasonChange]
    #: Which scores the ratings start from: "superior", "self" or "none" (nothing scored yet).
    score_source: str
    #: The scores the what-if used, by criterion code (the current ones with the changes applied).
    scores: dict[str, Decimal]
    #: The engine input of each side (the facts as read, and as changed).
    current_input: dict[str, Any]
    what_if_input: dict[str, Any]

    @property
    def level_changed(self) -> bool:
        return self.current.level != self.what_if.level

    @property
    def score_changed(self) -> bool:
        return self.current.final_score != self.what_if.final_score

    @property
    def new_lines(self) -> set[str]:
        """The what-if's explanation lines that the current one does not have (a page highlights them)."""
        return set(self.what_if.explanation) - set(self.current.explanation)


# --- who may use it ---------------------------------------------------------------------


def may_use_sandbox(user: User, evaluation: Evaluation) -> bool:
    """The evaluation's evaluators (the superior's reviewer or office) and the organization's own secretary."""
    if user.is_superuser:
        return True
    if is_superior_of(user, evaluation.organization_id):
        return True
    return user.organization_id == evaluation.organization_id and user.role in SELF_ROLES


def require_sandbox(user: User, evaluation: Evaluation) -> None:
    """403 for a user who sees the evaluation but neither evaluates it nor is its organization's secretary."""
    if not may_use_sandbox(user, evaluation):
        raise ActionForbidden(FORBIDDEN)


# --- validation ----------------------------------------------------------------------------


def clean_added(added: Mapping[str, Any]) -> dict[str, int]:
    """Counts of added records: whole numbers from 0 to ``MAX_ADDED``; every problem at once, naming the kind."""
    problems: list[str] = []
    counts: dict[str, int] = {}
    for key, value in added.items():
        kind = RECORD_KIND_BY_KEY.get(key)
        if kind is None:
            problems.append(f"没有“{key}”这类记录")
            continue
        if value is None or value == "":
            continue
        try:
            number = Decimal(str(value).strip())
        except InvalidOperation:
            problems.append(f"“{kind.label}”的新增数量“{value}”不是数字")
            continue
        if not number.is_finite() or number != number.to_integral_value() or not 0 <= number <= MAX_ADDED:
            problems.append(f"“{kind.label}”的新增数量应为0至{MAX_ADDED}之间的整数")
            continue
        if number:
            counts[key] = int(number)
    if problems:
        raise TransitionRefused(problems, code="added")
    return counts


def clean_satisfaction(value: Decimal | None) -> Decimal | None:
    if value is None:
        return None
    if not value.is_finite() or not Decimal(0) <= value <= Decimal(1):
        raise TransitionRefused("模拟的满意率应在0%至100%之间", code="satisfaction")
    return value


# --- the comparison ----------------------------------------------------------------------


def current_scores(evaluation: Evaluation) -> tuple[str, dict[str, Decimal]]:
    """The scores a rating starts from: the superior's if any is given, else the self-evaluation's."""
    rows = CriterionScore.objects.filter(evaluation=evaluation, score__isnull=False).values_list(
        "part", "criterion_code", "score"
    )
    by_part: dict[str, dict[str, Decimal]] = {ScorePart.SUPERIOR: {}, ScorePart.SELF: {}}
    for part, code, score in rows:
        if score is not None and part in by_part:
            by_part[part][code] = score
    if by_part[ScorePart.SUPERIOR]:
        return "superior", by_part[ScorePart.SUPERIOR]
    if by_part[ScorePart.SELF]:
        return "self", by_part[ScorePart.SELF]
    return "none", {}


def _rated(campaign: Campaign, data: Mapping[str, Any]) -> Outcome:
    stored = scoring.stored_result(campaign, scoring.rate_one(campaign, data))
    return Outcome(
        base_score=stored.base_score,
        final_score=stored.final_score,
        level=stored.level,
        level_name=campaign.level_name(stored.level),
        reasons=stored.reasons,
        explanation=stored.explanation,
    )


def _with_base(campaign: Campaign, evaluation: Evaluation, data: dict[str, Any]) -> dict[str, Any]:
    """Nothing scored at all: every criterion at 0, which the engine sums as it sums missing ones."""
    if not data["criteria"]:
        criteria = campaign.scheme.criteria_for(evaluation.organization.category)
        data["criteria"] = {criterion.code: "0" for criterion in criteria}
    return data


def _apply(data: Mapping[str, Any], counts: Mapping[str, int], hypothesis: WhatIf) -> dict[str, Any]:
    """The engine input with the hypothetical records and figures (a deep enough copy: the original is kept)."""
    changed: dict[str, Any] = {}
    for key, value in data.items():
        changed[key] = dict(value) if isinstance(value, Mapping) else list(value) if isinstance(value, list) else value
    for key, count in counts.items():
        kind = RECORD_KIND_BY_KEY[key]
        if kind.level is not None:
            changed[kind.fact] = [*changed.get(kind.fact, []), *[kind.level] * count]
        elif "." in kind.fact:
            group, name = kind.fact.split(".")
            values: dict[str, Any] = changed.setdefault(group, {})
            values[name] = int(values.get(name) or 0) + count
        else:
            changed[kind.fact] = int(changed.get(kind.fact) or 0) + count
    if hypothesis.satisfaction is not None:
        changed["satisfaction"] = str(hypothesis.satisfaction)
    if hypothesis.election_held:
        changed["election"] = {"overdue": False, "excused": False, "overdue_days": 0}
    return changed


def reason_changes(current: list[dict[str, Any]], what_if: list[dict[str, Any]]) -> list[ReasonChange]:
    """The reasons that differ, by rule: in the what-if's order, then those that disappeared."""
    before = {reason["rule"]: reason for reason in current}
    after = {reason["rule"]: reason for reason in what_if}
    changes: list[ReasonChange] = []
    for rule, reason in after.items():
        old = before.get(rule)
        if old is None:
            changes.append(ReasonChange("appeared", rule, reason["clause"], "", reason["message"]))
        elif old != reason:
            changes.append(ReasonChange("changed", rule, reason["clause"], old["message"], reason["message"]))
    for rule, reason in before.items():
        if rule not in after:
            changes.append(ReasonChange("disappeared", rule, reason["clause"], reason["message"], ""))
    return changes


def what_if(*, evaluation: Evaluation, user: User, hypothesis: WhatIf) -> Comparison:
    """The evaluation rated as it stands and with ``hypothesis``, compared; nothing is saved.

    Refuses (``Http404``) an evaluation the user does not see, (``ActionForbidden``)
    a user who neither evaluates it nor is its secretary, and (``TransitionRefused``)
    a score above its criterion's maximum, a negative or too large count, with every
    problem at once, in the messages of the real forms (``scoring.clean_scores``).
    """
    current_evaluation: Evaluation = access.access_evaluation(user, evaluation.pk)
    require_sandbox(user, current_evaluation)
    campaign = current_evaluation.campaign
    category = current_evaluation.organization.category
    problems: list[str] = []
    overrides: dict[str, Decimal] = {}
    counts: dict[str, int] = {}
    try:
        overrides = scoring.given_scores(
            scoring.clean_scores(campaign.scheme, category, hypothesis.scores, complete=False)
        )
    except TransitionRefused as error:
        problems += error.messages
    try:
        counts = clean_added(hypothesis.added)
    except TransitionRefused as error:
        problems += error.messages
    try:
        satisfaction = clean_satisfaction(hypothesis.satisfaction)
    except TransitionRefused as error:
        problems += error.messages
    if problems:
        raise TransitionRefused(problems, code="what_if")

    source, scores = current_scores(current_evaluation)
    facts = scoring.organization_facts(campaign, current_evaluation.organization)
    current_input = _with_base(
        campaign, current_evaluation, scoring.engine_input(campaign, current_evaluation, facts, scores)
    )
    merged = {**scores, **overrides}
    changed_input = _apply(
        _with_base(campaign, current_evaluation, scoring.engine_input(campaign, current_evaluation, facts, merged)),
        counts,
        WhatIf(satisfaction=satisfaction, election_held=hypothesis.election_held),
    )
    current = _rated(campaign, current_input)
    changed = _rated(campaign, changed_input)
    return Comparison(
        current=current,
        what_if=changed,
        changes=reason_changes(current.reasons, changed.reasons),
        score_source=source,
        scores=merged,
        current_input=current_input,
        what_if_input=changed_input,
    )
