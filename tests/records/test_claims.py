"""Claims (申报): the rated organization's own commendations and innovations count only once its superior
confirms them with their attachment; sent back, they do not count; confirmed, they belong to the level above."""

from __future__ import annotations

import io
from datetime import date

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from tests.records.conftest import PDF
from tests.records.factories import CommendationFactory, CriticismNoticeFactory
from tests.records.test_services import creation_data
from xingji.audit.models import AuditEntry
from xingji.records import due
from xingji.records.access import CONFIRMED_ABOVE, OWNED_ABOVE, SELF_DEDUCTION
from xingji.records.models import Commendation, CriticismNotice, Innovation, RecordStatus
from xingji.records.selectors import engine_facts
from xingji.records.services import (
    attachment_add,
    record_confirm,
    record_create,
    record_delete,
    record_reject,
    record_update,
)

YEAR = 2025


def claim(tree, secretary, model=Commendation, *, with_attachment=True):
    record = record_create(model=model, data=creation_data(model, tree.finance_1), actor=secretary)
    if with_attachment:
        attachment_add(record=record, upload=io.BytesIO(PDF), name="证书.pdf", size=len(PDF), actor=secretary)
    return record


@pytest.mark.parametrize("model", [Commendation, Innovation], ids=lambda model: model.__name__)
def test_a_claim_counts_in_the_rating_only_once_confirmed(tree, secretary, reviewer, model):
    # given a claim of the branch, with its certificate
    record = claim(tree, secretary, model)
    field = "commendations" if model is Commendation else "innovations"

    # then it does not count while it waits
    assert record.status == RecordStatus.CLAIMED
    assert engine_facts(tree.finance_1, YEAR)[field] == []

    # when the superior confirms it, then it counts
    record_confirm(record=record, actor=reviewer)
    assert engine_facts(tree.finance_1, YEAR)[field] == ["province" if model is Commendation else "city"]


def test_a_claim_sent_back_does_not_count_and_is_claimed_again_once_corrected(tree, secretary, reviewer):
    record = claim(tree, secretary)

    record_reject(record=record, reason="证书与名称不符", actor=reviewer)
    record.refresh_from_db()
    assert (record.status, record.review_note) == (RecordStatus.REJECTED, "证书与名称不符")
    assert engine_facts(tree.finance_1, YEAR)["commendations"] == []

    # when the branch corrects it, it waits for confirmation again
    corrected = record_update(record=record, data={"title": "改正后的名称"}, actor=secretary)
    assert (corrected.status, corrected.review_note) == (RecordStatus.CLAIMED, "")
    entry = AuditEntry.objects.order_by("sequence").last()
    assert entry.before == {
        "title": "以高质量党建引领高质量发展",
        "status": "rejected",
        "review_note": "证书与名称不符",
    }
    assert entry.after == {"title": "改正后的名称", "status": "claimed", "review_note": ""}


def test_it_refuses_to_confirm_a_claim_without_an_attachment_and_writes_nothing(tree, secretary, reviewer):
    record = claim(tree, secretary, with_attachment=False)
    entries = AuditEntry.objects.count()

    with pytest.raises(ValidationError) as refused:
        record_confirm(record=record, actor=reviewer)

    assert refused.value.messages == [
        "“财政局第一支部”的申报“省级署名文章：以高质量党建引领高质量发展”没有附件：请先上传证明材料（附件）再确认"
    ]
    record.refresh_from_db()
    assert record.status == RecordStatus.CLAIMED
    assert AuditEntry.objects.count() == entries


def test_it_refuses_to_confirm_what_is_not_waiting(tree, secretary, reviewer):
    record = claim(tree, secretary)
    record_confirm(record=record, actor=reviewer)
    entries = AuditEntry.objects.count()

    with pytest.raises(ValidationError) as refused:
        record_confirm(record=record, actor=reviewer)
    with pytest.raises(ValidationError):
        record_reject(record=record, reason="再退回", actor=reviewer)

    assert refused.value.messages == ["“省级署名文章：以高质量党建引领高质量发展”已确认，只有待确认的申报可以确认"]
    assert AuditEntry.objects.count() == entries


def test_sending_a_claim_back_needs_a_reason(tree, secretary, reviewer):
    record = claim(tree, secretary)

    with pytest.raises(ValidationError) as refused:
        record_reject(record=record, reason="  ", actor=reviewer)

    assert refused.value.messages == ["请填写退回理由"]
    record.refresh_from_db()
    assert record.status == RecordStatus.CLAIMED


