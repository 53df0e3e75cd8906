"""The bridge between an evaluation and the rating engine (``xingji.rules``).

An evaluation is rated from the engine's JSON-shaped input: the
organization's evidence facts for the campaign's year (``xingji.records``),
the superior's criterion scores as the base score, the survey's
satisfaction, whether it is newly founded, its previous level from the star
ledger and whether it has an innovation project. The engine is the only
place where a score or a level is computed; this module only assembles its
input and turns its ``Result`` into what an evaluation stores.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date
from decimal import Decimal, InvalidOperation
from typing import Any

from django.db.models import QuerySet

from xingji.campaigns.models import Campaign, Evaluation
from xingji.common.errors import TransitionRefused
from xingji.orgs.models import Organization
from xingji.rules import Engine, InputError, parse_organizations
from xingji.rules.engine import Result
from xingji.rules.explain import result_to_dict
from xingji.rules.inputs import Record
from xingji.rules.numbers import cents_to_decimal, format_score
from xingji.rules.scheme import Scheme

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
    scheme: Scheme, category: str | None, scores: Mapping[str, Any], *, complete: bool
) -> dict[str, CriterionEntry]:
    """Validate criterion scores against the scheme's criteria for the category.

    Each score lies between 0 and its criterion's maximum with at most two
    decimals; with ``complete`` every criterion must be scored. Refuses with
    every problem at once, each naming its criterion.
    """
    criteria = {criterion.code: criterion for criterion in scheme.criteria_for(category)}
    entries = coerce_entries(scores)
    problems: list[str] = []
    cleaned: dict[str, CriterionEntry] = {}
    for code, entry in entries.items():
        criterion = criteria.get(code)
        if criterion is None:
            problems.append(f"评定方案中没有编号为“{code}”的评定内容")
            continue
        label = f"“{criterion.code} {criterion.name}”"
        try:
            score = _decimal(entry.score)
        except (InvalidOperation, ValueError):
            problems.append(f"{label}的得分“{entry.score}”不是数字")
            continue
        if score is not None:
            maximum = cents_to_decimal(criterion.max_cents)
            if score < 0:
                problems.append(f"{label}的得分不能为负数")
                continue
            if score > maximum:
                problems.append(f"{label}的得分{score}超过该项满分{maximum}")
                continue
            if score != score.quantize(TWO_PLACES):
                problems.append(f"{label}的得分最多保留两位小数")
                continue
            score = score.quantize(TWO_PLACES)
        cleaned[code] = CriterionEntry(score, (entry.comment or "").strip())
    if complete:
        for code, criterion in criteria.items():
            if cleaned.get(code) is None or cleaned[code].score is None:
                problems.append(f"“{criterion.code} {criterion.name}”尚未评分")
    if problems:
        raise TransitionRefused(problems, code="scores")
    return cleaned


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
        return _basic_facts(organization)
    return engine_facts(organization, campaign.year, on=facts_date(campaign))


def facts_by_code(campaign: Campaign, organizations: QuerySet[Organization]) -> dict[str, dict[str, Any]]:
    """``organization_facts`` for many organizations in a fixed number of queries, by organization code."""
    try:
        from xingji.records.selectors import engine_facts_for
    except ImportError:  # pragma: no cover
        return {org.code: _basic_facts(org) for org in organizations}
    return {facts["id"]: facts for facts in engine_facts_for(organizations, campaign.year, on=facts_date(campaign))}


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
) -> Decimal | None:
    """The weighted composite of self-evaluation, survey and superior scores (a hint only).

    The survey's score (``survey_component``: 0-1) is put on the scheme's scale
    (0.92 of 100 is 92). None when the scheme has no weights or a weighted part is missing.
    """
    if not scheme.weights:
        return None
    full_marks = cents_to_decimal(scheme.full_marks_cents)
    components: dict[str, Decimal | None] = {
        "self": _total(self_scores),
        "survey": satisfaction * full_marks if satisfaction is not None else None,
        "superior": _total(superior_scores),
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
