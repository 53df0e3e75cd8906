"""The evaluation pages list the records behind the facts one by one, and mark what changed after the
self-evaluation was submitted (自评提交后有变动): a record added, changed, confirmed or deleted since."""

from __future__ import annotations

import io
import re
from datetime import date

from django.urls import reverse

from tests.campaigns.steps import YEAR, evaluation_of, self_evaluate
from tests.records.conftest import PDF
from xingji.records.models import Absence, Commendation, CriticismNotice
from xingji.records.services import attachment_add, record_confirm, record_create, record_delete, record_update

MARK = "自评提交后有变动"


def notice(tree, number: str) -> dict:
    return {
        "organization": tree.finance_1,
        "date": date(YEAR, 3, 1),
        "issuer": "working_committee",
        "document_number": number,
        "reason": "三会一课未按要求开展",
    }


def commendation(tree, title: str) -> dict:
    return {
        "organization": tree.finance_1,
        "date": date(YEAR, 4, 1),
        "kind": "commendation",
        "recipient": "organization",
        "level": "city",
        "title": title,
        "issuer": "中共安阳市委",
        "document_number": "",
    }


def rows(page: str) -> dict[str, str]:
    """The evidence card's rows: the record's text → the row's whole text."""
    card = re.search(r'<section class="card" id="evidence-records">(.*?)</section>', page, re.S).group(1)
    found = {}
    for row in re.findall(r"<tr[^>]*>(.*?)</tr>", card, re.S)[1:]:
        text = re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", row)).strip()
        record_cell = re.findall(r"<td>(.*?)</td>", row, re.S)[2]
        found[re.sub(r"<[^>]+>", "", re.sub(r"<div.*?</div>", "", record_cell, flags=re.S)).strip()] = text
    return found


def test_it_marks_the_records_changed_since_the_self_evaluation(
    client, campaign, tree, secretary, reviewer, office_user
):
    # given FIN-1's records entered before its self-evaluation: two notices, an absence, a commendation,
    # and a claim still waiting
    kept = record_create(model=CriticismNotice, data=notice(tree, "安直工〔2025〕1号"), actor=office_user)
    changed = record_create(model=CriticismNotice, data=notice(tree, "安直工〔2025〕2号"), actor=reviewer)
    absence = record_create(
        model=Absence,
        data={
            "organization": tree.finance_1,
            "date": date(YEAR, 5, 1),
            "kind": "meeting",
            "description": "季度工作会议",
            "is_excused": False,
            "excuse_reason": "",
        },
        actor=reviewer,
    )
    deleted = record_create(model=Commendation, data=commendation(tree, "五好党支部"), actor=reviewer)
    claimed = record_create(model=Commendation, data=commendation(tree, "先进基层党组织"), actor=secretary)
    attachment_add(record=claimed, upload=io.BytesIO(PDF), name="证书.pdf", size=len(PDF), actor=secretary)
    evaluation = self_evaluate(evaluation_of(campaign, tree.finance_1), secretary)

    # when, after the submission, a notice is added and one changed, the absence excused, the commendation
    # deleted and the claim confirmed
    added = record_create(model=CriticismNotice, data=notice(tree, "安直工〔2025〕3号"), actor=reviewer)
    record_update(record=changed, data={"reason": "组织生活会未按时召开"}, actor=reviewer)
    record_update(record=absence, data={"is_excused": True, "excuse_reason": "出差，已请假"}, actor=reviewer)
    record_delete(record=deleted, actor=reviewer)
    record_confirm(record=claimed, actor=reviewer)

    # then the superior's page lists what counts now, marking what changed, and what counts no more
    client.force_login(reviewer)
    superior_page = client.get(reverse("campaigns:superior_evaluation", args=[evaluation.pk])).content.decode()
    listed = rows(superior_page)
    assert MARK not in listed[str(kept)]
    for record in (changed, added, claimed):
        assert MARK in listed[str(record.__class__.objects.get(pk=record.pk))], record
    excused = str(Absence.objects.get(pk=absence.pk))
    assert MARK in listed[excused] and "已不计入本年度评定" in listed[excused]
    assert "已删除" in listed[str(deleted)] and MARK in listed[str(deleted)]
    assert "此后有 5 条记录变动" in superior_page

    # and the branch's own (submitted) self-evaluation page says the same
    client.force_login(secretary)
    self_page = client.get(reverse("campaigns:self_evaluation", args=[evaluation.pk])).content.decode()
    assert rows(self_page) == listed


def test_nothing_is_marked_before_the_self_evaluation_is_submitted(client, campaign, tree, secretary, reviewer):
    record_create(model=CriticismNotice, data=notice(tree, "安直工〔2025〕1号"), actor=reviewer)
    claim = record_create(model=Commendation, data=commendation(tree, "先进基层党组织"), actor=secretary)
    evaluation = evaluation_of(campaign, tree.finance_1)
    client.force_login(secretary)

    page = client.get(reverse("campaigns:self_evaluation", args=[evaluation.pk])).content.decode()

    assert MARK not in page
    assert "安直工〔2025〕1号" in page
    # the claim is listed apart: it does not count until confirmed
    assert "待上级确认的申报（确认后计入）" in page and str(claim) in page
    assert str(claim) not in rows(page)
