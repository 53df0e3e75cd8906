"""The engine's input from a year's records, and the scoped lists."""

from __future__ import annotations

from datetime import date

import pytest

from tests.factories import ElectionFactory, OrganizationFactory
from tests.records.factories import (
    AbsenceFactory,
    CommendationFactory,
    CriticismNoticeFactory,
    DisciplinaryActionFactory,
    InnovationFactory,
    MemberViolationFactory,
)
from xingji.orgs.models import Organization, OrganizationCategory
from xingji.records.models import (
    Commendation,
    CriticismIssuer,
    DisciplinaryAction,
    HonourLevel,
    MemberViolation,
    Severity,
)
from xingji.records.selectors import engine_facts, engine_facts_for, fact_lines, record_list

EMPTY = {
    "commendations": [],
    "innovations": [],
    "criticisms": {"working_committee": 0, "municipal_committee": 0},
    "leader_discipline": {"light": 0, "heavy": 0},
    "member_violations": 0,
    "absences": 0,
    "election": {"overdue": False, "excused": False, "overdue_days": 0},
}


def test_it_gives_an_organization_without_records_zero_facts(tree):
    facts = engine_facts(tree.finance_1, 2025)

    assert facts == {"id": "FIN-1", "name": "财政局第一支部", "category": "机关", **EMPTY}


def test_it_maps_every_kind_of_record_to_its_fact(tree):
    branch = tree.finance_1
    CommendationFactory(organization=branch, level=HonourLevel.PROVINCE)
    CommendationFactory(organization=branch, level=HonourLevel.CITY, kind="signed_article", recipient="secretary")
    InnovationFactory(organization=branch, level=HonourLevel.NATIONAL)
    CriticismNoticeFactory(organization=branch, issuer=CriticismIssuer.WORKING_COMMITTEE)
    CriticismNoticeFactory(organization=branch, issuer=CriticismIssuer.WORKING_COMMITTEE)
    CriticismNoticeFactory(organization=branch, issuer=CriticismIssuer.MUNICIPAL_COMMITTEE)
    DisciplinaryActionFactory(organization=branch, is_leadership=True, severity=Severity.WARNING)
    DisciplinaryActionFactory(organization=branch, is_leadership=True, severity=Severity.SERIOUS_WARNING)
    DisciplinaryActionFactory(organization=branch, is_leadership=True, severity=Severity.REMOVAL_FROM_POST)
    DisciplinaryActionFactory(organization=branch, is_leadership=True, severity=Severity.EXPULSION)
    DisciplinaryActionFactory(organization=branch, is_leadership=True, severity=Severity.PROBATION)
    DisciplinaryActionFactory(organization=branch, is_leadership=False, severity=Severity.EXPULSION)
    MemberViolationFactory(organization=branch)
    MemberViolationFactory(organization=branch)
    AbsenceFactory(organization=branch)
    AbsenceFactory(organization=branch, kind="task")
    AbsenceFactory(organization=branch, is_excused=True, excuse_reason="参加市委巡察，已请假")

    facts = engine_facts(branch, 2025)

    assert facts == {
        "id": "FIN-1",
        "name": "财政局第一支部",
        "category": "机关",
        "commendations": ["city", "province"],
        "innovations": ["national"],
        "criticisms": {"working_committee": 2, "municipal_committee": 1},
        "leader_discipline": {"light": 2, "heavy": 3},
        "member_violations": 3,
        "absences": 2,
        "election": {"overdue": False, "excused": False, "overdue_days": 0},
    }


def test_it_counts_only_the_records_of_the_year(tree):
    CommendationFactory(organization=tree.finance_1, date=date(2024, 12, 31), level=HonourLevel.NATIONAL)
    CommendationFactory(organization=tree.finance_1, date=date(2025, 1, 1), level=HonourLevel.CITY)
    AbsenceFactory(organization=tree.finance_1, date=date(2026, 1, 1))

    facts = engine_facts(tree.finance_1, 2025)

    assert (facts["commendations"], facts["absences"]) == (["city"], 0)


def test_it_counts_the_records_of_the_organization_itself_not_its_subtree(tree):
    AbsenceFactory(organization=tree.finance_1)

    assert engine_facts(tree.finance, 2025)["absences"] == 0
    assert engine_facts(tree.finance_1, 2025)["absences"] == 1


@pytest.mark.parametrize(
    ("requested", "approved", "on", "expected"),
    [
        # Elected 2022-06-01 for three years: due 2025-06-01, 213 days overdue on 2025-12-31.
        (False, False, None, {"overdue": True, "excused": False, "overdue_days": 213}),
        (True, False, None, {"overdue": True, "excused": False, "overdue_days": 213}),
        (True, True, None, {"overdue": True, "excused": True, "overdue_days": 213}),
        (False, False, date(2025, 6, 1), {"overdue": False, "excused": False, "overdue_days": 0}),
        (False, False, date(2025, 6, 2), {"overdue": True, "excused": False, "overdue_days": 1}),
    ],
)
def test_it_reads_the_election_on_the_last_day_of_the_year_or_the_given_day(tree, requested, approved, on, expected):
    ElectionFactory(
        organization=tree.finance_1,
        last_election=date(2022, 6, 1),
        term_years=3,
        postponement_requested=requested,
        postponement_approved=approved,
    )
    organization = Organization.objects.get(pk=tree.finance_1.pk)

    assert engine_facts(organization, 2025, on=on)["election"] == expected


def test_it_finds_an_election_overdue_by_more_than_a_year(tree):
    ElectionFactory(organization=tree.finance_1, last_election=date(2019, 3, 1), term_years=5)

    election = engine_facts(Organization.objects.get(pk=tree.finance_1.pk), 2025)["election"]

    assert election == {"overdue": True, "excused": False, "overdue_days": 670}


