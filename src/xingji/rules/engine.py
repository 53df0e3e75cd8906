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

Speed (a million organizations is a realistic batch): one loop rates each
organization, testing each rule with a single call — the adjustment's fact (a
count, a list) or the rule's condition — and doing the rest of the rule's work
only when that test holds, which for most organizations and most rules it does
not; quotas rank only the organizations near their cut line; and CPython's
cyclic garbage collector is paused while a population is rated (see
``_collector_paused``). ``bench/rate_engine.py`` measures it.
"""

from __future__ import annotations

import gc
import operator
from bisect import bisect_right
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from xingji.rules.inputs import Organization
from xingji.rules.numbers import format_points, format_share
from xingji.rules.quota import apply_quotas
from xingji.rules.results import QUOTA_MODES, QuotaCheck, Rating, Reason, Result
from xingji.rules.scheme import (
    HONOUR_LEVELS,
    MESSAGE_FACTS,
    SATISFACTION,
    STAGES,
    WEIGHTED_EFFECT,
    Adjustment,
    Criterion,
    LevelRule,
    Scheme,
    fact_text,
    with_clause,
)

__all__ = [
    "QUOTA_MODES",
    "Engine",
    "QuotaCheck",
    "Rating",
    "Reason",
    "Result",
    "rate",
]


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
        # The levels ascend by score, so a score's band is the last level whose minimum it reaches:
        # band_at[bisect_right(band_minimums, score)], and the lowest level below every minimum.
        self.band_minimums = [level.min_cents for level in scheme.levels]
        self.band_at = (self.lowest_level, *self.level_order)
        self.level_names = {level.value: level.name for level in scheme.levels}
        self.adjustments = [_AdjustmentRunner(adjustment) for adjustment in scheme.adjustments]
        self.level_rules = [
            _LevelRuleRunner(rule, self) for rule in scheme.level_rules if rule.stage is None or rule.stage == stage
        ]
        # The composite's weighted scores, and the weight of the satisfaction rate (None: not weighed).
        self.weights = [(name, weight) for name, weight in scheme.weights.items() if weight and name != SATISFACTION]
        self.satisfaction_weight: Decimal | None = scheme.weights.get(SATISFACTION) or None
        self._satisfaction_reasons: dict[Decimal | None, Reason] = {}
        # (test, then) for each rule, in order: ``then`` runs only when test(organization) holds.
        self._adjustment_steps = tuple((runner.test, runner.triggered) for runner in self.adjustments)
        self._level_steps = tuple((runner.test, runner.reason) for runner in self.level_rules)
        # Criteria scored from an indicator, for each category (None: an organization of no listed category).
        self._criterion_scorers: dict[str | None, tuple[_CriterionScorer, ...]] = {}
        scorers = {id(c): _CriterionScorer(c) for c in scheme.criteria if c.scored_by is not None}
        for category in (None, *scheme.categories):
            self._criterion_scorers[category] = tuple(
                scorers[id(c)] for c in scheme.criteria_for(category) if id(c) in scorers
            )
        self.scores_from_indicators = bool(scorers)

    # ---------------------------------------------------------------- one

    def base(self, organization: Organization) -> tuple[int, str]:
        if organization.base_score is not None:
            return organization.base_score, "base_score"
        if organization.criteria is not None:
            return self.criteria_base(organization)[0], "criteria"
        return self.composite_base(organization)[0], "components"

    def composite_base(self, organization: Organization) -> tuple[int, list[Reason]]:
        """The weighted composite of the components, with the satisfaction part's reason when it is weighed.

        The satisfaction rate counts as that share of full marks at its weight
        (92 % of 100 at 30 % adds 27.60); an organization without a rate adds 0
        for it, and its reason says so. The sum is rounded half-up to the hundredth once.
        """
        components = organization.components or {}
        total = sum((Decimal(components[name]) * weight for name, weight in self.weights), Decimal(0))
        reasons: list[Reason] = []
        if self.satisfaction_weight is not None:
            share = organization.satisfaction
            if share is not None:
                total += Decimal(self.full_marks) * share * self.satisfaction_weight
            reasons.append(self.satisfaction_reason(share))
        return int(total.quantize(Decimal(1), rounding=ROUND_HALF_UP)), reasons

    def satisfaction_reason(self, share: Decimal | None) -> Reason:
        """The line of a composite's satisfaction part: 满意率92%，按30%计入27.60分（clause）, kept by the rate."""
        reason = self._satisfaction_reasons.get(share)
        if reason is None:
            weight = self.satisfaction_weight
            assert weight is not None
            clause = self.scheme.composite_clause
            if share is None:
                points = 0
                message = f"无满意率（未测评），满意率部分按{format_share(weight)}计入0分"
            else:
                part = Decimal(self.full_marks) * share * weight
                points = int(part.quantize(Decimal(1), rounding=ROUND_HALF_UP))
                message = f"满意率{format_share(share)}，按{format_share(weight)}计入{format_points(points)}分"
            reason = self._satisfaction_reasons[share] = Reason(
                f"composite.{SATISFACTION}",
                clause,
                with_clause(message, clause),
                effect=WEIGHTED_EFFECT,
                score=points,
            )
        return reason

    def criteria_base(self, organization: Organization) -> tuple[int, list[Reason]]:
        """The sum of the criteria scores, each criterion scored from a known indicator computed.

        A criterion with ``scored_by`` whose indicator the organization has
        gets the scheme's points for it, whatever score was typed, and a
        reason; without the indicator the typed score (or none) stands.
        ``organization.criteria`` must be given.
        """
        scores = organization.criteria
        assert scores is not None
        total = sum(scores.values())
        if not self.scores_from_indicators:
            return total, []
        scorers = self._criterion_scorers.get(organization.category)
        if scorers is None:
            scorers = self._criterion_scorers[None]
        reasons: list[Reason] = []
        for scorer in scorers:
            share = scorer.get(organization)
            if share is None:
                continue
            reason = scorer.reason(organization, share)
            assert reason.score is not None
            total += reason.score - scores.get(scorer.code, 0)
            reasons.append(reason)
        return total, reasons

    def criterion_scores(self, organization: Organization) -> dict[str, int]:
        """The criteria scores as the engine counts them: typed, or computed from a known indicator."""
        scores = dict(organization.criteria or {})
        if organization.criteria is not None:
            for reason in self.criteria_base(organization)[1]:
                assert reason.criterion is not None and reason.score is not None
                scores[reason.criterion] = reason.score
        return scores

    def band(self, score: int) -> int:
        return self.band_at[bisect_right(self.band_minimums, score)]

    def lower(self, value: int, steps: int) -> int:
        position = max(self.level_order.index(value) - steps, 0)
        return self.level_order[position]

    def rate_one(self, organization: Organization) -> Result:
        return self._rate_each((organization,))[0]

    def _rate_each(self, organizations: Iterable[Organization]) -> list[Result]:
        """Rate each organization on its own (no quotas), in order.

        ``base``, the adjustments, the clip, ``band`` and the level rules in one
        loop, with what it needs held in local names: it runs once for every
        organization rated.
        """
        adjustment_steps = self._adjustment_steps
        level_steps = self._level_steps
        band_minimums = self.band_minimums
        band_at = self.band_at
        full_marks = self.full_marks
        scores_from_indicators = self.scores_from_indicators
        results: list[Result] = []
        keep = results.append
        for organization in organizations:
            reasons: list[Reason]
            base = organization.base_score
            if base is not None:
                source = "base_score"
                reasons = []
            elif organization.criteria is not None:
                source = "criteria"
                if scores_from_indicators:
                    base, reasons = self.criteria_base(organization)
                else:
                    base, reasons = sum(organization.criteria.values()), []
            else:
                source = "components"
                base, reasons = self.composite_base(organization)
            score = base
            for test, triggered in adjustment_steps:
                fact = test(organization)
                if fact:
                    scored = triggered(organization, fact)
                    if scored is not None:
                        reason, points = scored
                        reasons.append(reason)
                        score += points
            if score < 0:
                score = 0
            elif score > full_marks:
                score = full_marks
            band = band_at[bisect_right(band_minimums, score)]
            level = band
            for test, reason_at in level_steps:
                if test(organization):
                    reason, level = reason_at(organization, level)
                    reasons.append(reason)
            keep(
                Result(
                    organization.id,
                    organization.name,
                    base,
                    source,
                    score,
                    band,
                    level,
                    reasons,
                    organization.satisfaction,
                    organization.category,
                )
            )
        return results

    # ---------------------------------------------------------------- many

    def rate(self, organizations: Iterable[Organization], *, quota_mode: str = "warn") -> Rating:
        if quota_mode not in QUOTA_MODES:
            raise ValueError(f"quota mode must be one of {QUOTA_MODES}")
        with _collector_paused():
            results = self._rate_each(organizations)
            checks: list[QuotaCheck] = []
            if quota_mode != "off":
                checks = apply_quotas(self.scheme.quotas, self.level_names, results, enforce=quota_mode == "enforce")
        return Rating(self.scheme, self.stage, quota_mode, results, checks)

    # ---------------------------------------------------------------- score only

    def score(self, organization: Organization) -> tuple[int, int]:
        """(final score, stars) exactly as ``rate_one`` gives them, without reasons or messages.

        For callers that only need the level and the score, many times over
        (guidance re-rates candidate changes): the base comes from ``base``,
        the adjustments add their points without making a Reason, the level
        rules move the band without rendering a message.
        """
        score = self.base(organization)[0] + self.adjustment_points(organization)
        if score < 0:
            score = 0
        elif score > self.full_marks:
            score = self.full_marks
        return score, self.level_after_rules(organization, self.band_at[bisect_right(self.band_minimums, score)])

    def adjustment_points(self, organization: Organization) -> int:
        """The signed points (hundredths) the adjustments of 五(三) add for this organization, before the clip."""
        steps = self._score_steps
        if steps is None:
            steps = self._score_steps = tuple(
                (runner.test, _signed_points(runner.adjustment)) for runner in self.adjustments
            )
        total = 0
        for test, points in steps:
            fact = test(organization)
            if fact:
                total += points(fact)
        return total

    def level_after_rules(self, organization: Organization, band: int) -> int:
        """The level the level rules (this stage's, in the scheme's order) leave from this band."""
        level = band
        for runner in self.level_rules:
            if runner.test(organization):
                level = runner.moved(organization, level)
        return level

    def levels_after_rules(self, organization: Organization) -> tuple[int, ...]:
        """``level_after_rules`` from each band, in ``band_at``'s order, each rule's condition tested once.

        For guidance, which asks for the level at many base scores with the
        same facts: the conditions read only the facts, never the score, so
        the rules that apply are the same from every band.
        """
        applying = [runner for runner in self.level_rules if runner.test(organization)]
        if not applying:
            return self.band_at
        levels = []
        for band in self.band_at:
            level = band
            for runner in applying:
                level = runner.moved(organization, level)
            levels.append(level)
        return tuple(levels)

    _score_steps: tuple[tuple[Callable[[Organization], Any], Callable[[Any], int]], ...] | None = None


