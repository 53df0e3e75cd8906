"""The login lockout (issue 18 item 2): by account and client address, a higher ceiling per address,
the minutes left in Chinese, and the office lifting an account's lockout from the user list."""

from __future__ import annotations

from datetime import timedelta

import pytest
from axes.models import AccessAttempt
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404
from django.test import Client

from tests.factories import PASSWORD, UserFactory
from xingji.accounts.lockout import account_locks, lockout_of
from xingji.accounts.models import Role
from xingji.accounts.services import user_unlock
from xingji.audit.models import AuditEntry

LOGIN = "/accounts/login/"
USERS = "/accounts/users/"
WRONG = "wrong-Password-1"
OFFICE_NAT = "10.20.30.40"


def log_in(client, username: str, password: str = PASSWORD, address: str = OFFICE_NAT):
    return client.post(LOGIN, {"username": username, "password": password}, REMOTE_ADDR=address)


def fail(client, username: str, times: int, address: str = OFFICE_NAT) -> list[int]:
    return [log_in(client, username, WRONG, address).status_code for _ in range(times)]


def unlock_url(user) -> str:
    return f"{USERS}{user.pk}/unlock/"


@pytest.fixture
def client_for(db):
    """A fresh test client per person (each with its own session)."""
    return Client


# --- who is locked -------------------------------------------------------------------------------


def test_a_colleague_behind_the_same_address_is_not_locked(client_for, secretary, reviewer):
    assert fail(client_for(), "secretary", 5) == [200, 200, 200, 200, 429]

    colleague = log_in(client_for(), "reviewer")

    assert colleague.status_code == 302
    assert log_in(client_for(), "secretary").status_code == 429


def test_the_same_account_from_another_address_is_not_locked(client_for, secretary):
    fail(client_for(), "secretary", 5)

    elsewhere = log_in(client_for(), "secretary", address="10.99.0.1")

    assert elsewhere.status_code == 302


def test_an_address_is_locked_after_its_own_higher_ceiling_whatever_the_accounts(
    client_for, settings, secretary, reviewer
):
    settings.XINGJI_IP_FAILURE_LIMIT = 8
    for name in ("zhang", "wang", "li"):  # guessing across accounts, none reaching the account limit
        assert fail(client_for(), name, 2) == [200, 200]
    assert fail(client_for(), "zhao", 2) == [200, 429]  # the eighth failure from the address locks it

    locked = log_in(client_for(), "reviewer")
    elsewhere = log_in(client_for(), "reviewer", address="10.99.0.1")

    assert locked.status_code == 429
    page = locked.content.decode()
    assert "来自该地址的登录已被暂时锁定" in page
    assert "还需等待 <strong>30 分钟</strong>" in page
    assert elsewhere.status_code == 302


def test_the_ceiling_is_higher_than_the_account_limit_by_default(settings):
    assert settings.XINGJI_IP_FAILURE_LIMIT == 50
    assert settings.AXES_FAILURE_LIMIT == 5
    assert settings.AXES_LOCKOUT_PARAMETERS == [["username", "ip_address"]]


def test_a_proxy_header_names_the_client_address(client_for, settings, secretary):
    settings.XINGJI_CLIENT_IP_HEADER = "HTTP_X_REAL_IP"
    for _ in range(5):
        client_for().post(
            LOGIN, {"username": "secretary", "password": WRONG}, REMOTE_ADDR="127.0.0.1", HTTP_X_REAL_IP="10.1.1.1"
        )

    other_client = client_for().post(
        LOGIN, {"username": "secretary", "password": PASSWORD}, REMOTE_ADDR="127.0.0.1", HTTP_X_REAL_IP="10.1.1.2"
    )

    assert set(AccessAttempt.objects.values_list("ip_address", flat=True)) == {"10.1.1.1"}
    assert other_client.status_code == 302


# --- what the page says ----------------------------------------------------------------------------


def test_the_lockout_page_says_in_chinese_how_many_minutes_are_left(client_for, secretary):
    fail(client_for(), "secretary", 5)
    # Ten minutes later, trying again (even the right password) does not restart the lockout.
    AccessAttempt.objects.update(attempt_time=AccessAttempt.objects.get().attempt_time - timedelta(minutes=10))

    again = log_in(client_for(), "secretary")

    assert again.status_code == 429
    page = again.content.decode()
    assert "登录已被暂时锁定" in page
    assert "由于连续 5 次登录失败，账户“secretary”在本机的登录已被暂时锁定" in page
    assert "还需等待 <strong>20 分钟</strong>" in page
    assert "同一网络中的其他用户不受影响" in page
    assert AccessAttempt.objects.get().failures_since_start == 5


