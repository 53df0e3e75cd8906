"""晋位争星: what an organization would need to reach each higher level.

For every level above the organization's current result (quotas aside),
``guidance`` gives the smallest changes that lift it there, found with the
engine itself rather than estimated: each candidate is re-rated with
``Engine.rate_one``, so the promise is the engine's own answer.

The changes, in the order they are chosen:

* remedies an organization can still make this year — hold the overdue
  election (换届), set up the innovation project a scheme requires, earn a
  city-level commendation (where a scheme's rise limit or bonus needs one);
  each is kept only if the level cannot be reached without it;
* the satisfaction figure needed (to the percent) when a satisfaction rule
  binds;
* the points still missing, by criterion with each criterion's headroom
  (max − current), the fewest hundredths that do it.

What cannot be undone this year (absences, criticism notices, discipline, a
newly founded organization's fixed level, the rise limit from last year's
level) stays; when it holds the organization below a level even at full
marks with every remedy, that level is out of reach and the step says which
rules keep it there. Quotas are not part of re-rating: each step says
whether one may still hold it back (unknown until the campaign is rated, or
its rank against the cut line of a given rating).
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from decimal import ROUND_CEILING, Decimal
from typing import Any

from xingji.rules.engine import Engine
from xingji.rules.inputs import Organization
from xingji.rules.numbers import cents_to_decimal, format_points, format_score, format_share
from xingji.rules.results import Rating, Result
from xingji.rules.scheme import HONOUR_LEVELS, Scheme

__all__ = [
    "Change",
    "GuidanceError",
    "Note",
    "Step",
    "apply_changes",
    "guidance",
    "guidance_for_level",
    "headroom",
    "step_line",
    "step_to_dict",
]

#: The kinds of change a step may ask for.
POINTS = "points"
SATISFACTION = "satisfaction"
ELECTION = "election"
INNOVATION_PROJECT = "innovation_project"
COMMENDATION = "commendation"

PERCENT = Decimal("0.01")


class GuidanceError(ValueError):
    """A level that cannot be asked for under this scheme (the message is Chinese)."""


@dataclass(frozen=True, slots=True)
class Change:
    """One change to the organization's inputs, and the clause that makes it count.

    ``amount``: for points, the points to add (Decimal, two places); for
    satisfaction, the figure to reach (0–1); None for the yes/no remedies.
    ``headroom``: for points, each criterion's code, name and headroom (max −
    current), in the scheme's order.
    """

    kind: str
    clause: str
    message: str
    amount: Decimal | None = None
    headroom: tuple[tuple[str, str, Decimal], ...] = ()


@dataclass(frozen=True, slots=True)
class Note:
    """Something that bears on a level without being a change to make: a rule that stays, a bonus, a quota."""

    kind: str  # rule / bonus / quota / veto
    clause: str
    message: str


@dataclass(frozen=True, slots=True)
class Step:
    """What it takes to reach one level: the changes (all of them together), or why it is out of reach."""

    level: int
    level_name: str
    reachable: bool
    changes: tuple[Change, ...] = ()
    notes: tuple[Note, ...] = field(default_factory=tuple)


# --------------------------------------------------------------------------- applying changes


def headroom(organization: Organization, scheme: Scheme, base: int | None = None) -> int:
    """The points (hundredths) the organization's base score can still rise by (``base``: its base score)."""
    if organization.base_score is not None:
        return scheme.full_marks_cents - organization.base_score
    if organization.criteria is not None:
        scores = organization.criteria
        return sum(c.max_cents - scores.get(c.code, 0) for c in scheme.criteria_for(organization.category))
    return scheme.full_marks_cents - (Engine(scheme).base(organization)[0] if base is None else base)