def rate(
    scheme: Scheme,
    organizations: Iterable[Organization],
    *,
    quota_mode: str = "warn",
    stage: str = "year_end",
) -> Rating:
    return Engine(scheme, stage=stage).rate(organizations, quota_mode=quota_mode)


@contextmanager
def _collector_paused() -> Iterator[None]:
    """Pause CPython's cyclic garbage collector while a population is rated.

    Rating keeps two new objects per organization (its Result and its list of
    reasons) and makes no reference cycles. With the collector running, every
    time the long-lived objects grow by a quarter it walks all of them again,
    the organizations included: for a million organizations that is five full
    walks, as long as the rating itself. Reference counting frees memory as
    usual while paused; the collector is resumed (if it was running) even when
    rating fails. The pause is process-wide: cycles that other threads drop
    meanwhile wait for the collector's next run after the rating.
    """
    if not gc.isenabled():
        yield
        return
    gc.disable()
    try:
        yield
    finally:
        gc.enable()


class _MessageValues(dict[str, Any]):
    """Template values: fixed ones, then facts of the organization on demand."""

    def __init__(self, organization: Organization, **fixed: Any) -> None:
        super().__init__(fixed)
        self.organization = organization

    def __missing__(self, name: str) -> str:
        attribute = MESSAGE_FACTS[name]
        return fact_text(attribute, getattr(self.organization, attribute))


