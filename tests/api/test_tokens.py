"""Tokens: stored hashed, shown once, expiring, revocable, audited; rate limited per token; the request log."""

from __future__ import annotations

import hashlib
from datetime import timedelta

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone

from tests.api.conftest import ApiCaller
from xingji.accounts.models import Role
from xingji.api import scopes
from xingji.api.models import ApiClient, ApiRequestLog
from xingji.api.services import api_client_create, api_client_revoke
from xingji.audit.models import AuditEntry


def test_it_stores_only_the_tokens_sha256_and_a_prefix(tree, make_client):
    created = make_client(tree.finance)

    stored = ApiClient.objects.get(pk=created.client.pk)
    assert stored.token_hash == hashlib.sha256(created.token.encode()).hexdigest()
    assert created.token.startswith(f"xj_{stored.token_prefix}_")
    # 32 random bytes: 256 bits, far above the 128 asked
    assert len(created.token.removeprefix(f"xj_{stored.token_prefix}_")) >= 43
    assert created.token not in str(list(ApiClient.objects.values()))


def test_it_audits_the_creation_without_the_token_and_makes_a_read_only_account(tree, make_client, office_user):
    created = make_client(tree.finance, [scopes.read("orgs")], role=Role.COMMITTEE_OFFICE)

    entry = AuditEntry.objects.get(action="api_client.created")
    assert entry.actor == office_user
    assert "token_hash" not in entry.after and created.token not in str(entry.after)
    assert entry.after["scopes"] == ["orgs:read"]
    # no write scope: the account reads only, whatever role was asked
    assert created.client.user.role == Role.INSPECTOR
    assert not created.client.user.has_usable_password()


def test_a_client_with_write_scopes_acts_with_the_chosen_role(tree, make_client):
    created = make_client(tree.finance_1, [scopes.write("dues")], role=Role.BRANCH_SECRETARY)

    assert created.client.user.role == Role.BRANCH_SECRETARY
    assert created.client.user.organization == tree.finance_1


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"name": " "}, "name"),
        ({"scopes": []}, "scopes"),
        ({"scopes": ["everything"]}, "scopes"),
        ({"expires_at": timezone.now() - timedelta(days=1)}, "expires_at"),
        ({"expires_at": timezone.now() + timedelta(days=400)}, "expires_at"),
    ],
)
def test_it_refuses_bad_values_naming_the_field_and_creates_nothing(tree, office_user, changes, field):
    values = {
        "name": "省平台",
        "organization": tree.finance,
        "scopes": ["orgs:read"],
        "expires_at": timezone.now() + timedelta(days=30),
        **changes,
    }

    with pytest.raises(ValidationError) as refused:
        api_client_create(actor=office_user, **values)

    assert field in refused.value.message_dict
    assert ApiClient.objects.count() == 0
    assert not AuditEntry.objects.filter(action="api_client.created").exists()


def test_only_the_office_and_administrators_create_clients(tree, reviewer, secretary):
    for actor in (reviewer, secretary):
        with pytest.raises(PermissionDenied):
            api_client_create(
                name="x",
                organization=tree.finance_1,
                scopes=["orgs:read"],
                expires_at=timezone.now() + timedelta(days=1),
                actor=actor,
            )
    assert ApiClient.objects.count() == 0


@pytest.mark.parametrize(
    ("authorization", "code"),
    [
        (None, "token_missing"),
        ("Bearer nonsense", "token_invalid"),
        ("Bearer xj_abcdefgh_wrong", "token_invalid"),
        ("Basic dXNlcjpwYXNz", "token_invalid"),
    ],
)
def test_it_answers_401_in_the_error_shape_for_a_missing_or_unknown_token(client, db, authorization, code):
    headers = {"Authorization": authorization} if authorization else {}

    response = client.get("/api/v1/organizations", headers=headers)

    assert response.status_code == 401
    assert response.json()["error"]["code"] == code
    assert set(response.json()["error"]) == {"code", "message", "details"}


def test_a_known_prefix_with_another_secret_is_refused(tree, make_client):
    created = make_client(tree.finance)
    forged = f"xj_{created.client.token_prefix}_" + "A" * 43

    response = ApiCaller(forged).get("/organizations")

    assert response.status_code == 401
    assert response.json()["error"]["code"] == "token_invalid"


def test_an_expired_token_is_refused(tree, make_client):
    created = make_client(tree.finance)
    ApiClient.objects.filter(pk=created.client.pk).update(expires_at=timezone.now() - timedelta(seconds=1))

    response = ApiCaller(created.token).get("/organizations")

    assert response.status_code == 401
    assert response.json()["error"]["code"] == "token_expired"


def test_a_revoked_token_is_refused_at_once_and_its_account_deactivated(tree, make_client, office_user):
    created = make_client(tree.finance)
    api = ApiCaller(created.token)
    assert api.get("/organizations").status_code == 200

    api_client_revoke(client=created.client, actor=office_user)

    response = api.get("/organizations")
    assert response.status_code == 401
    assert response.json()["error"]["code"] == "token_revoked"
    created.client.user.refresh_from_db()
    assert created.client.user.is_active is False
    assert AuditEntry.objects.filter(action="api_client.revoked", object_id=str(created.client.pk)).count() == 1
    with pytest.raises(ValidationError):
        api_client_revoke(client=created.client, actor=office_user)


def test_it_limits_the_rate_per_token_with_retry_after(tree, make_client, settings):
    settings.XINGJI_API_RATE_PER_MINUTE = 3
    first, second = ApiCaller(make_client(tree.finance).token), ApiCaller(make_client(tree.finance).token)

    answers = [first.get("/organizations").status_code for _ in range(4)]
    limited = first.get("/organizations")

    assert answers == [200, 200, 200, 429]
    assert limited.status_code == 429
    assert limited.json()["error"]["code"] == "rate_limited"
    assert 1 <= int(limited["Retry-After"]) <= 61
    # another token has its own count
    assert second.get("/organizations").status_code == 200


def test_it_logs_every_use_and_the_last_use(tree, make_client):
    created = make_client(tree.finance, [scopes.read("orgs")])
    api = ApiCaller(created.token)

    api.get("/organizations")
    api.get("/members")

    lines = list(ApiRequestLog.objects.filter(client=created.client).order_by("id").values_list("path", "status"))
    assert lines == [("/api/v1/organizations", 200), ("/api/v1/members", 403)]
    created.client.refresh_from_db()
    assert created.client.last_used_at is not None
