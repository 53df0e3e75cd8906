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

import operator
import threading
from bisect import bisect_right
from collections.abc import Callable
from dataclasses import dataclass, field, fields, replace
from decimal import ROUND_CEILING, Decimal
from typing import Any, TypeVar
from weakref import WeakKeyDictionary

from xingji.rules.engine import Engine
from xingji.rules.inputs import Organization
from xingji.rules.numbers import cents_to_decimal, format_points, format_score, format_share
from xingji.rules.results import Rating, Result
from xingji.rules.scheme import FACTS, HONOUR_LEVELS, INDICATOR_FACTS, MESSAGE_FACTS, Scheme

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

    kind: str  # rule / bonus / quota / veto / indicator
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
        computed = _computed_criteria(organization, scheme)
        return sum(
            c.max_cents - scores.get(c.code, 0)
            for c in scheme.criteria_for(organization.category)
            if c.code not in computed
        )
    return scheme.full_marks_cents - (Engine(scheme).base(organization)[0] if base is None else base)


def _computed_criteria(organization: Organization, scheme: Scheme) -> frozenset[str]:
    """The codes of the criteria the engine scores from a known indicator: typed points do not count there."""
    if organization.base_score is not None or organization.criteria is None:
        return frozenset()
    return frozenset(
        c.code
        for c in scheme.criteria_for(organization.category)
        if c.scored_by is not None and getattr(organization, c.scored_by.attribute) is not None
    )


def _add_points(organization: Organization, scheme: Scheme, cents: int, base: int) -> Organization:
    """The organization with ``cents`` more base points (``base``: its current base score)."""
    if cents <= 0:
        return organization
    if organization.base_score is not None:
        return replace(organization, base_score=organization.base_score + cents)
    if organization.criteria is not None:
        scores = dict(organization.criteria)
        left = cents
        computed = _computed_criteria(organization, scheme)
        for criterion in scheme.criteria_for(organization.category):
            if left <= 0:
                break
            if criterion.code in computed:
                continue
            current = scores.get(criterion.code, 0)
            raised = min(criterion.max_cents - current, left)
            if raised > 0:
                scores[criterion.code] = current + raised
                left -= raised
        return replace(organization, criteria=scores)
    # A weighted composite: the base score is given directly, raised by the points.
    return replace(organization, base_score=base + cents)


def _remedy_values(organization: Organization, kind: str) -> dict[str, Any]:
    """The fields a remedy sets, and their values."""
    if kind == ELECTION:
        return {"election_overdue": False, "election_overdue_days": 0}
    if kind == INNOVATION_PROJECT:
        return {"innovation_project": True}
    if kind == COMMENDATION:
        return {"commendations": (*organization.commendations, "city")}
    raise ValueError(kind)


def _remedied(organization: Organization, kind: str) -> Organization:
    return replace(organization, **_remedy_values(organization, kind))


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

_Used = TypeVar("_Used")
#: The fields a candidate change may set (remedies, satisfaction, points on an explicit base score).
_CANDIDATE_FIELDS = (
    "election_overdue",
    "election_overdue_days",
    "innovation_project",
    "commendations",
    "satisfaction",
    "base_score",
)


