"""The engine's input: one organization's facts for a year, validated.

``parse_organizations`` turns JSON-shaped records (from a JSON, CSV or XLSX
file, or built by the web application from its records) into
``Organization`` values, collecting every problem with the row, the
organization and the field, so that bad input is reported whole and nothing
is rated from it.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any, TypeVar, TypeVarTuple

from xingji.rules.numbers import format_score, parse_decimal, to_cents
from xingji.rules.scheme import HONOUR_LEVELS, Scheme

Read = TypeVar("Read")
Arguments = TypeVarTuple("Arguments")

HONOUR_ALIASES = {
    **{key: key for key in HONOUR_LEVELS},
    **{label: key for key, label in HONOUR_LEVELS.items()},
    "市": "city",
    "省": "province",
    "国家": "national",
    "全国": "national",
}
TRUE_WORDS = {"true", "yes", "y", "1", "是", "有", "√", "对"}
FALSE_WORDS = {"false", "no", "n", "0", "否", "无", "×", "不"}
COMPONENTS = ("self", "survey", "superior")
COMPONENT_NAMES = {"self": "自评得分", "survey": "测评得分", "superior": "考评得分"}

TOP_FIELDS = {
    "id",
    "name",
    "base_score",
    "criteria",
    "components",
    "satisfaction",
    "commendations",
    "innovations",
    "criticisms",
    "leader_discipline",
    "member_violations",
    "absences",
    "election",
    "category",
    "previous_stars",
    "newly_founded",
    "innovation_project",
    "meetings",
    "dues",
    "appraisal",
}
#: Indicators of the branch's work (computed by the platform from its records, or given in a batch file):
#: the nested input name -> attribute of Organization.
INDICATOR_INPUTS = {
    "meetings.compliance": "meetings_compliance",
    "dues.paid_on_time": "dues_paid_on_time",
    "appraisal.coverage": "appraisal_coverage",
}
SHARE_NAMES = {
    "satisfaction": "满意率",
    "meetings.compliance": "组织生活落实率",
    "dues.paid_on_time": "按时交纳党费比例",
    "appraisal.coverage": "民主评议党员覆盖率",
}
NESTED_FIELDS = {
    "criticisms": ("working_committee", "municipal_committee"),
    "leader_discipline": ("light", "heavy"),
    "election": ("overdue", "excused", "overdue_days"),
    "components": COMPONENTS,
    "meetings": ("compliance",),
    "dues": ("paid_on_time",),
    "appraisal": ("coverage",),
}


@dataclass(slots=True)
class Organization:
    """One organization's facts for a rating. Scores are in hundredths."""

    id: str
    name: str = ""
    base_score: int | None = None
    criteria: dict[str, int] | None = None
    components: dict[str, int] | None = None
    satisfaction: Decimal | None = None
    commendations: tuple[str, ...] = ()
    innovations: tuple[str, ...] = ()
    criticisms_working_committee: int = 0
    criticisms_municipal_committee: int = 0
    leader_discipline_light: int = 0
    leader_discipline_heavy: int = 0
    member_violations: int = 0
    absences: int = 0
    election_overdue: bool = False
    election_excused: bool = False
    election_overdue_days: int = 0
    category: str | None = None
    previous_stars: int | None = None
    newly_founded: bool = False
    innovation_project: bool = False
    # Shares 0–1 of the branch's work; None when not known or not applicable.
    meetings_compliance: Decimal | None = None  # 组织生活落实率: meetings held ÷ due
    dues_paid_on_time: Decimal | None = None  # 按时交纳党费比例: months paid on time ÷ due
    appraisal_coverage: Decimal | None = None  # 民主评议党员覆盖率: members appraised ÷ roll

    @property
    def commendation_count(self) -> int:
        return len(self.commendations)

    @property
    def innovation_count(self) -> int:
        return len(self.innovations)