def test_a_confirmed_claim_belongs_to_the_confirming_level(tree, secretary, reviewer, office_user):
    record = claim(tree, secretary)
    record_confirm(record=record, actor=reviewer)
    entries = AuditEntry.objects.count()

    # the branch may no longer change it, delete it or add to its proofs
    for action in (
        lambda: record_update(record=record, data={"title": "自行改动"}, actor=secretary),
        lambda: record_delete(record=record, actor=secretary),
        lambda: attachment_add(record=record, upload=io.BytesIO(PDF), name="另.pdf", size=len(PDF), actor=secretary),
    ):
        with pytest.raises(PermissionDenied) as refused:
            action()
        assert str(refused.value) == CONFIRMED_ABOVE
    assert AuditEntry.objects.count() == entries

    # the confirming level and the levels above still may
    assert record_update(record=record, data={"title": "更正"}, actor=reviewer).title == "更正"
    assert record_update(record=record, data={"title": "再更正"}, actor=office_user).title == "再更正"


def test_it_names_why_a_branch_may_not_touch_a_criticism_notice_about_itself(tree, secretary):
    notice = CriticismNoticeFactory(organization=tree.finance_1)

    for action in (
        lambda: record_create(
            model=CriticismNotice, data=creation_data(CriticismNotice, tree.finance_1), actor=secretary
        ),
        lambda: record_delete(record=notice, actor=secretary),
    ):
        with pytest.raises(PermissionDenied) as refused:
            action()
        assert str(refused.value) == SELF_DEDUCTION
    assert CriticismNotice.objects.filter(pk=notice.pk).exists()
    assert AuditEntry.objects.count() == 0


def test_a_reviewer_may_not_delete_the_offices_criticism_notice(tree, office_user, reviewer):
    notice = record_create(
        model=CriticismNotice, data=creation_data(CriticismNotice, tree.finance_1), actor=office_user
    )
    entries = AuditEntry.objects.count()

    with pytest.raises(PermissionDenied) as refused:
        record_delete(record=notice, actor=reviewer)

    assert str(refused.value) == OWNED_ABOVE == "上级党组织登记或确认的记录不能由本组织修改或删除"
    assert CriticismNotice.objects.filter(pk=notice.pk).exists()
    assert AuditEntry.objects.count() == entries


def test_a_confirmed_record_is_not_moved_onto_the_actors_own_organization(tree, reviewer):
    # the reviewer's confirmed commendation of a branch may not become one of the 机关党委 itself
    record = record_create(model=Commendation, data=creation_data(Commendation, tree.finance_1), actor=reviewer)
    entries = AuditEntry.objects.count()

    with pytest.raises(PermissionDenied):
        record_update(record=record, data={"organization": tree.finance}, actor=reviewer)

    record.refresh_from_db()
    assert record.organization == tree.finance_1
    assert AuditEntry.objects.count() == entries


def test_the_system_enters_confirmed_records(tree):
    record = record_create(model=Commendation, data=creation_data(Commendation, tree.finance_1), actor=None)

    assert (record.status, record.entered_by_organization, record.confirmed_at is not None) == (
        RecordStatus.CONFIRMED,
        None,
        True,
    )


def test_it_lists_the_claims_waiting_for_the_superior_and_the_ones_sent_back_to_the_branch(
    tree, secretary, reviewer, office_user
):
    waiting = claim(tree, secretary)
    sent_back = claim(tree, secretary, Innovation)
    record_reject(record=sent_back, reason="未见认可推广文件", actor=reviewer)
    CommendationFactory(organization=tree.finance_1)  # confirmed: nothing to do
    today = date(2026, 6, 1)

    for superior in (reviewer, office_user):
        assert [(item.kind, item.title) for item in due.due_items(superior, today)] == [
            ("加分申报待确认", "财政局第一支部：表彰及署名文章申报 1 项")
        ]
    [line] = due.due_items(reviewer, today)
    assert line.url == f"/records/commendations/?organization={tree.finance_1.pk}&scope=own&status=claimed"
    assert [(item.kind, item.title) for item in due.due_items(secretary, today)] == [
        ("加分申报被退回", "党建创新申报 1 项未通过确认，可修改后重新申报")
    ]
    assert waiting.status == RecordStatus.CLAIMED
