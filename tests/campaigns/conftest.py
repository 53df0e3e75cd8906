"""Fixtures of the campaign tests: more users on the shared tree, a clock, an opened campaign.

The tree is ``tests.conftest``'s::

    市直工委 [ROOT]  ── office_user, office_user_2 (committee office)
    ├── 财政局机关党委 [FIN]  ── reviewer (also FIN's own self-evaluation), inspector
    │   ├── 财政局第一支部 [FIN-1]  ── secretary
    │   └── 财政局第二支部 [FIN-2]  ── secretary_2
    └── 教育局机关党总支 [EDU]  ── edu_reviewer
        └── 教育局第一支部 [EDU-1]  ── edu_secretary

FIN and EDU are directly under the committee: the office is their superior.
"""

from __future__ import annotations

from datetime import date

import pytest

from tests.campaigns.steps import YEAR, Clock
from tests.factories import UserFactory
from xingji.accounts.models import Role, User
from xingji.campaigns import services
from xingji.campaigns.models import Campaign
from xingji.campaigns.services import base as services_base


@pytest.fixture
def clock(monkeypatch) -> Clock:
    clock = Clock(date(2026, 6, 1))
    monkeypatch.setattr(services_base, "_today", lambda: clock.today)
    return clock


@pytest.fixture(autouse=True)
def immediate_runner(settings):
    """Rating runs run in the caller (after commit), not by a worker, unless a test says otherwise."""
    settings.TASKS = {"default": {"BACKEND": "django_tasks.backends.immediate.ImmediateBackend"}}


@pytest.fixture
def office_user_2(tree) -> User:
    return UserFactory(username="office2", organization=tree.root, role=Role.COMMITTEE_OFFICE)


@pytest.fixture
def secretary_2(tree) -> User:
    return UserFactory(username="secretary2", organization=tree.finance_2, role=Role.BRANCH_SECRETARY)


@pytest.fixture
def edu_reviewer(tree) -> User:
    return UserFactory(username="edu_reviewer", organization=tree.education, role=Role.REVIEWER)


@pytest.fixture
def edu_secretary(tree) -> User:
    return UserFactory(username="edu_secretary", organization=tree.education_1, role=Role.BRANCH_SECRETARY)


@pytest.fixture
def campaign(tree, office_user) -> Campaign:
    """A mid-year campaign over the whole tree, opened: five evaluations in 自评填写中."""
    created = services.campaign_create(root=tree.root, year=YEAR, kind="mid_year", actor=office_user)
    return services.campaign_open(campaign=created, actor=office_user)
