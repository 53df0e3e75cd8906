"""Reading evidence records: the scoped lists, and the rating engine's input.

``record_list`` starts from ``xingji.records.access.visible_records`` (the
user's subtree) and joins what a list page shows, so the page issues the same
number of queries for ten rows and for ten thousand.

``engine_facts`` / ``engine_facts_for`` turn the confirmed records of a year
into the JSON-shaped input of ``xingji rate`` (``xingji.rules.inputs``),
without a base score — that comes from the evaluation. A claim (申报) not yet
confirmed, or sent back, counts for nothing. The mapping, by seed clause:

=====================================  ==========================================
record                                 engine fact
=====================================  ==========================================
Commendation (表彰/署名文章), any kind  ``commendations``: one level per record
Innovation (党建创新)                   ``innovations``: one level per record
CriticismNotice 市直工委 / 市委          ``criticisms.working_committee`` /
                                       ``criticisms.municipal_committee``
DisciplinaryAction, leadership team,   ``leader_discipline.light``
警告 / 严重警告
DisciplinaryAction, leadership team,   ``leader_discipline.heavy``
撤销党内职务 / 留党察看 / 开除党籍
DisciplinaryAction, ordinary member;   ``member_violations``
MemberViolation
Absence, not excused                   ``absences`` (excused ones are not counted)
orgs.Election (current term)           ``election.overdue_days`` on 31 December of
                                       the year (or ``on``), ``overdue``,
                                       ``excused`` = request made and approved
=====================================  ==========================================
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from django.core.exceptions import ObjectDoesNotExist
from django.db.models import Count, Q, QuerySet

from xingji.accounts.models import User
from xingji.audit.models import AuditEntry
from xingji.orgs.models import Organization
from xingji.records.access import visible_records
from xingji.records.models import (
    HONOUR_ORDER,
    LIGHT_SEVERITIES,
    RECORD_MODELS,
    Absence,
    Commendation,
    CriticismIssuer,
    CriticismNotice,
    DisciplinaryAction,
    EvidenceRecord,
    HonourLevel,
    Innovation,
    MemberViolation,
    RecordStatus,
)


def record_list(
    *,
    user: User,
    model: type[EvidenceRecord],
    search: str = "",
    year: int | None = None,
    organization: Organization | None = None,
    search_fields: tuple[str, ...] = (),
    filters: Mapping[str, Any] | None = None,
    own_only: bool = False,
) -> QuerySet[Any]:
    """The user's records of ``model``, newest first, with ``organization`` joined and ``attachment_count``.

    ``organization`` narrows to that organization's subtree, or to the
    organization itself with ``own_only`` (what its rating reads); ``search``
    matches the organization's name or code, or any of ``search_fields``;
    ``filters`` maps a field to the value it must have (None: no filter).
    """
    records = visible_records(user, model)
    if organization is not None and own_only:
        records = records.filter(organization=organization)
    elif organization is not None:
        records = records.filter(organization__path__startswith=organization.path)
    if year is not None:
        records = records.filter(date__year=year)
    for name, value in (filters or {}).items():
        if value is not None and value != "":
            records = records.filter(**{name: value})
    search = search.strip()
    if search:
        condition = Q(organization__name__icontains=search) | Q(organization__code__icontains=search)
        for name in search_fields:
            condition |= Q(**{f"{name}__icontains": search})
        records = records.filter(condition)
    listed: QuerySet[Any] = (
        records.select_related("organization", "entered_by_organization", "confirmed_by_organization")
        .annotate(attachment_count=Count("attachments"))
        .order_by("-date", "-id")
    )
    return listed


def record_years(*, user: User, model: type[EvidenceRecord]) -> list[int]:
    """The years that have records of ``model`` the user can see, newest first (for the year filter)."""
    dates = visible_records(user, model).dates("date", "year", order="DESC")
    return [day.year for day in dates]


# --- the engine's input ------------------------------------------------------------


def year_end(year: int) -> date:
    return date(year, 12, 31)


def engine_facts(organization: Organization, year: int, *, on: date | None = None) -> dict[str, Any]:
    """One organization's facts for ``year``, as ``xingji rate`` reads them (no base score).

    The election is judged on ``on``, by default 31 December of ``year``.
    """
    return _facts([organization], Q(organization=organization), year, on)[0]


def engine_facts_for(
    organizations: QuerySet[Organization],
    year: int,
    *,
    on: date | None = None,
    loaded: Sequence[Organization] | None = None,
) -> list[dict[str, Any]]:
    """``engine_facts`` for every organization of the queryset, in its order, in seven queries in all.

    The records are counted by the database (``values`` + ``annotate``), not
    loaded, so the cost does not grow with the number of records. ``loaded``:
    the queryset's organizations already read with their ``election`` (one
    query fewer, and no second set of instances, for a caller that needs them
    too), in the queryset's order.
    """
    if loaded is None:
        loaded = list(organizations.select_related("election"))
    if organizations.query.is_sliced:
        scope = Q(organization_id__in=[organization.pk for organization in loaded])
    else:
        scope = Q(organization__in=organizations.order_by().values("pk"))
    return _facts(loaded, scope, year, on)


def _counts(
    model: type[EvidenceRecord], scope: Q, year: int, *keys: str, **conditions: Any
) -> dict[tuple[Any, ...], int]:
    rows = (
        model._default_manager.filter(scope, date__year=year, status=RecordStatus.CONFIRMED, **conditions)
        .order_by()
        .values_list("organization_id", *keys)
        .annotate(count=Count("id"))
    )
    return {tuple(row[:-1]): row[-1] for row in rows}


def _facts(organizations: Sequence[Organization], scope: Q, year: int, on: date | None) -> list[dict[str, Any]]:
    on = on or year_end(year)
    commendations = _counts(Commendation, scope, year, "level")
    innovations = _counts(Innovation, scope, year, "level")
    criticisms = _counts(CriticismNotice, scope, year, "issuer")
    discipline = _counts(DisciplinaryAction, scope, year, "is_leadership", "severity")
    violations = _counts(MemberViolation, scope, year)
    absences = _counts(Absence, scope, year, is_excused=False)

    leader_light: dict[int, int] = defaultdict(int)
    leader_heavy: dict[int, int] = defaultdict(int)
    ordinary: dict[int, int] = defaultdict(int)
    for (organization_id, is_leadership, severity), count in discipline.items():
        if not is_leadership:
            ordinary[organization_id] += count
        elif severity in LIGHT_SEVERITIES:
            leader_light[organization_id] += count
        else:
            leader_heavy[organization_id] += count

    facts = []
    for organization in organizations:
        key = organization.pk
        facts.append(
            {
                "id": organization.code,
                "name": organization.name,
                "category": organization.category,
                "commendations": _levels(commendations, key),
                "innovations": _levels(innovations, key),
                "criticisms": {
                    "working_committee": criticisms.get((key, CriticismIssuer.WORKING_COMMITTEE), 0),
                    "municipal_committee": criticisms.get((key, CriticismIssuer.MUNICIPAL_COMMITTEE), 0),
                },
                "leader_discipline": {"light": leader_light[key], "heavy": leader_heavy[key]},
                "member_violations": violations.get((key,), 0) + ordinary[key],
                "absences": absences.get((key,), 0),
                "election": _election_facts(organization, on),
            }
        )
    return facts


def _levels(counts: dict[tuple[Any, ...], int], organization_id: int) -> list[str]:
    """One level per record, lowest first: ``["city", "city", "province"]``."""
    return [str(level) for level in HONOUR_ORDER for _ in range(counts.get((organization_id, level), 0))]


def _election_facts(organization: Organization, on: date) -> dict[str, Any]:
    try:
        election = organization.election
    except ObjectDoesNotExist:
        election = None
    if election is None:
        return {"overdue": False, "excused": False, "overdue_days": 0}
    days = election.overdue_days(on)
    return {
        "overdue": days > 0,
        "excused": bool(election.postponement_requested and election.postponement_approved),
        "overdue_days": days,
    }


# --- the facts as a user reads them -------------------------------------------------


@dataclass(frozen=True)
class FactLine:
    """One engine fact as a page shows it: a Chinese label, a readable value, where its records are."""

    #: The engine's field (``criticisms`` for both of its counts), as ``xingji rate`` names it.
    field: str
    label: str
    value: str
    #: How many records stand behind the line (0: nothing to list).
    count: int = 0
    #: The records behind the line, each as its model and the list's filters; none for the election.
    sources: tuple[tuple[type[EvidenceRecord], dict[str, str]], ...] = ()


def _honours(levels: list[str]) -> str:
    counts = Counter(levels)
    parts = [f"{HonourLevel(level).label} {counts[level]} 项" for level in HONOUR_ORDER if counts[level]]
    return "、".join(parts) or "无"


def _election(election: Mapping[str, Any]) -> str:
    if not election["overdue"]:
        return "按期"
    text = f"逾期 {election['overdue_days']} 天"
    return f"{text}（已请示并获批延期）" if election["excused"] else text


#: The list's filter of the records that count among those that may be claims.
CONFIRMED_ONLY = {"status": RecordStatus.CONFIRMED.value}


def fact_lines(facts: Mapping[str, Any]) -> list[FactLine]:
    """``engine_facts`` in Chinese, one line per fact (the organization's id, name and category left out).

    The one list of the facts' Chinese labels: the facts page and the superior
    evaluation both show these lines.
    """
    criticisms, discipline, election = facts["criticisms"], facts["leader_discipline"], facts["election"]
    issuers = {issuer.value: issuer.label for issuer in CriticismIssuer}
    return [
        FactLine(
            "commendations",
            "表彰及署名文章",
            _honours(facts["commendations"]),
            len(facts["commendations"]),
            ((Commendation, CONFIRMED_ONLY),),
        ),
        FactLine(
            "innovations",
            "党建创新",
            _honours(facts["innovations"]),
            len(facts["innovations"]),
            ((Innovation, CONFIRMED_ONLY),),
        ),
        FactLine(
            "criticisms",
            "通报批评",
            "、".join(f"{issuers[issuer]} {criticisms[issuer]} 次" for issuer in issuers),
            sum(criticisms.values()),
            ((CriticismNotice, {}),),
        ),
        FactLine(
            "leader_discipline",
            "班子成员受处分",
            f"严重警告以下 {discipline['light']} 人次、撤销党内职务以上 {discipline['heavy']} 人次",
            discipline["light"] + discipline["heavy"],
            ((DisciplinaryAction, {"is_leadership": "1"}),),
        ),
        FactLine(
            "member_violations",
            "一般党员违法违纪",
            f"{facts['member_violations']} 人次",
            facts["member_violations"],
            ((MemberViolation, {}), (DisciplinaryAction, {"is_leadership": "0"})),
        ),
        FactLine(
            "absences",
            "无故缺席或未按时完成任务",
            f"{facts['absences']} 次",
            facts["absences"],
            ((Absence, {"is_excused": "0"}),),
        ),
        FactLine("election", "换届", _election(election)),
    ]


# --- what an evaluation reads, and what changed since the self-evaluation ---------------------------------


@dataclass(frozen=True)
class CountedRecord:
    """One record of an organization's year as an evaluation page lists it."""

    model: type[EvidenceRecord]
    record_id: int
    #: What it says (the record's text; a deleted one's as its audit entry kept it).
    text: str
    day: date | None
    #: Created, changed, confirmed or deleted after the self-evaluation was submitted (自评提交后有变动).
    changed: bool
    #: The record as it is now; None once deleted.
    record: EvidenceRecord | None = None

    @property
    def kind_label(self) -> str:
        return str(self.model._meta.verbose_name)


@dataclass(frozen=True)
class EvaluationEvidence:
    """The records behind an organization's facts for a year, as the evaluation pages show them."""

    #: When the self-evaluation was submitted (None: not yet; nothing is marked then).
    since: datetime | None
    #: The records the rating reads now, each marked when it changed since.
    counted: list[CountedRecord]
    #: The records the rating read when the self-evaluation was submitted and reads no more (deleted,
    #: moved, excused, dated another year).
    dropped: list[CountedRecord]
    #: The organization's claims of the year waiting for its superior (待确认), which do not count yet.
    claims: list[CountedRecord]

    @property
    def changed_count(self) -> int:
        return sum(1 for item in self.counted if item.changed) + len(self.dropped)


def _counted_now(record: EvidenceRecord, organization_id: int, year: int) -> bool:
    return record.organization_id == organization_id and record.date.year == year and record.counts


def _counted_then(model: type[EvidenceRecord], values: Mapping[str, Any], organization_id: int, year: int) -> bool:
    """Whether a record with these (audit-shaped) values counted: the rules of ``EvidenceRecord.counts``."""
    if values.get("organization_id") != organization_id or not str(values.get("date") or "").startswith(f"{year}-"):
        return False
    if values.get("status", RecordStatus.CONFIRMED) != RecordStatus.CONFIRMED:
        return False
    return not (model is Absence and values.get("is_excused"))


def _dropped(
    model: type[EvidenceRecord], organization: Organization, year: int, since: datetime, changed_ids: set[int]
) -> list[CountedRecord]:
    """The records of ``model`` that counted at ``since`` and count no more, rebuilt from the audit log.

    The candidates are the records of the organization changed since, and those whose audit entries since
    say they left it (moved or deleted). Each one's values at ``since`` are its values now (or as deleted),
    with the ``before`` of every later entry laid over them, latest first.
    """
    object_type = model._meta.label_lower
    later = AuditEntry.objects.filter(object_type=object_type, created_at__gt=since)
    left = later.filter(before__organization_id=organization.pk).values_list("object_id", flat=True)
    candidates = {int(pk) for pk in left if str(pk).isdigit()} | changed_ids
    if not candidates:
        return []
    entries = list(
        later.filter(object_id__in=[str(pk) for pk in candidates])
        .order_by("-sequence")
        .only("object_id", "action", "object_repr", "before")
    )
    current = {record.pk: record for record in model._default_manager.filter(pk__in=candidates)}
    dropped = []
    for pk in sorted(candidates):
        mine = [entry for entry in entries if entry.object_id == str(pk)]
        record = current.get(pk)
        deleted = next((entry for entry in mine if entry.action.endswith(".deleted")), None)
        if record is not None:
            values: dict[str, Any] = _values_now(record)
        elif deleted is not None and isinstance(deleted.before, dict):
            values = dict(deleted.before)
        else:
            continue
        existed = True
        for entry in mine:
            if entry.action.endswith(".created"):
                existed = False
                break
            if isinstance(entry.before, dict):
                values.update(entry.before)
        if not existed or not _counted_then(model, values, organization.pk, year):
            continue
        if record is not None and _counted_now(record, organization.pk, year):
            continue
        text = str(record) if record is not None else (deleted.object_repr if deleted else "")
        day = _iso_date(values.get("date"))
        dropped.append(CountedRecord(model, pk, text, day, True, record))
    return dropped


def _values_now(record: EvidenceRecord) -> dict[str, Any]:
    """What decides whether a record counts, as its audit entries spell it (attribute names, ISO dates)."""
    return {
        "organization_id": record.organization_id,
        "date": record.date.isoformat(),
        "status": record.status,
        "is_excused": getattr(record, "is_excused", False),
    }


def _iso_date(value: object) -> date | None:
    try:
        return date.fromisoformat(str(value))
    except ValueError:
        return None


def evaluation_evidence(organization: Organization, year: int, *, since: datetime | None) -> EvaluationEvidence:
    """The records the rating reads for ``organization``'s ``year`` (its own, not its branches'), marked when
    changed since ``since`` (the self-evaluation's submission), with those it read then and reads no more,
    and its claims waiting for confirmation.

    A fixed number of queries per kind of record (three, plus two for the dropped ones when ``since`` is given).
    """
    counted: list[CountedRecord] = []
    dropped: list[CountedRecord] = []
    claims: list[CountedRecord] = []
    for model in RECORD_MODELS:
        of_year = model._default_manager.filter(organization=organization, date__year=year).order_by("date", "id")
        for record in of_year.filter(status=RecordStatus.CONFIRMED):
            if record.counts:
                changed = since is not None and record.updated_at is not None and record.updated_at > since
                counted.append(CountedRecord(model, record.pk, str(record), record.date, changed, record))
        if model.adds_points:
            for record in of_year.filter(status=RecordStatus.CLAIMED):
                changed = since is not None and record.updated_at is not None and record.updated_at > since
                claims.append(CountedRecord(model, record.pk, str(record), record.date, changed, record))
        if since is not None:
            changed_ids = set(
                model._default_manager.filter(organization=organization, updated_at__gt=since).values_list(
                    "pk", flat=True
                )
            )
            dropped.extend(_dropped(model, organization, year, since, changed_ids))
    return EvaluationEvidence(since=since, counted=counted, dropped=dropped, claims=claims)
