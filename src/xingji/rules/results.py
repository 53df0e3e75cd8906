"""What rating gives back: reasons, one result per organization, quota checks, the rating.

They stand apart from ``engine`` so that ``quota`` (which the engine calls)
can build them without importing the engine back.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from xingji.rules.scheme import Scheme

QUOTA_MODES = ("warn", "enforce", "off")

#: Quota ranking key of a result: see ``Result.ranking_key``.
RankingKey = tuple[int, int, bool, Decimal | int, str]


@dataclass(frozen=True, slots=True)
class Reason:
    """Why a score or a level is what it is: rule code, seed clause, effect, sentence."""

    rule: str
    clause: str
    message: str
    points: int | None = None  # hundredths, signed; adjustments only
    effect: str | None = None  # demote / cap / set / max_rise / quota / criterion / weighted
    from_level: int | None = None
    to_level: int | None = None
    # A criterion scored from an indicator (effect "criterion"): its code and its score in hundredths;
    # the satisfaction part of a composite (effect "weighted"): its score in hundredths.
    criterion: str | None = None
    score: int | None = None


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
    category: str | None = None  # the organization's, for quotas by category

    def ranking_key(self) -> RankingKey:
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
    """A quota over its base (everyone rated together, or some categories): the limit, what was found, what moved.

    ``population``: the organizations in the base; ``categories`` / ``not_categories``: the quota's
    (sorted), None when it has none; ``rounding``: how share × population became the limit.
    """

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
    population: int = 0
    categories: list[str] | None = None
    not_categories: list[str] | None = None
    rounding: str = ""

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
