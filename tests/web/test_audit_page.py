"""The committee office's audit page: filters, pagination, export with the head hash, verify."""

from __future__ import annotations

import io
from datetime import timedelta

import pytest
from django.db import transaction
from django.utils import timezone
from openpyxl import load_workbook

from tests.factories import MemberFactory
from xingji.audit.chain import head_hash
from xingji.audit.models import AuditEntry
from xingji.audit.services import audit_log
from xingji.orgs.services import member_update, organization_update


@pytest.fixture
def entries(tree, office_user, reviewer):
    """Four entries: two by the office, one by the reviewer, one by the system."""
    member = MemberFactory(organization=tree.finance_1, name="张三")
    organization_update(organization=tree.finance_1, data={"name": "一支部"}, actor=office_user)
    member_update(member=member, data={"name": "张叁"}, actor=office_user)
    member_update(member=member, data={"name": "张三"}, actor=reviewer)
    organization_update(organization=tree.finance_2, data={"name": "二支部"}, actor=None)
    return member


def shown(response) -> list[int]:
    return [entry.sequence for entry in response.context["page_obj"]]


@pytest.fixture
def office_client(client, office_user):
    client.force_login(office_user)
    return client


def test_it_lists_the_newest_entry_first_with_the_head_hash(office_client, entries):
    response = office_client.get("/audit/")

    assert shown(response) == [4, 3, 2, 1]
    assert response.context["head_hash"] == head_hash()
    assert head_hash() in response.content.decode()


def test_it_filters_by_actor_action_object_and_date(office_client, entries, office_user, tree):
    today = timezone.localdate()

    by_actor = office_client.get("/audit/", {"actor": office_user.pk})
    by_namespace = office_client.get("/audit/", {"action": "member"})
    by_code = office_client.get("/audit/", {"action": "organization.updated"})
    by_object = office_client.get("/audit/", {"object_type": "orgs.organization", "object_id": tree.finance_2.pk})
    today_only = office_client.get("/audit/", {"since": today.isoformat(), "until": today.isoformat()})
    yesterday = office_client.get("/audit/", {"until": (today - timedelta(days=1)).isoformat()})

    assert shown(by_actor) == [2, 1]
    assert shown(by_namespace) == [3, 2]
    assert shown(by_code) == [4, 1]
    assert shown(by_object) == [4]
    assert shown(today_only) == [4, 3, 2, 1]
    assert shown(yesterday) == []


def test_it_names_actions_and_object_types_in_chinese_with_the_codes_on_hover(office_client, entries):
    response = office_client.get("/audit/")

    html = response.content.decode()
    assert '<td title="member.updated">修改党员</td>' in html
    assert '<td title="organization.updated">修改党组织</td>' in html
    assert f'title="orgs.member #{entries.pk}">党员 #{entries.pk}</small>' in html
    assert ">member.updated<" not in html
    assert "orgs.member #" not in html.replace('title="orgs.member #', "")
    # and each change as a row in the model's words (the stored JSON kept below it)
    assert '<tr><td>姓名</td><td class="break">张叁</td><td class="break">张三</td></tr>' in html
    assert "原始记录" in html


def test_it_offers_the_actions_and_object_types_of_the_log_as_chinese_choices(office_client, entries):
    response = office_client.get("/audit/")

    form = response.context["filter_form"]
    assert form.fields["object_type"].widget.choices == [
        ("", "全部对象类型"),
        ("orgs.organization", "党组织"),
        ("orgs.member", "党员"),
    ]
    assert form.fields["action"].widget.choices == [
        ("", "全部操作"),
        ("党组织", [("organization", "党组织（全部操作）"), ("organization.updated", "修改党组织")]),
        ("党员", [("member", "党员（全部操作）"), ("member.updated", "修改党员")]),
    ]
    html = response.content.decode()
    assert '<select name="action"' in html
    assert '<select name="object_type"' in html
    assert "代码或前缀" not in html


