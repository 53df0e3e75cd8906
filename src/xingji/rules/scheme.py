"""Rating schemes: the rules as data.

A scheme file (TOML) holds the levels and their score bands, the criteria,
the weights of the composite, the adjustments (bonuses and deductions), the
level rules (demotions, caps, vetoes) and the quotas. Loading validates the
whole file and refuses it with the file, the key and the reason, so that a
mistake in a locality's rules is found when the file is read, not when an
organization is rated with it.

Conditions in level rules and adjustments compare *facts* of an organization
(the fields of the ``xingji rate`` input, by their dotted names) with values:

    when = { fact = "satisfaction", op = "<", value = 0.5 }
    when = { all = [ {…}, {…} ] }     # also: any = [...], not = {...}
"""

from __future__ import annotations

import operator
import string
import tomllib
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import Any

from xingji.rules.numbers import format_share, parse_decimal, to_cents

SCHEMES_DIR = Path(__file__).parent / "schemes"
DEFAULT_SCHEME = "anyang-2017"

STAGES = ("year_end", "mid_year")
HONOUR_LEVELS = {"city": "市级", "province": "省级", "national": "国家级"}


class SchemeError(ValueError):
    """A scheme file that cannot be used, with where and why."""

    def __init__(self, source: str, key: str, reason: str) -> None:
        self.source = source
        self.key = key
        self.reason = reason
        super().__init__(f"{source}: {key}: {reason}")


# The facts a condition or a message may name: dotted input name ->
# (attribute of Organization, kind). Kinds decide which operators apply.
FACTS: dict[str, tuple[str, str]] = {
    "satisfaction": ("satisfaction", "share"),
    "absences": ("absences", "count"),
    "member_violations": ("member_violations", "count"),
    "criticisms.working_committee": ("criticisms_working_committee", "count"),
    "criticisms.municipal_committee": ("criticisms_municipal_committee", "count"),
    "leader_discipline.light": ("leader_discipline_light", "count"),
    "leader_discipline.heavy": ("leader_discipline_heavy", "count"),
    "election.overdue": ("election_overdue", "flag"),
    "election.excused": ("election_excused", "flag"),
    "election.overdue_days": ("election_overdue_days", "count"),
    "commendations": ("commendations", "honours"),
    "innovations": ("innovations", "honours"),
    "commendations.count": ("commendation_count", "count"),
    "innovations.count": ("innovation_count", "count"),
    "category": ("category", "text"),
    "newly_founded": ("newly_founded", "flag"),
    "innovation_project": ("innovation_project", "flag"),
    "previous_stars": ("previous_stars", "count"),
}

OPERATORS_BY_KIND = {
    "share": {"<", "<=", ">", ">=", "==", "!="},
    "count": {"<", "<=", ">", ">=", "==", "!="},
    "flag": {"==", "!="},
    "text": {"==", "!=", "in", "not_in"},
    "honours": {"contains", "not_contains"},
}
COMPARATORS: dict[str, Callable[[Any, Any], bool]] = {
    "<": operator.lt,
    "<=": operator.le,
    ">": operator.gt,
    ">=": operator.ge,
    "==": operator.eq,
    "!=": operator.ne,
    "in": lambda fact, value: fact in value,
    "not_in": lambda fact, value: fact not in value,
    "contains": lambda fact, value: value in fact,
    "not_contains": lambda fact, value: value not in fact,
}

Condition = Callable[[Any], bool]


@dataclass(frozen=True, slots=True)
class Level:
    """One level (星级 or 等次) and its half-open score band [min, max)."""

    value: int
    name: str
    min_cents: int
    max_cents: int


@dataclass(frozen=True, slots=True)
class Criterion:
    code: str
    name: str
    max_cents: int
    categories: frozenset[str] | None  # None: applies to every category


