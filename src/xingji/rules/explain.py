"""A rating as the contract's JSON and as sentences an office reads."""

from __future__ import annotations

from typing import Any

from xingji.rules.numbers import format_score
from xingji.rules.results import QuotaCheck, Rating, Reason, Result
from xingji.rules.scheme import QUOTA_ROUNDINGS, WEIGHT_NAMES, WEIGHTED_EFFECT, Scheme, with_clause

COMPONENT_NAMES = WEIGHT_NAMES
EFFECT_NAMES = {
    "demote": "降级",
    "cap": "封顶",
    "set": "定级",
    "max_rise": "晋升限制",
    "quota": "比例调整",
    "criterion": "按指标计分",
    WEIGHTED_EFFECT: "按权重计入",
}
#: The effect of a reason for a criterion scored from an indicator (it changes neither points nor level).
CRITERION_EFFECT = "criterion"
#: Reasons that make up the base score (a line after the base, before the adjustments).
SCORE_EFFECTS = frozenset({CRITERION_EFFECT, WEIGHTED_EFFECT})


def describe_base(result: Result, scheme: Scheme) -> str:
    """Where the base score came from, in one sentence."""
    score = format_score(result.base_score)
    if result.base_source == "criteria":
        return with_clause(f"基础分{score}分，为各项评定内容得分合计", scheme.criteria_clause)
    if result.base_source == "components":
        weighed = [(name, weight) for name, weight in scheme.weights.items() if weight]
        parts = "、".join(COMPONENT_NAMES[name] for name, _ in weighed)
        weights = "、".join(f"{COMPONENT_NAMES[name]}{weight:f}" for name, weight in weighed)
        return with_clause(f"基础分{score}分，为{parts}加权综合（权重 {weights}）", scheme.composite_clause)
    return f"基础分{score}分，为直接给出的得分"


def describe_band(result: Result, scheme: Scheme) -> str:
    level = scheme.level(result.band)
    low, high = format_score(level.min_cents), format_score(level.max_cents)
    upper = "含" if level.max_cents == scheme.full_marks_cents else "不含"
    return with_clause(
        f"最终得分{format_score(result.final_score)}分，在{low}至{high}分（{upper}{high}分）之间，分数段为{level.name}",
        scheme.band_clause,
    )


def result_line(scheme: Scheme, stars: int) -> str:
    """The last line of every explanation: the level the steps arrive at."""
    return f"评定结果：{scheme.level_name(stars)}"


def explanation(result: Result, scheme: Scheme) -> list[str]:
    """Every step from base score to level, as sentences: the lines of ``report`` and of the web pages.

    Each line once: the base score and its source, each criterion scored
    from an indicator with its clause, the satisfaction part of a composite,
    each adjustment with its clause, their total, the band, each level rule
    and quota move, the level.
    """
    lines = [describe_base(result, scheme)]
    lines += [reason.message for reason in result.reasons if reason.effect in SCORE_EFFECTS]
    adjustments = [(reason.message, reason.points) for reason in result.reasons if reason.points is not None]
    lines += [message for message, _ in adjustments]
    if adjustments:
        total = sum(points for _, points in adjustments)
        raw = result.base_score + total
        sentence = f"加减分合计{format_score(total)}分"
        if raw != result.final_score:
            sentence += f"，{format_score(raw)}分按0至{format_score(scheme.full_marks_cents)}分取值"
        lines.append(sentence)
    lines.append(describe_band(result, scheme))
    lines += [
        reason.message for reason in result.reasons if reason.points is None and reason.effect not in SCORE_EFFECTS
    ]
    lines.append(result_line(scheme, result.stars))
    return lines


def reason_to_dict(reason: Reason) -> dict[str, Any]:
    data: dict[str, Any] = {"rule": reason.rule, "clause": reason.clause}
    if reason.points is not None:
        data["points"] = format_score(reason.points)
    elif reason.effect == CRITERION_EFFECT:
        data["effect"] = reason.effect
        data["criterion"] = reason.criterion
        data["score"] = format_score(reason.score or 0)
    elif reason.effect == WEIGHTED_EFFECT:
        data["effect"] = reason.effect
        data["score"] = format_score(reason.score or 0)
    else:
        data["effect"] = reason.effect
        data["from"] = reason.from_level
        data["to"] = reason.to_level
    data["message"] = reason.message
    return data


def result_to_dict(result: Result, scheme: Scheme) -> dict[str, Any]:
    return {
        "id": result.id,
        "name": result.name,
        "base_score": format_score(result.base_score),
        "base_source": result.base_source,
        "final_score": format_score(result.final_score),
        "band_stars": result.band,
        "stars": result.stars,
        "level": scheme.level_name(result.stars),
        "reasons": [reason_to_dict(reason) for reason in result.reasons],
        "explanation": explanation(result, scheme),
    }


def summary_to_dict(rating: Rating) -> dict[str, Any]:
    checks = []
    for check in rating.quota_checks:
        checks.append(
            {
                "rule": check.code,
                "clause": check.clause,
                "label": check.label,
                "bound": check.bound,
                "levels": check.levels,
                "share": f"{check.share:f}",
                "base": quota_base_to_dict(check),
                "rounding": check.rounding,
                "limit": check.limit,
                "count_before": check.count_before,
                "count": check.count_after,
                "satisfied": check.satisfied_before,
                "moved" if rating.quota_mode == "enforce" else "would_move": check.moved,
                "ties": check.ties,
            }
        )
    return {
        "count": len(rating.results),
        "by_stars": {str(level): count for level, count in rating.by_level().items()},
        "quota": {"mode": rating.quota_mode, "checks": checks},
    }


def quota_base_name(check: QuotaCheck) -> str:
    """Who a quota counts, in words: 全部, 社区类, 社区以外各类."""
    if check.categories is not None:
        return "、".join(check.categories) + "类"
    if check.not_categories is not None:
        return "、".join(check.not_categories) + "以外各类"
    return "全部"


def quota_base_text(check: QuotaCheck) -> str:
    """The base of a check with its size and the rounding of its limit: 社区类12个组织（向上取整）."""
    return f"{quota_base_name(check)}{check.population}个组织（{QUOTA_ROUNDINGS.get(check.rounding, check.rounding)}）"


def quota_base_to_dict(check: QuotaCheck) -> dict[str, Any]:
    base: dict[str, Any] = {"population": check.population, "text": quota_base_name(check)}
    if check.categories is not None:
        base["categories"] = check.categories
    if check.not_categories is not None:
        base["not_categories"] = check.not_categories
    return base


def rating_to_dict(rating: Rating) -> dict[str, Any]:
    scheme = rating.scheme
    return {
        "scheme": scheme.id,
        "scheme_name": scheme.name,
        "stage": rating.stage,
        "organizations": [result_to_dict(result, scheme) for result in rating.results],
        "summary": summary_to_dict(rating),
    }


def report(rating: Rating, result: Result) -> str:
    """A human-readable account of one organization's rating."""
    scheme = rating.scheme
    title = f"{result.name}（{result.id}）" if result.name else result.id
    lines = [f"{title} 星级评定说明", f"评定方案：{scheme.name}", ""]
    lines += [f"{number}. {line}" for number, line in enumerate(explanation(result, scheme), start=1)]
    return "\n".join(lines) + "\n"
