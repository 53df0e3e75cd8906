"""晋位争星 in the platform: what an organization needs for each higher level, and who is close or at risk.

The engine's ``xingji.rules.guidance`` finds the smallest changes that lift
an organization to a level, re-rating it with the engine itself. This module
gives it its input and turns its steps into what the pages show:

* ``organization_guidance`` — for one organization: its current level (the
  star ledger), its latest rated evaluation (the most recent campaign where it
  has a level) with the score and reasons stored there, and one line per
  higher level ("达到四星级：……") with links to what to do: the evidence
  records, the meetings (组织生活), the election (换届). The engine input is
  rebuilt from that evaluation (the superior's scores, the survey, the
  campaign's facts) and the organization's evidence as it stands now; no
  rating yet, or a level the scheme has no band for, gives a message, not an
  exception.
* ``guidance_rows`` — for a superior: the organizations of its subtree rated
  in a campaign, each with the points missing to the next band and what puts
  its level at risk (a score just above its band's lower edge, an election
  falling due, a satisfaction figure just above a rule's line). These come
  from the stored results, so the whole list is sorted without re-rating;
  ``with_steps`` adds the engine's step for the rows a page shows.
* ``plan_targets`` / ``track_targets`` — the targets an improvement plan
  (晋位争星方案, ``xingji.ledger``) is pre-filled with, and whether each is
  met, recomputed from the facts of the plan's year.
"""

from __future__ import annotations

import contextlib
import tomllib
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal, InvalidOperation
from functools import lru_cache
from typing import Any
from urllib.parse import urlencode

from django.conf import settings
from django.db.models import QuerySet
from django.urls import reverse
from django.utils import timezone

from xingji.accounts.models import Actor
from xingji.campaigns import scoring
from xingji.campaigns.access import visible_campaigns, visible_evaluations
from xingji.campaigns.models import Campaign, CriterionScore, Evaluation, ScorePart, StarLedgerEntry
from xingji.campaigns.selectors import current_ledger_entry, current_level
from xingji.common.errors import TransitionRefused
from xingji.orgs.models import Election, Organization
from xingji.orgs.services import BRANCH_TYPES
from xingji.rules.guidance import (
    COMMENDATION,
    ELECTION,
    INNOVATION_PROJECT,
    POINTS,
    SATISFACTION,
    GuidanceError,
    Step,
    guidance,
    guidance_for_level,
    step_line,
)
from xingji.rules.inputs import Organization as RatedOrganization
from xingji.rules.numbers import format_share
from xingji.rules.scheme import Scheme

#: A final score less than this many points above its band's lower edge is at risk
#: (setting ``XINGJI_GUIDANCE_MARGIN_POINTS``).
DEFAULT_MARGIN_POINTS = Decimal(2)
#: An election due within this many days (or overdue) puts the level at risk: an overdue election caps it.
ELECTION_WARNING_DAYS = 90
#: A satisfaction figure less than this far above a rule's line is at risk (5 percentage points).
SATISFACTION_MARGIN = Decimal("0.05")

NO_RATING = "本组织尚无评定结果：星级管理台账和评定活动中都还没有它的星级，评定后这里会列出晋升各星级所需的条件。"
TOP_REACHED = "已是评定方案的最高等级，请巩固提高、打造示范品牌。"


def margin_points() -> Decimal:
    value = getattr(settings, "XINGJI_GUIDANCE_MARGIN_POINTS", DEFAULT_MARGIN_POINTS)
    return Decimal(str(value))


# --- what a page links to ------------------------------------------------------------------


@dataclass(frozen=True)
class Link:
    label: str
    url: str


def _records_link(organization: Organization, kind: str, label: str) -> Link:
    query = urlencode({"organization": organization.pk, "scope": "own"})
    return Link(label, f"{reverse('records:list', args=[kind])}?{query}")


def facts_link(organization: Organization, year: int) -> Link:
    query = urlencode({"organization": organization.pk, "year": year})
    return Link("评定依据（证据记录）", f"{reverse('records:facts')}?{query}")


def meetings_link(organization: Organization) -> Link | None:
    """The branch's meetings and their compliance (组织生活); None for an organization that is no branch."""
    if organization.org_type not in BRANCH_TYPES:
        return None
    return Link("组织生活（三会一课）", reverse("branchwork:branch", args=[organization.pk]))