class Template:
    """A Chinese message with named fields, checked when the scheme loads."""

    __slots__ = ("text", "fields")

    def __init__(self, text: str, allowed: set[str], source: str, key: str) -> None:
        fields = []
        try:
            parsed = list(string.Formatter().parse(text))
        except ValueError as error:
            raise SchemeError(source, key, f"消息模板格式错误：{error}") from None
        for _, name, spec, conversion in parsed:
            if name is None:
                continue
            if name not in allowed:
                known = "、".join(sorted(allowed))
                raise SchemeError(source, key, f"消息模板中的字段 {{{name}}} 未知（可用：{known}）")
            if spec or conversion:
                raise SchemeError(source, key, f"消息模板字段 {{{name}}} 不支持格式说明")
            fields.append(name)
        self.text = text
        self.fields = tuple(dict.fromkeys(fields))

    def fact_fields(self) -> tuple[str, ...]:
        return tuple(name for name in self.fields if name in MESSAGE_FACTS)

    def render(self, values: Mapping[str, Any]) -> str:
        return self.text.format_map({name: values[name] for name in self.fields})


# Facts a message may quote, by the underscore name used in templates.
MESSAGE_FACTS: dict[str, str] = {dotted.replace(".", "_"): attribute for dotted, (attribute, _) in FACTS.items()}


def with_clause(message: str, clause: str) -> str:
    """A sentence followed by the clause of the governing text it applies."""
    return f"{message}（{clause}）" if clause else message


def fact_text(attribute: str, value: Any) -> str:
    """How a fact reads inside a Chinese sentence."""
    if value is None:
        return "无"
    if isinstance(value, bool):
        return "是" if value else "否"
    if attribute == "satisfaction":
        return format_share(value)
    if isinstance(value, tuple):
        listed: tuple[str, ...] = value
        return "、".join(HONOUR_LEVELS.get(item, item) for item in listed) or "无"
    return str(value)


@dataclass(slots=True)
class Adjustment:
    """A bonus or deduction of 五(三) and its kind of counting.

    ``highest``: a list fact; only the highest listed value's points count.
    ``per_count``: a count fact; points for each, optionally at most ``limit_cents``.
    ``when``: points once when the condition holds.
    """

    code: str
    clause: str
    kind: str
    sign: int
    message: Template
    fact_attribute: str | None = None
    points_by_value: dict[str, int] = field(default_factory=dict)
    points_cents: int = 0
    limit_cents: int | None = None
    condition: Condition | None = None


@dataclass(slots=True)
class LevelRule:
    """A rule applied to the level after the band (demote, cap, set, max_rise)."""

    code: str
    clause: str
    effect: str
    message: Template
    condition: Condition | None
    amount: int  # levels to demote / rise at most, or the level to cap at / set
    stage: str | None


@dataclass(slots=True)
class Quota:
    """A share of organizations, over a population, at some levels."""

    code: str
    clause: str
    label: str
    levels: frozenset[int]
    bound: str  # "max" or "min"
    share: Decimal
    move_to: int
    message: Template


@dataclass(frozen=True, slots=True)
class SurveyOption:
    """One answer of the survey ballot (满意 / 基本满意 / 不满意) and its weight in the survey score."""

    code: str
    label: str
    weight: Decimal


@dataclass(frozen=True, slots=True)
class SurveyConfig:
    """The members' and public survey (党员群众测评): its answers, what counts as satisfied, its threshold.

    ``satisfied``: the options whose share of the overall ratings is the
    satisfaction rate (满意率). ``ask_criteria``: whether each criterion is
    rated too. ``min_participation``: the share of the members whose taking
    part makes the survey valid (seed 四(一)2: 80 %).
    """

    options: tuple[SurveyOption, ...]
    satisfied: frozenset[str]
    ask_criteria: bool = True
    min_participation: Decimal = Decimal("0.8")

    def option(self, code: str) -> SurveyOption:
        for option in self.options:
            if option.code == code:
                return option
        raise KeyError(code)


