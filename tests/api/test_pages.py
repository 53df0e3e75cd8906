"""The office's pages for API clients: the token shown once, never again; revoke; scoped to the subtree."""

from __future__ import annotations

import hashlib
import re

from django.utils import timezone

from xingji.api.models import ApiClient


def _form(tree, **changes):
    return {
        "name": "省智慧党建平台",
        "organization": tree.finance.pk,
        "scopes": ["orgs:read", "members:read"],
        "role": "branch_secretary",
        "expires_on": (timezone.localdate().replace(day=1) + timezone.timedelta(days=60)).isoformat(),
        **changes,
    }


def test_the_office_creates_a_client_and_sees_its_token_once(client, tree, office_user):
    client.force_login(office_user)

    created = client.post("/api/clients/new/", _form(tree))

    assert created.status_code == 200
    assert "no-store" in created["Cache-Control"]
    stored = ApiClient.objects.get()
    token = re.search(rf"xj_{stored.token_prefix}_[A-Za-z0-9_-]+", created.content.decode()).group(0)
    assert hashlib.sha256(token.encode()).hexdigest() == stored.token_hash
    detail = client.get(f"/api/clients/{stored.pk}/").content.decode()
    assert token not in detail and stored.token_prefix in detail
    assert token not in client.get("/api/clients/").content.decode()


def test_a_form_error_names_the_field_and_creates_nothing(client, tree, office_user):
    client.force_login(office_user)

    response = client.post("/api/clients/new/", _form(tree, scopes=[]))

    assert response.status_code == 200
    assert "scopes" in response.context["form"].errors
    assert ApiClient.objects.count() == 0


def test_the_office_revokes_a_client(client, tree, office_user):
    client.force_login(office_user)
    client.post("/api/clients/new/", _form(tree))
    stored = ApiClient.objects.get()

    response = client.post(f"/api/clients/{stored.pk}/revoke/")

    assert response.status_code == 302
    stored.refresh_from_db()
    assert stored.revoked_at is not None and stored.revoked_by == office_user
    assert "已撤销" in client.get(f"/api/clients/{stored.pk}/").content.decode()


def test_other_roles_may_not_manage_clients(client, tree, reviewer):
    client.force_login(reviewer)

    assert client.get("/api/clients/").status_code == 403
    assert client.post("/api/clients/new/", _form(tree)).status_code == 403
    assert ApiClient.objects.count() == 0