@dataclass(frozen=True, slots=True)
class Problem:
    """One thing wrong with the input: where, which field, why."""

    where: str  # "第3行" / "第2个组织"
    organization: str  # its id, or "" when it has none
    field: str
    message: str

    def __str__(self) -> str:
        who = f"（{self.organization}）" if self.organization else ""
        return f"{self.where}{who} 字段 {self.field}：{self.message}"


@dataclass
class InputError(ValueError):
    """The input cannot be rated; every problem found is listed."""

    problems: list[Problem] = field(default_factory=list)

    def __str__(self) -> str:
        return "\n".join(str(problem) for problem in self.problems)


@dataclass(frozen=True, slots=True)
class Record:
    """A JSON-shaped organization and where it was read from."""

    where: str
    data: Mapping[str, Any]
    # Column headers as the file spelled them, by dotted field name, so that
    # a message names the column the office actually sees.
    columns: Mapping[str, str] = field(default_factory=dict)


def parse_organizations(records: Iterable[Record], scheme: Scheme) -> list[Organization]:
    """Validate every record against the scheme; raise ``InputError`` listing all problems."""
    problems: list[Problem] = []
    organizations: list[Organization] = []
    first_seen: dict[str, str] = {}
    for record in records:
        reader = _RecordReader(record, scheme)
        organization = reader.read()
        problems.extend(reader.problems)
        if organization is None:
            continue
        if organization.id in first_seen:
            problems.append(
                Problem(
                    record.where,
                    organization.id,
                    reader.label("id"),
                    f"编号重复（与{first_seen[organization.id]}相同）",
                )
            )
            continue
        first_seen[organization.id] = record.where
        organizations.append(organization)
    if problems:
        raise InputError(problems)
    return organizations


class _Invalid(Exception):
    pass