#: The survey of a scheme without a ``[survey]`` table.
DEFAULT_SURVEY = SurveyConfig(
    options=(
        SurveyOption("satisfied", "满意", Decimal(1)),
        SurveyOption("basically_satisfied", "基本满意", Decimal("0.7")),  # 示意 (illustrative)
        SurveyOption("unsatisfied", "不满意", Decimal(0)),
    ),
    satisfied=frozenset({"satisfied", "basically_satisfied"}),
)


@dataclass(slots=True)
class Scheme:
    id: str
    name: str
    source: str
    path: str
    full_marks_cents: int
    notice_days: int
    levels: list[Level]  # ascending by score
    criteria: list[Criterion]
    weights: dict[str, Decimal]
    composite_clause: str
    criteria_clause: str
    band_clause: str
    adjustments: list[Adjustment]
    level_rules: list[LevelRule]
    quotas: list[Quota]
    categories: frozenset[str] = frozenset()
    survey: SurveyConfig = DEFAULT_SURVEY

    def level(self, value: int) -> Level:
        for level in self.levels:
            if level.value == value:
                return level
        raise KeyError(value)

    def level_name(self, value: int) -> str:
        return self.level(value).name

    def level_values(self) -> list[int]:
        return [level.value for level in self.levels]

    def criteria_for(self, category: str | None) -> list[Criterion]:
        """The criteria an organization of this category is scored on."""
        if category is not None and category in self.categories:
            return [c for c in self.criteria if c.categories is None or category in c.categories]
        return [c for c in self.criteria if c.categories is None]


# --------------------------------------------------------------------------- loading


def scheme_path(name_or_path: str | Path) -> Path:
    """A shipped scheme by its id, or a TOML file by its path."""
    candidate = Path(name_or_path)
    if candidate.suffix == ".toml" or candidate.exists():
        return candidate
    return SCHEMES_DIR / f"{name_or_path}.toml"


def load_scheme(name_or_path: str | Path = DEFAULT_SCHEME) -> Scheme:
    path = scheme_path(name_or_path)
    if not path.is_file():
        shipped = "、".join(info["id"] for info in list_schemes())
        raise SchemeError(str(name_or_path), "scheme", f"找不到该评定方案（内置方案：{shipped}）")
    try:
        text = path.read_text(encoding="utf-8")
    except UnicodeDecodeError:
        raise SchemeError(path.name, "file", "文件不是 UTF-8 编码") from None
    return parse_scheme(text, source=path.name, path=str(path))


def parse_scheme(text: str, *, source: str = "<scheme>", path: str = "") -> Scheme:
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as error:
        raise SchemeError(source, "file", f"不是有效的 TOML：{error}") from None
    return _SchemeReader(source, path).read(data)


def list_schemes() -> list[dict[str, str]]:
    """The shipped schemes: id, name and source, read from their files."""
    schemes = []
    for path in sorted(SCHEMES_DIR.glob("*.toml")):
        with path.open("rb") as handle:
            data = tomllib.load(handle)
        schemes.append(
            {"id": data.get("id", path.stem), "name": data.get("name", ""), "source": data.get("source", "")}
        )
    return schemes