def _add_points(organization: Organization, scheme: Scheme, cents: int, base: int) -> Organization:
    """The organization with ``cents`` more base points (``base``: its current base score)."""
    if cents <= 0:
        return organization
    if organization.base_score is not None:
        return replace(organization, base_score=organization.base_score + cents)
    if organization.criteria is not None:
        scores = dict(organization.criteria)
        left = cents
        for criterion in scheme.criteria_for(organization.category):
            if left <= 0:
                break
            current = scores.get(criterion.code, 0)
            raised = min(criterion.max_cents - current, left)
            if raised > 0:
                scores[criterion.code] = current + raised
                left -= raised
        return replace(organization, criteria=scores)
    # A weighted composite: the base score is given directly, raised by the points.
    return replace(organization, base_score=base + cents)


def _remedied(organization: Organization, kind: str) -> Organization:
    if kind == ELECTION:
        return replace(organization, election_overdue=False, election_overdue_days=0)
    if kind == INNOVATION_PROJECT:
        return replace(organization, innovation_project=True)
    if kind == COMMENDATION:
        return replace(organization, commendations=(*organization.commendations, "city"))
    raise ValueError(kind)


def apply_changes(organization: Organization, scheme: Scheme, changes: tuple[Change, ...]) -> Organization:
    """The organization's inputs with every change of a step made."""
    base = Engine(scheme).base(organization)[0]
    changed = organization
    points = 0
    for change in changes:
        if change.kind == POINTS:
            assert change.amount is not None
            points += int(change.amount * 100)
        elif change.kind == SATISFACTION:
            changed = replace(changed, satisfaction=change.amount)
        else:
            changed = _remedied(changed, change.kind)
    return _add_points(changed, scheme, points, base)


# --------------------------------------------------------------------------- the search


class _Search:
    """Re-rating one organization under candidate changes."""

    def __init__(self, organization: Organization, scheme: Scheme, engine: Engine) -> None:
        self.organization = organization
        self.scheme = scheme
        self.engine = engine
        self.base = engine.base(organization)[0]
        self.room = headroom(organization, scheme, self.base)

    def rated(self, remedies: tuple[str, ...], satisfaction: Decimal | None, points: int) -> Result:
        changed = self.organization
        for kind in remedies:
            changed = _remedied(changed, kind)
        if satisfaction is not None:
            changed = replace(changed, satisfaction=satisfaction)
        return self.engine.rate_one(_add_points(changed, self.scheme, points, self.base))

    def reaches(self, level: int, remedies: tuple[str, ...], satisfaction: Decimal | None, points: int) -> bool:
        order = self.engine.level_order
        return order.index(self.rated(remedies, satisfaction, points).stars) >= order.index(level)

    def candidates(self) -> tuple[str, ...]:
        """The remedies that would change something for this organization."""
        organization = self.organization
        found = []
        if organization.election_overdue or organization.election_overdue_days:
            found.append(ELECTION)
        if not organization.innovation_project:
            found.append(INNOVATION_PROJECT)
        if not any(value in HONOUR_LEVELS for value in organization.commendations):
            found.append(COMMENDATION)
        return tuple(found)

    def best_satisfaction(self) -> Decimal | None:
        current = self.organization.satisfaction
        return None if current is None or current >= 1 else Decimal(1)

    def satisfaction_grid(self) -> list[Decimal]:
        """The figures, to the percent, from the current one (rounded up) to 100 %."""
        current = self.organization.satisfaction
        assert current is not None
        start = int((current * 100).to_integral_value(rounding=ROUND_CEILING))
        return [Decimal(k) / 100 for k in range(start, 101)]


def guidance(
    organization: Organization,
    scheme: Scheme,
    *,
    stage: str = "year_end",
    rating: Rating | None = None,
    engine: Engine | None = None,
) -> list[Step]:
    """A step for every level above the organization's current result (before quotas), lowest first.

    ``rating``: a run the organization was rated in, for its place against a
    quota's cut line; ``engine``: one made for this scheme and stage, to reuse
    over many organizations.
    """
    engine = engine or Engine(scheme, stage=stage)
    current = engine.rate_one(organization).stars
    order = engine.level_order
    return [_step(organization, scheme, engine, level, rating) for level in order[order.index(current) + 1 :]]


