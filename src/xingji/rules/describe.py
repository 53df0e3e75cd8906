"""A scheme as its reader sees it: every band, criterion, bonus, deduction, level rule and quota in Chinese.

``describe(text)`` reads a scheme's TOML text (validated by ``parse_scheme``:
a scheme with an error is refused with its key and reason, as everywhere) and
gives its sections, each a title and rows of cells, so that a page or a
printout shows the rules exactly as the engine applies them — generated from
the file, never written twice.
"""

from __future__ import annotations

import tomllib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from xingji.rules.numbers import format_points, format_score, format_share
from xingji.rules.scheme import (
    FACTS,
    HONOUR_LEVELS,
    INDICATOR_FACTS,
    QUOTA_ROUNDINGS,
    Criterion,
    Quota,
    Scheme,
    parse_scheme,
)

__all__ = ["FACT_LABELS", "Description", "Section", "condition_text", "describe"]

#: How a fact reads in a sentence, by its dotted input name.
FACT_LABELS: dict[str, str] = {
    "satisfaction": "满意率",
    "absences": "无故缺席或逾期任务次数",
    "member_violations": "一般党员违法违纪人次",
    "criticisms.working_committee": "工委通报批评次数",
    "criticisms.municipal_committee": "市委通报批评次数",
    "leader_discipline.light": "班子成员警告处分人次",
    "leader_discipline.heavy": "班子成员撤职以上处分人次",
    "election.overdue": "未按期换届",
    "election.excused": "有特殊理由或请示",
    "election.overdue_days": "换届逾期天数",
    "commendations": "所获表彰及署名文章",
    "innovations": "创新推广",
    "commendations.count": "表彰及署名文章数",
    "innovations.count": "创新推广项数",
    "category": "组织类别",
    "newly_founded": "新成立",
    "innovation_project": "有党建创新项目",
    "previous_stars": "上年星级",
    **INDICATOR_FACTS,
}

OPERATOR_WORDS = {
    "<": "低于",
    "<=": "不超过",
    ">": "超过",
    ">=": "达到",
    "==": "为",
    "!=": "不为",
    "in": "属于",
    "not_in": "不属于",
    "contains": "含",
    "not_contains": "不含",
}
EFFECT_WORDS = {"demote": "降级", "cap": "封顶", "set": "定级", "max_rise": "每年至多晋升"}
STAGE_WORDS = {"year_end": "年底评定", "mid_year": "年中评定"}
COMPONENT_WORDS = {
    "self": "自评",
    "survey": "党员群众测评",
    "superior": "上级考评",
    "satisfaction": "满意率（按满分计）",
}


@dataclass(frozen=True)
class Section:
    """One part of the scheme: a title, column headers and rows of text cells."""

    title: str
    headers: tuple[str, ...]
    rows: Sequence[tuple[str, ...]]
    note: str = ""


@dataclass(frozen=True)
class Description:
    scheme: Scheme
    full_marks: str
    sections: list[Section]


def describe(text: str, *, source: str = "<scheme>") -> Description:
    """The sections of a scheme's text; raises ``SchemeError`` (key and reason) for a scheme with an error."""
    scheme = parse_scheme(text, source=source)
    data = tomllib.loads(text)
    sections = [
        _levels(scheme),
        _criteria(scheme),
        _composite(scheme),
        _adjustments(scheme, data.get("adjustments", []), sign=1),
        _adjustments(scheme, data.get("adjustments", []), sign=-1),
        _level_rules(scheme, data.get("level_rules", [])),
        _quotas(scheme),
        _survey(scheme, stated="survey" in data),
    ]
    return Description(
        scheme, format_points(scheme.full_marks_cents), [section for section in sections if section.rows]
    )


def _levels(scheme: Scheme) -> Section:
    rows = []
    for position, level in enumerate(scheme.levels):
        top = position == len(scheme.levels) - 1
        upper = f"{format_score(level.max_cents)} 分（含）" if top else f"{format_score(level.max_cents)} 分以下"
        rows.append((level.name, f"{format_score(level.min_cents)} 分及以上", upper))
    note = f"分数段依据：{scheme.band_clause}" if scheme.band_clause else ""
    return Section("星级与分数段", ("等级", "下限", "上限"), list(reversed(rows)), note)


def _criteria(scheme: Scheme) -> Section:
    rows = [
        (
            criterion.code,
            criterion.name,
            format_points(criterion.max_cents),
            "、".join(sorted(criterion.categories)) if criterion.categories else "全部",
            _indicator_text(criterion),
        )
        for criterion in scheme.criteria
    ]
    note = f"评定内容依据：{scheme.criteria_clause}" if scheme.criteria_clause else ""
    return Section("评定内容", ("编号", "内容", "满分", "适用类别", "组织生活等指标"), rows, note)


def _indicator_text(criterion: Criterion) -> str:
    """What the evaluator is shown beside the score, and the formula when the score is computed."""
    parts = []
    if criterion.shows:
        parts.append("评分时列出：" + "、".join(FACT_LABELS.get(fact, fact) for fact in criterion.shows))
    if criterion.scored_by is not None:
        clause = f"（{criterion.scored_by.clause}）" if criterion.scored_by.clause else ""
        parts.append(criterion.scored_by.rule_text(criterion.max_cents) + clause)
    return "；".join(parts) or "—"


def _composite(scheme: Scheme) -> Section:
    rows = [
        (COMPONENT_WORDS.get(name, name), f"{(weight * 100).normalize():f}%")
        for name, weight in scheme.weights.items()
        if weight
    ]
    note = f"依据：{scheme.composite_clause}" if scheme.composite_clause else ""
    return Section("综合得分的权重", ("组成部分", "权重"), rows, note)