class _Search:
    """Re-rating one organization under candidate changes.

    ``score`` and ``reaches`` take the engine's score-only path (no reasons,
    no messages) and keep each candidate's answer, since the search asks
    about the same candidates again; ``rated`` gives the full Result, for
    the clauses and notes. ``in_place``: the organization is the search's own
    stand-in (explicit base score), changed in place for each candidate and
    restored after, instead of copied.

    A stand-in's candidates differ in their points mostly, and the points
    change nothing but the base score, which no condition reads: so for the
    stand-in each set of remedies and figure is rated once, as its
    ``profile`` (the adjustments' points, the level from each band), and any
    number of points is read off that.
    """

    def __init__(
        self,
        organization: Organization,
        scheme: Scheme,
        engine: Engine,
        base: int | None = None,
        room: int | None = None,
        *,
        in_place: bool = False,
    ) -> None:
        self.organization = organization
        self.scheme = scheme
        self.engine = engine
        self.base = engine.base(organization)[0] if base is None else base
        self.room = headroom(organization, scheme, self.base) if room is None else room
        self.scores: dict[tuple[tuple[str, ...], Decimal | None, int], tuple[int, int]] = {}
        self.profiles: dict[tuple[tuple[str, ...], Decimal | None], tuple[int, tuple[int, ...]]] = {}
        self.rank = _ranks(engine)
        self.in_place = in_place
        self.noted: tuple[_Uses, ...] = ()  # what the stand-in's noted values note (a plan's search)
        if in_place:
            assert organization.base_score is not None
            self.saved = {name: getattr(organization, name) for name in _CANDIDATE_FIELDS}

    def changed(self, remedies: tuple[str, ...], satisfaction: Decimal | None, points: int) -> Organization:
        changed = self.organization
        for kind in remedies:
            changed = _remedied(changed, kind)
        if satisfaction is not None:
            changed = replace(changed, satisfaction=satisfaction)
        return _add_points(changed, self.scheme, points, self.base)

    def using(
        self,
        remedies: tuple[str, ...],
        satisfaction: Decimal | None,
        points: int,
        use: Callable[[Organization], _Used],
    ) -> _Used:
        """What ``use`` gives for the candidate (the organization with these changes)."""
        if not self.in_place:
            return use(self.changed(remedies, satisfaction, points))
        organization, saved = self.organization, self.saved
        values: dict[str, Any] = {}
        for kind in remedies:
            values.update(_remedy_values(organization, kind))
        if satisfaction is not None:
            values["satisfaction"] = satisfaction
        if points > 0:
            values["base_score"] = saved["base_score"] + points
        for name, value in values.items():
            setattr(organization, name, value)
        try:
            return use(organization)
        finally:
            for name in values:
                setattr(organization, name, saved[name])

    def rated(self, remedies: tuple[str, ...], satisfaction: Decimal | None, points: int) -> Result:
        noted = self.noted
        if not noted:
            return self.using(remedies, satisfaction, points, self.engine.rate_one)
        for uses in noted:
            uses.quiet = True
        try:
            return self.using(remedies, satisfaction, points, self.engine.rate_one)
        finally:
            for uses in noted:
                uses.quiet = False

    def profile(self, remedies: tuple[str, ...], satisfaction: Decimal | None) -> tuple[int, tuple[int, ...]]:
        """The candidate's adjustment points and the level the level rules leave from each band, whatever its points."""
        key = (remedies, satisfaction)
        found = self.profiles.get(key)
        if found is None:
            engine = self.engine

            def profiled(organization: Organization) -> tuple[int, tuple[int, ...]]:
                return engine.adjustment_points(organization), engine.levels_after_rules(organization)

            found = self.profiles[key] = self.using(remedies, satisfaction, 0, profiled)
        return found

    def score(self, remedies: tuple[str, ...], satisfaction: Decimal | None, points: int) -> tuple[int, int]:
        """(final score, stars) of the candidate, as ``rated`` would give them."""
        key = (remedies, satisfaction, points)
        found = self.scores.get(key)
        if found is None:
            if self.in_place:  # as ``Engine.score``, from the profile
                engine = self.engine
                profile = self.profiles.get((remedies, satisfaction))
                adjusted, levels = self.profile(remedies, satisfaction) if profile is None else profile
                score = min(max(self.saved["base_score"] + points + adjusted, 0), engine.full_marks)
                found = score, levels[bisect_right(engine.band_minimums, score)]
            else:
                found = self.using(remedies, satisfaction, points, self.engine.score)
            self.scores[key] = found
        return found

    def reaches(self, level: int, remedies: tuple[str, ...], satisfaction: Decimal | None, points: int) -> bool:
        rank = self.rank
        return rank[self.score(remedies, satisfaction, points)[1]] >= rank[level]

    def candidates(self) -> tuple[str, ...]:
        """The remedies that would change something for this organization."""
        organization = self.organization
        found = []
        if organization.election_overdue or organization.election_overdue_days != 0:  # a comparison, noted
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
        """The figures, to the percent, from the current one (rounded up) to 100 %.

        Reads a noted figure without noting it: the caller notes, with
        ``grid_used``, the part of the grid its answer turned on.
        """
        current = self.organization.satisfaction
        assert current is not None
        plain = current.plain if isinstance(current, _NotedShare) else current
        start = int((plain * 100).to_integral_value(rounding=ROUND_CEILING))
        return [Decimal(k) / 100 for k in range(start, 101)]

    def grid_used(self, grid: list[Decimal], last: Decimal) -> None:
        """Note that an answer turned on the grid from its start up to ``last`` (the figure it stopped at).

        Scanning the grid from its start, the answer was the first figure
        that did it (``last``), or none up to 100 % (``last`` is 100 %): any
        other figure whose grid starts in between scans a tail of the same
        figures to the same answer. Its grid starts there when it is above
        the percent below this grid's start and at most ``last``.
        """
        current = self.organization.satisfaction
        if isinstance(current, _NotedShare):
            compared = current.uses.compared
            compared[operator.gt, grid[0] - PERCENT] = True
            compared[operator.le, last] = True


# --------------------------------------------------------------------------- plans
#
# A rating depends on an organization's base score (before adjustments) and
# its other facts, never on how the base was made: so everything but the
# points is the same for organizations whose facts agree, and the points
# are the base the level needs minus the organization's own. A plan works
# that out once for those facts, rating a stand-in with an explicit base
# score; a guide keeps the plans made with one engine.
#
# The satisfaction figure is a fact nearly every organization has its own of,
# yet what a plan finds usually turns on a comparison or two (below 60 %?
# below 50 %?). The stand-in's figure notes every comparison made with it
# and any other use (a message quoting it, the percent grid): a plan serves
# another figure when that figure compares the same way everywhere and the
# plan never used the figure otherwise. Rating is deterministic, so a figure
# that answers every comparison alike takes the same path to the same result.

#: The fields that only make the base score, and the satisfaction figure (matched apart); every other
#: field of an organization may decide its rating, and is part of its plan's key.
_NOT_KEYED = frozenset({"id", "name", "base_score", "criteria", "components", "satisfaction"})
_facts = operator.attrgetter(*(f.name for f in fields(Organization) if f.name not in _NOT_KEYED))
#: Plans kept per engine before the guide starts afresh (a plan holds a few small objects).
_PLANS_KEPT = 50_000
#: Steps kept per level of a plan (one for each number of points and source of the base score, mostly).
_STEPS_KEPT = 2_000
#: Plans with the same facts but the satisfaction figure tried for a new figure.
_SHARED_TRIED = 12
_COMPARISONS: dict[str, Callable[[Any, Any], bool]] = {
    "lt": operator.lt,
    "le": operator.le,
    "gt": operator.gt,
    "ge": operator.ge,
    "eq": operator.eq,
    "ne": operator.ne,
}


class _Uses:
    """What a plan did with its satisfaction figure: comparisons (operator, other, answer), or quoted it."""

    __slots__ = ("compared", "quiet", "quoted")

    def __init__(self) -> None:
        self.compared: dict[tuple[Callable[[Any, Any], bool], Any], bool] = {}
        self.quoted = False
        # While a full Result is made: its messages may quote the figure, but the plan's notes take
        # only the level rules' messages, and the plan checks those itself (``_Plan.check_quoted``).
        self.quiet = False


class _NotedShare(Decimal):
    """A satisfaction figure that notes, in ``uses``, each comparison made with it and any other use."""

    __slots__ = ("uses", "plain")

    uses: _Uses
    plain: Decimal

    def __getattribute__(self, name: str) -> Any:
        if name in ("uses", "plain") or name.startswith("__"):
            return object.__getattribute__(self, name)
        uses = object.__getattribute__(self, "uses")
        if not uses.quiet:
            uses.quoted = True
        return getattr(object.__getattribute__(self, "plain"), name)

    def __hash__(self) -> int:
        uses = self.uses
        if not uses.quiet:
            uses.quoted = True
        return hash(self.plain)


