"""Records rated through ``engine_facts_for`` give exactly what ``xingji rate`` gives on the same JSON."""

from __future__ import annotations

import json
import subprocess
import sys
from datetime import date

from tests.factories import ElectionFactory, OrganizationFactory
from tests.records.factories import (
    AbsenceFactory,
    CommendationFactory,
    CriticismNoticeFactory,
    DisciplinaryActionFactory,
    InnovationFactory,
    MemberViolationFactory,
)
from xingji.demo.data import SMALL, demo_root, load_demo, record_year
from xingji.orgs.models import Organization
from xingji.records.models import CriticismIssuer, HonourLevel, Severity
from xingji.records.selectors import engine_facts_for
from xingji.rules import Engine, load_scheme, parse_organizations
from xingji.rules.inputs import Record
from xingji.rules.numbers import format_score


def build_records(tree) -> dict[str, float]:
    """Five branches whose records exercise every adjustment and level rule; their base scores."""
    honoured, criticized, disciplined, absent, overdue = (
        OrganizationFactory(parent=tree.education, code=code, name=name)
        for code, name in [
            ("E-HON", "受表彰支部"),
            ("E-CRI", "被通报支部"),
            ("E-DIS", "受处分支部"),
            ("E-ABS", "缺席支部"),
            ("E-ELE", "换届逾期支部"),
        ]
    )
    CommendationFactory(organization=honoured, level=HonourLevel.PROVINCE)
    CommendationFactory(organization=honoured, level=HonourLevel.CITY, kind="signed_article")
    InnovationFactory(organization=honoured, level=HonourLevel.NATIONAL)
    CriticismNoticeFactory(organization=criticized, issuer=CriticismIssuer.WORKING_COMMITTEE)
    CriticismNoticeFactory(organization=criticized, issuer=CriticismIssuer.MUNICIPAL_COMMITTEE)
    DisciplinaryActionFactory(organization=disciplined, is_leadership=True, severity=Severity.SERIOUS_WARNING)
    DisciplinaryActionFactory(organization=disciplined, is_leadership=True, severity=Severity.PROBATION)
    DisciplinaryActionFactory(organization=disciplined, is_leadership=False, severity=Severity.WARNING)
    MemberViolationFactory(organization=disciplined)
    for day in (3, 4, 5):
        AbsenceFactory(organization=absent, date=date(2025, 3, day))
    AbsenceFactory(organization=absent, date=date(2025, 3, 6), is_excused=True, excuse_reason="病假")
    ElectionFactory(organization=overdue, last_election=date(2019, 3, 1), term_years=5)
    ElectionFactory(
        organization=honoured,
        last_election=date(2022, 3, 1),
        term_years=3,
        postponement_requested=True,
        postponement_approved=True,
    )
    return {"E-HON": 84.5, "E-CRI": 91, "E-DIS": 95.25, "E-ABS": 93, "E-ELE": 96, "EDU-1": 88}


def rate_both_ways(facts: list[dict], tmp_path) -> tuple[list[tuple], list[tuple]]:
    """(id, stars, final score, rule codes) per organization: rated in this process, and by ``xingji rate``."""
    scheme = load_scheme("anyang-2017")
    records = [Record(where=f"第{index}个组织", data=fact) for index, fact in enumerate(facts, 1)]
    rating = Engine(scheme).rate(parse_organizations(records, scheme))
    in_process = sorted(
        (result.id, result.stars, format_score(result.final_score), [reason.rule for reason in result.reasons])
        for result in rating.results
    )
    path = tmp_path / "organizations.json"
    path.write_text(json.dumps({"organizations": facts}, ensure_ascii=False), encoding="utf-8")
    completed = subprocess.run(
        [sys.executable, "-m", "xingji", "rate", str(path)], capture_output=True, timeout=120, check=False
    )
    assert completed.returncode == 0, completed.stderr.decode("utf-8")
    by_command = sorted(
        (result["id"], result["stars"], result["final_score"], [reason["rule"] for reason in result["reasons"]])
        for result in json.loads(completed.stdout)["organizations"]
    )
    return in_process, by_command


def test_it_rates_the_records_exactly_as_the_command_does(tree, tmp_path):
    base_scores = build_records(tree)
    organizations = Organization.objects.filter(path__startswith=tree.education.path).exclude(pk=tree.education.pk)
    facts = [{**fact, "base_score": base_scores[fact["id"]]} for fact in engine_facts_for(organizations, 2025)]

    in_process, by_command = rate_both_ways(facts, tmp_path)

    assert in_process == by_command
    assert in_process == [
        ("E-ABS", 3, "84.00", ["absence", "absence_demotion", "absence_cap"]),
        ("E-CRI", 4, "83.00", ["criticism_working_committee", "criticism_municipal_committee"]),
        ("E-DIS", 4, "83.25", ["leader_discipline_light", "leader_discipline_heavy", "member_violation"]),
        ("E-ELE", 3, "96.00", ["election_overdue", "election_overdue_year"]),
        ("E-HON", 5, "97.50", ["commendation", "innovation"]),
        ("EDU-1", 4, "88.00", []),
    ]


def test_it_rates_the_demo_records_exactly_as_the_command_does(db, tmp_path):
    today = date(2026, 6, 30)
    load_demo(size=SMALL, today=today)
    year = record_year(today)
    organizations = Organization.objects.filter(path__startswith=demo_root().path).order_by("path")
    facts = engine_facts_for(organizations, year)
    # Base scores spread over every band, so that every adjustment and level rule can show.
    facts = [{**fact, "base_score": 45 + (index * 37) % 56} for index, fact in enumerate(facts)]

    in_process, by_command = rate_both_ways(facts, tmp_path)

    assert in_process == by_command
    rules = {rule for _, _, _, codes in in_process for rule in codes}
    assert {"commendation", "innovation", "criticism_working_committee", "absence"} <= rules
    assert sum(1 for fact in facts if fact["commendations"] or fact["absences"]) >= 5
