"""Pushing a month of dues: all or none, per-item errors, the services' audit entries, idempotency keys."""

from __future__ import annotations

from datetime import date

import pytest

from tests.factories import MemberFactory
from xingji.api import scopes
from xingji.audit.models import AuditEntry
from xingji.dues.models import DuesPayment


@pytest.fixture
def members(tree):
    return [MemberFactory(organization=tree.finance_1), MemberFactory(organization=tree.finance_1)]


def _month(members, amount="25.00"):
    return {
        "items": [
            {"member_id": m.pk, "month": "2026-11-01", "amount": amount, "paid_on": "2026-11-05"} for m in members
        ]
    }


def test_it_writes_a_batch_through_the_dues_service_with_its_audit_entries(tree, caller, members):
    api = caller(tree.finance, [scopes.write("dues")])

    response = api.post("/dues/payments", _month(members))

    assert response.status_code == 201
    assert [item["amount"] for item in response.json()["created"]] == ["25.00", "25.00"]
    assert DuesPayment.objects.filter(month=date(2026, 11, 1)).count() == 2
    entries = AuditEntry.objects.filter(action="dues_payment.imported")
    assert entries.count() == 2
    assert entries.first().actor_name.startswith("接口：")


def test_a_retry_with_the_same_key_writes_once_and_answers_the_same(tree, caller, members):
    api = caller(tree.finance, [scopes.write("dues")])

    first = api.post("/dues/payments", _month(members), headers={"Idempotency-Key": "sync-2026-11"})
    retry = api.post("/dues/payments", _month(members), headers={"Idempotency-Key": "sync-2026-11"})
    other_body = api.post("/dues/payments", _month(members[:1]), headers={"Idempotency-Key": "sync-2026-11"})

    assert first.status_code == retry.status_code == 201
    assert retry.json() == first.json()
    assert other_body.status_code == 409
    assert other_body.json()["error"]["code"] == "idempotency_conflict"
    assert DuesPayment.objects.count() == 2
    assert AuditEntry.objects.filter(action="dues_payment.imported").count() == 2


def test_one_bad_item_writes_nothing_and_is_named_by_its_index(tree, caller, members):
    api = caller(tree.finance, [scopes.write("dues")])
    body = _month(members)
    body["items"][1]["month"] = "2099-01-01"

    response = api.post("/dues/payments", body)

    assert response.status_code == 422
    assert [detail["location"][:3] for detail in response.json()["error"]["details"]] == [["body", "items", 1]]
    assert DuesPayment.objects.count() == 0
    assert not AuditEntry.objects.filter(action="dues_payment.imported").exists()


def test_a_member_outside_the_subtree_is_an_item_error_like_a_missing_one(tree, caller, members):
    outsider = MemberFactory(organization=tree.education_1)
    api = caller(tree.finance, [scopes.write("dues")])

    response = api.post("/dues/payments", _month([members[0], outsider]))

    assert response.status_code == 422
    assert response.json()["error"]["details"] == [
        {
            "location": ["body", "items", 1, "member_id"],
            "message": "没有找到该党员，或不在令牌的组织范围内",
            "code": "not_found",
        }
    ]
    assert DuesPayment.objects.count() == 0


def test_a_month_already_paid_and_a_duplicate_item_are_refused(tree, caller, members):
    api = caller(tree.finance, [scopes.write("dues")])
    assert api.post("/dues/payments", _month(members[:1])).status_code == 201

    again = api.post("/dues/payments", _month([members[1], members[1], members[0]]))

    assert again.status_code == 422
    codes = [(detail["location"][2], detail["code"]) for detail in again.json()["error"]["details"]]
    assert codes == [(1, "duplicate"), (2, "already_paid")]
    assert DuesPayment.objects.count() == 1


@pytest.mark.parametrize(
    ("body", "status", "code"),
    [
        ("{not json", 400, "malformed_json"),
        (
            {"items": [{"member_id": 1, "month": "2026-11-01", "amount": "1", "paid_on": "2026-11-01", "extra": 1}]},
            422,
            "invalid_input",
        ),
        (
            {"items": [{"member_id": "one", "month": "2026-11-01", "amount": "1", "paid_on": "2026-11-01"}]},
            422,
            "invalid_input",
        ),
        ({"items": [{"member_id": 1, "month": 0, "amount": "1", "paid_on": "2026-11-01"}]}, 422, "invalid_input"),
        ({"items": []}, 422, "invalid_input"),
    ],
)
def test_bad_input_is_a_documented_4xx_in_the_error_shape(tree, caller, body, status, code):
    api = caller(tree.finance, [scopes.write("dues")])

    response = api.post("/dues/payments", body)

    assert response.status_code == status
    assert response.json()["error"]["code"] == code
    assert DuesPayment.objects.count() == 0


def test_a_read_only_token_may_not_push(tree, caller, members):
    api = caller(tree.finance, [scopes.read("dues")])

    response = api.post("/dues/payments", _month(members))

    assert response.status_code == 403
    assert DuesPayment.objects.count() == 0
