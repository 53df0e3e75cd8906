"""The public notice pages: anyone, without login, reads notices, files objections and looks up answers."""

from __future__ import annotations

import re

import pytest
from django.test import Client
from django.urls import reverse

from xingji.audit.chain import head_hash
from xingji.campaigns import services
from xingji.campaigns.models import Notice, NoticeEntry, NoticeState, Objection, ObjectionState
from xingji.campaigns.services import OBJECTION_MAX_LENGTH

RECEIPT = re.compile(r"data-receipt>([A-Z0-9-]+)<")


def first_entry(notice: Notice) -> NoticeEntry:
    return notice.entries.select_related("organization").order_by("pk").first()


def file_objection(
    client: Client,
    notice: Notice,
    entry: NoticeEntry,
    content: str = "该支部组织生活会未按时召开",
    contact: str = "",
    **extra,
):
    return client.post(
        reverse("public:objection_create", args=[notice.pk]),
        {"entry": entry.pk, "content": content, "contact": contact},
        **extra,
    )


def receipt_after(client: Client, response) -> str:
    assert response.status_code == 302
    page = client.get(response["Location"])
    match = RECEIPT.search(page.content.decode())
    assert match, "the receipt page shows the receipt number"
    return match.group(1)


def test_it_shows_the_notice_list_and_detail_to_anonymous_clients(client, notice):
    # given a published notice, when an anonymous client opens the list and the notice
    listing = client.get(reverse("public:notice_list"))
    detail = client.get(reverse("public:notice_detail", args=[notice.pk]))

    # then both answer without login, the notice lists every organization with its level and a link to object
    assert listing.status_code == 200
    assert notice.title in listing.content.decode()
    assert detail.status_code == 200
    page = detail.content.decode()
    for entry in notice.entries.select_related("organization"):
        assert entry.organization.name in page
        assert entry.level_name in page
        assert f"?entry={entry.pk}" in page
    assert "提出异议" in page
    assert "退出" not in page  # no user menu for an anonymous client


def test_it_shows_past_notices_too(client, notice):
    # given a notice that has closed
    Notice.objects.filter(pk=notice.pk).update(state=NoticeState.CLOSED)

    # when an anonymous client opens the list and the notice
    listing = client.get(reverse("public:notice_list"))
    detail = client.get(reverse("public:notice_detail", args=[notice.pk]))

    # then it is still listed and readable, with no objection link
    assert notice.title in listing.content.decode()
    assert detail.status_code == 200
    assert "提出异议" not in detail.content.decode()


def test_it_answers_404_for_a_missing_notice(client, db):
    assert client.get(reverse("public:notice_detail", args=[999999])).status_code == 404


def test_it_prints_the_audit_chain_head_on_the_notice(client, notice):
    # given a published notice (its publication wrote audit entries)
    # when an anonymous client opens it
    page = client.get(reverse("public:notice_detail", args=[notice.pk])).content.decode()

    # then the current head hash of the audit chain is printed on it
    head = head_hash()
    assert re.search(r"data-head-hash>([0-9a-f]{64})<", page).group(1) == head
    assert head in client.get(reverse("public:notice_list")).content.decode()


def test_it_shows_the_objection_and_lookup_forms_to_anonymous_clients(client, notice):
    entry = first_entry(notice)
    form = client.get(reverse("public:objection_create", args=[notice.pk]) + f"?entry={entry.pk}")
    lookup = client.get(reverse("public:objection_lookup"))

    assert form.status_code == 200
    assert f'value="{entry.pk}" selected' in form.content.decode()
    assert "csrfmiddlewaretoken" in form.content.decode()
    assert lookup.status_code == 200


def test_it_files_one_objection_and_its_receipt_looks_up_the_state(client, notice):
    # given a published notice and an organization on it
    entry = first_entry(notice)

    # when an anonymous client files an objection
    response = file_objection(client, notice, entry, contact="13800000000")

    # then exactly one objection is written and the receipt page shows its number, once
    assert Objection.objects.count() == 1
    objection = Objection.objects.get()
    assert objection.evaluation_id == entry.evaluation_id
    assert objection.contact == "13800000000"
    receipt = receipt_after(client, response)
    again = client.get(reverse("public:objection_receipt")).content.decode()
    assert receipt not in again
    # and the receipt (in any case) looks up its state
    found = client.post(reverse("public:objection_lookup"), {"receipt": receipt.lower()}).content.decode()
    assert 'data-state="open"' in found
    assert entry.organization.name in found


