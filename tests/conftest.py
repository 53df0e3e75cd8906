"""Shared fixtures: a small organization tree and one user per role.

The tree (codes in brackets)::

    市直工委 [ROOT]                     party committee, root
    ├── 财政局机关党委 [FIN]            party committee
    │   ├── 财政局第一支部 [FIN-1]       branch
    │   └── 财政局第二支部 [FIN-2]       branch
    └── 教育局机关党总支 [EDU]          general branch
        └── 教育局第一支部 [EDU-1]       branch
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.factories import OrganizationFactory, SuperuserFactory, UserFactory
from xingji.accounts.models import Role, User
from xingji.orgs.models import Organization, OrganizationType


@dataclass
class Tree:
    root: Organization
    finance: Organization
    finance_1: Organization
    finance_2: Organization
    education: Organization
    education_1: Organization

    def refreshed(self) -> Tree:
        for node in vars(self).values():
            node.refresh_from_db()
        return self


@pytest.fixture
def tree(db) -> Tree:
    root = OrganizationFactory(name="市直工委", code="ROOT", org_type=OrganizationType.PARTY_COMMITTEE)
    finance = OrganizationFactory(
        name="财政局机关党委", code="FIN", org_type=OrganizationType.PARTY_COMMITTEE, parent=root
    )
    finance_1 = OrganizationFactory(name="财政局第一支部", code="FIN-1", parent=finance)
    finance_2 = OrganizationFactory(name="财政局第二支部", code="FIN-2", parent=finance)
    education = OrganizationFactory(
        name="教育局机关党总支", code="EDU", org_type=OrganizationType.GENERAL_BRANCH, parent=root
    )
    education_1 = OrganizationFactory(name="教育局第一支部", code="EDU-1", parent=education)
    return Tree(root, finance, finance_1, finance_2, education, education_1).refreshed()


@pytest.fixture
def office_user(tree) -> User:
    return UserFactory(username="office", organization=tree.root, role=Role.COMMITTEE_OFFICE)


@pytest.fixture
def reviewer(tree) -> User:
    return UserFactory(username="reviewer", organization=tree.finance, role=Role.REVIEWER)


@pytest.fixture
def secretary(tree) -> User:
    return UserFactory(username="secretary", organization=tree.finance_1, role=Role.BRANCH_SECRETARY)


@pytest.fixture
def inspector(tree) -> User:
    return UserFactory(username="inspector", organization=tree.finance, role=Role.INSPECTOR)


@pytest.fixture
def superuser(db) -> User:
    return SuperuserFactory(username="admin")


@pytest.fixture
def attachments_root(settings, tmp_path) -> Path:
    """Uploaded files go to a scratch folder, never the user's data directory (packages and modules that
    upload make it autouse)."""
    root = tmp_path / "attachments"
    settings.STORAGES = {
        **settings.STORAGES,
        "default": {
            "BACKEND": "django.core.files.storage.FileSystemStorage",
            "OPTIONS": {"location": root, "base_url": None},
        },
    }
    return root