class _NotedCount(int):
    """A count (days overdue…) that notes, in ``uses``, each comparison made with it and any other use."""

    uses: _Uses
    plain: int

    def __getattribute__(self, name: str) -> Any:
        if name in ("uses", "plain") or name.startswith("__"):
            return object.__getattribute__(self, name)
        uses = object.__getattribute__(self, "uses")
        if not uses.quiet:
            uses.quoted = True
        return getattr(object.__getattribute__(self, "plain"), name)

    def __hash__(self) -> int:
        uses = self.uses
        if not uses.quiet:
            uses.quoted = True
        return hash(self.plain)


def _noted_comparison(name: str) -> Callable[[Any, Any], Any]:
    compare = _COMPARISONS[name]

    def compared(self: Any, other: Any) -> Any:
        answer = compare(self.plain, other)
        if isinstance(other, Decimal | int) and not isinstance(other, bool | _NotedShare | _NotedCount):
            self.uses.compared[compare, other] = bool(answer)
        else:
            self.uses.quoted = True
        return answer

    return compared


def _noted_use(name: str, kind: type = Decimal) -> Callable[..., Any]:
    method = getattr(kind, name)

    def used(self: Any, *args: Any, **kwargs: Any) -> Any:
        uses = self.uses
        if not uses.quiet:
            uses.quoted = True
        return method(self.plain, *args, **kwargs)

    return used


for _name in _COMPARISONS:
    setattr(_NotedShare, f"__{_name}__", _noted_comparison(_name))
_USES = (
    "add radd sub rsub mul rmul truediv rtruediv floordiv rfloordiv mod rmod divmod rdivmod pow rpow "
    "neg pos abs round trunc floor ceil int float complex bool str repr format reduce reduce_ex copy deepcopy"
)
for _name in _USES.split():
    setattr(_NotedShare, f"__{_name}__", _noted_use(f"__{_name}__"))
for _name in _COMPARISONS:
    setattr(_NotedCount, f"__{_name}__", _noted_comparison(_name))
_COUNT_USES = (
    "add radd sub rsub mul rmul truediv rtruediv floordiv rfloordiv mod rmod divmod rdivmod pow rpow neg pos abs "
    "round trunc floor ceil int float index bool str repr format reduce reduce_ex and rand or ror "
    "xor rxor lshift rlshift rshift rrshift invert"
)
for _name in _COUNT_USES.split():
    setattr(_NotedCount, f"__{_name}__", _noted_use(f"__{_name}__", int))


def _noted_count(value: int, uses: _Uses) -> _NotedCount:
    noted = _NotedCount(value)
    noted.uses = uses
    noted.plain = int(value)
    return noted


def _noted(figure: Decimal, uses: _Uses) -> _NotedShare:
    noted = _NotedShare(figure)
    noted.uses = uses
    noted.plain = Decimal(figure)
    return noted


def _quoting_rules(scheme: Scheme, counts: tuple[str, ...]) -> frozenset[str]:
    """The codes of the scheme's level rules whose messages quote the satisfaction figure or a noted count."""
    noted = {"satisfaction", *counts}
    return frozenset(
        rule.code
        for rule in scheme.level_rules
        if any(MESSAGE_FACTS[name] in noted for name in rule.message.fact_fields())
    )


def _noted_counts(scheme: Scheme) -> tuple[str, ...]:
    """The counts a plan notes like the figure: those no adjustment counts points for (only compared, mostly)."""
    counted = {adjustment.fact_attribute for adjustment in scheme.adjustments}
    names = {f.name for f in fields(Organization)}
    return tuple(
        attribute
        for attribute, kind in FACTS.values()
        if kind == "count" and attribute in names and attribute != "previous_stars" and attribute not in counted
    )


_FIELDS = tuple(f.name for f in fields(Organization))


def _copied(organization: Organization, values: dict[str, Any]) -> Organization:
    """``replace(organization, **values)`` without its keyword arguments (an Organization checks nothing)."""
    copy = Organization.__new__(Organization)
    for name in _FIELDS:
        setattr(copy, name, values[name] if name in values else getattr(organization, name))
    return copy


def _source(organization: Organization) -> str:
    if organization.base_score is not None:
        return "base_score"
    return "criteria" if organization.criteria is not None else "components"


@dataclass(slots=True)
class _LevelPlan:
    """One level for a plan: out of reach (``notes``: why), or the changes but points and the base needed."""

    reachable: bool
    notes: tuple[Note, ...] = ()
    chosen: tuple[str, ...] = ()
    satisfaction: Decimal | None = None
    changes: tuple[Change, ...] = ()
    need: int = 0
    with_points: tuple[Note, ...] | None = None
    satisfaction_clause: str = ""  # the satisfaction change's clause, when it asks for one
    # Kept as organizations ask: the notes of the rules that stay when no points are needed, by the band
    # the base score is in; the steps of organizations needing points, by the points, source and figure.
    staying: dict[int, tuple[Note, ...]] = field(default_factory=dict)
    steps: dict[tuple[int, str, Decimal | None], Step] = field(default_factory=dict)
    # Without a rating: the step when out of reach, and ``with_points`` followed by the quota notes.
    unreached: Step | None = None
    with_quota: tuple[Note, ...] | None = None


