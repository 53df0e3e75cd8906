"""User services: created and changed through services, each change audited once."""

from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError

from tests.factories import UserFactory
from xingji.accounts.models import Role, User
from xingji.accounts.services import user_change_role, user_create, user_update
from xingji.audit.models import AuditEntry


def only_entry() -> AuditEntry:
    entries = list(AuditEntry.objects.all())
    assert len(entries) == 1
    return entries[0]


def test_it_creates_a_user_and_audits_it_without_the_password(tree, office_user):
    user = user_create(
        username="wangfang",
        password="Xingji-2026",
        name="王芳",
        organization=tree.finance_1,
        role=Role.BRANCH_SECRETARY,
        actor=office_user,
    )

    entry = only_entry()
    assert user.check_password("Xingji-2026")
    assert (entry.action, entry.object_type, entry.object_id) == ("user.created", "accounts.user", str(user.pk))
    assert entry.after == {
        "username": "wangfang",
        "name": "王芳",
        "email": "",
        "organization_id": tree.finance_1.pk,
        "role": "branch_secretary",
        "is_active": True,
        "is_staff": False,
        "is_superuser": False,
    }
    assert "password" not in str(entry.after)


def test_it_refuses_a_weak_password_and_creates_nothing(tree, office_user):
    with pytest.raises(ValidationError):
        user_create(
            username="weak",
            password="abcdefgh",
            organization=tree.finance_1,
            role=Role.BRANCH_SECRETARY,
            actor=office_user,
        )

    assert not User.objects.filter(username="weak").exists()
    assert AuditEntry.objects.count() == 0


def test_it_refuses_a_user_without_a_node_or_a_role(tree, office_user):
    with pytest.raises(ValidationError, match="每个用户都应属于一个组织"):
        user_create(username="nowhere", password=None, organization=None, role=Role.REVIEWER, actor=office_user)
    with pytest.raises(ValidationError):
        user_create(username="nobody", password=None, organization=tree.finance, role="", actor=office_user)

    assert AuditEntry.objects.count() == 0


def test_it_audits_a_change_of_role_and_node(tree, office_user):
    user = UserFactory(organization=tree.finance_1, role=Role.BRANCH_SECRETARY)

    changed = user_change_role(user=user, role=Role.REVIEWER, organization=tree.finance, actor=office_user)

    entry = only_entry()
    assert (changed.role, changed.organization) == (Role.REVIEWER, tree.finance)
    assert entry.action == "user.role_changed"
    assert entry.before == {"role": "branch_secretary", "organization_id": tree.finance_1.pk}
    assert entry.after == {"role": "reviewer", "organization_id": tree.finance.pk}


def test_it_lets_a_superuser_lose_its_node_but_nobody_else(tree, superuser):
    user = UserFactory(organization=tree.finance, role=Role.REVIEWER)

    with pytest.raises(ValidationError):
        user_change_role(user=user, role=Role.REVIEWER, organization=None, actor=superuser)
    promoted = user_change_role(user=user, role="", organization=None, is_superuser=True, actor=superuser)

    assert promoted.is_superuser is True
    assert only_entry().after == {"role": "", "organization_id": None, "is_superuser": True}


def test_it_audits_deactivating_a_user(tree, office_user):
    user = UserFactory(organization=tree.finance_1, role=Role.BRANCH_SECRETARY)

    user_update(user=user, is_active=False, actor=office_user)

    entry = only_entry()
    assert User.objects.get(pk=user.pk).is_active is False
    assert (entry.action, entry.before, entry.after) == ("user.updated", {"is_active": True}, {"is_active": False})
