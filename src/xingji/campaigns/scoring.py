"""The bridge between an evaluation and the rating engine (``xingji.rules``).

An evaluation is rated from the engine's JSON-shaped input: the
organization's evidence facts for the campaign's year (``xingji.records``),
the superior's criterion scores as the base score, the survey's
satisfaction, whether it is newly founded, its previous level from the star
ledger and whether it has an innovation project. The engine is the only
place where a score or a level is computed; this module only assembles its
input and turns its ``Result`` into what an evaluation stores.

The facts include the branch's work indicators (组织生活落实率、按时交纳党费比例、
民主评议党员覆盖率: ``xingji.branchwork.indicators``, ``xingji.dues.indicators``),
computed from its records on the campaign's deadline. A criterion the scheme
scores from an indicator (``scored_by``) takes the engine's points for it
whenever the indicator is known: ``clean_scores`` fills it in, whatever was
typed, so that the score stored is the one the engine computes.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from decimal import Decimal, InvalidOperation
from typing import Any

from django.db.models import QuerySet

from xingji.branchwork.indicators import BranchIndicators, branch_indicators
from xingji.campaigns.models import Campaign, Evaluation
from xingji.common.errors import TransitionRefused
from xingji.dues.indicators import DuesIndicator, dues_indicators
from xingji.orgs.models import Organization
from xingji.rules import Engine, InputError, parse_organizations
from xingji.rules.engine import Result
from xingji.rules.explain import result_to_dict
from xingji.rules.inputs import Record
from xingji.rules.numbers import cents_to_decimal, format_score, format_share
from xingji.rules.scheme import INDICATOR_FACTS, Criterion, Scheme

TWO_PLACES = Decimal("0.01")


@dataclass(frozen=True)
class CriterionEntry:
    """A score (None: not yet given, in a draft) and a comment for one criterion."""

    score: Decimal | None
    comment: str = ""


def coerce_entries(scores: Mapping[str, Any]) -> dict[str, CriterionEntry]:
    """Accept ``CriterionEntry`` values, ``{"score": …, "comment": …}`` mappings or bare scores."""
    entries: dict[str, CriterionEntry] = {}
    for code, value in scores.items():
        if isinstance(value, CriterionEntry):
            entries[str(code)] = value
        elif isinstance(value, Mapping):
            entries[str(code)] = CriterionEntry(value.get("score"), value.get("comment") or "")
        else:
            entries[str(code)] = CriterionEntry(value)
    return entries


def _decimal(value: Any) -> Decimal | None:
    if value is None or value == "":
        return None
    if isinstance(value, bool):
        raise InvalidOperation
    if isinstance(value, float):
        value = repr(value)
    number = Decimal(str(value).strip()) if not isinstance(value, Decimal) else value
    if not number.is_finite():
        raise InvalidOperation
    return number


def clean_scores(
    scheme: Scheme,
    category: str | None,
    scores: Mapping[str, Any],
    *,
    complete: bool,
    computed: Mapping[str, Decimal] | None = None,
) -> dict[str, CriterionEntry]:
    """Validate criterion scores against the scheme's criteria for the category.

    Each score lies between 0 and its criterion's maximum with at most two
    decimals; with ``complete`` every criterion must be scored. Refuses with
    every problem at once, each naming its criterion. ``computed``: the
    scores of the criteria scored from a known indicator (``computed_scores``):
    they stand in for whatever was typed for them, which is ignored, not refused.
    """
    criteria = {criterion.code: criterion for criterion in scheme.criteria_for(category)}
    entries = coerce_entries(scores)
    known = {code: score for code, score in (computed or {}).items() if code in criteria}
    problems: list[str] = []
    cleaned: dict[str, CriterionEntry] = {}
    for code, score in known.items():
        entry = entries.pop(code, None)
        cleaned[code] = CriterionEntry(score, (entry.comment if entry else "").strip())
    for code, entry in entries.items():
        criterion = criteria.get(code)
        if criterion is None:
            problems.append(f"评定方案中没有编号为“{code}”的评定内容")
            continue
        try:
            cleaned[code] = CriterionEntry(_clean_score(criterion, entry.score), (entry.comment or "").strip())
        except ValueError as problem:
            problems.append(str(problem))
    if complete:
        for code, criterion in criteria.items():
            if cleaned.get(code) is None or cleaned[code].score is None:
                problems.append(f"“{criterion.code} {criterion.name}”尚未评分")
    if problems:
        raise TransitionRefused(problems, code="scores")
    return cleaned


def _clean_score(criterion: Criterion, value: Any) -> Decimal | None:
    """The score typed for the criterion, to two places; ``ValueError`` with the message naming it."""
    label = f"“{criterion.code} {criterion.name}”"
    try:
        score = _decimal(value)
    except (InvalidOperation, ValueError):
        raise ValueError(f"{label}的得分“{value}”不是数字") from None
    if score is None:
        return None
    maximum = cents_to_decimal(criterion.max_cents)
    if score < 0:
        raise ValueError(f"{label}的得分不能为负数")
    if score > maximum:
        raise ValueError(f"{label}的得分{score}超过该项满分{maximum}")
    if score != score.quantize(TWO_PLACES):
        raise ValueError(f"{label}的得分最多保留两位小数")
    return score.quantize(TWO_PLACES)


# --- evidence facts ----------------------------------------------------------------------


def facts_date(campaign: Campaign) -> date:
    """The day the facts are judged on (an election overdue by then): the campaign's deadline."""
    return campaign.deadline


