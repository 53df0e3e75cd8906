"""Registering an evidence record through the API: the records service's checks, claims and audit entry."""

from __future__ import annotations

from xingji.api import scopes
from xingji.audit.models import AuditEntry
from xingji.records.models import Commendation, CriticismNotice, RecordStatus

COMMENDATION = {
    "kind": "commendation",
    "recipient": "organization",
    "level": "city",
    "title": "先进基层党组织",
    "issuer": "中共安阳市委",
    "document_number": "安发〔2026〕1号",
}


def test_a_superior_registers_a_confirmed_record_audited_under_the_clients_account(tree, caller):
    api = caller(tree.finance, [scopes.write("records")], role="reviewer")

    response = api.post(
        "/records/commendations", {"organization_id": tree.finance_1.pk, "date": "2026-03-01", "fields": COMMENDATION}
    )

    assert response.status_code == 201, response.content
    assert response.json()["fields"]["title"] == "先进基层党组织"
    record = Commendation.objects.get()
    assert record.status == RecordStatus.CONFIRMED
    entry = AuditEntry.objects.get(action="commendation.created")
    assert entry.actor_name.startswith("接口：")


def test_the_rated_branch_itself_files_a_claim(tree, caller):
    api = caller(tree.finance_1, [scopes.write("records")], role="branch_secretary")

    response = api.post(
        "/records/commendations", {"organization_id": tree.finance_1.pk, "date": "2026-03-01", "fields": COMMENDATION}
    )

    assert response.status_code == 201
    assert Commendation.objects.get().status != RecordStatus.CONFIRMED


def test_a_retry_with_the_same_key_registers_once(tree, caller):
    api = caller(tree.finance, [scopes.write("records")], role="reviewer")
    body = {"organization_id": tree.finance_1.pk, "date": "2026-03-01", "fields": COMMENDATION}

    first = api.post("/records/commendations", body, headers={"Idempotency-Key": "c-1"})
    retry = api.post("/records/commendations", body, headers={"Idempotency-Key": "c-1"})

    assert first.status_code == retry.status_code == 201 and first.json() == retry.json()
    assert Commendation.objects.count() == 1


def test_bad_fields_are_named_and_nothing_is_written(tree, caller):
    api = caller(tree.finance, [scopes.write("records")], role="reviewer")

    unknown = api.post(
        "/records/criticisms",
        {"organization_id": tree.finance_1.pk, "date": "2026-03-01", "fields": {"colour": "red"}},
    )
    invalid = api.post(
        "/records/commendations",
        {"organization_id": tree.finance_1.pk, "date": "2026-03-01", "fields": {**COMMENDATION, "level": "galactic"}},
    )

    assert unknown.status_code == 422
    assert unknown.json()["error"]["details"][0]["location"] == ["body", "fields", "colour"]
    assert invalid.status_code == 422
    assert ["body", "fields", "level"] in [detail["location"] for detail in invalid.json()["error"]["details"]]
    assert Commendation.objects.count() == CriticismNotice.objects.count() == 0
    assert not AuditEntry.objects.filter(action__endswith=".created", object_type__startswith="records.").exists()


def test_an_organization_outside_the_subtree_is_404_and_a_read_only_token_403(tree, caller):
    writer = caller(tree.finance, [scopes.write("records")], role="reviewer")
    reader = caller(tree.finance, [scopes.read("records")])
    body = {"organization_id": tree.education_1.pk, "date": "2026-03-01", "fields": COMMENDATION}

    assert writer.post("/records/commendations", body).status_code == 404
    assert reader.post("/records/commendations", {**body, "organization_id": tree.finance_1.pk}).status_code == 403
    assert Commendation.objects.count() == 0
