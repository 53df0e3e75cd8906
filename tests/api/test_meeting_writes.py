"""Recording a meeting through the API: the branch-work service's checks and audit entry, idempotency keys."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from tests.factories import MemberFactory
from xingji.api import scopes
from xingji.audit.models import AuditEntry
from xingji.branchwork.models import Attendance, Meeting

WRITE = [scopes.write("branchwork")]


@pytest.fixture
def members(tree):
    return [MemberFactory(organization=tree.finance_1), MemberFactory(organization=tree.finance_1)]


def _meeting(tree, members, **changes):
    return {
        "organization_id": tree.finance_1.pk,
        "kind": "theme_day",
        "held_on": "2026-11-20",
        "place": "局机关三楼会议室",
        "host": "张三",
        "topic": "学习党的二十届四中全会精神",
        "attendance": [
            {"member_id": members[0].pk, "status": "present"},
            {"member_id": members[1].pk, "status": "leave", "reason": "出差"},
        ],
        **changes,
    }


def test_the_branch_records_a_meeting_with_its_attendance_audited_under_the_clients_account(tree, caller, members):
    api = caller(tree.finance_1, WRITE)

    response = api.post("/meetings", _meeting(tree, members))

    assert response.status_code == 201, response.content
    body = response.json()
    assert (body["kind"], body["kind_label"], body["present"], body["leave"], body["absent"]) == (
        "theme_day",
        "主题党日",
        1,
        1,
        0,
    )
    meeting = Meeting.objects.get()
    assert body["id"] == meeting.pk and meeting.organization == tree.finance_1
    assert Attendance.objects.get(member=members[1]).reason == "出差"
    entry = AuditEntry.objects.get(action="meeting.recorded")
    assert entry.actor_name.startswith("接口：")
    # The pushed meeting reads back through the list as it was answered.
    listed = api_read(tree, caller).get("/meetings").json()["items"]
    assert listed == [body]


def api_read(tree, caller):
    return caller(tree.finance_1, [scopes.read("branchwork")])


def test_a_retry_with_the_same_key_records_once_and_answers_the_same(tree, caller, members):
    api = caller(tree.finance_1, WRITE)

    first = api.post("/meetings", _meeting(tree, members), headers={"Idempotency-Key": "m-1"})
    retry = api.post("/meetings", _meeting(tree, members), headers={"Idempotency-Key": "m-1"})
    other = api.post("/meetings", _meeting(tree, members, topic="另一次"), headers={"Idempotency-Key": "m-1"})

    assert first.status_code == retry.status_code == 201 and first.json() == retry.json()
    assert other.status_code == 409 and other.json()["error"]["code"] == "idempotency_conflict"
    assert Meeting.objects.count() == 1
    assert AuditEntry.objects.filter(action="meeting.recorded").count() == 1


def test_a_member_outside_the_subtree_is_named_by_its_index_and_nothing_is_written(tree, caller, members):
    stranger = MemberFactory(organization=tree.education_1)
    api = caller(tree.finance_1, WRITE)
    attendance = [{"member_id": members[0].pk, "status": "present"}, {"member_id": stranger.pk, "status": "present"}]

    response = api.post("/meetings", _meeting(tree, members, attendance=attendance))

    assert response.status_code == 422
    details = response.json()["error"]["details"]
    assert [detail["location"] for detail in details] == [["body", "attendance", 1, "member_id"]]
    assert stranger.name not in response.content.decode()
    assert Meeting.objects.count() == Attendance.objects.count() == 0


def test_the_services_checks_are_named_by_field(tree, caller, members):
    api = caller(tree.finance_1, WRITE)
    tomorrow = (timezone.localdate() + timedelta(days=1)).isoformat()

    future = api.post("/meetings", _meeting(tree, members, held_on=tomorrow))
    unknown_kind = api.post("/meetings", _meeting(tree, members, kind="banquet"))
    no_reason = api.post(
        "/meetings", _meeting(tree, members, attendance=[{"member_id": members[0].pk, "status": "leave"}])
    )

    for response in (future, unknown_kind, no_reason):
        assert response.status_code == 422, response.content
        assert response.json()["error"]["code"] == "refused"
    assert ["body", "held_on"] in [detail["location"] for detail in future.json()["error"]["details"]]
    assert ["body", "kind"] in [detail["location"] for detail in unknown_kind.json()["error"]["details"]]
    assert Meeting.objects.count() == 0
    assert not AuditEntry.objects.filter(action="meeting.recorded").exists()


def test_an_organization_outside_the_subtree_is_404_and_a_read_only_token_403(tree, caller, members):
    writer = caller(tree.finance_1, WRITE)
    reader = caller(tree.finance_1, [scopes.read("branchwork")])

    outside = writer.post("/meetings", _meeting(tree, members, organization_id=tree.education_1.pk))
    read_only = reader.post("/meetings", _meeting(tree, members))

    assert outside.status_code == 404
    assert read_only.status_code == 403
    assert Meeting.objects.count() == 0


@pytest.mark.parametrize(
    ("change", "code"),
    [
        ({"extra": 1}, "invalid_input"),
        ({"held_on": "20 November"}, "invalid_input"),
        ({"attendance": [{"member_id": "one", "status": "present"}]}, "invalid_input"),
    ],
)
def test_bad_input_is_a_documented_4xx_in_the_error_shape(tree, caller, members, change, code):
    api = caller(tree.finance_1, WRITE)

    response = api.post("/meetings", _meeting(tree, members, **change))

    assert response.status_code == 422
    assert response.json()["error"]["code"] == code
    assert Meeting.objects.count() == 0


def test_malformed_json_is_400(tree, caller):
    response = caller(tree.finance_1, WRITE).post("/meetings", "{not json")

    assert response.status_code == 400 and response.json()["error"]["code"] == "malformed_json"


def test_a_kind_the_organization_does_not_hold_is_named_at_the_organization(tree, caller, members):
    api = caller(tree.root, WRITE, role="committee_office")

    at_a_superior = api.post("/meetings", _meeting(tree, members, organization_id=tree.finance.pk, attendance=[]))
    convened_at_a_branch = api.post("/meetings", _meeting(tree, members, kind="work_meeting", attendance=[]))

    for response in (at_a_superior, convened_at_a_branch):
        assert response.status_code == 422, response.content
        assert response.json()["error"]["details"][0]["location"] == ["body", "organization_id"]
    assert Meeting.objects.count() == 0