def guidance_for_level(
    organization: Organization,
    scheme: Scheme,
    level: int,
    *,
    stage: str = "year_end",
    rating: Rating | None = None,
    engine: Engine | None = None,
) -> Step:
    """The step to one level; ``GuidanceError`` for a level the scheme has no band for."""
    values = scheme.level_values()
    if level > max(values):
        top = scheme.level_name(max(values))
        raise GuidanceError(f"等级 {level} 高于评定方案“{scheme.name}”的最高等级（{top}，{max(values)}）")
    if level not in values:
        known = "、".join(f"{value}（{scheme.level_name(value)}）" for value in values)
        raise GuidanceError(f"评定方案“{scheme.name}”没有等级 {level} 的分数段（可用：{known}）")
    return _step(organization, scheme, engine or Engine(scheme, stage=stage), level, rating)


def _step(organization: Organization, scheme: Scheme, engine: Engine, level: int, rating: Rating | None) -> Step:
    search = _Search(organization, scheme, engine)
    name = scheme.level_name(level)
    remedies = search.candidates()
    best_satisfaction = search.best_satisfaction()
    if _at_least(engine, engine.rate_one(organization).stars, level):
        return Step(level, name, True)
    quota = _quota_notes(scheme, organization, level, rating)
    best = search.rated(remedies, best_satisfaction, search.room)
    if not _at_least(engine, best.stars, level):
        return Step(level, name, False, (), (*_veto_notes(scheme, best, level), *quota))
    # Remedies: drop each one the level can be reached without.
    kept = list(remedies)
    for kind in remedies:
        trial = tuple(k for k in kept if k != kind)
        if search.reaches(level, trial, best_satisfaction, search.room):
            kept = list(trial)
    chosen = tuple(kept)
    # Satisfaction: the lowest figure, to the percent, that still does it.
    satisfaction: Decimal | None = None
    if best_satisfaction is not None and not search.reaches(level, chosen, None, search.room):
        grid = search.satisfaction_grid()
        satisfaction = grid[-1]
        for figure in grid:
            if search.reaches(level, chosen, figure, search.room):
                satisfaction = figure
                break
    # Points: the fewest hundredths (the level rises with the score, so bisect).
    low, high = 0, search.room
    while low < high:
        middle = (low + high) // 2
        if search.reaches(level, chosen, satisfaction, middle):
            high = middle
        else:
            low = middle + 1
    points = low
    changes = [_remedy_change(search, kind) for kind in chosen]
    if satisfaction is not None:
        changes.append(_satisfaction_change(search, chosen, satisfaction))
    if points:
        changes.append(_points_change(organization, scheme, points))
    final = search.rated(chosen, satisfaction, points)
    notes = [
        *_staying_notes(final),
        *_bonus_notes(scheme, organization, points),
        *_satisfaction_notes(search, chosen, satisfaction, points, final),
        *quota,
    ]
    return Step(level, name, True, tuple(changes), tuple(notes))


def _at_least(engine: Engine, stars: int, level: int) -> bool:
    order = engine.level_order
    return order.index(stars) >= order.index(level)


def _lowering(result: Result) -> list[tuple[str, str, str]]:
    """The level rules that lowered the result: code, clause, message."""
    return [
        (reason.rule, reason.clause, reason.message)
        for reason in result.reasons
        if reason.effect is not None
        and reason.from_level is not None
        and reason.to_level is not None
        and reason.to_level < reason.from_level
    ]


def _lifted(without: Result, with_: Result) -> str:
    """The clauses of the rules a change lifts (the rules lowering ``without`` but not ``with_``)."""
    after = {code for code, _, _ in _lowering(with_)}
    lost_points = {r.rule for r in with_.reasons if r.points is not None}
    clauses = [clause for code, clause, _ in _lowering(without) if code not in after and clause]
    clauses += [r.clause for r in without.reasons if r.points is not None and r.rule not in lost_points and r.clause]
    return "、".join(dict.fromkeys(clauses))