def election_link(organization: Organization) -> Link:
    return Link("换届信息", reverse("orgs:election", args=[organization.pk]))


def step_links(step: Step, organization: Organization, year: int) -> tuple[Link, ...]:
    """Where to act on each change of the step, then the facts the rating reads."""
    links: list[Link | None] = []
    kinds = {change.kind for change in step.changes}
    if ELECTION in kinds:
        links.append(election_link(organization))
    if POINTS in kinds or SATISFACTION in kinds:
        links.append(meetings_link(organization))
    if COMMENDATION in kinds:
        links.append(_records_link(organization, "commendations", "表彰记录"))
    if INNOVATION_PROJECT in kinds:
        links.append(_records_link(organization, "innovations", "创新项目记录"))
    links.append(facts_link(organization, year))
    unique: dict[str, Link] = {}
    for link in links:
        if link is not None:
            unique.setdefault(link.url, link)
    return tuple(unique.values())


# --- one organization ----------------------------------------------------------------------


@dataclass(frozen=True)
class GuidanceLine:
    """One higher level: the engine's step, as one Chinese line, and where to act on it."""

    step: Step
    text: str
    links: tuple[Link, ...]

    @property
    def level(self) -> int:
        return self.step.level

    @property
    def level_name(self) -> str:
        return self.step.level_name

    @property
    def reachable(self) -> bool:
        return self.step.reachable

    @property
    def stars(self) -> str:
        """★★★★ for level 4 ("" for a level 0)."""
        return "★" * self.step.level

    @property
    def detail(self) -> str:
        """The line without its "达到四星级：" lead (the page writes its own)."""
        return self.text.removeprefix(f"达到{self.step.level_name}：")


@dataclass(frozen=True)
class OrganizationGuidance:
    """What a branch's home and the guidance page show of one organization."""

    organization: Organization
    ledger_entry: StarLedgerEntry | None
    evaluation: Evaluation | None
    lines: tuple[GuidanceLine, ...] = ()
    #: Why there are no lines (no rating yet, a level the scheme lacks, the top reached); "" when there are.
    message: str = ""
    facts_year: int | None = None

    @property
    def has_rating(self) -> bool:
        return self.evaluation is not None

    @property
    def current_level_name(self) -> str:
        if self.ledger_entry is not None:
            return self.ledger_entry.level_name
        return "未定级"

    @property
    def campaign(self) -> Campaign | None:
        return self.evaluation.campaign if self.evaluation is not None else None

    @property
    def rated_level_name(self) -> str:
        evaluation = self.evaluation
        return evaluation.campaign.level_name(evaluation.level) if evaluation is not None else ""

    @property
    def reason_messages(self) -> list[str]:
        evaluation = self.evaluation
        if evaluation is None:
            return []
        return [str(reason.get("message", "")) for reason in evaluation.reasons or [] if reason.get("message")]


def latest_rated_evaluation(organization: Organization) -> Evaluation | None:
    """The organization's evaluation in the most recent campaign where it has a level (None: never rated)."""
    return (
        Evaluation.objects.filter(organization=organization, level__isnull=False)
        .select_related("campaign", "organization")
        .order_by("-campaign__year", "-campaign__deadline", "-campaign_id")
        .first()
    )


def superior_scores(evaluation: Evaluation) -> dict[str, Decimal]:
    """The superior's criterion scores the evaluation was rated on (its stored engine input, else its rows)."""
    stored = (evaluation.facts or {}).get("criteria")
    if isinstance(stored, Mapping) and stored:
        scores: dict[str, Decimal] = {}
        for code, value in stored.items():
            try:
                scores[str(code)] = Decimal(str(value))
            except InvalidOperation:
                continue
        return scores
    rows = evaluation.criterion_scores.filter(part=ScorePart.SUPERIOR, score__isnull=False)
    return {row.criterion_code: row.score for row in rows if row.score is not None}


