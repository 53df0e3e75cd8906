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
from decimal import ROUND_DOWN, ROUND_HALF_UP, Decimal
from pathlib import Path
from typing import Any

from xingji.rules.numbers import format_points, format_share, parse_decimal, to_cents

SCHEMES_DIR = Path(__file__).parent / "schemes"
DEFAULT_SCHEME = "anyang-2017"

STAGES = ("year_end", "mid_year")
HONOUR_LEVELS = {"city": "市级", "province": "省级", "national": "国家级"}
#: The parts a composite (``[composite] weights``) may weigh: three scores (0 to full marks) and the
#: satisfaction rate (满意率, 0–1), which counts as that share of full marks.
WEIGHT_NAMES = {"self": "自评", "survey": "测评", "superior": "考评", "satisfaction": "满意率"}
#: The weight name of the satisfaction rate, and the effect of its reason line (``Reason.score``: its part).
SATISFACTION = "satisfaction"
WEIGHTED_EFFECT = "weighted"


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
    "meetings.compliance": ("meetings_compliance", "share"),
    "dues.paid_on_time": ("dues_paid_on_time", "share"),
    "appraisal.coverage": ("appraisal_coverage", "share"),
}

#: Indicators of a branch's work that the platform computes from its records
#: (组织生活、党费、民主评议党员), by dotted fact name, with their Chinese names.
#: A criterion may show them to the evaluator (``shows``) or be scored from
#: one (``scored_by``).
INDICATOR_FACTS: dict[str, str] = {
    "meetings.compliance": "组织生活落实率",
    "dues.paid_on_time": "按时交纳党费比例",
    "appraisal.coverage": "民主评议党员覆盖率",
}


def indicator_share(part: int, whole: int) -> Decimal | None:
    """An indicator's share ``part ÷ whole`` (None when nothing is due), rounded *down* to 0.01 %.

    Down, so that rounding never lifts a share over a scheme's step
    (8 held of 9 due is 88.88 %, not 88.89 %, and 899 of 1,000 never reads 90 %).
    """
    if whole <= 0:
        return None
    return (Decimal(part) / Decimal(whole)).quantize(Decimal("0.0001"), rounding=ROUND_DOWN)


#: Facts that are shares (0–1) and read as percentages in a sentence.
SHARE_ATTRIBUTES = frozenset(attribute for attribute, kind in FACTS.values() if kind == "share")

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
class ScoreStep:
    """One step of an indicator's scoring: ``points_cents`` when the share is at least ``at_least``."""

    at_least: Decimal
    points_cents: int


@dataclass(frozen=True, slots=True)
class ScoredBy:
    """A criterion scored from an indicator fact rather than by the evaluator.

    ``steps``: the first step (highest ``at_least`` first) the share reaches
    gives the points, below every step 0. ``proportional``: the criterion's
    maximum × the share, rounded half-up to the hundredth of a point.
    """

    fact: str  # dotted name, one of INDICATOR_FACTS
    attribute: str  # of Organization
    clause: str
    method: str  # "steps" or "proportional"
    steps: tuple[ScoreStep, ...]
    message: Template = field(compare=False)

    def points(self, share: Decimal, maximum_cents: int) -> int:
        """The criterion's score (hundredths) for this share."""
        if self.method == "proportional":
            return int((Decimal(maximum_cents) * share).quantize(Decimal(1), rounding=ROUND_HALF_UP))
        for step in self.steps:
            if share >= step.at_least:
                return step.points_cents
        return 0

    def rule_text(self, maximum_cents: int) -> str:
        """The formula in one Chinese sentence (for the forms and the scheme pages)."""
        label = INDICATOR_FACTS[self.fact]
        if self.method == "proportional":
            return f"按{label}计分：满分{format_points(maximum_cents)}分×{label}，四舍五入到0.01分"
        parts = [f"达到{format_share(step.at_least)}得{format_points(step.points_cents)}分" for step in self.steps]
        return f"按{label}计分：" + "，".join(parts) + "，低于各档得0分"