def _remedy_change(search: _Search, kind: str) -> Change:
    others = tuple(k for k in search.candidates() if k != kind)
    satisfaction = search.best_satisfaction()
    without = search.rated(others, satisfaction, search.room)
    with_ = search.rated((*others, kind), satisfaction, search.room)
    clause = _lifted(without, with_)
    if kind == COMMENDATION:
        bonus = [r.clause for r in with_.reasons if r.points is not None and r.points > 0 and r.rule == "commendation"]
        clause = clause or "、".join(bonus)
    texts = {
        ELECTION: "按期完成换届选举（解除未按期换届的限制）",
        INNOVATION_PROJECT: "开展并申报党建创新项目（该等级的前提条件）",
        COMMENDATION: "争取获得市级及以上表彰",
    }
    return Change(kind, clause, texts[kind])


def _satisfaction_change(search: _Search, remedies: tuple[str, ...], figure: Decimal) -> Change:
    current = search.organization.satisfaction
    assert current is not None
    without = search.rated(remedies, None, search.room)
    with_ = search.rated(remedies, figure, search.room)
    clause = _lifted(without, with_)
    return Change(
        SATISFACTION,
        clause,
        f"民主评议满意率由{format_share(current)}提高到{format_share(figure)}及以上",
        amount=figure,
    )


def _points_change(organization: Organization, scheme: Scheme, points: int) -> Change:
    rows: list[tuple[str, str, Decimal]] = []
    if organization.criteria is not None:
        scores = organization.criteria
        for criterion in scheme.criteria_for(organization.category):
            room = criterion.max_cents - scores.get(criterion.code, 0)
            if room > 0:
                rows.append((criterion.code, criterion.name, cents_to_decimal(room)))
        where = "各项评分合计"
    elif organization.base_score is not None:
        where = "基础分"
    else:
        where = "基础分（自评、测评、考评加权综合）"
    room_text = "，可提升：" + "、".join(f"{code}.{name}{format_points(int(r * 100))}分" for code, name, r in rows)
    clauses = "、".join(c for c in (scheme.criteria_clause, scheme.band_clause) if c)
    return Change(
        POINTS,
        clauses,
        f"{where}还需提高{format_points(points)}分{room_text if rows else ''}",
        amount=cents_to_decimal(points),
        headroom=tuple(rows),
    )


def _staying_notes(final: Result) -> list[Note]:
    return [Note("rule", clause, f"仍适用：{message}") for _, clause, message in _lowering(final)]


def _bonus_notes(scheme: Scheme, organization: Organization, points: int) -> list[Note]:
    """Bonuses that could still count towards the missing points (only the highest listed counts)."""
    if not points:
        return []
    notes = []
    for adjustment in scheme.adjustments:
        if adjustment.sign < 0 or adjustment.fact_attribute is None:
            continue
        if adjustment.kind == "highest":
            listed = getattr(organization, adjustment.fact_attribute)
            table = adjustment.points_by_value
            now = max((table.get(value, 0) for value in listed), default=0)
            better = [(value, cents) for value, cents in table.items() if cents > now]
            if better:
                options = "、".join(
                    f"{HONOUR_LEVELS[value]}加{format_points(cents - now)}分" for value, cents in better
                )
                notes.append(Note("bonus", adjustment.clause, f"或以加分抵补（只计最高一项，按增加的分值）：{options}"))
        elif adjustment.kind == "per_count":
            limit = adjustment.limit_cents
            cap = f"，最多{format_points(limit)}分" if limit is not None else ""
            notes.append(
                Note("bonus", adjustment.clause, f"或以加分抵补：每项{format_points(adjustment.points_cents)}分{cap}")
            )
    return notes


