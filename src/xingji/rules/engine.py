"""Rating: one organization, then a population with its quotas.

The order is the scheme's and the seed's: base score (explicit, else the
criteria sum, else the weighted composite), adjustments of 五(三), clip to the
scale, band of 五(二), level rules in the scheme's order, then quotas over
everyone rated together. Every step that changed a score or a level, or
whose condition held, leaves a ``Reason``.

Reasons are immutable and most organizations share them (one criticism
notice reads the same everywhere), so each rule keeps the reasons it has
made and hands out the same object again: a million results cost memory for
the distinct reasons only.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from xingji.rules.inputs import Organization
from xingji.rules.numbers import format_points
from xingji.rules.scheme import (
    HONOUR_LEVELS,
    MESSAGE_FACTS,
    STAGES,
    Adjustment,
    LevelRule,
    Scheme,
    fact_text,
    with_clause,
)

QUOTA_MODES = ("warn", "enforce", "off")


@dataclass(frozen=True, slots=True)
class Reason:
    """Why a score or a level is what it is: rule code, seed clause, effect, sentence."""

    rule: str
    clause: str
    message: str
    points: int | None = None  # hundredths, signed; adjustments only
    effect: str | None = None  # demote / cap / set / max_rise / quota
    from_level: int | None = None
    to_level: int | None = None


@dataclass(slots=True)
class Result:
    id: str
    name: str
    base_score: int
    base_source: str
    final_score: int
    band: int
    stars: int
    reasons: list[Reason]
    satisfaction: Decimal | None = None

    def ranking_key(self) -> tuple:
        """Quota ranking: final, base, satisfaction (a survey beats none), id."""
        satisfaction = self.satisfaction
        return (
            -self.final_score,
            -self.base_score,
            satisfaction is None,
            -(satisfaction or 0),
            self.id,
        )


@dataclass
class QuotaCheck:
    """A quota over the population: the limit, what was found, what moved."""

    code: str
    clause: str
    label: str
    bound: str
    levels: list[int]
    share: Decimal
    limit: int
    count_before: int
    count_after: int
    moved: list[str] = field(default_factory=list)  # moved (enforce) or to move (warn)
    ties: list[dict[str, Any]] = field(default_factory=list)

    @property
    def satisfied_before(self) -> bool:
        if self.bound == "max":
            return self.count_before <= self.limit
        return self.count_before >= self.limit


@dataclass
class Rating:
    scheme: Scheme
    stage: str
    quota_mode: str
    results: list[Result]
    quota_checks: list[QuotaCheck]

    def by_level(self) -> dict[int, int]:
        counts = {value: 0 for value in sorted(self.scheme.level_values())}
        for result in self.results:
            counts[result.stars] += 1
        return counts

    def find(self, organization_id: str) -> Result | None:
        for result in self.results:
            if result.id == organization_id:
                return result
        return None


class Engine:
    """A scheme made ready to rate many organizations quickly."""

    def __init__(self, scheme: Scheme, *, stage: str = "year_end") -> None:
        if stage not in STAGES:
            raise ValueError(f"stage must be one of {STAGES}")
        self.scheme = scheme
        self.stage = stage
        self.full_marks = scheme.full_marks_cents
        # Bands from the top: the first whose minimum the score reaches.
        self.bands = [(level.min_cents, level.value) for level in reversed(scheme.levels)]
        self.level_order = scheme.level_values()
        self.lowest_level = self.level_order[0]
        self.level_names = {level.value: level.name for level in scheme.levels}
        self.adjustments = [_AdjustmentRunner(adjustment) for adjustment in scheme.adjustments]
        self.level_rules = [
            _LevelRuleRunner(rule, self) for rule in scheme.level_rules
            if rule.stage is None or rule.stage == stage
        ]
        self.weights = [(name, weight) for name, weight in scheme.weights.items() if weight]

    # ---------------------------------------------------------------- one

    def base(self, organization: Organization) -> tuple[int, str]:
        if organization.base_score is not None:
            return organization.base_score, "base_score"
        if organization.criteria is not None:
            return sum(organization.criteria.values()), "criteria"
        components = organization.components or {}
        total = sum(Decimal(components[name]) * weight for name, weight in self.weights)
        return int(total.quantize(Decimal(1), rounding=ROUND_HALF_UP)), "components"

    def band(self, score: int) -> int:
        for minimum, value in self.bands:
            if score >= minimum:
                return value
        return self.lowest_level

    def lower(self, value: int, steps: int) -> int:
        position = max(self.level_order.index(value) - steps, 0)
        return self.level_order[position]

    def rate_one(self, organization: Organization) -> Result:
        base, source = self.base(organization)
        reasons: list[Reason] = []
        score = base
        for runner in self.adjustments:
            reason = runner.apply(organization)
            if reason is not None:
                reasons.append(reason)
                score += reason.points
        if score < 0:
            score = 0
        elif score > self.full_marks:
            score = self.full_marks
        band = level = self.band(score)
        for runner in self.level_rules:
            reason = runner.apply(organization, level)
            if reason is not None:
                reasons.append(reason)
                level = reason.to_level
        return Result(organization.id, organization.name, base, source, score, band, level,
                      reasons, organization.satisfaction)

    # ---------------------------------------------------------------- many

    def rate(self, organizations: Iterable[Organization], *, quota_mode: str = "warn") -> Rating:
        from xingji.rules.quota import apply_quotas

        if quota_mode not in QUOTA_MODES:
            raise ValueError(f"quota mode must be one of {QUOTA_MODES}")
        rate_one = self.rate_one
        results = [rate_one(organization) for organization in organizations]
        checks = [] if quota_mode == "off" else apply_quotas(
            self, results, enforce=quota_mode == "enforce")
        return Rating(self.scheme, self.stage, quota_mode, results, checks)


def rate(
    scheme: Scheme,
    organizations: Iterable[Organization],
    *,
    quota_mode: str = "warn",
    stage: str = "year_end",
) -> Rating:
    return Engine(scheme, stage=stage).rate(organizations, quota_mode=quota_mode)


class _MessageValues(dict):
    """Template values: fixed ones, then facts of the organization on demand."""

    def __init__(self, organization: Organization, **fixed: Any) -> None:
        super().__init__(fixed)
        self.organization = organization

    def __missing__(self, name: str) -> str:
        attribute = MESSAGE_FACTS[name]
        return fact_text(attribute, getattr(self.organization, attribute))


class _AdjustmentRunner:
    __slots__ = ("adjustment", "cache", "fact_fields", "apply")

    def __init__(self, adjustment: Adjustment) -> None:
        self.adjustment = adjustment
        self.cache: dict[tuple, Reason] = {}
        self.fact_fields = tuple(MESSAGE_FACTS[name] for name in adjustment.message.fact_fields())
        self.apply = {
            "highest": self.apply_highest,
            "per_count": self.apply_per_count,
            "when": self.apply_when,
        }[adjustment.kind]

    def reason(self, organization: Organization, key: tuple, points: int, **values: Any) -> Reason:
        if self.fact_fields:
            key += tuple(getattr(organization, name) for name in self.fact_fields)
        reason = self.cache.get(key)
        if reason is None:
            adjustment = self.adjustment
            signed = adjustment.sign * points
            message = adjustment.message.render(
                _MessageValues(organization, points=format_points(points), **values))
            reason = Reason(adjustment.code, adjustment.clause,
                            with_clause(message, adjustment.clause), points=signed)
            self.cache[key] = reason
        return reason

    def apply_highest(self, organization: Organization) -> Reason | None:
        listed = getattr(organization, self.adjustment.fact_attribute)
        if not listed:
            return None
        table = self.adjustment.points_by_value
        best = None
        for value in listed:
            points = table.get(value)
            if points is not None and (best is None or points > table[best]):
                best = value
        if best is None:
            return None
        return self.reason(organization, (best, len(listed)), table[best],
                           value=HONOUR_LEVELS[best], count=len(listed))

    def apply_per_count(self, organization: Organization) -> Reason | None:
        count = getattr(organization, self.adjustment.fact_attribute)
        if not count:
            return None
        points = count * self.adjustment.points_cents
        limit = self.adjustment.limit_cents
        if limit is not None and points > limit:
            points = limit
        return self.reason(organization, (count,), points, count=count, value=count)

    def apply_when(self, organization: Organization) -> Reason | None:
        if not self.adjustment.condition(organization):
            return None
        return self.reason(organization, (), self.adjustment.points_cents, count=1, value="")


class _LevelRuleRunner:
    __slots__ = ("rule", "engine", "cache", "fact_fields")

    def __init__(self, rule: LevelRule, engine: Engine) -> None:
        self.rule = rule
        self.engine = engine
        self.cache: dict[tuple, Reason] = {}
        self.fact_fields = tuple(MESSAGE_FACTS[name] for name in rule.message.fact_fields())

    def target(self, organization: Organization, level: int) -> int | None:
        rule = self.rule
        effect = rule.effect
        if effect == "max_rise":
            previous = organization.previous_stars
            if previous is None:
                return None
            if rule.condition is not None and not rule.condition(organization):
                return None
            ceiling = self.engine.level_order[
                min(self.engine.level_order.index(previous) + rule.amount,
                    len(self.engine.level_order) - 1)]
            return min(level, ceiling)
        if not rule.condition(organization):
            return None
        if effect == "demote":
            return self.engine.lower(level, rule.amount)
        if effect == "cap":
            return min(level, rule.amount)
        return rule.amount  # set

    def apply(self, organization: Organization, level: int) -> Reason | None:
        to_level = self.target(organization, level)
        if to_level is None:
            return None
        key = (level, to_level)
        if self.fact_fields:
            key += tuple(getattr(organization, name) for name in self.fact_fields)
        reason = self.cache.get(key)
        if reason is None:
            rule = self.rule
            names = self.engine.level_names
            level_name = names.get(rule.amount, "") if rule.effect in ("cap", "set") else ""
            change = (f"由{names[level]}调整为{names[to_level]}" if to_level != level
                      else f"现为{names[level]}，不受影响")
            message = rule.message.render(_MessageValues(
                organization, level=level_name, to=names[to_level], change=change,
                **{"from": names[level]}))
            reason = Reason(rule.code, rule.clause, with_clause(message, rule.clause),
                            effect=rule.effect, from_level=level, to_level=to_level)
            self.cache[key] = reason
        return reason