def engine_data(evaluation: Evaluation, *, year: int | None = None) -> dict[str, Any]:
    """The engine's input rebuilt from the evaluation and the organization's evidence as it stands now.

    ``year``: the facts of that year (judged at its end, as the year-end re-check reads them) with the
    star ledger's level as the previous one; by default the evaluation's campaign's year and facts.
    """
    campaign = evaluation.campaign
    organization = evaluation.organization
    probe = evaluation
    if year is None or year == campaign.year:
        facts = scoring.organization_facts(campaign, organization)
    else:
        # The year's facts as the campaign's own would read them, judged at the year's end: an unsaved
        # stand-in campaign with that year and deadline (never saved, only read by ``scoring``).
        year_end = Campaign(
            name=campaign.name,
            year=year,
            kind=campaign.kind,
            deadline=date(year, 12, 31),
            root_id=campaign.root_id,
            scheme_text=campaign.scheme_text,
        )
        facts = scoring.organization_facts(year_end, organization)
        probe = Evaluation(
            survey_satisfaction=evaluation.survey_satisfaction,
            newly_founded=False,
            innovation_project=evaluation.innovation_project,
            previous_level=current_level(organization),
        )
    scores = superior_scores(evaluation)
    data = scoring.engine_input(campaign, probe, facts, scores)
    if not scores:
        data.pop("criteria", None)
        if evaluation.base_score is not None:
            data["base_score"] = str(evaluation.base_score)
    return data


def rated_input(evaluation: Evaluation, data: Mapping[str, Any]) -> RatedOrganization:
    """The engine's organization for ``data``; ``TransitionRefused`` with the engine's messages if invalid."""
    where = str(data.get("name") or data.get("id") or evaluation.organization.name)
    organizations: list[RatedOrganization] = scoring.parse_inputs(evaluation.campaign, [(where, data)])
    return organizations[0]


def parse_level(value: object) -> int | None:
    """A level asked for in a query string; None for none; ``GuidanceError`` for one that is no number."""
    if value is None or value == "":
        return None
    try:
        return int(str(value).strip())
    except ValueError:
        raise GuidanceError(f"等级“{value}”应为整数（如 4）") from None


def evaluation_steps(evaluation: Evaluation, *, level: int | None = None, year: int | None = None) -> list[Step]:
    """The engine's steps for each level above the evaluation's rebuilt result, or for ``level`` only.

    ``GuidanceError`` for a level the scheme cannot give; ``TransitionRefused`` for an input the engine refuses.
    """
    campaign = evaluation.campaign
    scheme = campaign.scheme
    rated = rated_input(evaluation, engine_data(evaluation, year=year))
    engine = scoring.engine(campaign)
    if level is None:
        return guidance(rated, scheme, engine=engine)
    return [guidance_for_level(rated, scheme, level, engine=engine)]


def guidance_lines(steps: Iterable[Step], organization: Organization, year: int) -> tuple[GuidanceLine, ...]:
    return tuple(GuidanceLine(step, step_line(step), step_links(step, organization, year)) for step in steps)


def organization_guidance(
    organization: Organization, *, level: object = None, year: int | None = None
) -> OrganizationGuidance:
    """The organization's current level, its latest rated evaluation and a line per higher level (or ``level``).

    Never raises for bad input: no rating yet, a level that is no number, above the scheme's top or
    without a band, an input the engine refuses — each gives ``message``.
    """
    entry = current_ledger_entry(organization)
    evaluation = latest_rated_evaluation(organization)
    if evaluation is None:
        return OrganizationGuidance(organization, entry, None, message=NO_RATING)
    facts_year = year or evaluation.campaign.year
    try:
        steps = evaluation_steps(evaluation, level=parse_level(level), year=year)
    except GuidanceError as error:
        return OrganizationGuidance(organization, entry, evaluation, message=str(error), facts_year=facts_year)
    except TransitionRefused as error:
        problems = "；".join(error.messages)
        message = f"评定依据不完整，暂时无法计算晋级所需：{problems}"
        return OrganizationGuidance(organization, entry, evaluation, message=message, facts_year=facts_year)
    lines = guidance_lines(steps, organization, facts_year)
    return OrganizationGuidance(
        organization,
        entry,
        evaluation,
        lines=lines,
        message="" if lines else TOP_REACHED,
        facts_year=facts_year,
    )


# --- improvement plans ----------------------------------------------------------------------


def change_target(kind: str, clause: str, message: str, amount: Decimal | None) -> dict[str, Any]:
    return {"kind": kind, "clause": clause, "message": message, "amount": None if amount is None else f"{amount:f}"}


@dataclass(frozen=True)
class PlanTargets:
    """What a new plan is pre-filled with: the target level, its targets (the step's changes) and the measures."""

    level: int
    level_name: str
    reachable: bool
    targets: list[dict[str, Any]]
    text: str
    message: str = ""

    @property
    def measures(self) -> str:
        """One numbered line per target, for the plan's measures field."""
        lines = [f"{number}. {target['message']}" for number, target in enumerate(self.targets, start=1)]
        return "\n".join(lines)