#: What a rule's message quotes of an organization, and so part of what its reason is kept by.
Facts = Callable[[Organization], tuple[Any, ...]]
#: An adjustment's reason and the signed points it adds, in hundredths.
Scored = tuple[Reason, int]
#: A level rule's reason and the level after it.
Moved = tuple[Reason, int]


def _fact_values(attributes: tuple[str, ...]) -> Facts | None:
    """A function giving these attributes of an organization as a tuple (None: no attributes)."""
    if not attributes:
        return None
    if len(attributes) == 1:
        get = operator.attrgetter(attributes[0])
        return lambda organization: (get(organization),)
    facts: Facts = operator.attrgetter(*attributes)
    return facts


class _AdjustmentRunner:
    """One adjustment: ``test(organization)`` gives its fact (a count, a list) or
    its condition's truth; when that is truthy, ``triggered(organization, fact)``
    gives its Reason and points, or None (a list with no level the adjustment scores).

    Each keeps the Reasons it has made, by what decides them (the count; the
    highest level and how many were listed) and the facts its message quotes.
    """

    __slots__ = ("adjustment", "cache", "fact_fields", "facts", "test", "triggered")

    test: Callable[[Organization], Any]
    triggered: Callable[[Organization, Any], Scored | None]

    def __init__(self, adjustment: Adjustment) -> None:
        self.adjustment = adjustment
        self.cache: dict[Any, Scored] = {}
        self.fact_fields = tuple(MESSAGE_FACTS[name] for name in adjustment.message.fact_fields())
        self.facts = _fact_values(self.fact_fields)
        if adjustment.kind == "when":
            if adjustment.condition is None:
                raise ValueError(f"adjustment {adjustment.code}: kind when needs a condition")
            self.test = adjustment.condition
            self.triggered = self.when_holds
        else:
            if adjustment.fact_attribute is None:
                raise ValueError(f"adjustment {adjustment.code}: kind {adjustment.kind} needs a fact")
            self.test = operator.attrgetter(adjustment.fact_attribute)
            by_kind: dict[str, Callable[[Organization, Any], Scored | None]] = {
                "highest": self.highest_listed,
                "per_count": self.per_count_counted,
            }
            self.triggered = by_kind[adjustment.kind]

    def make(self, organization: Organization, key: Any, points: int, values: dict[str, Any]) -> Scored:
        adjustment = self.adjustment
        signed = adjustment.sign * points
        message = adjustment.message.render(_MessageValues(organization, points=format_points(points), **values))
        reason = Reason(adjustment.code, adjustment.clause, with_clause(message, adjustment.clause), points=signed)
        scored = self.cache[key] = (reason, signed)
        return scored

    def highest_listed(self, organization: Organization, listed: tuple[str, ...]) -> Scored | None:
        table = self.adjustment.points_by_value
        best = None
        for value in listed:
            points = table.get(value)
            if points is not None and (best is None or points > table[best]):
                best = value
        if best is None:
            return None
        facts = self.facts
        key = (best, len(listed)) if facts is None else (best, len(listed), *facts(organization))
        scored = self.cache.get(key)
        if scored is None:
            scored = self.make(organization, key, table[best], {"value": HONOUR_LEVELS[best], "count": len(listed)})
        return scored

    def per_count_counted(self, organization: Organization, count: int) -> Scored:
        facts = self.facts
        key = count if facts is None else (count, *facts(organization))
        scored = self.cache.get(key)
        if scored is None:
            points = count * self.adjustment.points_cents
            limit = self.adjustment.limit_cents
            if limit is not None and points > limit:
                points = limit
            scored = self.make(organization, key, points, {"count": count, "value": count})
        return scored

    def when_holds(self, organization: Organization, _held: bool) -> Scored:
        facts = self.facts
        key = () if facts is None else facts(organization)
        scored = self.cache.get(key)
        if scored is None:
            scored = self.make(organization, key, self.adjustment.points_cents, {"count": 1, "value": ""})
        return scored