def test_the_lock_ends_when_the_minutes_are_up(client_for, secretary):
    fail(client_for(), "secretary", 5)
    AccessAttempt.objects.update(attempt_time=AccessAttempt.objects.get().attempt_time - timedelta(minutes=31))

    assert log_in(client_for(), "secretary").status_code == 302


def test_the_minutes_left_count_from_the_last_failure(secretary, tree):
    attempt = AccessAttempt.objects.create(
        username="secretary", ip_address=OFFICE_NAT, user_agent="x", failures_since_start=5, get_data="", post_data=""
    )
    AccessAttempt.objects.update(attempt_time=attempt.attempt_time - timedelta(minutes=29, seconds=30))

    lockout = lockout_of("secretary", OFFICE_NAT)

    assert (lockout.account_minutes, lockout.address_minutes, lockout.by_address) == (1, 0, False)
    assert account_locks(["secretary", "reviewer"]) == {"secretary": 1}


# --- the office lifts a lockout ----------------------------------------------------------------------


def test_the_user_list_shows_a_locked_account_and_an_unlock_button(client, client_for, office_user, secretary):
    fail(client_for(), "secretary", 5)
    client.force_login(office_user)

    page = client.get(USERS).content.decode()

    assert "已锁定（剩余 30 分钟）" in page
    assert f'action="{unlock_url(secretary)}"' in page
    assert page.count("解除锁定") == 1
    assert 'name="csrfmiddlewaretoken"' in page


def test_the_office_unlocks_an_account_and_it_is_audited(client, client_for, office_user, secretary):
    fail(client_for(), "secretary", 5)
    client.force_login(office_user)

    response = client.post(unlock_url(secretary), {"next_query": "q=sec"})

    assert response.status_code == 302
    assert response["Location"] == f"{USERS}?q=sec"
    assert not AccessAttempt.objects.exists()
    entry = AuditEntry.objects.get()
    assert (entry.action, entry.actor, entry.object_id) == ("user.unlocked", office_user, str(secretary.pk))
    assert entry.before == {"登录失败次数": 5, "剩余锁定分钟": 30}
    assert entry.after == {"登录失败次数": 0, "剩余锁定分钟": 0}
    assert log_in(client_for(), "secretary").status_code == 302
    listed = client.get(USERS).content.decode()
    assert "已锁定" not in listed
    assert "已解除账户“secretary”的登录锁定" in listed


def test_unlocking_an_account_that_is_not_locked_is_refused_and_writes_nothing(office_user, secretary):
    with pytest.raises(ValidationError) as refusal:
        user_unlock(user=secretary, actor=office_user)

    assert refusal.value.messages == ["账户“secretary”没有被锁定，也没有近期的登录失败记录"]
    assert not AuditEntry.objects.exists()


@pytest.mark.parametrize("role", [Role.BRANCH_SECRETARY, Role.REVIEWER, Role.INSPECTOR])
def test_only_the_office_unlocks(client, client_for, tree, secretary, role):
    fail(client_for(), "secretary", 5)
    other = UserFactory(username="other", organization=tree.finance, role=role)
    if role == Role.BRANCH_SECRETARY:
        other.organization = tree.finance_1
        other.save()
    client.force_login(other)

    with pytest.raises(PermissionDenied):
        user_unlock(user=secretary, actor=other)
    answer = client.post(unlock_url(secretary))

    assert answer.status_code == 403
    assert AccessAttempt.objects.get().failures_since_start == 5
    assert not AuditEntry.objects.exists()


def test_an_office_of_another_subtree_cannot_unlock(client, client_for, tree, secretary):
    fail(client_for(), "secretary", 5)
    education_office = UserFactory(username="edu-office", organization=tree.education, role=Role.COMMITTEE_OFFICE)
    client.force_login(education_office)

    with pytest.raises(Http404):
        user_unlock(user=secretary, actor=education_office)
    answer = client.post(unlock_url(secretary))

    assert answer.status_code == 404
    assert AccessAttempt.objects.get().failures_since_start == 5
    assert not AuditEntry.objects.exists()


def test_unlock_is_post_only(client, client_for, office_user, secretary):
    fail(client_for(), "secretary", 5)
    client.force_login(office_user)

    assert client.get(unlock_url(secretary)).status_code == 405
    assert AccessAttempt.objects.exists()
