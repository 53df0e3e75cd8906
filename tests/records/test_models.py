"""The records' own rules: Chinese names, dates not in the future, valid choices, complete facts."""

from __future__ import annotations

import re
from datetime import date, timedelta

import pytest
from django.apps import apps
from django.core.exceptions import ValidationError
from django.utils import timezone, translation

from tests.records.factories import (
    AbsenceFactory,
    CommendationFactory,
    DisciplinaryActionFactory,
    InnovationFactory,
    MemberViolationFactory,
)
from xingji.records.models import DisciplineCategory, Severity

CHINESE = re.compile(r"[\u4e00-\u9fff]")
MODELS = list(apps.get_app_config("records").get_models())


@pytest.mark.parametrize("model", MODELS, ids=lambda model: model._meta.label)
def test_it_names_the_model_and_its_fields_in_chinese(model):
    with translation.override("zh-hans"):
        names = {"": str(model._meta.verbose_name), "[plural]": str(model._meta.verbose_name_plural)}
        names.update(
            {
                field.name: str(field.verbose_name)
                for field in model._meta.get_fields()
                if field.concrete and not field.auto_created
            }
        )

    assert {name: text for name, text in names.items() if not CHINESE.search(text)} == {}


def test_it_has_seven_models():
    assert sorted(model.__name__ for model in MODELS) == [
        "Absence",
        "Attachment",
        "Commendation",
        "CriticismNotice",
        "DisciplinaryAction",
        "Innovation",
        "MemberViolation",
    ]


def test_it_refuses_a_date_in_the_future(tree):
    tomorrow = timezone.localdate() + timedelta(days=1)
    record = CommendationFactory.build(organization=tree.finance_1, date=tomorrow)

    with pytest.raises(ValidationError) as refused:
        record.full_clean()

    assert refused.value.message_dict == {"date": ["日期不能晚于今天"]}


def test_it_accepts_today(tree):
    record = CommendationFactory.build(organization=tree.finance_1, date=timezone.localdate())

    record.full_clean()  # raises ValidationError if today were refused
    record.save()
    assert type(record).objects.get(pk=record.pk).date == timezone.localdate()


@pytest.mark.parametrize("factory", [CommendationFactory, InnovationFactory], ids=["commendation", "innovation"])
def test_it_refuses_a_level_not_on_the_list(tree, factory):
    record = factory.build(organization=tree.finance_1, level="county")

    with pytest.raises(ValidationError) as refused:
        record.full_clean()

    assert list(refused.value.message_dict) == ["level"]
    assert "county" in refused.value.message_dict["level"][0]


def test_it_refuses_an_excused_absence_without_a_reason(tree):
    absence = AbsenceFactory.build(organization=tree.finance_1, is_excused=True, excuse_reason="  ")

    with pytest.raises(ValidationError) as refused:
        absence.full_clean()

    assert refused.value.message_dict == {"excuse_reason": ["有正当理由时应填写请假或延期事由"]}


@pytest.mark.parametrize("factory", [DisciplinaryActionFactory, MemberViolationFactory], ids=["action", "violation"])
def test_it_needs_a_name_or_a_member(tree, factory):
    record = factory.build(organization=tree.finance_1, member_name="")

    with pytest.raises(ValidationError) as refused:
        record.full_clean()

    assert refused.value.message_dict == {"member_name": ["请填写姓名或选择党员"]}


@pytest.mark.parametrize(
    ("is_leadership", "severity", "category"),
    [
        (True, Severity.WARNING, DisciplineCategory.LIGHT),
        (True, Severity.SERIOUS_WARNING, DisciplineCategory.LIGHT),
        (True, Severity.REMOVAL_FROM_POST, DisciplineCategory.HEAVY),
        (True, Severity.PROBATION, DisciplineCategory.HEAVY),
        (True, Severity.EXPULSION, DisciplineCategory.HEAVY),
        (False, Severity.WARNING, DisciplineCategory.MEMBER),
        (False, Severity.EXPULSION, DisciplineCategory.MEMBER),
    ],
)
def test_it_classifies_a_disciplinary_action_as_the_rules_count_it(is_leadership, severity, category):
    action = DisciplinaryActionFactory.build(is_leadership=is_leadership, severity=severity)

    assert action.category == category


def test_it_counts_a_record_in_the_year_of_its_date():
    assert CommendationFactory.build(date=date(2024, 12, 31)).year == 2024
