"""The campaign's models, its stored scheme, the live preview and the transition tables."""

from __future__ import annotations

import re
import shutil
from datetime import date
from decimal import Decimal

import pytest
from django.apps import apps
from django.utils import translation

from tests.campaigns.steps import evaluation_of, record_survey, self_evaluate, uniform
from tests.records.factories import CommendationFactory
from xingji.campaigns import selectors, services
from xingji.campaigns.models import CampaignState, EvaluationState
from xingji.campaigns.workflow import CAMPAIGN_TRANSITIONS, EVALUATION_TRANSITIONS
from xingji.common.errors import TransitionRefused
from xingji.rules import scheme as scheme_module

CHINESE = re.compile(r"[\u4e00-\u9fff]")
MODELS = list(apps.get_app_config("campaigns").get_models())


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


def test_it_names_only_real_states_in_its_transition_tables():
    for transition in EVALUATION_TRANSITIONS.values():
        assert transition.sources and transition.sources | transition.targets <= set(EvaluationState.values)
    for transition in CAMPAIGN_TRANSITIONS.values():
        assert transition.sources and transition.sources | transition.targets <= set(CampaignState.values)


def test_it_keeps_the_scheme_text_it_opened_with(tree, office_user, tmp_path, monkeypatch):
    # given the shipped schemes copied to a folder where they can be edited
    folder = tmp_path / "schemes"
    shutil.copytree(scheme_module.SCHEMES_DIR, folder)
    monkeypatch.setattr(scheme_module, "SCHEMES_DIR", folder)
    campaign = services.campaign_create(root=tree.root, year=2025, kind="year_end", actor=office_user)
    assert (campaign.deadline, campaign.founded_cutoff) == (date(2025, 12, 31), date(2024, 12, 31))

    # when the scheme file is edited afterwards
    path = folder / "anyang-2017.toml"
    path.write_text(path.read_text(encoding="utf-8").replace("notice_days = 7", "notice_days = 3"), encoding="utf-8")

    # then the campaign still rates with the text it stored
    campaign.refresh_from_db()
    assert (campaign.scheme.notice_days, campaign.notice_days, campaign.scheme_origin) == (7, 7, "内置：anyang-2017")


def test_it_takes_an_uploaded_scheme_with_its_notice_length(tree, office_user):
    text = (scheme_module.SCHEMES_DIR / "anyang-2017.toml").read_text(encoding="utf-8")
    uploaded = text.replace('id = "anyang-2017"', 'id = "local-2026"').replace("notice_days = 7", "notice_days = 5")

    campaign = services.campaign_create(
        root=tree.root,
        year=2026,
        kind="mid_year",
        scheme_text=uploaded,
        scheme_filename="本地方案.toml",
        quota_mode="enforce",
        actor=office_user,
    )

    assert (campaign.scheme_code, campaign.notice_days, campaign.scheme_origin, campaign.quota_mode) == (
        "local-2026",
        5,
        "上传：本地方案.toml",
        "enforce",
    )
    assert campaign.scheme_text == uploaded


def test_it_previews_the_engine_result_without_saving(tree, campaign, secretary):
    # given FIN-1 self-evaluated and surveyed, with a provincial commendation this year
    CommendationFactory(organization=tree.finance_1, date=date(2025, 2, 1), level="province")
    evaluation = evaluation_of(campaign, tree.finance_1)
    self_evaluate(evaluation, secretary, score=9)
    record_survey(evaluation, secretary, satisfaction="0.55")
    evaluation.refresh_from_db()
    version = evaluation.version

    # when the reviewer's form asks for a preview of 8.8 on every criterion
    preview = selectors.evaluation_preview(evaluation=evaluation, scores=uniform("8.8"))

    # then it shows the engine's score, level, reasons and the composite hint, and nothing is saved
    assert (preview.final_score, preview.level, preview.level_name) == (Decimal("88.00"), 4, "四星级")
    assert [reason["rule"] for reason in preview.reasons] == ["commendation", "low_satisfaction"]
    assert preview.composite_hint == Decimal("78.50")  # 0.2·90 + 0.3·55 + 0.5·88
    assert preview.facts["satisfaction"] == "0.5500"
    evaluation.refresh_from_db()
    assert (evaluation.version, evaluation.level, evaluation.state) == (version, None, EvaluationState.SELF_SUBMITTED)


def test_it_refuses_a_preview_of_incomplete_scores(tree, campaign):
    evaluation = evaluation_of(campaign, tree.finance_1)

    with pytest.raises(TransitionRefused) as refusal:
        selectors.evaluation_preview(evaluation=evaluation, scores={"1": 9})

    assert len(refusal.value.messages) == 9