class _RecordReader:
    def __init__(self, record: Record, scheme: Scheme) -> None:
        self.record = record
        self.scheme = scheme
        self.problems: list[Problem] = []
        self.organization_id = ""

    def label(self, name: str) -> str:
        column = self.record.columns.get(name)
        return f"{name}（{column}）" if column and column != name else name

    def problem(self, name: str, message: str) -> None:
        self.problems.append(Problem(self.record.where, self.organization_id, self.label(name), message))

    def guarded(self, name: str, read: Callable[[str, *Arguments], Read], *args: *Arguments) -> Read | None:
        """What ``read`` gives for this field, or None, its problem noted, if the value is invalid."""
        try:
            return read(name, *args)
        except _Invalid as error:
            self.problem(name, str(error))
            return None
            return None

    # ------------------------------------------------------------- field readers

    def score(self, name: str, value: Any, maximum: int) -> int:
        try:
            number = parse_decimal(value)
        except ValueError as error:
            raise _Invalid(f"分数{error}") from None
        cents = to_cents(number)
        if cents < 0:
            raise _Invalid(f"分数 {value} 不能为负数")
        if cents > maximum:
            raise _Invalid(f"分数 {value} 超过该项满分 {format_score(maximum)}")
        return cents

    def count(self, name: str, value: Any) -> int:
        if value is None or value == "":
            return 0
        try:
            number = parse_decimal(value)
        except ValueError as error:
            raise _Invalid(f"次数{error}") from None
        if number != number.to_integral_value():
            raise _Invalid(f"次数 {value} 应为整数")
        if number < 0:
            raise _Invalid(f"次数 {value} 不能为负数")
        return int(number)

    def flag(self, name: str, value: Any) -> bool:
        if value is None or value == "":
            return False
        if isinstance(value, bool):
            return value
        if isinstance(value, int | float) and value in (0, 1):
            return bool(value)
        text = str(value).strip().lower()
        if text in TRUE_WORDS:
            return True
        if text in FALSE_WORDS:
            return False
        raise _Invalid(f"“{value}”应为是/否（true/false）")

    def honours(self, name: str, value: Any) -> tuple[str, ...]:
        if value is None or value == "":
            return ()
        if isinstance(value, str):
            items = [part for part in _split_list(value) if part]
        elif isinstance(value, list):
            items = value
        else:
            raise _Invalid('应为级别列表，如 ["city", "province"] 或“市级,省级”')
        levels = []
        for item in items:
            key = HONOUR_ALIASES.get(str(item).strip().lower() if isinstance(item, str) else item)
            if key is None:
                raise _Invalid(f"级别“{item}”无效，应为 city/province/national（市级/省级/国家级）")
            levels.append(key)
        return tuple(levels)

    def share(self, name: str, value: Any) -> Decimal | None:
        if value is None or value == "":
            return None
        text = value.strip() if isinstance(value, str) else None
        try:
            if text is not None and text.endswith(("%", "％")):
                number = parse_decimal(text[:-1]) / 100
            else:
                number = parse_decimal(value)
        except ValueError as error:
            raise _Invalid(f"{SHARE_NAMES.get(name, name)}{error}") from None
        if not Decimal(0) <= number <= Decimal(1):
            raise _Invalid(f"{SHARE_NAMES.get(name, name)} {value} 应在 0 到 1 之间（如 0.72 或 72%）")
        return number

    def nested(self, name: str) -> Mapping[str, Any]:
        value = self.record.data.get(name)
        if value is None:
            return {}
        if not isinstance(value, Mapping):
            raise _Invalid("应为对象（JSON object）")
        for key in value:
            if key not in NESTED_FIELDS.get(name, ()) and name != "criteria":
                allowed = "、".join(NESTED_FIELDS[name])
                raise _Invalid(f"未知的子字段“{key}”（允许：{allowed}）")
        return value

    # ------------------------------------------------------------------- record

    def read(self) -> Organization | None:
        data = self.record.data
        if not isinstance(data, Mapping):
            self.problem("organization", "每个组织应为 JSON 对象")
            return None
        raw_id = data.get("id")
        if isinstance(raw_id, float) and raw_id.is_integer():
            raw_id = int(raw_id)
        if raw_id is None or isinstance(raw_id, bool | dict | list) or not str(raw_id).strip():
            self.problem("id", "缺少组织编号")
            return None
        self.organization_id = str(raw_id).strip()
        for key in data:
            if key not in TOP_FIELDS:
                self.problem(key, "未知字段")
        before = len(self.problems)
        organization = Organization(id=self.organization_id)
        name = data.get("name")
        organization.name = "" if name is None else str(name).strip()
        organization.category = _category(data)
        self.read_base(organization)
        organization.satisfaction = self.guarded("satisfaction", self.share, data.get("satisfaction"))
        organization.commendations = self.guarded("commendations", self.honours, data.get("commendations")) or ()
        organization.innovations = self.guarded("innovations", self.honours, data.get("innovations")) or ()
        for attribute in ("member_violations", "absences"):
            setattr(organization, attribute, self.guarded(attribute, self.count, data.get(attribute)) or 0)
        for group, keys in (
            ("criticisms", ("working_committee", "municipal_committee")),
            ("leader_discipline", ("light", "heavy")),
        ):
            values = self.guarded(group, lambda name: self.nested(name)) or {}
            for key in keys:
                setattr(
                    organization, f"{group}_{key}", self.guarded(f"{group}.{key}", self.count, values.get(key)) or 0
                )
        self.read_election(organization)
        self.read_indicators(organization)
        self.read_extras(organization)
        return organization if len(self.problems) == before else None

    def read_base(self, organization: Organization) -> None:
        data = self.record.data
        full_marks = self.scheme.full_marks_cents
        sources = [name for name in ("base_score", "criteria", "components") if _given(data.get(name))]
        if not sources:
            self.problem("base_score", "缺少基础分：base_score、criteria、components 至少给出一项")
            return
        if "base_score" in sources:
            organization.base_score = self.guarded("base_score", self.score, data["base_score"], full_marks)
        if "criteria" in sources:
            organization.criteria = self.read_criteria()
        if "components" in sources:
            organization.components = self.read_components(only_check=sources[0] != "components")

    def read_criteria(self) -> dict[str, int] | None:
        criteria = self.guarded("criteria", lambda name: self.nested(name))
        if criteria is None:
            return None
        allowed = {c.code: c for c in self.scheme.criteria_for(_category(self.record.data))}
        scores: dict[str, int] = {}
        for code, value in criteria.items():
            code_text = str(code).strip()
            criterion = allowed.get(code_text)
            if criterion is None:
                known = "、".join(allowed) or "无"
                self.problem(f"criteria.{code_text}", f"评定方案中没有这一项（可用：{known}）")
                continue
            if value is None or value == "":
                continue
            score = self.guarded(f"criteria.{code_text}", self.score, value, criterion.max_cents)
            if score is not None:
                scores[code_text] = score
        return scores

    def read_components(self, *, only_check: bool) -> dict[str, int] | None:
        components = self.guarded("components", lambda name: self.nested(name))
        if components is None:
            return None
        scores = {}
        for key in COMPONENTS:
            value = components.get(key)
            if value is None or value == "":
                if not only_check and self.scheme.weights.get(key):
                    self.problem(f"components.{key}", f"以加权方式计算基础分时{COMPONENT_NAMES[key]}不能为空")
                continue
            score = self.guarded(f"components.{key}", self.score, value, self.scheme.full_marks_cents)
            if score is not None:
                scores[key] = score
        if (
            not only_check
            and self.scheme.weights.get("satisfaction")
            and not _given(self.record.data.get("satisfaction"))
        ):
            self.problem("satisfaction", "以加权方式计算基础分时满意率不能为空（该方案按权重计入满意率）")
        if not only_check and not self.scheme.weights:
            self.problem("components", "该评定方案未设置自评、测评、考评的权重")
        return scores

    def read_election(self, organization: Organization) -> None:
        election = self.guarded("election", lambda name: self.nested(name)) or {}
        overdue = self.guarded("election.overdue", self.flag, election.get("overdue"))
        excused = self.guarded("election.excused", self.flag, election.get("excused"))
        days = self.guarded("election.overdue_days", self.count, election.get("overdue_days"))
        organization.election_overdue_days = days or 0
        # Days overdue imply the election is overdue even when the flag is left out.
        organization.election_overdue = bool(overdue) or organization.election_overdue_days > 0
        organization.election_excused = bool(excused)

    def read_indicators(self, organization: Organization) -> None:
        groups: dict[str, Mapping[str, Any]] = {}
        for dotted, attribute in INDICATOR_INPUTS.items():
            group, key = dotted.split(".")
            if group not in groups:
                groups[group] = self.guarded(group, lambda name: self.nested(name)) or {}
            setattr(organization, attribute, self.guarded(dotted, self.share, groups[group].get(key)))

    def read_extras(self, organization: Organization) -> None:
        data = self.record.data
        previous = data.get("previous_stars")
        if previous not in (None, ""):
            value = self.guarded("previous_stars", self.count, previous)
            if value is not None and value not in self.scheme.level_values():
                self.problem("previous_stars", f"等级 {previous} 不在评定方案的等级中")
            else:
                organization.previous_stars = value
        for attribute in ("newly_founded", "innovation_project"):
            setattr(organization, attribute, bool(self.guarded(attribute, self.flag, data.get(attribute))))


def _given(value: Any) -> bool:
    """A base-score source is given when it holds a value: ``{}`` or all-blank scores are not."""
    if isinstance(value, Mapping):
        return any(item not in (None, "") for item in value.values())
    return value not in (None, "")


def _category(data: Mapping[str, Any]) -> str | None:
    category = data.get("category")
    text = "" if category is None else str(category).strip()
    return text or None


def _split_list(text: str) -> list[str]:
    for separator in ("，", "、", ";", "；", "|", " "):
        text = text.replace(separator, ",")
    return [part.strip() for part in text.split(",")]