class _Plan:
    """What guidance finds for every organization with these facts and this source and full base score."""

    def __init__(
        self,
        organization: Organization,
        scheme: Scheme,
        engine: Engine,
        full_base: int,
        quoting: frozenset[str],
        counts: tuple[str, ...] = (),
        bonus: Callable[[Organization, int], tuple[Note, ...]] | None = None,
    ) -> None:
        self.quoting = quoting  # the level rules whose messages quote the satisfaction figure or a noted count
        self.bonus = bonus  # ``_bonus_notes`` kept by what it reads (the guide's), or None
        self.uses = _Uses()
        self.figure = organization.satisfaction
        values: dict[str, Any] = {"base_score": 0, "criteria": None, "components": None}
        noted = []
        if self.figure is not None:
            values["satisfaction"] = _noted(self.figure, self.uses)
            noted.append(self.uses)
        # The noted counts: their name, what they note, and the plan's own value.
        self.counts: tuple[tuple[str, _Uses, int], ...] = tuple(
            (name, _Uses(), value) for name in counts if type(value := getattr(organization, name)) is int
        )
        for name, uses, value in self.counts:
            values[name] = _noted_count(value, uses)
            noted.append(uses)
        self.noted = (self.uses, *(uses for _, uses, _ in self.counts))
        stand_in = _copied(organization, values)
        self.scheme = scheme
        self.search = _Search(stand_in, scheme, engine, base=0, room=full_base, in_place=True)
        self.search.noted = tuple(noted)
        self.levels: dict[int, _LevelPlan] = {}
        self.remedies: dict[str, Change] = {}  # ``_remedy_change`` of each kind: the same for every level
        # The lowest base score reaching each level above the lowest, unchanged (those reachable at all).
        self.thresholds: list[int] | None = None
        self.asked = False
        # The figures that compare as the plan's did: ``_region`` of its comparisons, and how many it covers.
        self.region: _Region | None = None

    def check_quoted(self, result: Result) -> Result:
        """The result, its level rules' messages (which notes repeat) noted if they quote the figure."""
        quoting = self.quoting
        if any(code in quoting for code, _, _ in _lowering(result)):
            self.uses.quoted = True
        return result

    def current(self, base: int) -> int:
        """The level of an organization with the plan's facts and this base score, as it stands.

        The first organization asking is rated at its base alone (most plans
        serve one organization); the thresholds, for any base, come when a
        second one asks. Both give the same level: it rises with the base.
        """
        if self.thresholds is None:
            search = self.search
            if not self.asked and 0 <= base <= search.room:
                self.asked = True
                return search.score((), None, base)[1]
            order = search.engine.level_order
            thresholds = []
            for level in order[1:]:
                if not search.reaches(level, (), None, search.room):
                    break
                thresholds.append(_base_needed(search, level, (), None))
            self.thresholds = thresholds
        return self.search.engine.level_order[bisect_right(self.thresholds, base)]

    def version(self) -> int:
        """How much the plan has noted so far (it only grows): the same while ``fits`` gives the same answers."""
        noted = 0
        for uses in self.noted:
            noted += len(uses.compared) + uses.quoted
        return noted

    def quoted(self) -> bool:
        """Whether the plan used its figure or a noted count otherwise than comparing (it serves its own only)."""
        return any(uses.quoted for uses in self.noted)

    def fits(self, organization: Organization, quoted: bool | None = None) -> bool:
        """Whether what the plan found so far holds for this organization (its facts otherwise the plan's).

        ``quoted``: ``quoted()``, when the caller knows it already.
        """
        if quoted is None:
            quoted = self.quoted()
        for name, count, value in self.counts:
            other = getattr(organization, name)
            if other != value:
                if quoted:
                    return False
                for (compare, than), answer in count.compared.items():
                    if compare(other, than) != answer:
                        return False
        return self.fits_figure(organization.satisfaction, quoted)

    def fits_figure(self, figure: Decimal | None, quoted: bool) -> bool:
        if figure is None or self.figure is None:
            return figure is None and self.figure is None
        if figure == self.figure:
            return True
        if quoted:
            return False
        uses = self.uses
        region = self.region
        if region is None or region[0] != len(uses.compared):
            region = self.region = _region(uses.compared)
        _, low, low_open, high, high_open, others = region
        if low is not None and (figure < low or (low_open and figure == low)):
            return False
        if high is not None and (figure > high or (high_open and figure == high)):
            return False
        return not others or all(compare(figure, other) == answer for compare, other, answer in others)

    def level(self, level: int) -> _LevelPlan:
        found = self.levels.get(level)
        if found is None:
            found = self.levels[level] = self._plan(level)
        return found

    def _plan(self, level: int) -> _LevelPlan:
        search, scheme = self.search, self.scheme
        remedies = search.candidates()
        best_satisfaction = search.best_satisfaction()
        full = search.room
        if not search.reaches(level, remedies, best_satisfaction, full):
            best = self.check_quoted(search.rated(remedies, best_satisfaction, full))
            return _LevelPlan(False, tuple(_veto_notes(scheme, best, level)))
        # Remedies: drop each one the level can be reached without.
        kept = list(remedies)
        for kind in remedies:
            trial = tuple(k for k in kept if k != kind)
            if search.reaches(level, trial, best_satisfaction, full):
                kept = list(trial)
        chosen = tuple(kept)
        # Satisfaction: the lowest figure, to the percent, that still does it.
        satisfaction: Decimal | None = None
        if best_satisfaction is not None and not search.reaches(level, chosen, None, full):
            grid = search.satisfaction_grid()
            satisfaction = grid[-1]
            for figure in grid:
                if search.reaches(level, chosen, figure, full):
                    satisfaction = figure
                    break
            search.grid_used(grid, satisfaction)
        changes = tuple(self.remedy_change(kind) for kind in chosen)
        # The satisfaction change quotes the organization's own figure: made for each organization (``made``).
        clause = _satisfaction_clause(search, chosen, satisfaction) if satisfaction is not None else ""
        need = _base_needed(search, level, chosen, satisfaction)
        return _LevelPlan(True, (), chosen, satisfaction, changes, need, satisfaction_clause=clause)

    def remedy_change(self, kind: str) -> Change:
        """``_remedy_change``, the same for every level (worked out at full marks with every other remedy)."""
        change = self.remedies.get(kind)
        if change is None:
            change = self.remedies[kind] = _remedy_change(self.search, kind)
        return change

    def staying(self, plan: _LevelPlan, base: int) -> tuple[Note, ...]:
        """The notes of the rules still lowering the level at this base score, the level's changes made.

        The level rules start from the band and read only the facts: the same
        for every base score in one band.
        """
        search = self.search
        band = search.engine.band(search.score(plan.chosen, plan.satisfaction, base)[0])
        notes = plan.staying.get(band)
        if notes is None:
            final = self.check_quoted(search.rated(plan.chosen, plan.satisfaction, base))
            notes = plan.staying[band] = tuple(_staying_notes(final))
        return notes

    def with_points(self, plan: _LevelPlan, organization: Organization) -> tuple[Note, ...]:
        """The notes of the level when points are needed (the final score is then the same for all).

        ``organization``: one with the plan's facts (the bonus and indicator notes read them).
        """
        if plan.with_points is None:
            search, need, chosen, satisfaction = self.search, plan.need, plan.chosen, plan.satisfaction

            def final() -> Result:
                return self.check_quoted(search.rated(chosen, satisfaction, need))

            # Where no level rule applies (the profile says so), none stays and the score is the profile's:
            # the full rating only if the satisfaction note needs its reasons.
            if search.profile(chosen, satisfaction)[1] is search.engine.band_at:
                staying: list[Note] = []
                rated: Result | Callable[[], Result] = final
                score = search.score(chosen, satisfaction, need)[0]
            else:
                rated = final()
                staying, score = _staying_notes(rated), rated.final_score
            bonus = self.bonus(organization, need) if self.bonus else _bonus_notes(self.scheme, organization, need)
            plan.with_points = (
                *staying,
                *bonus,
                *_satisfaction_notes(search, chosen, satisfaction, need, score, rated),
                *_indicator_notes(self.scheme, organization, need),
            )
        return plan.with_points