@dataclass(frozen=True, slots=True)
class Criterion:
    code: str
    name: str
    max_cents: int
    categories: frozenset[str] | None  # None: applies to every category
    # Indicator facts shown to the evaluator beside the score (dotted names).
    shows: tuple[str, ...] = ()
    # When set and the organization's indicator is known, the score is computed, not typed.
    scored_by: ScoredBy | None = None

    @property
    def indicators(self) -> tuple[str, ...]:
        """Every indicator fact the evaluator sees for this criterion: those shown, then the one it is scored by."""
        facts = list(self.shows)
        if self.scored_by is not None and self.scored_by.fact not in facts:
            facts.append(self.scored_by.fact)
        return tuple(facts)


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
    if attribute in SHARE_ATTRIBUTES:
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


#: How a quota's share of its base becomes a count of organizations: ``rounding`` of a quota.
QUOTA_ROUNDINGS = {"floor": "向下取整", "ceil": "向上取整", "round": "四舍五入"}


@dataclass(slots=True)
class Quota:
    """A share of organizations, over a base of the organizations rated together, at some levels.

    The base is everyone rated together, or only the organizations of the
    ``categories`` listed, or only those of none of the ``not_categories``
    listed (an organization without a category among them). The limit is
    share × the base's size, rounded by ``rounding``: by default down for a
    ceiling (``max``) and up for a floor (``min``).
    """

    code: str
    clause: str
    label: str
    levels: frozenset[int]
    bound: str  # "max" or "min"
    share: Decimal
    move_to: int
    message: Template
    categories: frozenset[str] | None = None  # the base: only these categories
    not_categories: frozenset[str] | None = None  # the base: every category but these (and none)
    rounding: str = ""  # floor / ceil / round; "" for the default of the bound

    @property
    def rounding_rule(self) -> str:
        """The rounding that applies: the quota's own, else down for a ceiling and up for a floor."""
        return self.rounding or ("floor" if self.bound == "max" else "ceil")

    def counts(self, category: str | None) -> bool:
        """Whether an organization of this category is in the quota's base."""
        if self.categories is not None:
            return category in self.categories
        if self.not_categories is not None:
            return category not in self.not_categories
        return True

    @property
    def by_category(self) -> bool:
        return self.categories is not None or self.not_categories is not None

    def base_name(self) -> str:
        """The base in words: 社区类, 社区以外各类, or 全部."""
        if self.categories is not None:
            return "、".join(sorted(self.categories)) + "类"
        if self.not_categories is not None:
            return "、".join(sorted(self.not_categories)) + "以外各类"
        return "全部"

    def base_text(self, population: int) -> str:
        """The base with its size, as a message quotes it: 社区类12个组织."""
        return f"{self.base_name()}{population}个组织"


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
            self.table(item, key, {"code", "name", "max", "categories", "shows", "scored_by"}, {"code", "name", "max"})
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
            name = self.text(item, key, "name")
            shows = self.read_shows(item.get("shows", []), f"{key}.shows")
            scored_by = (
                self.read_scored_by(item["scored_by"], f"{key}.scored_by", name, maximum)
                if "scored_by" in item
                else None
            )
            criteria.append(Criterion(code, name, maximum, frozen, shows, scored_by))
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

    def indicator(self, value: Any, key: str) -> str:
        if value not in INDICATOR_FACTS:
            known = "、".join(INDICATOR_FACTS)
            raise self.fail(key, f"“{value}”不是可显示或计分的工作指标（可用：{known}）")
        return str(value)

    def read_shows(self, value: Any, key: str) -> tuple[str, ...]:
        if not isinstance(value, list):
            raise self.fail(key, '应为指标名称数组，如 ["meetings.compliance"]')
        facts = [self.indicator(fact, f"{key}[{index}]") for index, fact in enumerate(value)]
        if len(set(facts)) != len(facts):
            raise self.fail(key, "同一指标列出了两次")
        return tuple(facts)

    def read_scored_by(self, data: Any, key: str, criterion_name: str, maximum: int) -> ScoredBy:
        self.table(data, key, {"fact", "clause", "method", "steps", "message"}, {"fact", "method"})
        fact = self.indicator(data["fact"], f"{key}.fact")
        method = data["method"]
        if method not in ("steps", "proportional"):
            raise self.fail(f"{key}.method", "应为 steps（分档）或 proportional（按比例）")
        clause = data.get("clause", "")
        if not isinstance(clause, str):
            raise self.fail(f"{key}.clause", "应为字符串")
        steps: list[ScoreStep] = []
        if method == "proportional":
            if "steps" in data:
                raise self.fail(f"{key}.steps", 'method = "proportional" 不用 steps')
        else:
            items = data.get("steps")
            if not isinstance(items, list) or not items:
                raise self.fail(f"{key}.steps", "分档计分需要非空的 steps，如 [{ at_least = 0.9, points = 10 }]")
            for index, item in enumerate(items):
                step_key = f"{key}.steps[{index}]"
                self.table(item, step_key, {"at_least", "points"}, {"at_least", "points"})
                at_least = self.share(item["at_least"], f"{step_key}.at_least")
                points = self.points(item["points"], f"{step_key}.points")
                if points > maximum:
                    raise self.fail(
                        f"{step_key}.points",
                        f"分值 {format_points(points)} 超过该项满分 {format_points(maximum)}",
                    )
                if steps and at_least >= steps[-1].at_least:
                    raise self.fail(f"{step_key}.at_least", "各档的 at_least 应从高到低排列，且互不相同")
                if steps and points > steps[-1].points_cents:
                    raise self.fail(f"{step_key}.points", "较低一档的分值不能高于较高一档")
                steps.append(ScoreStep(at_least, points))
        label = INDICATOR_FACTS[fact]
        default = f"{label}{{value}}，“{criterion_name}”一项得{{points}}分"
        message = Template(
            self.text(data, key, "message", default),
            {"value", "points", "max", *MESSAGE_FACTS},
            self.source,
            f"{key}.message",
        )
        return ScoredBy(fact, FACTS[fact][0], clause, method, tuple(steps), message)

    def read_weights(self, weights: Any) -> dict[str, Decimal]:
        self.table(weights, "composite.weights", set(WEIGHT_NAMES), set())
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
            {
                "code",
                "clause",
                "label",
                "levels",
                "max_share",
                "min_share",
                "move_to",
                "message",
                "categories",
                "not_categories",
                "rounding",
            },
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
        if "categories" in item and "not_categories" in item:
            raise self.fail(key, "categories 与 not_categories 至多给出一个")
        categories = self.quota_categories(item, key, "categories")
        not_categories = self.quota_categories(item, key, "not_categories")
        rounding = item.get("rounding", "")
        if "rounding" in item and rounding not in QUOTA_ROUNDINGS:
            raise self.fail(f"{key}.rounding", "应为 floor（向下取整）、ceil（向上取整）或 round（四舍五入）")
        allowed = {"from", "to", "limit", "share", "change", "base", "population"}
        message = Template(self.text(item, key, "message"), allowed, self.source, f"{key}.message")
        if (categories is not None or not_categories is not None) and "base" not in message.fields:
            raise self.fail(f"{key}.message", "按类别的比例须在消息中用 {base} 写明基数（如“社区类12个组织”）")
        return Quota(
            code=self.text(item, key, "code"),
            clause=item.get("clause", ""),
            label=self.text(item, key, "label"),
            levels=chosen_set,
            bound=bound,
            share=share,
            move_to=move_to,
            message=message,
            categories=categories,
            not_categories=not_categories,
            rounding=rounding,
        )

    def quota_categories(self, item: dict[str, Any], key: str, name: str) -> frozenset[str] | None:
        if name not in item:
            return None
        value = item[name]
        if (
            not isinstance(value, list)
            or not value
            or not all(isinstance(category, str) and category.strip() == category and category for category in value)
        ):
            raise self.fail(f"{key}.{name}", '应为非空的类别名称数组，如 ["社区"]')
        if len(set(value)) != len(value):
            raise self.fail(f"{key}.{name}", "同一类别列出了两次")
        return frozenset(value)

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
