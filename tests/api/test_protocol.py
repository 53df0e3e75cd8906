"""Paging, ETag, error shapes, the OpenAPI document and its docs page."""

from __future__ import annotations

import re

from tests.factories import OrganizationFactory
from xingji.api import scopes


def test_it_pages_with_a_cursor_in_tree_order_without_repeating(tree, caller):
    for number in range(5):
        OrganizationFactory(code=f"FIN-X{number}", parent=tree.finance)
    api = caller(tree.finance, [scopes.read("orgs")])

    codes, cursor, pages = [], None, 0
    while True:
        body = api.get("/organizations", {"limit": 3, **({"cursor": cursor} if cursor else {})}).json()
        codes += [item["code"] for item in body["items"]]
        pages += 1
        cursor = body["next_cursor"]
        if cursor is None:
            break

    assert pages == 3
    assert codes[0] == "FIN" and len(codes) == len(set(codes)) == 8


def test_a_cursor_never_issued_is_400(tree, caller):
    api = caller(tree.finance, [scopes.read("orgs")])

    response = api.get("/organizations", {"cursor": "!!!"})

    assert response.status_code == 400
    assert response.json()["error"]["code"] == "invalid_cursor"


def test_it_answers_304_to_a_matching_if_none_match_and_200_when_data_changed(tree, caller):
    api = caller(tree.finance, [scopes.read("orgs")])
    first = api.get("/organizations")

    same = api.get("/organizations", headers={"If-None-Match": first["ETag"]})
    OrganizationFactory(code="FIN-NEW", parent=tree.finance)
    changed = api.get("/organizations", headers={"If-None-Match": first["ETag"]})

    assert same.status_code == 304 and same.content == b""
    assert changed.status_code == 200 and changed["ETag"] != first["ETag"]


def test_wrong_types_and_unknown_parameters_are_422_in_the_error_shape(tree, caller):
    api = caller(tree.finance, [scopes.read("orgs"), scopes.read("records")])

    wrong_type = api.get("/organizations", {"limit": "many"})
    unknown = api.get("/organizations", {"colour": "red"})
    bad_date = api.get("/records/commendations", {"date_from": "0"})

    for response, location in (
        (wrong_type, ["query", "limit"]),
        (unknown, ["query", "colour"]),
        (bad_date, ["query", "date_from"]),
    ):
        assert response.status_code == 422
        assert response.json()["error"]["details"][0]["location"] == location
    assert unknown.json()["error"]["code"] == "unknown_parameter"


def test_the_openapi_document_is_3_1_with_the_error_shape_and_bearer_auth(client, db):
    document = client.get("/api/v1/openapi.json").json()

    assert document["openapi"] == "3.1.0"
    assert "ErrorOut" in document["components"]["schemas"]
    assert document["components"]["securitySchemes"]["TokenAuth"]["scheme"] == "bearer"
    organizations = document["paths"]["/api/v1/organizations"]["get"]["responses"]
    assert {"200", "304", "401", "403", "404", "422", "429"} <= set(organizations)


def test_the_docs_page_loads_nothing_from_another_host(client, db):
    page = client.get("/api/v1/docs").content.decode()

    addresses = re.findall(r"""(?:src|href)=["']([^"']+)""", page)
    assert addresses and all(address.startswith("/static/") for address in addresses)
    assert "swagger-ui-bundle.js" in page
    assert client.get("/static/ninja/swagger-ui-bundle.js").status_code == 200


def test_updated_since_returns_only_what_changed_since_and_takes_any_offset(tree, world, caller):
    from datetime import timedelta

    from django.utils import timezone

    from xingji.campaigns.models import StarLedgerEntry

    StarLedgerEntry.objects.filter(organization=tree.finance_1).update(recorded_at=timezone.now() - timedelta(days=3))
    api = caller(tree.root, [scopes.read("campaigns")])
    since = (timezone.now() - timedelta(days=1)).astimezone(timezone.get_fixed_timezone(21 * 60 + 3))

    recent = api.get("/star-ledger", {"updated_since": since.isoformat(timespec="seconds")}).json()["items"]
    naive = api.get("/star-ledger", {"updated_since": "2026-01-01T00:00:00"})

    assert [item["organization_id"] for item in recent] == [tree.education_1.pk]
    assert naive.status_code == 422