#: The comparisons noted, as bounds: their number, the lower bound and whether it is open, the upper
#: bound and whether it is open, and the comparisons that are not bounds (== and !=).
_Region = tuple[int, Any, bool, Any, bool, tuple[tuple[Callable[[Any, Any], bool], Any, bool], ...]]


#: For each bounding comparison ``figure op other`` and its answer: whether ``other`` bounds the figure
#: from above, and whether the bound is open (the figure is not ``other`` itself).
_BOUNDS: dict[tuple[Callable[[Any, Any], bool], bool], tuple[bool, bool]] = {
    (operator.lt, True): (True, True),
    (operator.lt, False): (False, False),
    (operator.le, True): (True, False),
    (operator.le, False): (False, True),
    (operator.gt, True): (False, True),
    (operator.gt, False): (True, False),
    (operator.ge, True): (False, False),
    (operator.ge, False): (True, True),
}


def _region(compared: dict[tuple[Callable[[Any, Any], bool], Any], bool]) -> _Region:
    """The figures comparing the same way: each answer of <, <=, >, >= bounds them from one side."""
    low: Any = None
    high: Any = None
    low_open = high_open = False
    others = []
    for (compare, other), answer in compared.items():
        bound = _BOUNDS.get((compare, answer))
        if bound is None:
            others.append((compare, other, answer))
            continue
        upper, open_ = bound
        if upper:
            if high is None or other < high or (other == high and open_):
                high, high_open = other, open_
        elif low is None or other > low or (other == low and open_):
            low, low_open = other, open_
    return len(compared), low, low_open, high, high_open, tuple(others)


def _base_needed(search: _Search, level: int, chosen: tuple[str, ...], satisfaction: Decimal | None) -> int:
    """The lowest base score (before adjustments) at which the stand-in reaches the level with these changes.

    Found, not scanned: the lowest band whose level after the level rules is
    high enough, its edge minus the adjustments' points (a score is clipped
    at zero, so an edge at or below zero needs nothing); then checked by one
    re-rating at that base. Should a scheme ever defeat the arithmetic, the
    bisection finds it (the level rises with the score).
    """
    engine, room, rank = search.engine, search.room, search.rank
    adjusted, levels = search.profile(chosen, satisfaction)
    need = room
    wanted = rank[level]
    for edge, after in zip((None, *engine.band_minimums), levels, strict=True):
        if rank[after] >= wanted:
            need = 0 if edge is None or edge <= 0 else min(max(edge - adjusted, 0), room)
            break
    if search.reaches(level, chosen, satisfaction, need):
        return need
    low, high = 0, room
    while low < high:
        middle = (low + high) // 2
        if search.reaches(level, chosen, satisfaction, middle):
            high = middle
        else:
            low = middle + 1
    return low