def default_target_level(organization: Organization) -> int | None:
    """The level above the current one in the latest rated evaluation's scheme (None: no rating, or the top)."""
    evaluation = latest_rated_evaluation(organization)
    if evaluation is None:
        return None
    values = evaluation.campaign.scheme.level_values()
    now = current_level(organization)
    above = [value for value in values if value > (now if now is not None else (evaluation.level or 0))]
    return min(above) if above else None


def plan_targets(organization: Organization, level: int, *, year: int | None = None) -> PlanTargets | None:
    """The targets of a plan to reach ``level``: the engine's changes for it (None: the organization was never rated).

    A level the scheme lacks, or an input the engine refuses, gives no targets and a ``message``.
    """
    evaluation = latest_rated_evaluation(organization)
    if evaluation is None:
        return None
    try:
        [step] = evaluation_steps(evaluation, level=level, year=year)
    except GuidanceError as error:
        return PlanTargets(level, "", False, [], "", message=str(error))
    except TransitionRefused as error:
        return PlanTargets(level, "", False, [], "", message="；".join(error.messages))
    targets = [change_target(c.kind, c.clause, c.message, c.amount) for c in step.changes]
    if not step.reachable:
        targets = []
    return PlanTargets(step.level, step.level_name, step.reachable, targets, step_line(step))


@dataclass(frozen=True)
class TrackedTarget:
    target: Mapping[str, Any]
    met: bool
    #: The target as it stands now ("尚需…"), "" when met.
    now: str = ""

    @property
    def message(self) -> str:
        return str(self.target.get("message", ""))


@dataclass(frozen=True)
class PlanTracking:
    targets: list[TrackedTarget]
    #: The step to the plan's level as it stands now ("" when it could not be computed).
    text: str = ""
    message: str = ""
    reached: bool = False


def track_targets(
    organization: Organization, level: int, targets: Sequence[Mapping[str, Any]], *, year: int
) -> PlanTracking:
    """Each target met or not yet: the step to ``level`` recomputed from the facts of ``year``.

    A target is met when the recomputed step no longer asks for a change of its kind (the election
    held, the satisfaction or the points reached, the commendation recorded).
    """
    evaluation = latest_rated_evaluation(organization)
    if evaluation is None:
        return PlanTracking([TrackedTarget(target, False) for target in targets], message=NO_RATING)
    try:
        [step] = evaluation_steps(evaluation, level=level, year=year)
    except (GuidanceError, TransitionRefused) as error:
        message = str(error) if isinstance(error, GuidanceError) else "；".join(error.messages)
        return PlanTracking([TrackedTarget(target, False) for target in targets], message=message)
    wanted = {change.kind: change for change in step.changes}
    reached = step.reachable and not step.changes
    tracked = []
    for target in targets:
        change = wanted.get(str(target.get("kind")))
        if reached or (step.reachable and change is None):
            tracked.append(TrackedTarget(target, True))
        else:
            now = change.message if change is not None else step_line(step)
            tracked.append(TrackedTarget(target, False, now))
    return PlanTracking(tracked, text=step_line(step), reached=reached)


# --- a superior's list ---------------------------------------------------------------------


@lru_cache(maxsize=32)
def satisfaction_lines(scheme_text: str) -> tuple[tuple[Decimal, str, str], ...]:
    """The satisfaction figures below which a scheme's rule bites: (line, clause, what it does), highest first.

    Read from the scheme's TOML (the level rules' and adjustments' conditions ``satisfaction < x`` or
    ``<= x``): the parsed scheme keeps conditions only as compiled checks.
    """
    try:
        data = tomllib.loads(scheme_text)
    except tomllib.TOMLDecodeError:
        return ()
    found: dict[Decimal, tuple[str, str]] = {}
    for section, what in (("level_rules", "level"), ("adjustments", "points")):
        for rule in data.get(section, []) or []:
            if not isinstance(rule, dict):
                continue
            for line in _satisfaction_values(rule.get("when")):
                effect = "扣分" if what == "points" else _effect_text(rule)
                found.setdefault(line, (str(rule.get("clause", "")), effect))
    return tuple((line, clause, effect) for line, (clause, effect) in sorted(found.items(), reverse=True))