class _SchemeReader:
    """Reads and validates one scheme document; every error names its key."""

    TOP_KEYS = {
        "id",
        "name",
        "source",
        "full_marks",
        "notice_days",
        "band_clause",
        "criteria_clause",
        "levels",
        "criteria",
        "composite",
        "adjustments",
        "level_rules",
        "quotas",
        "survey",
    }

    def __init__(self, source: str, path: str) -> None:
        self.source = source
        self.path = path

    def fail(self, key: str, reason: str) -> SchemeError:
        return SchemeError(self.source, key, reason)

    def table(self, data: Any, key: str, allowed: set[str], required: set[str]) -> dict[str, Any]:
        if not isinstance(data, dict):
            raise self.fail(key, "应为表（table）")
        for name in data:
            if name not in allowed:
                raise self.fail(f"{key}.{name}" if key else name, f"未知的键（允许：{'、'.join(sorted(allowed))}）")
        for name in sorted(required):
            if name not in data:
                raise self.fail(f"{key}.{name}" if key else name, "缺少必填的键")
        return data

    def text(self, data: dict[str, Any], key: str, name: str, default: str | None = None) -> str:
        value = data.get(name, default)
        if not isinstance(value, str) or not value.strip():
            raise self.fail(f"{key}.{name}" if key else name, "应为非空字符串")
        return value

    def points(self, value: Any, key: str) -> int:
        try:
            number = parse_decimal(value)
        except ValueError as error:
            raise self.fail(key, f"分值{error}") from None
        if number < 0:
            raise self.fail(key, '分值不能为负数（扣分请用 type = "deduction"）')
        return to_cents(number)

    def share(self, value: Any, key: str) -> Decimal:
        try:
            number = parse_decimal(value)
        except ValueError as error:
            raise self.fail(key, f"比例{error}") from None
        if not Decimal(0) <= number <= Decimal(1):
            raise self.fail(key, "比例应在 0 到 1 之间")
        return number

    def integer(self, data: dict[str, Any], key: str, name: str, *, minimum: int = 0) -> int:
        value = data.get(name)
        if not isinstance(value, int) or isinstance(value, bool) or value < minimum:
            raise self.fail(f"{key}.{name}", f"应为不小于 {minimum} 的整数")
        return value

    def array(self, data: dict[str, Any], name: str) -> list[Any]:
        value = data.get(name, [])
        if not isinstance(value, list):
            raise self.fail(name, "应为数组（[[…]]）")
        return value

    # ------------------------------------------------------------------ document

    def read(self, data: dict[str, Any]) -> Scheme:
        self.table(data, "", self.TOP_KEYS, {"id", "name", "source", "levels"})
        full_marks = self.points(data.get("full_marks", 100), "full_marks")
        if full_marks <= 0:
            raise self.fail("full_marks", "满分应大于 0")
        notice_days = data.get("notice_days", 7)
        if not isinstance(notice_days, int) or isinstance(notice_days, bool) or notice_days < 1:
            raise self.fail("notice_days", "公示天数应为正整数")
        levels = self.read_levels(self.array(data, "levels"), full_marks)
        level_values = {level.value for level in levels}
        criteria, categories = self.read_criteria(self.array(data, "criteria"), full_marks)
        composite = self.table(data.get("composite", {}), "composite", {"weights", "clause"}, set())
        weights = self.read_weights(composite.get("weights", {}))
        scheme = Scheme(
            id=self.text(data, "", "id"),
            name=self.text(data, "", "name"),
            source=self.text(data, "", "source"),
            path=self.path,
            full_marks_cents=full_marks,
            notice_days=notice_days,
            levels=levels,
            criteria=criteria,
            weights=weights,
            composite_clause=composite.get("clause", ""),
            criteria_clause=data.get("criteria_clause", ""),
            band_clause=data.get("band_clause", ""),
            adjustments=[],
            level_rules=[],
            quotas=[],
            categories=categories,
            survey=self.read_survey(data["survey"]) if "survey" in data else DEFAULT_SURVEY,
        )
        codes: set[str] = set()
        for index, item in enumerate(self.array(data, "adjustments")):
            adjustment = self.read_adjustment(item, f"adjustments[{index}]")
            self.unique_code(codes, adjustment.code, f"adjustments[{index}].code")
            scheme.adjustments.append(adjustment)
        for index, item in enumerate(self.array(data, "level_rules")):
            rule = self.read_level_rule(item, f"level_rules[{index}]", level_values)
            self.unique_code(codes, rule.code, f"level_rules[{index}].code")
            scheme.level_rules.append(rule)
        for index, item in enumerate(self.array(data, "quotas")):
            quota = self.read_quota(item, f"quotas[{index}]", levels)
            self.unique_code(codes, quota.code, f"quotas[{index}].code")
            scheme.quotas.append(quota)
        return scheme

    def unique_code(self, codes: set[str], code: str, key: str) -> None:
        if code in codes:
            raise self.fail(key, f"规则代码“{code}”重复")
        codes.add(code)

    def read_levels(self, items: list[Any], full_marks: int) -> list[Level]:
        if not items:
            raise self.fail("levels", "至少需要一个等级")
        levels = []
        for index, item in enumerate(items):
            key = f"levels[{index}]"
            self.table(
                item, key, {"value", "name", "min_score", "max_score"}, {"value", "name", "min_score", "max_score"}
            )
            low = self.points(item["min_score"], f"{key}.min_score")
            high = self.points(item["max_score"], f"{key}.max_score")
            if low >= high:
                raise self.fail(f"{key}.max_score", "分数段上限应大于下限")
            levels.append(Level(self.integer(item, key, "value"), self.text(item, key, "name"), low, high))
        levels.sort(key=lambda level: level.min_cents)
        seen_values: set[int] = set()
        for position, level in enumerate(levels):
            if level.value in seen_values:
                raise self.fail("levels", f"等级值 {level.value} 重复")
            seen_values.add(level.value)
            if position == 0:
                if level.min_cents != 0:
                    raise self.fail("levels", f"最低分数段“{level.name}”应从 0 分开始")
                continue
            previous = levels[position - 1]
            if level.min_cents < previous.max_cents:
                raise self.fail("levels", f"分数段“{previous.name}”与“{level.name}”重叠")
            if level.min_cents > previous.max_cents:
                raise self.fail("levels", f"分数段“{previous.name}”与“{level.name}”之间有空档")
            if level.value <= previous.value:
                raise self.fail("levels", f"等级“{level.name}”的分数段更高，其等级值也应更大")
        if levels[-1].max_cents != full_marks:
            raise self.fail("levels", f"最高分数段“{levels[-1].name}”应止于满分")
        return levels

    def read_criteria(self, items: list[Any], full_marks: int) -> tuple[list[Criterion], frozenset[str]]:
        criteria = []
        codes: set[tuple[str, str | None]] = set()
        for index, item in enumerate(items):
            key = f"criteria[{index}]"
            self.table(item, key, {"code", "name", "max", "categories"}, {"code", "name", "max"})
            code = item["code"]
            if not isinstance(code, str) or not code.strip():
                raise self.fail(f"{key}.code", "应为非空字符串")
            categories = item.get("categories")
            if categories is not None and (
                not isinstance(categories, list)
                or not categories
                or not all(isinstance(c, str) and c for c in categories)
            ):
                raise self.fail(f"{key}.categories", "应为非空的类别名称数组")
            frozen = frozenset(categories) if categories is not None else None
            for category in sorted(frozen) if frozen else [None]:
                if (code, category) in codes:
                    raise self.fail(f"{key}.code", f"评定内容代码“{code}”重复")
                codes.add((code, category))
            maximum = self.points(item["max"], f"{key}.max")
            if maximum == 0:
                raise self.fail(f"{key}.max", "满分应大于 0")
            criteria.append(Criterion(code, self.text(item, key, "name"), maximum, frozen))
        categories = frozenset(category for criterion in criteria for category in (criterion.categories or ()))
        for category in [None, *sorted(categories)]:
            total = sum(
                c.max_cents
                for c in criteria
                if c.categories is None or (category is not None and category in c.categories)
            )
            if total > full_marks:
                where = f"类别“{category}”" if category else "通用"
                raise self.fail("criteria", f"{where}评定内容满分合计超过总分")
        return criteria, categories

    def read_weights(self, weights: Any) -> dict[str, Decimal]:
        self.table(weights, "composite.weights", {"self", "survey", "superior"}, set())
        result = {name: self.share(value, f"composite.weights.{name}") for name, value in weights.items()}
        if result and sum(result.values()) != 1:
            raise self.fail("composite.weights", "权重之和应为 1")
        return result

    def read_survey(self, data: Any) -> SurveyConfig:
        survey = self.table(data, "survey", {"options", "satisfied", "ask_criteria", "min_participation"}, set())
        options = DEFAULT_SURVEY.options
        if "options" in survey:
            items = survey["options"]
            if not isinstance(items, list) or len(items) < 2:
                raise self.fail("survey.options", "至少需要两个选项（[[survey.options]]）")
            listed: list[SurveyOption] = []
            for index, item in enumerate(items):
                key = f"survey.options[{index}]"
                self.table(item, key, {"code", "label", "weight"}, {"code", "label", "weight"})
                code = self.text(item, key, "code")
                if code in {option.code for option in listed}:
                    raise self.fail(f"{key}.code", f"选项代码“{code}”重复")
                try:
                    weight = parse_decimal(item["weight"])
                except ValueError as error:
                    raise self.fail(f"{key}.weight", f"权重{error}") from None
                if not Decimal(0) <= weight <= Decimal(1):
                    raise self.fail(f"{key}.weight", "权重应在 0 到 1 之间")
                listed.append(SurveyOption(code, self.text(item, key, "label"), weight))
            options = tuple(listed)
        codes = {option.code for option in options}
        satisfied = DEFAULT_SURVEY.satisfied
        if "satisfied" in survey:
            chosen = survey["satisfied"]
            if not isinstance(chosen, list) or not chosen or not all(isinstance(code, str) for code in chosen):
                raise self.fail("survey.satisfied", "应为选项代码的非空数组")
            satisfied = frozenset(chosen)
        unknown = sorted(satisfied - codes)
        if unknown:
            raise self.fail("survey.satisfied", f"选项“{'、'.join(unknown)}”不在 survey.options 中")
        ask_criteria = survey.get("ask_criteria", True)
        if not isinstance(ask_criteria, bool):
            raise self.fail("survey.ask_criteria", "应为 true 或 false")
        minimum = DEFAULT_SURVEY.min_participation
        if "min_participation" in survey:
            minimum = self.share(survey["min_participation"], "survey.min_participation")
        return SurveyConfig(options=options, satisfied=satisfied, ask_criteria=ask_criteria, min_participation=minimum)

    def read_adjustment(self, item: Any, key: str) -> Adjustment:
        self.table(
            item,
            key,
            {"code", "clause", "type", "kind", "fact", "points", "limit", "when", "message"},
            {"code", "type", "kind", "points", "message"},
        )
        kind = item["kind"]
        if kind not in ("highest", "per_count", "when"):
            raise self.fail(f"{key}.kind", "应为 highest、per_count 或 when")
        if item["type"] not in ("bonus", "deduction"):
            raise self.fail(f"{key}.type", "应为 bonus（加分）或 deduction（扣分）")
        allowed = {"count", "points", "value", *MESSAGE_FACTS}
        message = Template(self.text(item, key, "message"), allowed, self.source, f"{key}.message")
        adjustment = Adjustment(
            code=self.text(item, key, "code"),
            clause=item.get("clause", ""),
            kind=kind,
            sign=1 if item["type"] == "bonus" else -1,
            message=message,
        )
        if "limit" in item:
            adjustment.limit_cents = self.points(item["limit"], f"{key}.limit")
        if kind == "when":
            if "when" not in item:
                raise self.fail(f"{key}.when", 'kind = "when" 需要条件')
            adjustment.condition = self.condition(item["when"], f"{key}.when")
            adjustment.points_cents = self.points(item["points"], f"{key}.points")
            return adjustment
        fact_name = item.get("fact")
        if fact_name not in FACTS:
            raise self.fail(f"{key}.fact", f"未知的事实“{fact_name}”")
        attribute, fact_kind = FACTS[fact_name]
        adjustment.fact_attribute = attribute
        if kind == "highest":
            if fact_kind != "honours":
                raise self.fail(f"{key}.fact", "highest 只适用于表彰、创新这类级别列表")
            points = self.table(item["points"], f"{key}.points", set(HONOUR_LEVELS), set())
            if not points:
                raise self.fail(f"{key}.points", "至少需要一个级别的分值")
            adjustment.points_by_value = {
                level: self.points(value, f"{key}.points.{level}") for level, value in points.items()
            }
        else:
            if fact_kind != "count":
                raise self.fail(f"{key}.fact", "per_count 只适用于次数、人次这类计数")
            adjustment.points_cents = self.points(item["points"], f"{key}.points")
        return adjustment

    def read_level_rule(self, item: Any, key: str, level_values: set[int]) -> LevelRule:
        self.table(
            item,
            key,
            {"code", "clause", "effect", "levels", "level", "when", "stage", "message"},
            {"code", "effect", "message"},
        )
        effect = item["effect"]
        if effect not in ("demote", "cap", "set", "max_rise"):
            raise self.fail(f"{key}.effect", "应为 demote、cap、set 或 max_rise")
        if effect in ("demote", "max_rise"):
            amount = self.integer(item, key, "levels", minimum=0 if effect == "max_rise" else 1)
        else:
            amount = self.integer(item, key, "level")
            if amount not in level_values:
                raise self.fail(f"{key}.level", f"等级值 {amount} 不在 levels 中")
        stage = item.get("stage")
        if stage is not None and stage not in STAGES:
            raise self.fail(f"{key}.stage", f"应为 {' 或 '.join(STAGES)}")
        condition = self.condition(item["when"], f"{key}.when") if "when" in item else None
        if condition is None and effect != "max_rise":
            raise self.fail(f"{key}.when", "缺少条件")
        allowed = {"from", "to", "level", "change", *MESSAGE_FACTS}
        return LevelRule(
            code=self.text(item, key, "code"),
            clause=item.get("clause", ""),
            effect=effect,
            message=Template(self.text(item, key, "message"), allowed, self.source, f"{key}.message"),
            condition=condition,
            amount=amount,
            stage=stage,
        )

    def read_quota(self, item: Any, key: str, levels: list[Level]) -> Quota:
        self.table(
            item,
            key,
            {"code", "clause", "label", "levels", "max_share", "min_share", "move_to", "message"},
            {"code", "label", "levels", "message"},
        )
        values = [level.value for level in levels]
        chosen = item["levels"]
        if not isinstance(chosen, list) or not chosen or not all(isinstance(v, int) and v in values for v in chosen):
            raise self.fail(f"{key}.levels", "应为 levels 中已有等级值的非空数组")
        if ("max_share" in item) == ("min_share" in item):
            raise self.fail(key, "max_share 与 min_share 须且只须给出一个")
        bound = "max" if "max_share" in item else "min"
        share = self.share(item[f"{bound}_share"], f"{key}.{bound}_share")
        chosen_set = frozenset(chosen)
        if "move_to" in item:
            move_to = self.integer(item, key, "move_to")
            if move_to not in values:
                raise self.fail(f"{key}.move_to", f"等级值 {move_to} 不在 levels 中")
        elif bound == "max":
            below = [v for v in values if v < min(chosen_set)]
            if not below:
                raise self.fail(f"{key}.move_to", "最低等级的上限比例须写明调整到哪一级")
            move_to = max(below)
        else:
            move_to = max(chosen_set)
        if bound == "max" and move_to in chosen_set:
            raise self.fail(f"{key}.move_to", "调整到的等级不能在受限的等级之内")
        if bound == "min" and move_to not in chosen_set:
            raise self.fail(f"{key}.move_to", "调整到的等级应在保底的等级之内")
        allowed = {"from", "to", "limit", "share", "change"}
        return Quota(
            code=self.text(item, key, "code"),
            clause=item.get("clause", ""),
            label=self.text(item, key, "label"),
            levels=chosen_set,
            bound=bound,
            share=share,
            move_to=move_to,
            message=Template(self.text(item, key, "message"), allowed, self.source, f"{key}.message"),
        )

    # ---------------------------------------------------------------- conditions

    def condition(self, data: Any, key: str) -> Condition:
        if not isinstance(data, dict) or not data:
            raise self.fail(key, '条件应为表，例如 { fact = "absences", op = ">=", value = 3 }')
        if set(data) == {"all"} or set(data) == {"any"}:
            combinator = next(iter(data))
            parts = data[combinator]
            if not isinstance(parts, list) or not parts:
                raise self.fail(f"{key}.{combinator}", "应为非空的条件数组")
            compiled = [self.condition(part, f"{key}.{combinator}[{i}]") for i, part in enumerate(parts)]
            return _combine(combinator, compiled)
        if set(data) == {"not"}:
            inner = self.condition(data["not"], f"{key}.not")
            return lambda org: not inner(org)
        self.table(data, key, {"fact", "op", "value"}, {"fact", "op", "value"})
        fact_name = data["fact"]
        if fact_name not in FACTS:
            raise self.fail(f"{key}.fact", f"未知的事实“{fact_name}”")
        attribute, kind = FACTS[fact_name]
        op = data["op"]
        if op not in OPERATORS_BY_KIND[kind]:
            allowed = "、".join(sorted(OPERATORS_BY_KIND[kind]))
            raise self.fail(f"{key}.op", f"“{fact_name}”不支持运算符“{op}”（可用：{allowed}）")
        value = self.condition_value(data["value"], kind, op, f"{key}.value")
        return _leaf(operator.attrgetter(attribute), op, value)

    def condition_value(self, value: Any, kind: str, op: str, key: str) -> Any:
        if kind == "share":
            return self.share(value, key)
        if kind == "count":
            if not isinstance(value, int) or isinstance(value, bool):
                raise self.fail(key, "应为整数")
            return value
        if kind == "flag":
            if not isinstance(value, bool):
                raise self.fail(key, "应为 true 或 false")
            return value
        if kind == "honours":
            if value not in HONOUR_LEVELS:
                raise self.fail(key, f"应为 {'、'.join(HONOUR_LEVELS)} 之一")
            return value
        if op in ("in", "not_in"):
            if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
                raise self.fail(key, "应为字符串数组")
            return frozenset(value)
        if not isinstance(value, str):
            raise self.fail(key, "应为字符串")
        return value


