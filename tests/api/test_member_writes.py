"""Changing members through the API: the orgs service's checks and audit entries, all or none, idempotency keys."""

from __future__ import annotations

from datetime import date

import pytest

from tests.factories import MemberFactory
from xingji.api import scopes
from xingji.audit.models import AuditEntry
from xingji.orgs.models import LeadershipPosition, Member

WRITE = [scopes.write("members")]


@pytest.fixture
def members(tree):
    return [MemberFactory(organization=tree.finance_1), MemberFactory(organization=tree.finance_1)]


def _updated(member):
    return Member.objects.get(pk=member.pk)


def test_it_changes_members_through_the_service_with_its_audit_entries(tree, caller, members):
    # given a token at FIN that may write members
    api = caller(tree.finance, WRITE)

    # when it makes one a committee member and transfers the other to FIN-2
    response = api.post(
        "/members/updates",
        {
            "items": [
                {"member_id": members[0].pk, "leadership_position": "committee_member", "name": members[0].name},
                {"member_id": members[1].pk, "organization_id": tree.finance_2.pk, "joined": "2009-07-01"},
            ]
        },
    )

    # then both are changed, and each change is audited once under the client's account
    assert response.status_code == 200, response.content
    updated = response.json()["updated"]
    assert [(item["id"], item["changed"]) for item in updated] == [
        (members[0].pk, ["leadership_position"]),
        (members[1].pk, ["organization_id", "joined"]),
    ]
    assert updated[1]["organization_id"] == tree.finance_2.pk
    assert updated[0]["phone"] == "138****5678"
    assert _updated(members[0]).leadership_position == LeadershipPosition.COMMITTEE_MEMBER
    assert _updated(members[1]).organization_id == tree.finance_2.pk
    assert _updated(members[1]).joined == date(2009, 7, 1)
    entries = AuditEntry.objects.filter(action="member.updated").order_by("sequence")
    assert [(entry.object_id, entry.before, entry.after) for entry in entries] == [
        (str(members[0].pk), {"leadership_position": "none"}, {"leadership_position": "committee_member"}),
        (
            str(members[1].pk),
            {"organization_id": tree.finance_1.pk, "joined": "2008-07-01"},
            {"organization_id": tree.finance_2.pk, "joined": "2009-07-01"},
        ),
    ]
    assert all(entry.actor_name.startswith("接口：") for entry in entries)


def test_an_item_that_changes_nothing_writes_no_audit_entry(tree, caller, members):
    api = caller(tree.finance, WRITE)

    response = api.post("/members/updates", {"items": [{"member_id": members[0].pk, "status": "full"}]})

    assert response.status_code == 200
    assert response.json()["updated"][0]["changed"] == []
    assert not AuditEntry.objects.filter(action="member.updated").exists()


def test_a_retry_with_the_same_key_writes_once_and_answers_the_same(tree, caller, members):
    api = caller(tree.finance, WRITE)
    body = {"items": [{"member_id": members[0].pk, "name": "王五"}]}
    key = {"Idempotency-Key": "roster-2026-11"}

    first = api.post("/members/updates", body, headers=key)
    Member.objects.filter(pk=members[0].pk).update(name="赵六")
    retry = api.post("/members/updates", body, headers=key)
    other_body = api.post("/members/updates", {"items": [{"member_id": members[1].pk, "name": "王五"}]}, headers=key)

    assert first.status_code == retry.status_code == 200
    assert retry.json() == first.json()
    assert other_body.status_code == 409
    assert other_body.json()["error"]["code"] == "idempotency_conflict"
    assert _updated(members[0]).name == "赵六"
    assert _updated(members[1]).name == members[1].name
    assert AuditEntry.objects.filter(action="member.updated").count() == 1


def test_one_bad_item_writes_nothing_and_is_named_by_its_index(tree, caller, members):
    api = caller(tree.finance, WRITE)

    response = api.post(
        "/members/updates",
        {
            "items": [
                {"member_id": members[0].pk, "name": "王五"},
                {"member_id": members[1].pk, "joined": "2099-01-01"},
            ]
        },
    )

    assert response.status_code == 422
    error = response.json()["error"]
    assert error["code"] == "refused"
    assert error["details"] == [
        {"location": ["body", "items", 1, "joined"], "message": "日期不能晚于今天", "code": "invalid"}
    ]
    assert _updated(members[0]).name == members[0].name
    assert not AuditEntry.objects.filter(action="member.updated").exists()


def test_a_second_secretary_is_refused_at_its_item_unless_an_earlier_item_frees_the_post(tree, caller, members):
    # given FIN-1 has a secretary
    Member.objects.filter(pk=members[0].pk).update(leadership_position=LeadershipPosition.SECRETARY)
    api = caller(tree.finance, WRITE)

    # when another member is made secretary alone, and then after the first steps down in the same batch
    refused = api.post(
        "/members/updates", {"items": [{"member_id": members[1].pk, "leadership_position": "secretary"}]}
    )
    handed_over = api.post(
        "/members/updates",
        {
            "items": [
                {"member_id": members[0].pk, "leadership_position": "none"},
                {"member_id": members[1].pk, "leadership_position": "secretary"},
            ]
        },
    )

    # then the first is refused by the model's constraint, the second applies the items in order
    assert refused.status_code == 422
    assert refused.json()["error"]["details"] == [
        {"location": ["body", "items", 0], "message": "该组织已有书记", "code": "invalid"}
    ]
    assert handed_over.status_code == 200, handed_over.content
    assert _updated(members[1]).leadership_position == LeadershipPosition.SECRETARY