def _adjustments(scheme: Scheme, raw: list[Mapping[str, Any]], *, sign: int) -> Section:
    by_code = {item.get("code"): item for item in raw if isinstance(item, Mapping)}
    rows = []
    for adjustment in scheme.adjustments:
        if adjustment.sign != sign:
            continue
        item = by_code.get(adjustment.code, {})
        fact = item.get("fact", "")
        if adjustment.kind == "highest":
            listed = "，".join(
                f"{HONOUR_LEVELS.get(level, level)} {format_points(points)} 分"
                for level, points in adjustment.points_by_value.items()
            )
            how = f"{FACT_LABELS.get(fact, fact)}：{listed}；只计最高一项"
        elif adjustment.kind == "per_count":
            how = f"{FACT_LABELS.get(fact, fact)}每次（人次）{format_points(adjustment.points_cents)} 分"
        else:
            how = f"{condition_text(item.get('when', {}))}时 {format_points(adjustment.points_cents)} 分"
        limit = f"至多 {format_points(adjustment.limit_cents)} 分" if adjustment.limit_cents is not None else "—"
        rows.append((adjustment.clause or "—", how, limit))
    title = "加分" if sign > 0 else "扣分"
    return Section(title, ("依据", "计分", "上限"), rows)


def _level_rules(scheme: Scheme, raw: list[Mapping[str, Any]]) -> Section:
    by_code = {item.get("code"): item for item in raw if isinstance(item, Mapping)}
    rows = []
    for rule in scheme.level_rules:
        item = by_code.get(rule.code, {})
        when = condition_text(item["when"]) if "when" in item else "每年"
        if rule.effect == "demote":
            effect = f"降低 {rule.amount} 个等级"
        elif rule.effect == "cap":
            effect = f"至多定为{scheme.level_name(rule.amount)}"
        elif rule.effect == "set":
            effect = f"定为{scheme.level_name(rule.amount)}"
        else:
            effect = f"比上年至多晋升 {rule.amount} 个等级"
        stage = STAGE_WORDS.get(rule.stage, "") if rule.stage else "各次评定"
        rows.append((rule.clause or "—", when, effect, stage))
    return Section("降级、封顶与否决", ("依据", "条件", "结果", "适用"), rows)


def _quota_base(quota: Quota) -> str:
    if quota.by_category:
        return f"{quota.base_name()}参评组织"
    return "参评组织"


def _quotas(scheme: Scheme) -> Section:
    rows = []
    for quota in scheme.quotas:
        levels = "、".join(scheme.level_name(value) for value in sorted(quota.levels, reverse=True))
        bound = "不超过" if quota.bound == "max" else "不少于"
        rows.append(
            (
                quota.clause or "—",
                quota.label,
                f"{levels}{bound}{_quota_base(quota)}的 {format_share(quota.share)}"
                + (f"（{QUOTA_ROUNDINGS[quota.rounding]}）" if quota.rounding else ""),
                scheme.level_name(quota.move_to),
            )
        )
    note = "个数按比例乘以参评组织数计算，未注明取整方式的上限向下取整、下限向上取整" if rows else ""
    return Section("比例限制", ("依据", "名称", "限制", "超出时调整为"), rows, note)


def _survey(scheme: Scheme, *, stated: bool) -> Section:
    survey = scheme.survey
    rows = [
        (option.label, f"{(option.weight * 100).normalize():f}%", "是" if option.code in survey.satisfied else "否")
        for option in survey.options
    ]
    note = f"参与党员达到 {format_share(survey.min_participation)} 测评方有效；" + (
        "逐项测评评定内容" if survey.ask_criteria else "只测总体评价"
    )
    if not stated:
        note += "（本方案未规定测评选项，按默认选项）"
    return Section("党员群众测评", ("选项", "计分权重", "计入满意率"), rows, note)


def condition_text(condition: Any) -> str:
    """A condition of the TOML (``{fact, op, value}``, ``all``, ``any``, ``not``) as a Chinese phrase."""
    if not isinstance(condition, Mapping) or not condition:
        return ""
    if "all" in condition:
        return "且".join(_grouped(part) for part in condition["all"])
    if "any" in condition:
        return "或".join(_grouped(part) for part in condition["any"])
    if "not" in condition:
        return f"并非{_grouped(condition['not'])}"
    fact = str(condition.get("fact", ""))
    op = str(condition.get("op", ""))
    label = FACT_LABELS.get(fact, fact)
    value = _value_text(fact, condition.get("value"))
    kind = FACTS.get(fact, ("", ""))[1]
    if kind == "flag":
        wanted = condition.get("value") is True
        return label if (op == "==") == wanted else f"非{label}"
    return f"{label}{OPERATOR_WORDS.get(op, op)}{value}"


def _grouped(condition: Any) -> str:
    text = condition_text(condition)
    combined = isinstance(condition, Mapping) and ({"all", "any"} & set(condition))
    return f"（{text}）" if combined else text


def _value_text(fact: str, value: Any) -> str:
    kind = FACTS.get(fact, ("", ""))[1]
    if kind == "share" and isinstance(value, (int, float, str)):
        return format_share(Decimal(str(value)))
    if kind == "honours":
        return HONOUR_LEVELS.get(str(value), str(value))
    if isinstance(value, list):
        return "、".join(str(item) for item in value)
    if isinstance(value, bool):
        return "是" if value else "否"
    return str(value)