def _effect_text(rule: Mapping[str, Any]) -> str:
    effect = rule.get("effect")
    if effect == "set":
        return "定级受限"
    if effect == "cap":
        return "星级封顶"
    if effect == "demote":
        return "降级"
    return "星级受限"


def _satisfaction_values(condition: object) -> list[Decimal]:
    if not isinstance(condition, dict):
        return []
    values: list[Decimal] = []
    for key in ("all", "any"):
        for part in condition.get(key, []) or []:
            values += _satisfaction_values(part)
    values += _satisfaction_values(condition.get("not"))
    if condition.get("fact") == "satisfaction" and condition.get("op") in ("<", "<="):
        with contextlib.suppress(InvalidOperation):
            values.append(Decimal(str(condition.get("value"))))
    return values


@dataclass
class GuidanceRow:
    """One organization of a superior's list."""

    evaluation: Evaluation
    level_name: str
    #: Points from the final score to the next level's band (None at the top); 0 when a level rule holds it below.
    points_missing: Decimal | None
    next_level_name: str
    risks: list[str]
    step_text: str = ""
    links: tuple[Link, ...] = field(default_factory=tuple)

    @property
    def organization(self) -> Organization:
        return self.evaluation.organization

    @property
    def at_risk(self) -> bool:
        return bool(self.risks)

    @property
    def risk_text(self) -> str:
        return "；".join(self.risks)


def _next_level(scheme: Scheme, level: int) -> int | None:
    above = [value for value in scheme.level_values() if value > level]
    return min(above) if above else None


def points_missing(scheme: Scheme, evaluation: Evaluation) -> tuple[Decimal | None, str]:
    """The points from the stored final score to the next level's band, and that level's name."""
    level = evaluation.level or 0
    following = _next_level(scheme, level)
    if following is None or evaluation.final_score is None:
        return None, ""
    lower = Decimal(scheme.level(following).min_cents).scaleb(-2)
    return max(Decimal(0), lower - evaluation.final_score), scheme.level_name(following)


def risks_of(
    scheme: Scheme,
    evaluation: Evaluation,
    election: Election | None,
    today: date,
    *,
    margin: Decimal,
    lines: Sequence[tuple[Decimal, str, str]],
) -> list[str]:
    """What may lower the organization's level: its score near its band's edge, the election, the satisfaction."""
    found: list[str] = []
    band = evaluation.band_level
    lowest = min(scheme.level_values())
    if band is not None and band != lowest and evaluation.final_score is not None and band in scheme.level_values():
        edge = Decimal(scheme.level(band).min_cents).scaleb(-2)
        above = evaluation.final_score - edge
        if Decimal(0) <= above < margin:
            found.append(f"得分{evaluation.final_score}分，仅高出{scheme.level_name(band)}分数线{edge}分{above}分")
    if election is not None:
        due = election.due_date
        if election.is_overdue(today):
            excused = "（延期已批准）" if election.is_excused else ""
            found.append(f"换届已逾期{election.overdue_days(today)}天{excused}")
        elif due <= today + timedelta(days=ELECTION_WARNING_DAYS):
            found.append(f"换届将于{due:%Y-%m-%d}到期（{(due - today).days}天后）")
    satisfaction = evaluation.survey_satisfaction
    if satisfaction is not None:
        for line, clause, effect in lines:
            if line <= satisfaction < line + SATISFACTION_MARGIN:
                where = f"（{clause}）" if clause else ""
                found.append(f"满意率{format_share(satisfaction)}，接近{format_share(line)}的{effect}线{where}")
    return found


SORTS = {
    "gap": "距下一星级",
    "score": "最终得分",
    "level": "评定星级",
    "risk": "风险",
    "name": "党组织",
}
DEFAULT_SORT = "gap"


def _sort_key(sort: str) -> Callable[[GuidanceRow], tuple[Any, ...]]:
    far = Decimal("1e6")
    keys: dict[str, Callable[[GuidanceRow], tuple[Any, ...]]] = {
        "gap": lambda row: (row.points_missing if row.points_missing is not None else far, row.organization.path),
        "score": lambda row: (row.evaluation.final_score or Decimal(0), row.organization.path),
        "level": lambda row: (row.evaluation.level or 0, row.organization.path),
        "risk": lambda row: (-len(row.risks), row.organization.path),
        "name": lambda row: (row.organization.name, row.organization.path),
    }
    return keys[sort]