def _satisfaction_notes(
    search: _Search, remedies: tuple[str, ...], satisfaction: Decimal | None, points: int, final: Result
) -> list[Note]:
    """A satisfaction figure that would lift a deduction, as another way to the missing points."""
    current = satisfaction if satisfaction is not None else search.organization.satisfaction
    if not points or current is None or current >= 1:
        return []
    best = search.rated(remedies, Decimal(1), points)
    gained = best.final_score - final.final_score
    if gained <= 0:
        return []
    figure = Decimal(1)
    for candidate in search.satisfaction_grid():
        if candidate >= current and search.rated(remedies, candidate, points).final_score == best.final_score:
            figure = candidate
            break
    clauses = {r.rule: r.clause for r in final.reasons if r.points is not None and r.points < 0}
    lifted = [clauses[code] for code in clauses if code not in {r.rule for r in best.reasons}]
    return [
        Note(
            "bonus",
            "、".join(dict.fromkeys(c for c in lifted if c)),
            f"或把满意率提高到{format_share(figure)}及以上，可免扣{format_points(gained)}分",
        )
    ]


def _veto_notes(scheme: Scheme, best: Result, level: int) -> list[Note]:
    name = scheme.level_name(level)
    lowering = _lowering(best)
    if lowering:
        return [Note("veto", clause, f"本年度无法达到{name}：{message}") for _, clause, message in lowering]
    return [
        Note(
            "veto",
            scheme.band_clause,
            f"本年度无法达到{name}：各项满分也只得{format_points(best.final_score)}分，"
            f"低于{name}的{format_points(scheme.level(level).min_cents)}分",
        )
    ]


def _quota_notes(scheme: Scheme, organization: Organization, level: int, rating: Rating | None) -> list[Note]:
    notes = []
    for quota in scheme.quotas:
        if quota.bound != "max" or level not in quota.levels:
            continue
        if rating is None:
            notes.append(Note("quota", quota.clause, f"{quota.label}：是否受名额限制，待全体评定后才能确定"))
            continue
        check = next((c for c in rating.quota_checks if c.code == quota.code), None)
        if check is None:
            notes.append(Note("quota", quota.clause, f"{quota.label}：本轮未检查比例"))
            continue
        others = sorted(r.final_score for r in rating.results if r.stars in quota.levels and r.id != organization.id)
        others.reverse()
        if check.limit == 0:
            notes.append(Note("quota", quota.clause, f"{quota.label}：本轮按总数计算名额为0个，无法达到"))
            continue
        if len(others) < check.limit:
            notes.append(Note("quota", quota.clause, f"{quota.label}：本轮限{check.limit}个，尚有名额"))
            continue
        cut = others[check.limit - 1]
        notes.append(
            Note(
                "quota",
                quota.clause,
                f"{quota.label}：本轮限{check.limit}个，名额线（第{check.limit}名）为{format_score(cut)}分，"
                "得分须高于此线（同分按基础分、满意率排名）",
            )
        )
    return notes


def step_line(step: Step) -> str:
    """One readable Chinese line: "晋升五星级：……；……" or why it is out of reach."""
    if not step.reachable:
        return "；".join(note.message for note in step.notes if note.kind == "veto")
    parts = [change.message for change in step.changes] or ["已达到"]
    extra = [note.message for note in step.notes if note.kind in ("rule", "quota")]
    return f"达到{step.level_name}：" + "；".join(parts + extra)


def change_to_dict(change: Change) -> dict[str, Any]:
    data: dict[str, Any] = {"kind": change.kind, "clause": change.clause, "message": change.message}
    if change.kind == POINTS and change.amount is not None:
        data["points"] = format_score(int(change.amount * 100))
        data["headroom"] = [
            {"criterion": code, "name": name, "points": format_score(int(room * 100))}
            for code, name, room in change.headroom
        ]
    elif change.kind == SATISFACTION and change.amount is not None:
        data["satisfaction"] = f"{change.amount:f}"
    return data


def step_to_dict(step: Step) -> dict[str, Any]:
    """A step as the batch output's JSON (``next`` of each organization)."""
    return {
        "level": step.level,
        "level_name": step.level_name,
        "reachable": step.reachable,
        "changes": [change_to_dict(change) for change in step.changes],
        "notes": [{"kind": note.kind, "clause": note.clause, "message": note.message} for note in step.notes],
        "summary": step_line(step),
    }
