"""Quotas of 五(二) over a population rated together.

A quota's base is everyone rated together, or the organizations of some
categories (``categories = ["社区"]``), or of every category but some
(``not_categories = ["社区"]``, organizations without a category included):
N is the size of that base, and only its organizations are counted, ranked
and moved. A ``max`` quota (five-star at most 10 %) allows floor(share·N)
organizations at its levels; a ``min`` quota (one-star-or-unrated at least
10 %) asks for ceil(share·N); a scheme may round either way instead
(``rounding = "floor" | "ceil" | "round"``, round: half up). In ``enforce``
mode the excess five-star organizations, ranked by final score, base score,
satisfaction (a survey ranks above none) and id, are moved down from the
bottom of that ranking; a missing floor is filled from the lowest-ranked
organizations above it. In ``warn`` mode the same
selection is reported and nothing changes. Equal final scores on both sides of
the cut line are reported as a tie, with the key that decided it.

Only the organizations on the cut line's side of its final score are ranked
in full (``_cut``): the ranking is by final score first, so those better than
the cut line's score stay where they are whatever their order, and a million
results do not have to be sorted to move a few thousand.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Iterator, Mapping, Sequence
from decimal import ROUND_CEILING, ROUND_FLOOR, ROUND_HALF_UP
from functools import partial
from itertools import compress
from operator import attrgetter, ge, le, lt, not_

from xingji.rules.numbers import format_score
from xingji.rules.results import QuotaCheck, RankingKey, Reason, Result
from xingji.rules.scheme import Quota, with_clause

TIE_KEYS = ("final_score", "base_score", "satisfaction", "satisfaction", "id")

_stars = attrgetter("stars")
_final_score = attrgetter("final_score")
_category = attrgetter("category")
_ROUNDINGS = {"floor": ROUND_FLOOR, "ceil": ROUND_CEILING, "round": ROUND_HALF_UP}


def quota_limit(quota: Quota, population: int) -> int:
    """The count the quota allows (``max``) or asks for (``min``) in a base of ``population`` organizations."""
    return int((quota.share * population).to_integral_value(rounding=_ROUNDINGS[quota.rounding_rule]))


def in_base(quota: Quota, categories: Iterable[str | None]) -> Iterator[bool]:
    """For each category, whether an organization of it is in the quota's base (one C-level test each)."""
    if quota.categories is not None:
        return map(quota.categories.__contains__, categories)
    if quota.not_categories is not None:
        return map(not_, map(quota.not_categories.__contains__, categories))
    return (True for _ in categories)


def quota_base(quota: Quota, results: list[Result]) -> list[Result]:
    """The results in the quota's base, in their order (all of them for a quota of everyone)."""
    if not quota.by_category:
        return results
    return list(compress(results, in_base(quota, map(_category, results))))


def new_check(quota: Quota, population: int, count: int) -> QuotaCheck:
    """The check of a quota over a base of ``population`` with ``count`` organizations at its levels."""
    return QuotaCheck(
        code=quota.code,
        clause=quota.clause,
        label=quota.label,
        bound=quota.bound,
        levels=sorted(quota.levels),
        share=quota.share,
        limit=quota_limit(quota, population),
        count_before=count,
        count_after=count,
        population=population,
        categories=sorted(quota.categories) if quota.categories is not None else None,
        not_categories=sorted(quota.not_categories) if quota.not_categories is not None else None,
        rounding=quota.rounding_rule,
    )


def count_check(quota: Quota, levels: Iterable[int], categories: Iterable[str | None] | None = None) -> QuotaCheck:
    """The quota checked over given levels (one per organization rated together), nothing moved.

    ``categories``: the organizations' categories, in the same order; needed for a quota by category
    (without them every organization counts in its base).
    """
    values = list(levels)
    if categories is not None and quota.by_category:
        values = list(compress(values, in_base(quota, categories)))
    return new_check(quota, len(values), sum(map(quota.levels.__contains__, values)))