class _Guide:
    """Guidance with one engine over many organizations: the plans by facts, and what steps share."""

    def __init__(self, scheme: Scheme, engine: Engine) -> None:
        self.scheme = scheme
        self.engine = engine
        self.plans: dict[tuple[Any, ...], _Plan] = {}
        self.shared: dict[tuple[Any, ...], list[_Plan]] = {}
        # ``plans`` by facts, then by figure, with the key of the facts' ``shared`` plans (read once per facts).
        self.by_facts: dict[tuple[Any, ...], tuple[dict[Decimal | None, _Plan], tuple[Any, ...]]] = {}
        self.quotas: dict[int, tuple[Note, ...]] = {}
        self.points: dict[tuple[str, int], Change] = {}
        self.names = {value: scheme.level_name(value) for value in scheme.level_values()}
        self.lock = threading.Lock()
        self.counts = _noted_counts(scheme)
        self.quoting = _quoting_rules(scheme, self.counts)
        # The facts plans are shared by: all but the noted counts (their plans compare them).
        keyed = [f.name for f in fields(Organization) if f.name not in _NOT_KEYED and f.name not in self.counts]
        self.shared_facts = operator.attrgetter(*keyed)
        # The source of the base score matters to a plan only where a criterion is scored from an indicator.
        self.by_source = any(getattr(criterion, "scored_by", None) is not None for criterion in scheme.criteria)
        self.full_marks = scheme.full_marks_cents
        self.criteria: dict[str | None, tuple[int, tuple[tuple[str, str, int], ...]]] = {}
        self.codes: dict[str | None, frozenset[str]] = {}  # the codes of ``criteria``, by category
        # By category, each criterion's code, name and maximum, and its headroom's row and text by the headroom.
        self.pieces: dict[str | None, list[tuple[str, str, int, dict[int, tuple[tuple[str, str, Decimal], str]]]]] = {}
        self.points_clause = "、".join(c for c in (scheme.criteria_clause, scheme.band_clause) if c)
        # What ``_bonus_notes`` reads of an organization: the lists its bonuses take the highest of.
        listed = [a.fact_attribute for a in scheme.adjustments if a.sign >= 0 and a.kind == "highest"]
        self.listed = tuple(attribute for attribute in listed if attribute is not None)
        self.bonuses: dict[tuple[Any, ...], tuple[Note, ...]] = {}

    def bonus_notes(self, organization: Organization, points: int) -> tuple[Note, ...]:
        """``_bonus_notes``, kept by whether points are missing and the lists it reads."""
        key = (points != 0, *(getattr(organization, attribute) for attribute in self.listed))
        notes = self.bonuses.get(key)
        if notes is None:
            notes = self.bonuses[key] = tuple(_bonus_notes(self.scheme, organization, points))
        return notes

    def plan(self, organization: Organization, base: int, room: int, *, own: bool = False) -> _Plan:
        """A plan fitting the organization (``own``: made for its very figure)."""
        source = _source(organization) if self.by_source else None
        facts = (source, base + room, _facts(organization))
        figure = organization.satisfaction
        known = self.by_facts.get(facts)
        if known is not None:
            plan = known[0].get(figure)
            if plan is not None:
                return plan
            shared_key = known[1]
        else:
            shared_key = (source, base + room, self.shared_facts(organization))
        shared = self.shared.get(shared_key)
        if shared is None:
            shared = []
        elif not own:
            for plan in shared:
                if not plan.quoted() and plan.fits(organization, False):  # a quoted plan serves its own facts only
                    return plan
        if len(self.plans) >= _PLANS_KEPT:
            self.plans.clear()
            self.shared.clear()
            self.by_facts.clear()
        plan = _Plan(organization, self.scheme, self.engine, base + room, self.quoting, self.counts, self.bonus_notes)
        self.plans[(facts, figure)] = plan
        known = self.by_facts.get(facts)
        if known is None:
            known = self.by_facts[facts] = ({}, shared_key)
        known[0][figure] = plan
        shared[:] = [plan for plan in shared if not plan.quoted()]
        if len(shared) < _SHARED_TRIED:
            shared.append(plan)
            self.shared[shared_key] = shared
        return plan

    def base_room(self, organization: Organization) -> tuple[int, int]:
        """The organization's base score and its headroom (``headroom``), the common cases without the engine."""
        base = organization.base_score
        if base is not None:
            return base, self.full_marks - base
        scores = organization.criteria
        if scores is not None and not self.by_source:  # no criterion scored from an indicator: the typed sum
            known = self.criteria_of(organization.category)
            base = sum(scores.values())
            if scores.keys() <= self.codes[organization.category]:  # every score counts towards the headroom
                return base, known[0] - base
            return base, known[0] - sum(scores.get(code, 0) for code, _, _ in known[1])
        base = self.engine.base(organization)[0]
        return base, headroom(organization, self.scheme, base)

    def criteria_of(self, category: str | None) -> tuple[int, tuple[tuple[str, str, int], ...]]:
        """The criteria of a category: their maxima's sum, and each one's code, name and maximum."""
        known = self.criteria.get(category)
        if known is None:
            rows = tuple((c.code, c.name, c.max_cents) for c in self.scheme.criteria_for(category))
            known = self.criteria[category] = (sum(row[2] for row in rows), rows)
            self.codes[category] = frozenset(row[0] for row in rows)
        return known

    def criteria_headroom(self, organization: Organization) -> _Headroom:
        """``_points_headroom`` for typed criteria when no criterion is scored from an indicator."""
        scores = organization.criteria
        assert scores is not None
        category = organization.category
        by_criterion = self.pieces.get(category)
        if by_criterion is None:
            by_criterion = self.pieces[category] = [
                (code, name, maximum, {}) for code, name, maximum in self.criteria_of(category)[1]
            ]
        score = scores.get
        rows: list[tuple[str, str, Decimal]] = []
        texts: list[str] = []
        for code, name, maximum, pieces in by_criterion:
            room = maximum - score(code, 0)
            if room > 0:
                piece = pieces.get(room)
                if piece is None:
                    piece = pieces[room] = ((code, name, _points_decimal(room)), f"{code}.{name}{_points_text(room)}分")
                rows.append(piece[0])
                texts.append(piece[1])
        return "各项评分合计", tuple(rows), "，可提升：" + "、".join(texts) if rows else ""

    def steps(self, organization: Organization, rating: Rating | None) -> list[Step]:
        """A step for every level above the organization's current result."""
        engine = self.engine
        base, room = self.base_room(organization)
        plan = self.plan(organization, base, room)
        if room < 0:  # scores above a criterion's maximum: rate it as it stands
            current = engine.score(organization)[1]
        elif plan.thresholds is not None:
            current = engine.level_order[bisect_right(plan.thresholds, base)]
        else:
            version = plan.version()
            current = plan.current(base)
            if plan.version() != version and not plan.fits(organization):
                plan = self.plan(organization, base, room, own=True)
                current = plan.current(base)
        order = engine.level_order
        above = order[order.index(current) + 1 :]
        if not above:
            return []
        return self.made(organization, above, rating, base, room, plan)

    def made(
        self,
        organization: Organization,
        levels: list[int],
        rating: Rating | None,
        base: int,
        room: int,
        plan: _Plan | None = None,
    ) -> list[Step]:
        """The steps to these levels, each above the organization's current result (``plan``: one that fits)."""
        found = self.fitting(organization, levels, base, room, plan)
        criteria_room: _Headroom | None = None
        steps: list[Step] = []
        append = steps.append
        names = self.names
        # Without a rating, a level's quota notes are the same for everyone, and so are the steps without
        # an organization's own figures in them: kept with the level's plan.
        plain = rating is None
        figure = organization.satisfaction
        shares_steps = plain and organization.criteria is None
        source = _source(organization) if shares_steps else ""
        for level, (level_plan, notes) in zip(levels, found, strict=True):
            if plain and level_plan.unreached is not None:
                append(level_plan.unreached)
                continue
            quota = self.quota_notes(organization, level, rating)
            if not level_plan.reachable:
                append(self.unreached(level_plan, level, quota, plain))
                continue
            points = level_plan.need - base
            wanted = level_plan.satisfaction
            if shares_steps and points > 0:
                key = (points, source, figure if wanted is not None else None)
                step = level_plan.steps.get(key)
                if step is not None:
                    append(step)
                    continue
            changes = level_plan.changes
            if wanted is not None:
                assert figure is not None
                changes = (*changes, _satisfaction_change(figure, wanted, level_plan.satisfaction_clause))
            if points <= 0:
                if notes is None:
                    search = _Search(organization, self.scheme, self.engine, base, room)
                    notes = tuple(_staying_notes(search.rated(level_plan.chosen, wanted, 0)))
                append(Step(level, names[level], True, changes, (*notes, *quota)))
                continue
            assert notes is not None
            change, criteria_room = self.points_change(organization, points, criteria_room)
            noted = level_plan.with_quota if plain else None
            if noted is None:
                noted = (*notes, *quota)
                if plain:
                    level_plan.with_quota = noted
            step = Step(level, names[level], True, (*changes, change), noted)
            if shares_steps and len(level_plan.steps) < _STEPS_KEPT:
                level_plan.steps[key] = step
            append(step)
        return steps

    def fitting(
        self, organization: Organization, levels: list[int], base: int, room: int, plan: _Plan | None
    ) -> list[tuple[_LevelPlan, tuple[Note, ...] | None]]:
        """``found`` with a plan that fits the organization still after working out these levels."""
        if plan is None:
            plan = self.plan(organization, base, room)
        version = plan.version()
        found = self.found(plan, organization, levels, base)
        if plan.version() != version and not plan.fits(organization):
            # Working out these levels used the plan's figure in a way this organization's does not share.
            plan = self.plan(organization, base, room, own=True)
            found = self.found(plan, organization, levels, base)
        return found

    def unreached(self, level_plan: _LevelPlan, level: int, quota: tuple[Note, ...], plain: bool) -> Step:
        """The step to a level out of reach (``plain``: without a rating, kept with the level's plan)."""
        step = Step(level, self.names[level], False, (), (*level_plan.notes, *quota))
        if plain:
            level_plan.unreached = step
        return step

    def points_change(
        self, organization: Organization, points: int, criteria_room: _Headroom | None
    ) -> tuple[Change, _Headroom | None]:
        """The points change, and the organization's headroom by criterion (worked out once per organization)."""
        scheme = self.scheme
        if organization.criteria is None:
            key = (_source(organization), points)
            change = self.points.get(key)
            if change is None:
                change = self.points[key] = _points_change(organization, scheme, points)
            return change, criteria_room
        # The headroom of each criterion is the organization's own.
        if criteria_room is None:
            if organization.base_score is None and not self.by_source:
                criteria_room = self.criteria_headroom(organization)
            else:
                criteria_room = _points_headroom(organization, scheme)
        where, rows, room_text = criteria_room
        message = f"{where}还需提高{_points_text(points)}分{room_text}"
        return Change(POINTS, self.points_clause, message, _points_decimal(points), rows), criteria_room

    def found(
        self, plan: _Plan, organization: Organization, levels: list[int], base: int
    ) -> list[tuple[_LevelPlan, tuple[Note, ...] | None]]:
        """Each level's plan, and its notes when reachable (None: the organization's own rating gives them)."""
        found: list[tuple[_LevelPlan, tuple[Note, ...] | None]] = []
        # Whether the stand-in rates as the organization: not so where the figure weighs in a composite.
        stands_in = self.engine.satisfaction_weight is None or organization.components is None
        stands_in = stands_in or organization.base_score is not None or organization.criteria is not None
        known = plan.levels
        for level in levels:
            level_plan = known.get(level) or plan.level(level)
            if not level_plan.reachable:
                found.append((level_plan, ()))
            elif level_plan.need > base:
                notes = level_plan.with_points
                found.append((level_plan, plan.with_points(level_plan, organization) if notes is None else notes))
            else:
                found.append((level_plan, plan.staying(level_plan, base) if stands_in else None))
        return found

    def quota_notes(self, organization: Organization, level: int, rating: Rating | None) -> tuple[Note, ...]:
        if rating is not None:
            return tuple(_quota_notes(self.scheme, organization, level, rating))
        notes = self.quotas.get(level)
        if notes is None:
            notes = self.quotas[level] = tuple(_quota_notes(self.scheme, organization, level, None))
        return notes