def test_it_shows_the_answer_once_the_office_answered(client, notice, office_user):
    # given an objection filed and rejected by the office
    receipt = receipt_after(client, file_objection(client, notice, first_entry(notice)))
    services.objection_answer(
        objection=Objection.objects.get(), upheld=False, answer="经核实，该支部已按时召开", actor=office_user
    )

    # when the filer looks it up
    page = client.post(reverse("public:objection_lookup"), {"receipt": receipt}).content.decode()

    # then the state and the answer are shown
    assert f'data-state="{ObjectionState.REJECTED}"' in page
    assert "经核实，该支部已按时召开" in page


@pytest.mark.parametrize("content", ["", "   ", "x" * (OBJECTION_MAX_LENGTH + 1)])
def test_it_refuses_empty_or_overlong_content_and_writes_nothing(client, notice, content):
    # given a published notice
    # when an objection is sent without content (or with too much)
    response = file_objection(client, notice, first_entry(notice), content=content)

    # then the form comes back with the error and nothing is written
    assert response.status_code == 200
    assert Objection.objects.count() == 0
    assert "异议内容" in response.content.decode()


def test_it_throttles_a_client_with_429_and_writes_nothing(client, notice, settings):
    # given a client that has filed as many objections as it may in an hour
    settings.XINGJI_OBJECTIONS_PER_CLIENT_PER_HOUR = 2
    entry = first_entry(notice)
    for _ in range(2):
        assert file_objection(client, notice, entry).status_code == 302

    # when it files one more
    response = file_objection(client, notice, entry)

    # then it is told to wait, with 429, and nothing more is written
    assert response.status_code == 429
    assert "提交过于频繁" in response.content.decode()
    assert Objection.objects.count() == 2
    # and another client may still file
    other = Client(REMOTE_ADDR="10.0.0.2")
    assert file_objection(other, notice, entry).status_code == 302
    assert Objection.objects.count() == 3


def test_it_answers_429_at_the_notice_wide_cap_and_writes_nothing(client, notice, settings):
    # given a notice that received as many objections this hour as the service accepts from everyone
    settings.XINGJI_OBJECTIONS_PER_NOTICE_PER_HOUR = 1
    entry = first_entry(notice)
    assert file_objection(Client(REMOTE_ADDR="10.0.0.3"), notice, entry).status_code == 302

    # when another client files one
    response = file_objection(client, notice, entry)

    # then it is refused with 429 and the service's message, nothing written
    assert response.status_code == 429
    assert "过于频繁" in response.content.decode()
    assert Objection.objects.count() == 1


def test_it_refuses_an_objection_to_a_closed_notice(client, notice):
    Notice.objects.filter(pk=notice.pk).update(state=NoticeState.CLOSED)

    response = file_objection(client, notice, first_entry(notice))

    assert response.status_code == 200
    assert "该公示已结束" in response.content.decode()
    assert Objection.objects.count() == 0


def test_it_checks_the_csrf_token(notice):
    # given a client that enforces CSRF like a browser
    strict = Client(enforce_csrf_checks=True)

    # when it posts an objection without the token, then it is refused and nothing written
    assert file_objection(strict, notice, first_entry(notice)).status_code == 403
    assert Objection.objects.count() == 0


@pytest.mark.parametrize("receipt", ["AAAA-BBBB-CCCC-DDDD", "not a receipt!", "x" * 500, "'; DROP TABLE --"])
def test_it_answers_the_same_for_unknown_and_malformed_receipts(client, notice, receipt):
    # given one filed objection
    file_objection(client, notice, first_entry(notice))
    reference = client.post(reverse("public:objection_lookup"), {"receipt": "ZZZZ-ZZZZ-ZZZZ-ZZZZ"})

    # when a receipt that matches nothing (well-formed or not) is looked up
    response = client.post(reverse("public:objection_lookup"), {"receipt": receipt})

    # then the answer is the same "not found" either way
    assert response.status_code == reference.status_code == 200
    result = re.search(r"data-lookup-result>(.*?)</div>", response.content.decode(), re.S).group(1)
    expected = re.search(r"data-lookup-result>(.*?)</div>", reference.content.decode(), re.S).group(1)
    assert result == expected
    assert "未查到" in result
