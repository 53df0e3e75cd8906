"""Every model and field of the platform's apps is named in Chinese for its users."""

from __future__ import annotations

import re

import pytest
from django.apps import apps
from django.utils import translation

CHINESE = re.compile(r"[\u4e00-\u9fff]")
APPS = ["orgs", "accounts", "audit", "records"]
MODELS = [model for label in APPS for model in apps.get_app_config(label).get_models()]


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