def test_a_member_outside_the_subtree_is_an_item_error_like_a_missing_one(tree, caller, members):
    outsider = MemberFactory(organization=tree.education_1)
    api = caller(tree.finance, WRITE)

    response = api.post(
        "/members/updates",
        {
            "items": [
                {"member_id": members[0].pk, "name": "王五"},
                {"member_id": outsider.pk, "name": "王五"},
                {"member_id": 999999, "name": "王五"},
            ]
        },
    )

    assert response.status_code == 422
    assert response.json()["error"]["details"] == [
        {
            "location": ["body", "items", index, "member_id"],
            "message": "没有找到该党员，或不在令牌的组织范围内",
            "code": "not_found",
        }
        for index in (1, 2)
    ]
    assert _updated(members[0]).name == members[0].name
    assert _updated(outsider).name == outsider.name


def test_a_transfer_out_of_the_subtree_is_an_item_error_like_a_missing_organization(tree, caller, members):
    api = caller(tree.finance, WRITE)

    response = api.post(
        "/members/updates", {"items": [{"member_id": members[0].pk, "organization_id": tree.education_1.pk}]}
    )

    assert response.status_code == 422
    assert response.json()["error"]["details"] == [
        {
            "location": ["body", "items", 0, "organization_id"],
            "message": "没有找到该组织，或不在令牌的组织范围内",
            "code": "not_found",
        }
    ]
    assert _updated(members[0]).organization_id == tree.finance_1.pk


def test_one_member_twice_in_a_batch_is_refused(tree, caller, members):
    api = caller(tree.finance, WRITE)

    response = api.post(
        "/members/updates",
        {"items": [{"member_id": members[0].pk, "name": "王五"}, {"member_id": members[0].pk, "name": "赵六"}]},
    )

    assert response.status_code == 422
    assert [(detail["location"], detail["code"]) for detail in response.json()["error"]["details"]] == [
        (["body", "items", 1, "member_id"], "duplicate")
    ]
    assert _updated(members[0]).name == members[0].name


def test_a_read_only_token_may_not_change_members(tree, caller, members):
    api = caller(tree.finance, [scopes.read("members"), scopes.PERSONAL])

    response = api.post("/members/updates", {"items": [{"member_id": members[0].pk, "name": "王五"}]})

    assert response.status_code == 403
    assert response.json()["error"]["code"] == "scope_missing"
    assert _updated(members[0]).name == members[0].name


def test_a_phone_change_needs_the_personal_scope(tree, caller, members):
    # given a token that may write members but not read their phones
    api = caller(tree.finance, WRITE)
    body = {
        "items": [{"member_id": members[0].pk, "name": "王五"}, {"member_id": members[1].pk, "phone": "13900001111"}]
    }

    # when it changes a phone, nothing is written; with the personal scope it is, and the answer shows it
    refused = api.post("/members/updates", body)
    allowed = caller(tree.finance, [*WRITE, scopes.PERSONAL]).post("/members/updates", body)

    assert refused.status_code == 403
    assert refused.json()["error"]["code"] == "scope_missing"
    assert refused.json()["error"]["details"] == [
        {"location": ["body", "items", 1, "phone"], "message": "personal", "code": "scope_missing"}
    ]
    assert allowed.status_code == 200, allowed.content
    assert allowed.json()["updated"][1]["phone"] == "13900001111"
    assert _updated(members[1]).phone == "13900001111"
    assert AuditEntry.objects.get(action="member.updated", object_id=str(members[1].pk)).after == {
        "phone": "139****1111"
    }


@pytest.mark.parametrize(
    ("body", "status", "code"),
    [
        ("{not json", 400, "malformed_json"),
        ({"items": [{"member_id": 1, "nickname": "小王"}]}, 422, "invalid_input"),
        ({"items": [{"member_id": 1, "id_number": "410502198501010000"}]}, 422, "invalid_input"),
        ({"items": [{"member_id": "one", "name": "王五"}]}, 422, "invalid_input"),
        ({"items": [{"member_id": 1, "name": None}]}, 422, "invalid_input"),
        ({"items": [{"member_id": 1, "birth_year": "1985"}]}, 422, "invalid_input"),
        ({"items": [{"member_id": 1, "joined": 0}]}, 422, "invalid_input"),
        ({"items": [{"name": "王五"}]}, 422, "invalid_input"),
        ({"items": []}, 422, "invalid_input"),
        ({}, 422, "invalid_input"),
    ],
)
def test_bad_input_is_a_documented_4xx_in_the_error_shape(tree, caller, members, body, status, code):
    api = caller(tree.finance, [*WRITE, scopes.PERSONAL])

    response = api.post("/members/updates", body)

    assert response.status_code == status
    assert response.json()["error"]["code"] == code
    assert not AuditEntry.objects.filter(action="member.updated").exists()


def test_a_value_the_model_refuses_is_named_by_item_and_field(tree, caller, members):
    api = caller(tree.finance, [*WRITE, scopes.PERSONAL])

    response = api.post(
        "/members/updates",
        {"items": [{"member_id": members[0].pk, "gender": "unknown", "phone": "abc", "name": "王\x00五"}]},
    )
    typed = api.post("/members/updates", {"items": [{"member_id": members[0].pk, "gender": "unknown", "phone": "abc"}]})

    assert response.status_code == 422
    assert [(detail["location"], detail["code"]) for detail in response.json()["error"]["details"]] == [
        (["body", "items", 0, "name"], "null_character")
    ]
    assert typed.status_code == 422
    assert sorted(detail["location"][3] for detail in typed.json()["error"]["details"]) == ["gender", "phone"]
    assert _updated(members[0]).gender == members[0].gender
