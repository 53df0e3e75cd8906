"""The accounts services check their actor themselves: a refusal changes nothing and writes no audit entry.

Accounts are managed by the committee office within its subtree: an office attached to a sibling node (the
教育局 党总支) answers 404 for the 财政局 side, as for a missing account; any other role gets 403.
"""

from __future__ import annotations

import pytest
from django.core.exceptions import PermissionDenied
from django.http import Http404
from django_otp.plugins.otp_totp.models import TOTPDevice

from tests.factories import UserFactory
from xingji.accounts.models import Role, User
from xingji.accounts.services import (
    totp_device_confirm,
    totp_device_start,
    user_change_role,
    user_create,
    user_update,
)
from xingji.audit.models import AuditEntry
from xingji.common.errors import ActionForbidden


def state() -> tuple[list[tuple[object, ...]], ...]:
    """Everything the accounts services could have written."""
    return (
        list(
            User.objects.order_by("pk").values_list(
                "pk", "name", "organization_id", "role", "is_active", "is_staff", "is_superuser"
            )
        ),
        list(TOTPDevice.objects.order_by("pk").values_list("pk", "user_id", "confirmed")),
        list(AuditEntry.objects.values_list("pk", flat=True)),
    )


@pytest.fixture
def sibling_office(tree) -> User:
    return UserFactory(username="edu-office", organization=tree.education, role=Role.COMMITTEE_OFFICE)


@pytest.fixture
def account(tree) -> User:
    return UserFactory(username="fin-1", organization=tree.finance_1, role=Role.BRANCH_SECRETARY, is_staff=False)


def create_user(tree, actor):
    return user_create(
        username="new", password=None, organization=tree.finance_1, role=Role.BRANCH_SECRETARY, actor=actor
    )


def update_user(tree, actor):
    return user_update(user=User.objects.get(username="fin-1"), name="新名字", actor=actor)


def change_role(tree, actor):
    account = User.objects.get(username="fin-1")
    return user_change_role(user=account, role=Role.REVIEWER, organization=tree.finance, actor=actor)


WRITES = [create_user, update_user, change_role]


@pytest.mark.parametrize("write", WRITES, ids=lambda write: write.__name__)
def test_it_answers_an_office_of_a_sibling_subtree_as_for_a_missing_account(tree, account, sibling_office, write):
    # given an account of the 财政局 side and the state before
    before = state()

    # when the office attached to the 教育局 党总支 tries the change
    with pytest.raises(Http404):
        write(tree, sibling_office)

    # then nothing was written, nor audited
    assert state() == before


@pytest.mark.parametrize("write", WRITES, ids=lambda write: write.__name__)
@pytest.mark.parametrize("role", [Role.INSPECTOR, Role.REVIEWER])
def test_only_the_committee_office_manages_accounts(tree, account, write, role):
    # given a user of another role whose node holds the account
    actor = UserFactory(username="other", organization=tree.finance, role=role)
    before = state()

    # when that user tries the change, then it is refused
    with pytest.raises(ActionForbidden, match="只有市直工委组织部可以管理用户"):
        write(tree, actor)

    # and nothing was written, nor audited
    assert state() == before


def test_an_account_is_not_moved_out_of_the_offices_subtree(tree, sibling_office):
    # given an account under the 教育局 党总支
    account = UserFactory(username="edu-1", organization=tree.education_1, role=Role.BRANCH_SECRETARY)
    before = state()

    # when the 教育局 office moves it to a 财政局 branch
    with pytest.raises(Http404):
        user_change_role(user=account, role=Role.BRANCH_SECRETARY, organization=tree.finance_1, actor=sibling_office)

    # then it stays where it was
    assert state() == before


def test_only_a_superuser_grants_admin_access(tree, account, office_user, superuser):
    before = state()

    with pytest.raises(ActionForbidden, match="只有超级用户可以授予"):
        user_change_role(
            user=account, role=account.role, organization=account.organization, is_staff=True, actor=office_user
        )
    with pytest.raises(ActionForbidden, match="只有超级用户可以授予"):
        user_create(
            username="staff",
            password=None,
            organization=tree.finance_1,
            role=Role.BRANCH_SECRETARY,
            is_staff=True,
            actor=office_user,
        )

    assert state() == before
    granted = user_change_role(
        user=account, role=account.role, organization=account.organization, is_staff=True, actor=superuser
    )
    assert granted.is_staff is True


def test_a_second_factor_is_enrolled_by_its_own_account_only(tree, account, office_user):
    # given a pending device of the account
    device = totp_device_start(user=account, actor=account)
    before = state()

    # when the office starts or confirms a device for the account, then both are refused
    with pytest.raises(PermissionDenied, match="只能为自己的账户绑定验证器"):
        totp_device_start(user=account, actor=office_user)
    with pytest.raises(PermissionDenied, match="只能为自己的账户绑定验证器"):
        totp_device_confirm(device=device, actor=office_user)

    # and nothing was written, nor audited
    assert state() == before