def build_population(count: int, parent: Organization) -> list[Organization]:
    organizations = []
    for index in range(count):
        organization = OrganizationFactory(
            parent=parent, code=f"B-{index:03d}", name=f"支部{index}", category=OrganizationCategory.SCHOOL
        )
        ElectionFactory(organization=organization, last_election=date(2021, 1, 1), term_years=3)
        CommendationFactory(organization=organization, level=HonourLevel.CITY)
        InnovationFactory(organization=organization)
        CriticismNoticeFactory(organization=organization)
        DisciplinaryActionFactory(organization=organization, is_leadership=True)
        MemberViolationFactory(organization=organization)
        AbsenceFactory(organization=organization)
        organizations.append(organization)
    return organizations


@pytest.mark.parametrize("count", [3, 30])
def test_it_reads_a_population_in_seven_queries_whatever_its_size(tree, django_assert_num_queries, count):
    parent = tree.education
    build_population(count, parent)
    organizations = Organization.objects.filter(path__startswith=parent.path, depth=parent.depth + 1).order_by("path")

    with django_assert_num_queries(7):
        facts = engine_facts_for(organizations, 2025)

    assert [fact["id"] for fact in facts] == ["EDU-1", *(f"B-{index:03d}" for index in range(count))]
    assert facts[1] == {
        "id": "B-000",
        "name": "支部0",
        "category": "学校",
        "commendations": ["city"],
        "innovations": ["city"],
        "criticisms": {"working_committee": 1, "municipal_committee": 0},
        "leader_discipline": {"light": 1, "heavy": 0},
        "member_violations": 1,
        "absences": 1,
        "election": {"overdue": True, "excused": False, "overdue_days": 730},
    }


def test_it_gives_the_same_facts_alone_and_in_bulk(tree):
    build_population(2, tree.education)
    organizations = Organization.objects.filter(code__startswith="B-").order_by("code")

    bulk = engine_facts_for(organizations, 2025)

    assert bulk == [engine_facts(organization, 2025) for organization in organizations]


def test_it_lists_only_the_records_of_the_users_subtree(tree, reviewer):
    CommendationFactory(organization=tree.finance_1, title="甲")
    CommendationFactory(organization=tree.finance_2, title="乙")
    CommendationFactory(organization=tree.education_1, title="丙")

    titles = [record.title for record in record_list(user=reviewer, model=Commendation)]

    assert sorted(titles) == ["乙", "甲"]


def test_it_searches_and_filters_a_list(tree, office_user):
    CommendationFactory(organization=tree.finance_1, title="优秀党支部", level=HonourLevel.CITY)
    CommendationFactory(organization=tree.finance_2, title="优秀党支部", level=HonourLevel.PROVINCE)
    CommendationFactory(
        organization=tree.education_1, title="五好党支部", level=HonourLevel.PROVINCE, date=date(2024, 3, 1)
    )

    def titles(**options):
        records = record_list(user=office_user, model=Commendation, search_fields=("title",), **options)
        return sorted((record.organization.code, record.title) for record in records)

    assert titles(search="优秀") == [("FIN-1", "优秀党支部"), ("FIN-2", "优秀党支部")]
    assert titles(search="EDU") == [("EDU-1", "五好党支部")]
    assert titles(filters={"level": "province"}) == [("EDU-1", "五好党支部"), ("FIN-2", "优秀党支部")]
    assert titles(year=2024) == [("EDU-1", "五好党支部")]
    assert titles(organization=tree.finance) == [("FIN-1", "优秀党支部"), ("FIN-2", "优秀党支部")]


def test_it_reads_a_sliced_queryset(tree):
    build_population(3, tree.education)

    facts = engine_facts_for(Organization.objects.filter(code__startswith="B-").order_by("code")[:2], 2025)

    assert [(fact["id"], fact["absences"]) for fact in facts] == [("B-000", 1), ("B-001", 1)]


def test_it_describes_the_facts_in_chinese_one_line_per_fact():
    facts = {
        "id": "FIN-1",
        "name": "财政局第一支部",
        "category": "机关",
        **EMPTY,
        "commendations": ["city", "city", "province"],
        "criticisms": {"working_committee": 1, "municipal_committee": 2},
        "leader_discipline": {"light": 0, "heavy": 1},
        "member_violations": 3,
        "absences": 1,
        "election": {"overdue": True, "excused": True, "overdue_days": 30},
    }

    lines = fact_lines(facts)

    assert [(line.field, line.label, line.value, line.count) for line in lines] == [
        ("commendations", "表彰及署名文章", "市级 2 项、省级 1 项", 3),
        ("innovations", "党建创新", "无", 0),
        ("criticisms", "通报批评", "市直工委 1 次、市委 2 次", 3),
        ("leader_discipline", "班子成员受处分", "严重警告以下 0 人次、撤销党内职务以上 1 人次", 1),
        ("member_violations", "一般党员违法违纪", "3 人次", 3),
        ("absences", "无故缺席或未按时完成任务", "1 次", 1),
        ("election", "换届", "逾期 30 天（已请示并获批延期）", 0),
    ]
    assert [line.value for line in fact_lines(EMPTY)][-1] == "按期"
    overdue = {**EMPTY, "election": {"overdue": True, "excused": False, "overdue_days": 5}}
    assert fact_lines(overdue)[-1].value == "逾期 5 天"
    assert lines[4].sources == ((MemberViolation, {}), (DisciplinaryAction, {"is_leadership": "0"}))