_GUIDES: WeakKeyDictionary[Engine, _Guide] = WeakKeyDictionary()


def _guide(scheme: Scheme, engine: Engine) -> _Guide:
    guide = _GUIDES.get(engine)
    if guide is None or guide.scheme is not scheme:
        guide = _GUIDES[engine] = _Guide(scheme, engine)
    return guide


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
    over many organizations (what guidance works out for one organization's
    facts is kept with it and serves the next organization with the same).
    """
    guide = _guide(scheme, engine or Engine(scheme, stage=stage))
    with guide.lock:  # a plan's stand-in is changed in place while it is worked out
        return guide.steps(organization, rating)


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
    if _at_least(engine, engine.score(organization)[1], level):
        return Step(level, scheme.level_name(level), True)
    base = engine.base(organization)[0]
    guide = _guide(scheme, engine)
    with guide.lock:
        return guide.made(organization, [level], rating, base, headroom(organization, scheme, base))[0]


_RANKS: WeakKeyDictionary[Engine, dict[int, int]] = WeakKeyDictionary()


def _ranks(engine: Engine) -> dict[int, int]:
    """Each level's place in the engine's order, lowest first."""
    rank = _RANKS.get(engine)
    if rank is None:
        rank = _RANKS[engine] = {value: position for position, value in enumerate(engine.level_order)}
    return rank


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


def _satisfaction_clause(search: _Search, remedies: tuple[str, ...], figure: Decimal) -> str:
    """The clauses of the rules raising the satisfaction figure to ``figure`` lifts."""
    without = search.rated(remedies, None, search.room)
    with_ = search.rated(remedies, figure, search.room)
    return _lifted(without, with_)


_SATISFACTION_TEXTS: dict[tuple[Decimal, Decimal], str] = {}


def _satisfaction_change(current: Decimal, figure: Decimal, clause: str) -> Change:
    """Raising the satisfaction figure from ``current`` (the organization's own) to ``figure``."""
    key = (current, figure)
    message = _SATISFACTION_TEXTS.get(key)
    if message is None:
        message = f"民主评议满意率由{format_share(current)}提高到{format_share(figure)}及以上"
        if len(_SATISFACTION_TEXTS) < 100_000:
            _SATISFACTION_TEXTS[key] = message
    return Change(SATISFACTION, clause, message, amount=figure)


#: Where the points go, each criterion's code, name and headroom, and the sentence naming them.
_Headroom = tuple[str, tuple[tuple[str, str, Decimal], ...], str]


def _points_change(organization: Organization, scheme: Scheme, points: int, room: _Headroom | None = None) -> Change:
    """The points change (``room``: ``_points_headroom`` of the organization, when already known)."""
    where, rows, room_text = room or _points_headroom(organization, scheme)
    clauses = "、".join(c for c in (scheme.criteria_clause, scheme.band_clause) if c)
    return Change(
        POINTS,
        clauses,
        f"{where}还需提高{format_points(points)}分{room_text}",
        amount=cents_to_decimal(points),
        headroom=rows,
    )


def _points_headroom(organization: Organization, scheme: Scheme) -> _Headroom:
    rows: list[tuple[str, str, Decimal]] = []
    texts: list[str] = []
    if organization.criteria is not None:
        scores = organization.criteria
        computed = _computed_criteria(organization, scheme)
        for criterion in scheme.criteria_for(organization.category):
            if criterion.code in computed:
                continue
            room = criterion.max_cents - scores.get(criterion.code, 0)
            if room > 0:
                rows.append((criterion.code, criterion.name, _points_decimal(room)))
                texts.append(f"{criterion.code}.{criterion.name}{_points_text(room)}分")
        where = "各项评分合计"
    elif organization.base_score is not None:
        where = "基础分"
    else:
        where = "基础分（自评、测评、考评加权综合）"
    return where, tuple(rows), "，可提升：" + "、".join(texts) if rows else ""


_POINTS_TEXTS: dict[int, str] = {}
_POINTS_DECIMALS: dict[int, Decimal] = {}


def _points_text(cents: int) -> str:
    text = _POINTS_TEXTS.get(cents)
    if text is None:
        text = format_points(cents)
        if len(_POINTS_TEXTS) < 100_000:
            _POINTS_TEXTS[cents] = text
    return text


def _points_decimal(cents: int) -> Decimal:
    value = _POINTS_DECIMALS.get(cents)
    if value is None:
        value = cents_to_decimal(cents)
        if len(_POINTS_DECIMALS) < 100_000:
            _POINTS_DECIMALS[cents] = value
    return value


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


def _indicator_notes(scheme: Scheme, organization: Organization, points: int) -> list[Note]:
    """Criteria scored from an indicator: typed points do not count there, the indicator's figure does."""
    if not points:
        return []
    notes = []
    computed = _computed_criteria(organization, scheme)
    for criterion in scheme.criteria_for(organization.category):
        scored_by = criterion.scored_by
        if scored_by is None or criterion.code not in computed:
            continue
        share = getattr(organization, scored_by.attribute)
        now = scored_by.points(share, criterion.max_cents)
        label = INDICATOR_FACTS[scored_by.fact]
        text = (
            f"{criterion.code}.{criterion.name}按{label}计分（现为{format_share(share)}，得{format_points(now)}分），"
            "填报的分数不计入"
        )
        if scored_by.method == "steps":
            higher = [step for step in scored_by.steps if step.points_cents > now]
            if higher:
                step = higher[-1]
                text += f"；{label}达到{format_share(step.at_least)}可得{format_points(step.points_cents)}分"
        elif now < criterion.max_cents:
            text += f"；{label}每提高1个百分点约多得{format_points(criterion.max_cents // 100)}分"
        notes.append(Note("indicator", scored_by.clause, text))
    return notes


def _satisfaction_notes(
    search: _Search,
    remedies: tuple[str, ...],
    satisfaction: Decimal | None,
    points: int,
    score: int,
    final: Result | Callable[[], Result],
) -> list[Note]:
    """A satisfaction figure that would lift a deduction, as another way to the missing points.

    ``score``: the final score with the changes; ``final``: their rating, or what gives it when asked.
    """
    current = satisfaction if satisfaction is not None else search.organization.satisfaction
    if not points or current is None or current >= 1:
        return []
    # The score alone answers whether anything is gained (mostly not); the reasons only when it is.
    gained = search.score(remedies, Decimal(1), points)[0] - score
    if gained <= 0:
        return []
    if not isinstance(final, Result):
        final = final()
    best = search.rated(remedies, Decimal(1), points)
    figure = Decimal(1)
    if satisfaction is not None:  # a figure on the grid already: the grid from it, whatever the organization's
        start = int((satisfaction * 100).to_integral_value(rounding=ROUND_CEILING))
        for candidate in (Decimal(k) / 100 for k in range(start, 101)):
            if search.score(remedies, candidate, points)[0] == best.final_score:
                figure = candidate
                break
    else:
        grid = search.satisfaction_grid()
        for candidate in grid:
            if search.score(remedies, candidate, points)[0] == best.final_score:
                figure = candidate
                break
        search.grid_used(grid, figure)
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
