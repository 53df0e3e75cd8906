"""Fixtures of the campaign pages' tests: those of the campaign services' tests (tree, users, clock, campaign)."""

from tests.campaigns.conftest import (  # noqa: F401  (fixtures)
    campaign,
    clock,
    edu_reviewer,
    edu_secretary,
    immediate_runner,
    office_user_2,
    secretary_2,
)