class _LevelRuleRunner:
    """One level rule: ``test(organization)`` says whether it applies; if it does,
    ``reason(organization, level)`` gives its Reason and the level after it, kept
    by the levels from and to and the facts its message quotes."""

    __slots__ = ("rule", "engine", "cache", "fact_fields", "facts", "test")

    test: Callable[[Organization], Any]

    def __init__(self, rule: LevelRule, engine: Engine) -> None:
        self.rule = rule
        self.engine = engine
        self.cache: dict[tuple[Any, ...], Moved] = {}
        self.fact_fields = tuple(MESSAGE_FACTS[name] for name in rule.message.fact_fields())
        self.facts = _fact_values(self.fact_fields)
        if rule.effect == "max_rise":
            self.test = self.may_rise
        elif rule.condition is None:
            raise ValueError(f"level rule {rule.code}: effect {rule.effect} needs a condition")
        else:
            self.test = rule.condition

    def may_rise(self, organization: Organization) -> bool:
        # A rise limit needs the previous level; its condition, if any, must hold too.
        if organization.previous_stars is None:
            return False
        condition = self.rule.condition
        return condition is None or bool(condition(organization))

    def moved(self, organization: Organization, level: int) -> int:
        """The level after this rule, which applies."""
        rule = self.rule
        effect = rule.effect
        if effect == "cap":
            return min(level, rule.amount)
        if effect == "demote":
            return self.engine.lower(level, rule.amount)
        if effect == "max_rise":
            previous = organization.previous_stars
            if previous is None:  # ``may_rise`` does not let the rule apply then
                return level
            order = self.engine.level_order
            ceiling = order[min(order.index(previous) + rule.amount, len(order) - 1)]
            return min(level, ceiling)
        return rule.amount  # set

    def reason(self, organization: Organization, level: int) -> Moved:
        """The Reason of this rule, which applies, at this level, and the level after it."""
        to_level = self.moved(organization, level)
        key: tuple[Any, ...] = (level, to_level)
        facts = self.facts
        if facts is not None:
            key += facts(organization)
        moved = self.cache.get(key)
        if moved is None:
            rule = self.rule
            names = self.engine.level_names
            level_name = names.get(rule.amount, "") if rule.effect in ("cap", "set") else ""
            change = (
                f"由{names[level]}调整为{names[to_level]}" if to_level != level else f"现为{names[level]}，不受影响"
            )
            message = rule.message.render(
                _MessageValues(
                    organization, level=level_name, to=names[to_level], change=change, **{"from": names[level]}
                )
            )
            reason = Reason(
                rule.code,
                rule.clause,
                with_clause(message, rule.clause),
                effect=rule.effect,
                from_level=level,
                to_level=to_level,
            )
            moved = self.cache[key] = (reason, to_level)
        return moved


