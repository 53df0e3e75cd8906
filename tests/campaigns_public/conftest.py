"""Fixtures of the public notice tests: the campaign fixtures, a published notice, an empty cache."""

from __future__ import annotations

import pytest
from django.core.cache import cache

from tests.campaigns.conftest import campaign, clock, immediate_runner  # noqa: F401 (fixtures)
from tests.campaigns.steps import noticed_campaign
from xingji.campaigns.models import Notice


@pytest.fixture(autouse=True)
def empty_cache():
    """The per-client throttle counts in the cache: each test starts with none."""
    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def notice(campaign, office_user, clock, django_capture_on_commit_callbacks) -> Notice:  # noqa: F811
    """The campaign rated and its notice published today (by the clock), five organizations on it."""
    return noticed_campaign(campaign, office_user, django_capture_on_commit_callbacks)