def _basic_facts(organization: Organization) -> dict[str, Any]:
    return {"id": organization.code, "name": organization.name, "category": organization.category}


def organization_facts(campaign: Campaign, organization: Organization) -> dict[str, Any]:
    """The organization's evidence facts for the campaign's year, without a base score."""
    try:
        from xingji.records.selectors import engine_facts
    except ImportError:  # pragma: no cover - the records app is part of the platform
        facts = _basic_facts(organization)
    else:
        facts = engine_facts(organization, campaign.year, on=facts_date(campaign))
    facts.update(indicators_of(campaign, [organization])[organization.pk].facts())
    return facts


def facts_by_code(campaign: Campaign, organizations: QuerySet[Organization]) -> dict[str, dict[str, Any]]:
    """``organization_facts`` for many organizations in a fixed number of queries, by organization code."""
    # Read once, with the election the evidence facts judge: the indicators and the facts share the instances.
    loaded = list(organizations.select_related("election"))
    indicators = {organization.code: found for organization, found in _indicators(campaign, loaded)}
    try:
        from xingji.records.selectors import engine_facts_for
    except ImportError:  # pragma: no cover
        found = [_basic_facts(org) for org in loaded]
    else:
        found = engine_facts_for(organizations, campaign.year, on=facts_date(campaign), loaded=loaded)
    for facts in found:
        facts.update(indicators[facts["id"]].facts())
    return {facts["id"]: facts for facts in found}


# --- the branch's work indicators ---------------------------------------------------------------


@dataclass(frozen=True)
class Indicators:
    """One organization's work indicators for the campaign's year, with the counts behind them."""

    branch: BranchIndicators
    dues: DuesIndicator

    def value(self, fact: str) -> Decimal | None:
        """The share of an indicator fact (dotted name), None when unknown or not applicable."""
        values = {
            "meetings.compliance": self.branch.meetings_compliance,
            "dues.paid_on_time": self.dues.paid_on_time,
            "appraisal.coverage": self.branch.appraisal_coverage,
        }
        return values[fact]

    def detail(self, fact: str) -> str:
        """What the share counts, in Chinese: "已开 8 次 / 应开 9 次"."""
        if fact == "meetings.compliance":
            return f"已开{self.branch.meetings_held}次/应开{self.branch.meetings_owed}次"
        if fact == "dues.paid_on_time":
            return f"按时交纳{self.dues.months_on_time}人月/应交{self.dues.months_due}人月"
        return f"已评议{self.branch.appraisal_graded}人/名册{self.branch.appraisal_roll}人"

    def facts(self) -> dict[str, dict[str, str]]:
        """The known indicators as the engine's nested input (``{"meetings": {"compliance": "0.9"}}``)."""
        found: dict[str, dict[str, str]] = {}
        for fact in INDICATOR_FACTS:
            value = self.value(fact)
            if value is not None:
                group, key = fact.split(".")
                found.setdefault(group, {})[key] = str(value)
        return found