def apply_quotas(
    quotas: Sequence[Quota], level_names: Mapping[int, str], results: list[Result], *, enforce: bool
) -> list[QuotaCheck]:
    """Check each quota over the results, in order; with ``enforce``, move the results it selects.

    ``level_names`` names each level in the reasons of those moved.
    """
    checks = []
    for quota in quotas:
        base = quota_base(quota, results)
        inside = list(compress(base, map(quota.levels.__contains__, map(_stars, base))))
        check = new_check(quota, len(base), len(inside))
        limit = check.limit
        if quota.bound == "max" and len(inside) > limit:
            # Moving down keeps the best; a ceiling that moves up promotes the best instead.
            kept, moving = _cut(inside, limit, reverse=quota.move_to > max(quota.levels))
            _record_tie(check, kept[-1] if kept else None, moving[0], kept, moving)
        elif quota.bound == "min" and len(inside) < limit:
            top = max(quota.levels)
            above = list(compress(base, map(partial(lt, top), map(_stars, base))))
            need = min(limit - len(inside), len(above))
            kept, moving = _cut(above, len(above) - need)
            if moving:
                _record_tie(check, kept[-1] if kept else None, moving[0], kept, moving)
        else:
            moving = []
        check.moved = [result.id for result in moving]
        if enforce and moving:
            _move(level_names, quota, moving, limit, len(base))
            check.count_after = sum(map(quota.levels.__contains__, map(_stars, base)))
        checks.append(check)
    return checks


def _ranking_key(result: Result) -> RankingKey:
    return result.ranking_key()


def _cut(candidates: list[Result], keep: int, *, reverse: bool = False) -> tuple[list[Result], list[Result]]:
    """Rank the candidates and cut after the first ``keep``: (kept, the rest), in ranking order.

    Of the kept, only those with the last kept one's final score are returned: the
    ranking is by final score first, so the kept with a
    better final score come before them whatever their own order, and the cut line
    needs only its neighbours and the kept tied with them. Sorting just the candidates
    with the line's final score or a worse one gives them the same order as sorting
    everyone: the sort is stable, so equal keys keep their input order either way.
    """
    if keep <= 0 or keep >= len(candidates):
        ranked = sorted(candidates, key=_ranking_key, reverse=reverse)
        return ranked[:keep], ranked[keep:]
    # Final score comes first in the ranking: highest first, or lowest first if reversed.
    counts = Counter(map(_final_score, candidates))
    before = 0  # candidates with a better final score than the cut line's
    for score in sorted(counts, reverse=not reverse):
        if before + counts[score] >= keep:
            line = score
            break
        before += counts[score]
    at_or_past_line = partial(le if reverse else ge, line)  # line <= final, or line >= final
    tail = list(compress(candidates, map(at_or_past_line, map(_final_score, candidates))))
    tail.sort(key=_ranking_key, reverse=reverse)
    return tail[: keep - before], tail[keep - before :]


def _record_tie(
    check: QuotaCheck, higher: Result | None, lower: Result, kept: list[Result], moving: list[Result]
) -> None:
    """Note equal final scores on both sides of the cut line and what decided it."""
    if higher is None or higher.final_score != lower.final_score:
        return
    score = higher.final_score
    decided_by = next(
        name for name, a, b in zip(TIE_KEYS, higher.ranking_key(), lower.ranking_key(), strict=True) if a != b
    )
    check.ties.append(
        {
            "final_score": format_score(score),
            "kept": [r.id for r in kept if r.final_score == score],
            "moved": [r.id for r in moving if r.final_score == score],
            "decided_by": decided_by,
        }
    )


def _move(names: Mapping[int, str], quota: Quota, moving: list[Result], limit: int, population: int) -> None:
    share = f"{(quota.share * 100).normalize():f}%"
    base = quota.base_text(population)
    cache: dict[tuple[int, int], Reason] = {}
    for result in moving:
        key = (result.stars, quota.move_to)
        reason = cache.get(key)
        if reason is None:
            message = quota.message.render(
                {
                    "from": names[result.stars],
                    "to": names[quota.move_to],
                    "limit": limit,
                    "share": share,
                    "change": f"由{names[result.stars]}调整为{names[quota.move_to]}",
                    "base": base,
                    "population": population,
                }
            )
            reason = Reason(
                quota.code,
                quota.clause,
                with_clause(message, quota.clause),
                effect="quota",
                from_level=result.stars,
                to_level=quota.move_to,
            )
            cache[key] = reason
        result.reasons.append(reason)
        result.stars = quota.move_to