# Conditions run once per organization and rule, a million times in a
# campaign-wide rating: each is a single closure with its operator inlined,
# rather than a generic comparison through a function table.


def _leaf(get: Callable[[Any], Any], op: str, value: Any) -> Condition:
    """A comparison of one fact; an absent fact (no survey, no previous level) satisfies none."""
    if op == "<":
        return lambda org: (fact := get(org)) is not None and fact < value
    if op == "<=":
        return lambda org: (fact := get(org)) is not None and fact <= value
    if op == ">":
        return lambda org: (fact := get(org)) is not None and fact > value
    if op == ">=":
        return lambda org: (fact := get(org)) is not None and fact >= value
    if op == "==":
        return lambda org: (fact := get(org)) is not None and fact == value
    if op == "!=":
        return lambda org: (fact := get(org)) is not None and fact != value
    compare = COMPARATORS[op]
    return lambda org: (fact := get(org)) is not None and compare(fact, value)


def _combine(combinator: str, parts: list[Condition]) -> Condition:
    if len(parts) == 1:
        return parts[0]
    if len(parts) == 2:
        first, second = parts
        if combinator == "all":
            return lambda org: first(org) and second(org)
        return lambda org: first(org) or second(org)
    if combinator == "all":
        return lambda org: all(check(org) for check in parts)
    return lambda org: any(check(org) for check in parts)