class _CriterionScorer:
    """One criterion scored from an indicator: its points and reason for a share, kept by the share
    and the facts its message quotes."""

    __slots__ = ("criterion", "code", "scored_by", "get", "cache", "facts")

    def __init__(self, criterion: Criterion) -> None:
        assert criterion.scored_by is not None
        self.criterion = criterion
        self.code = criterion.code
        self.scored_by = criterion.scored_by
        self.get = operator.attrgetter(self.scored_by.attribute)
        self.cache: dict[tuple[Any, ...], Reason] = {}
        self.facts = _fact_values(tuple(MESSAGE_FACTS[name] for name in self.scored_by.message.fact_fields()))

    def reason(self, organization: Organization, share: Decimal) -> Reason:
        key: tuple[Any, ...] = (share,)
        facts = self.facts
        if facts is not None:
            key += facts(organization)
        reason = self.cache.get(key)
        if reason is None:
            scored_by = self.scored_by
            points = scored_by.points(share, self.criterion.max_cents)
            message = scored_by.message.render(
                _MessageValues(
                    organization,
                    value=format_share(share),
                    points=format_points(points),
                    max=format_points(self.criterion.max_cents),
                )
            )
            reason = self.cache[key] = Reason(
                f"criteria.{self.code}",
                scored_by.clause,
                with_clause(message, scored_by.clause),
                effect="criterion",
                criterion=self.code,
                score=points,
            )
        return reason


def _signed_points(adjustment: Adjustment) -> Callable[[Any], int]:
    """The signed points an adjustment adds given its truthy fact, as its runner counts them (no Reason)."""
    sign = adjustment.sign
    if adjustment.kind == "when":
        signed = sign * adjustment.points_cents
        return lambda _held: signed
    if adjustment.kind == "highest":
        table = adjustment.points_by_value

        def highest(listed: tuple[str, ...]) -> int:
            return sign * max((table[value] for value in listed if value in table), default=0)

        return highest
    each, limit = adjustment.points_cents, adjustment.limit_cents

    def per_count(count: int) -> int:
        points = count * each
        return sign * (limit if limit is not None and points > limit else points)

    return per_count