def parse_sort(value: str | None) -> tuple[str, bool]:
    """(column, descending) of a ``sort`` parameter such as "gap" or "-score"; an unknown one is the default."""
    text = (value or "").strip()
    descending = text.startswith("-")
    column = text.removeprefix("-")
    if column not in SORTS:
        return DEFAULT_SORT, False
    return column, descending


def guidance_campaigns(user: Actor) -> QuerySet[Campaign]:
    """The campaigns the user sees in which an organization of the user's subtree has a level, newest first."""
    rated = visible_evaluations(user).filter(level__isnull=False).values("campaign_id")
    return visible_campaigns(user).filter(pk__in=rated).order_by("-year", "-deadline", "-id")


def guidance_rows(
    *,
    user: Actor,
    campaign: Campaign,
    sort: str = DEFAULT_SORT,
    at_risk_only: bool = False,
    today: date | None = None,
) -> list[GuidanceRow]:
    """The rated organizations of the user's subtree in the campaign, sorted; no engine call (see ``with_steps``).

    One query: each row's figures are the campaign's stored result, its election and satisfaction.
    """
    today = today or timezone.localdate()
    scheme = campaign.scheme
    margin = margin_points()
    lines = satisfaction_lines(campaign.scheme_text)
    evaluations = (
        visible_evaluations(user)
        .filter(campaign=campaign, level__isnull=False)
        .select_related("organization__election")
        .order_by("organization__path")
    )
    rows = []
    for evaluation in evaluations:
        evaluation.campaign = campaign
        missing, next_name = points_missing(scheme, evaluation)
        election = getattr(evaluation.organization, "election", None)
        rows.append(
            GuidanceRow(
                evaluation=evaluation,
                level_name=campaign.level_name(evaluation.level),
                points_missing=missing,
                next_level_name=next_name,
                risks=risks_of(scheme, evaluation, election, today, margin=margin, lines=lines),
            )
        )
    if at_risk_only:
        rows = [row for row in rows if row.at_risk]
    column, descending = parse_sort(sort)
    rows.sort(key=_sort_key(column), reverse=descending)
    return rows


def with_steps(rows: Iterable[GuidanceRow], campaign: Campaign) -> None:
    """Add the engine's step to the next level for each row: its facts read in a fixed number of queries."""
    chosen = list(rows)
    if not chosen:
        return
    ids = [row.organization.pk for row in chosen]
    facts = scoring.facts_by_code(campaign, Organization.objects.filter(pk__in=ids).order_by("path"))
    scores = _superior_scores_for([row.evaluation for row in chosen])
    engine = scoring.engine(campaign)
    scheme = campaign.scheme
    for row in chosen:
        evaluation = row.evaluation
        following = _next_level(scheme, evaluation.level or 0)
        if following is None:
            row.step_text = TOP_REACHED
            continue
        data = scoring.engine_input(
            campaign, evaluation, facts.get(evaluation.organization.code, {}), scores.get(evaluation.pk, {})
        )
        if not scores.get(evaluation.pk) and evaluation.base_score is not None:
            data.pop("criteria", None)
            data["base_score"] = str(evaluation.base_score)
        try:
            rated = rated_input(evaluation, data)
            step = guidance_for_level(rated, scheme, following, engine=engine)
        except (GuidanceError, TransitionRefused) as error:
            row.step_text = str(error) if isinstance(error, GuidanceError) else "；".join(error.messages)
            continue
        row.step_text = step_line(step)
        row.links = step_links(step, evaluation.organization, campaign.year)


def _superior_scores_for(evaluations: list[Evaluation]) -> dict[int, dict[str, Decimal]]:
    """``superior_scores`` of many evaluations: the stored input's, else their rows (one query)."""
    found: dict[int, dict[str, Decimal]] = {}
    missing = []
    for evaluation in evaluations:
        stored = (evaluation.facts or {}).get("criteria")
        if isinstance(stored, Mapping) and stored:
            found[evaluation.pk] = superior_scores(evaluation)
        else:
            missing.append(evaluation.pk)
    if missing:
        rows = CriterionScore.objects.filter(
            evaluation_id__in=missing, part=ScorePart.SUPERIOR, score__isnull=False
        ).values_list("evaluation_id", "criterion_code", "score")
        for evaluation_id, code, score in rows:
            if score is not None:
                found.setdefault(evaluation_id, {})[code] = score
    return found