def test_it_keeps_a_filter_by_code_selected(office_client, entries, tree):
    by_code = office_client.get("/audit/", {"action": "member.updated", "object_type": "orgs.member"})
    by_old_link = office_client.get("/audit/", {"action": "user", "object_type": "accounts.user"})

    assert shown(by_code) == [3, 2]
    assert '<option value="member.updated" selected>修改党员</option>' in by_code.content.decode()
    assert '<option value="orgs.member" selected>党员</option>' in by_code.content.decode()
    # Codes the log does not hold yet are offered too, so the select says what is filtered.
    assert shown(by_old_link) == []
    assert '<option value="user" selected>用户</option>' in by_old_link.content.decode()
    assert '<option value="accounts.user" selected>用户</option>' in by_old_link.content.decode()


def test_it_explains_a_reversed_date_range(office_client, entries):
    response = office_client.get("/audit/", {"since": "2026-02-01", "until": "2026-01-01"})

    assert response.context["filter_form"].errors == {"until": ["截止日期不能早于起始日期"]}
    assert shown(response) == [4, 3, 2, 1]


def test_it_pages_by_fifty(office_client, tree):
    with transaction.atomic():
        for number in range(55):
            audit_log(actor=None, action="test.appended", obj=tree.root, before=None, after={"n": number})

    first = office_client.get("/audit/")
    second = office_client.get("/audit/", {"page": 2})

    assert len(shown(first)) == 50
    assert shown(second) == [5, 4, 3, 2, 1]


def test_it_exports_the_filtered_entries_with_the_head_hash(office_client, entries):
    xlsx = office_client.get("/audit/export/", {"action": "member"})
    csv_response = office_client.get("/audit/export/", {"action": "member", "format": "csv"})

    rows = list(load_workbook(io.BytesIO(xlsx.content), read_only=True).active.iter_rows(values_only=True))
    text = b"".join(csv_response.streaming_content).decode("utf-8-sig")
    assert rows[0][:9] == ("序号", "时间", "操作人", "操作", "操作代码", "对象类型", "对象类型代码", "对象编号", "对象")
    assert [row[0] for row in rows[1:3]] == [3, 2]
    updated = ("修改党员", "member.updated", "党员", "orgs.member", str(entries.pk))
    assert [row[3:8] for row in rows[1:3]] == [updated, updated]
    assert rows[-1][0] == f"导出时审计链头哈希：{head_hash()}"
    assert text.splitlines()[0].startswith("序号,时间,操作人,操作,操作代码,对象类型,对象类型代码")
    assert ",修改党员,member.updated,党员,orgs.member," in text
    assert len([line for line in text.splitlines() if line.startswith(("2,", "3,"))]) == 2
    assert f"导出时审计链头哈希：{head_hash()}" in text


def test_it_verifies_an_intact_chain(office_client, entries):
    response = office_client.post("/audit/verify/", follow=True)

    messages = [str(message) for message in response.context["messages"]]
    assert messages == [f"校验通过：4 条审计记录，哈希链完整。链头哈希 {head_hash()}"]


def test_it_names_the_first_broken_entry(office_client, entries):
    # An entry slipped in behind the application's back, with a hash that does not match its content.
    AuditEntry.objects.bulk_create(
        [
            AuditEntry(
                sequence=5,
                created_at=timezone.now(),
                actor_name="入侵者",
                action="member.deleted",
                object_type="orgs.member",
                object_id="1",
                object_repr="张三",
                before=None,
                after=None,
                previous_hash=head_hash(),
                hash="f" * 64,
            )
        ]
    )
    inserted = AuditEntry.objects.get(sequence=5)

    response = office_client.post("/audit/verify/", follow=True)

    messages = [str(message) for message in response.context["messages"]]
    assert messages == [
        f"校验失败：第一条有问题的记录 #5（id {inserted.pk}，member.deleted）："
        "内容与哈希不符（记录被改动）。此前 4 条完好。"
    ]


def test_it_keeps_the_audit_page_from_a_reviewer(client, reviewer, entries):
    client.force_login(reviewer)

    assert client.get("/audit/").status_code == 403
    assert client.post("/audit/verify/").status_code == 403