def _indicators(campaign: Campaign, organizations: Sequence[Organization]) -> list[tuple[Organization, Indicators]]:
    today = facts_date(campaign)
    branch = branch_indicators(organizations, year=campaign.year, today=today)
    dues = dues_indicators(organizations, year=campaign.year, today=today)
    return [
        (organization, Indicators(branch[organization.pk], dues[organization.pk])) for organization in organizations
    ]


def indicators_of(campaign: Campaign, organizations: Sequence[Organization]) -> dict[int, Indicators]:
    """The work indicators of the organizations for the campaign's year, by pk (a fixed number of queries)."""
    return {organization.pk: found for organization, found in _indicators(campaign, organizations)}


def indicator_facts(campaign: Campaign, organization: Organization) -> dict[str, dict[str, str]]:
    """Only the work indicators of ``organization_facts`` (none read when the scheme uses no indicator)."""
    if not any(criterion.indicators for criterion in campaign.scheme.criteria):
        return {}
    return indicators_of(campaign, [organization])[organization.pk].facts()


def fact_share(facts: Mapping[str, Any], fact: str) -> Decimal | None:
    """An indicator's share in engine-input facts (``facts["meetings"]["compliance"]``), None when absent."""
    group, key = fact.split(".")
    value = (facts.get(group) or {}).get(key)
    if value is None or value == "":
        return None
    return Decimal(str(value))


def computed_scores(scheme: Scheme, category: str | None, facts: Mapping[str, Any]) -> dict[str, Decimal]:
    """The scores of the criteria scored from an indicator the facts hold, as the engine computes them."""
    found: dict[str, Decimal] = {}
    for criterion in scheme.criteria_for(category):
        scored_by = criterion.scored_by
        if scored_by is None:
            continue
        share = fact_share(facts, scored_by.fact)
        if share is not None:
            found[criterion.code] = cents_to_decimal(scored_by.points(share, criterion.max_cents))
    return found


@dataclass(frozen=True)
class IndicatorFact:
    """One indicator shown beside a criterion: its fact, name, share (None: not known) and counts."""

    fact: str
    label: str
    value: Decimal | None
    text: str
    detail: str


@dataclass(frozen=True)
class CriterionIndicators:
    """What an evaluation form shows beside a criterion: the indicators, and the score computed from one."""

    criterion: Criterion
    facts: tuple[IndicatorFact, ...]
    #: The score from ``scored_by`` when its indicator is known (the field is then read-only), else None.
    computed: Decimal | None
    #: The scheme's formula in a sentence, with its clause ("" when the criterion is not scored from an indicator).
    rule: str


def criterion_indicators(campaign: Campaign, organization: Organization) -> dict[str, CriterionIndicators]:
    """By criterion code, the criteria of the organization's category that show or are scored by an indicator."""
    scheme = campaign.scheme
    criteria = [criterion for criterion in scheme.criteria_for(organization.category) if criterion.indicators]
    if not criteria:
        return {}
    indicators = indicators_of(campaign, [organization])[organization.pk]
    found: dict[str, CriterionIndicators] = {}
    for criterion in criteria:
        facts = []
        for fact in criterion.indicators:
            value = indicators.value(fact)
            text = format_share(value) if value is not None else "无（不适用或尚无应完成的）"
            facts.append(IndicatorFact(fact, INDICATOR_FACTS[fact], value, text, indicators.detail(fact)))
        computed = None
        rule = ""
        scored_by = criterion.scored_by
        if scored_by is not None:
            share = indicators.value(scored_by.fact)
            if share is not None:
                computed = cents_to_decimal(scored_by.points(share, criterion.max_cents))
            rule = scored_by.rule_text(criterion.max_cents)
            if scored_by.clause:
                rule = f"{rule}（{scored_by.clause}）"
        found[criterion.code] = CriterionIndicators(criterion, tuple(facts), computed, rule)
    return found


def given_scores(entries: Mapping[str, CriterionEntry]) -> dict[str, Decimal]:
    """{code: score} of the criteria scored (all of them after ``clean_scores(..., complete=True)``)."""
    return {code: entry.score for code, entry in entries.items() if entry.score is not None}


def engine_input(
    campaign: Campaign,
    evaluation: Evaluation,
    facts: Mapping[str, Any],
    superior_scores: Mapping[str, Decimal],
) -> dict[str, Any]:
    """The engine's input for one evaluation: its facts and what the campaign knows of it."""
    data = dict(facts)
    data["criteria"] = {code: str(score) for code, score in superior_scores.items()}
    if evaluation.survey_satisfaction is not None:
        data["satisfaction"] = str(evaluation.survey_satisfaction)
    data["newly_founded"] = evaluation.newly_founded
    data["innovation_project"] = evaluation.innovation_project
    if evaluation.previous_level is not None and evaluation.previous_level in campaign.scheme.level_values():
        data["previous_stars"] = evaluation.previous_level
    return data


def parse_inputs(campaign: Campaign, records: Iterable[tuple[str, Mapping[str, Any]]]):
    """Validate engine inputs; an invalid one is refused with the engine's own messages."""
    try:
        return parse_organizations([Record(where, data) for where, data in records], campaign.scheme)
    except InputError as error:
        raise TransitionRefused([str(problem) for problem in error.problems], code="engine_input") from None


def engine(campaign: Campaign) -> Engine:
    return Engine(campaign.scheme, stage=campaign.engine_stage)


def rate_one(campaign: Campaign, data: Mapping[str, Any]) -> Result:
    """The engine's result for one organization, on its own (no quotas)."""
    [organization] = parse_inputs(campaign, [(str(data.get("name") or data.get("id")), data)])
    return engine(campaign).rate_one(organization)


@dataclass(frozen=True)
class StoredResult:
    """What an evaluation keeps of an engine result."""

    base_score: Decimal
    final_score: Decimal
    band_level: int
    level: int
    reasons: list[dict[str, Any]]
    explanation: list[str]


def stored_result(campaign: Campaign, result: Result) -> StoredResult:
    data = result_to_dict(result, campaign.scheme)
    return StoredResult(
        base_score=cents_to_decimal(result.base_score),
        final_score=cents_to_decimal(result.final_score),
        band_level=result.band,
        level=result.stars,
        reasons=data["reasons"],
        explanation=data["explanation"],
    )


def apply_result(evaluation: Evaluation, stored: StoredResult) -> list[str]:
    """Copy a result onto the evaluation; the names of the fields set."""
    evaluation.base_score = stored.base_score
    evaluation.final_score = stored.final_score
    evaluation.band_level = stored.band_level
    evaluation.level = stored.level
    evaluation.reasons = stored.reasons
    evaluation.explanation = stored.explanation
    return ["base_score", "final_score", "band_level", "level", "reasons", "explanation"]


def survey_component(evaluation) -> Decimal | None:
    """The survey's part of the composite (0-1): its score from the scheme's option weights, else its satisfaction."""
    if evaluation.survey_score is not None:
        return evaluation.survey_score
    return evaluation.survey_satisfaction


def composite_hint(
    scheme: Scheme,
    self_scores: Mapping[str, Decimal | None],
    satisfaction: Decimal | None,
    superior_scores: Mapping[str, Decimal | None],
    *,
    satisfaction_rate: Decimal | None = None,
) -> Decimal | None:
    """The weighted composite of self-evaluation, survey and superior scores (a hint only).

    The survey's score (``survey_component``: 0-1) and, where the scheme weighs it, the
    satisfaction rate are put on the scheme's scale (0.92 of 100 is 92). None when the
    scheme has no weights or a weighted part is missing.
    """
    if not scheme.weights:
        return None
    full_marks = cents_to_decimal(scheme.full_marks_cents)
    components: dict[str, Decimal | None] = {
        "self": _total(self_scores),
        "survey": satisfaction * full_marks if satisfaction is not None else None,
        "superior": _total(superior_scores),
        # A scheme weighing the satisfaction rate itself (邹城: 30 %): the rate on the scheme's scale.
        "satisfaction": satisfaction_rate * full_marks if satisfaction_rate is not None else None,
    }
    total = Decimal(0)
    for name, weight in scheme.weights.items():
        if not weight:
            continue
        value = components.get(name)
        if value is None:
            return None
        total += value * weight
    return total.quantize(TWO_PLACES)


def _total(scores: Mapping[str, Decimal | None]) -> Decimal | None:
    values = [score for score in scores.values() if score is not None]
    return sum(values, Decimal(0)) if values else None


def score_text(score: Decimal | None) -> str:
    """Two decimals, as the office writes a score."""
    if score is None:
        return ""
    return format_score(int((score * 100).to_integral_value()))
