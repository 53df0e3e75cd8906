"""Every records service writes exactly one audit entry, with the values before and after."""

from __future__ import annotations

import io
from datetime import date

import pytest
from django.core.exceptions import ValidationError

from tests.factories import MemberFactory
from tests.records.conftest import PDF, stored_files
from tests.records.factories import FACTORIES, CommendationFactory, DisciplinaryActionFactory
from xingji.audit.chain import verify_chain
from xingji.audit.models import AuditEntry
from xingji.orgs.models import LeadershipPosition
from xingji.records.models import (
    Absence,
    Attachment,
    Commendation,
    CriticismNotice,
    DisciplinaryAction,
    Innovation,
    MemberViolation,
)
from xingji.records.services import (
    attachment_add,
    attachment_delete,
    record_create,
    record_delete,
    record_update,
)


def only_entry() -> AuditEntry:
    entries = list(AuditEntry.objects.all())
    assert len(entries) == 1
    return entries[0]


def creation_data(model, organization) -> dict:
    return {
        Commendation: {
            "organization": organization,
            "date": date(2025, 6, 1),
            "kind": "signed_article",
            "recipient": "secretary",
            "level": "province",
            "title": "以高质量党建引领高质量发展",
            "issuer": "河南日报",
            "document_number": "",
        },
        Innovation: {
            "organization": organization,
            "date": date(2025, 6, 1),
            "title": "“红色代办”服务",
            "level": "city",
            "recognized_by": "市直工委",
        },
        CriticismNotice: {
            "organization": organization,
            "date": date(2025, 6, 1),
            "issuer": "municipal_committee",
            "document_number": "安发〔2025〕9号",
            "reason": "巡察整改不力",
        },
        DisciplinaryAction: {
            "organization": organization,
            "date": date(2025, 6, 1),
            "member": None,
            "member_name": "张某",
            "is_leadership": True,
            "severity": "removal_from_post",
            "document_number": "",
            "reason": "违规收受礼金",
        },
        MemberViolation: {
            "organization": organization,
            "date": date(2025, 6, 1),
            "member": None,
            "member_name": "李某",
            "description": "醉酒驾驶",
        },
        Absence: {
            "organization": organization,
            "date": date(2025, 6, 1),
            "kind": "training",
            "description": "党务干部培训班",
            "is_excused": False,
            "excuse_reason": "",
        },
    }[model]


MODELS = [Commendation, Innovation, CriticismNotice, DisciplinaryAction, MemberViolation, Absence]
AUDIT_NAMES = {
    Commendation: "commendation",
    Innovation: "innovation",
    CriticismNotice: "criticism_notice",
    DisciplinaryAction: "disciplinary_action",
    MemberViolation: "member_violation",
    Absence: "absence",
}


@pytest.mark.parametrize("model", MODELS, ids=lambda model: model.__name__)
def test_it_audits_creating_a_record(tree, reviewer, model):
    data = creation_data(model, tree.finance_1)

    record = record_create(model=model, data=data, actor=reviewer)

    entry = only_entry()
    assert (entry.action, entry.object_type, entry.object_id) == (
        f"{AUDIT_NAMES[model]}.created",
        f"records.{model.__name__.lower()}",
        str(record.pk),
    )
    assert entry.actor == reviewer
    assert entry.before is None
    expected = {
        ("organization_id" if name == "organization" else "member_id" if name == "member" else name): value
        for name, value in data.items()
    }
    expected["organization_id"] = tree.finance_1.pk
    expected["date"] = "2025-06-01"
    # entered by the branch's superior: confirmed at once, owned by its level
    expected.update(
        status="confirmed",
        entered_by_organization_id=tree.finance.pk,
        confirmed_by_organization_id=tree.finance.pk,
        review_note="",
    )
    assert entry.after == expected
    assert model.objects.count() == 1


@pytest.mark.parametrize("model", MODELS, ids=lambda model: model.__name__)
def test_it_audits_only_the_changed_fields_of_a_record(tree, reviewer, model):
    record = FACTORIES[model](organization=tree.finance_1, date=date(2025, 3, 1))

    updated = record_update(record=record, data={"date": date(2025, 4, 2)}, actor=reviewer)

    entry = only_entry()
    assert updated.date == date(2025, 4, 2)
    assert entry.action == f"{AUDIT_NAMES[model]}.updated"
    assert (entry.before, entry.after) == ({"date": "2025-03-01"}, {"date": "2025-04-02"})


@pytest.mark.parametrize("model", MODELS, ids=lambda model: model.__name__)
def test_it_audits_deleting_a_record(tree, reviewer, model):
    record = FACTORIES[model](organization=tree.finance_1)
    record_id = record.pk

    record_delete(record=record, actor=reviewer)

    entry = only_entry()
    assert (entry.action, entry.object_id) == (f"{AUDIT_NAMES[model]}.deleted", str(record_id))
    assert entry.before["organization_id"] == tree.finance_1.pk
    assert entry.before["attachments"] == []
    assert entry.after is None
    assert model.objects.count() == 0


def test_it_writes_nothing_when_an_update_changes_nothing(tree, reviewer):
    record = CommendationFactory(organization=tree.finance_1, title="先进基层党组织")

    record_update(record=record, data={"title": "先进基层党组织"}, actor=reviewer)

    assert AuditEntry.objects.count() == 0


def test_it_refuses_a_field_it_does_not_know(tree, reviewer):
    with pytest.raises(ValueError, match="attachments"):
        record_create(
            model=Commendation, data={**creation_data(Commendation, tree.finance_1), "attachments": []}, actor=reviewer
        )

    assert (Commendation.objects.count(), AuditEntry.objects.count()) == (0, 0)


def test_it_refuses_an_invalid_record_and_writes_nothing(tree, reviewer):
    data = {**creation_data(Commendation, tree.finance_1), "level": "county"}

    with pytest.raises(ValidationError) as refused:
        record_create(model=Commendation, data=data, actor=reviewer)

    assert list(refused.value.message_dict) == ["level"]
    assert (Commendation.objects.count(), AuditEntry.objects.count()) == (0, 0)


def test_it_refuses_an_exact_duplicate_and_writes_nothing(tree, reviewer):
    data = creation_data(Innovation, tree.finance_1)
    record_create(model=Innovation, data=data, actor=reviewer)

    with pytest.raises(ValidationError) as refused:
        record_create(model=Innovation, data=data, actor=reviewer)

    assert refused.value.messages == ["已有一条完全相同的记录"]
    assert (Innovation.objects.count(), AuditEntry.objects.count()) == (1, 1)


def test_it_fills_the_name_from_the_member_and_keeps_it(tree, reviewer):
    member = MemberFactory(organization=tree.finance_1, name="王建国", leadership_position=LeadershipPosition.SECRETARY)
    data = {**creation_data(DisciplinaryAction, tree.finance_1), "member": member, "member_name": ""}

    action = record_create(model=DisciplinaryAction, data=data, actor=reviewer)

    assert (action.member_id, action.member_name) == (member.pk, "王建国")
    assert only_entry().after["member_id"] == member.pk
    member.delete()
    action.refresh_from_db()
    assert (action.member_id, action.member_name) == (None, "王建国")


def test_it_refuses_a_member_of_another_organization(tree, reviewer):
    stranger = MemberFactory(organization=tree.education_1, name="赵某")
    data = {**creation_data(MemberViolation, tree.finance_1), "member": stranger}

    with pytest.raises(ValidationError) as refused:
        record_create(model=MemberViolation, data=data, actor=reviewer)

    assert refused.value.message_dict == {"member": ["该党员不属于所选党组织"]}
    assert (MemberViolation.objects.count(), AuditEntry.objects.count()) == (0, 0)


def test_it_keeps_a_record_of_a_member_transferred_since(tree, reviewer):
    member = MemberFactory(organization=tree.finance_1, name="钱某")
    action = DisciplinaryActionFactory(organization=tree.finance_1, member=member, member_name="钱某")
    member.organization = tree.finance_2
    member.save()

    record_update(record=action, data={"reason": "补充事由"}, actor=reviewer)

    assert only_entry().after == {"reason": "补充事由"}


def test_it_audits_adding_an_attachment(tree, reviewer, attachments_root):
    record = CommendationFactory(organization=tree.finance_1)

    attachment = attachment_add(
        record=record, upload=io.BytesIO(PDF), name="表彰决定.pdf", size=len(PDF), actor=reviewer
    )

    entry = only_entry()
    assert entry.action == "attachment.created"
    assert entry.after["original_name"] == "表彰决定.pdf"
    assert entry.after["size"] == len(PDF)
    assert entry.after["file_type"] == "pdf"
    assert entry.after["object_id"] == record.pk
    assert [path.read_bytes() for path in stored_files(attachments_root)] == [PDF]
    assert attachment.file.name.startswith("records/") and "表彰" not in attachment.file.name


def test_it_audits_deleting_an_attachment_and_removes_the_file(
    tree, reviewer, attachments_root, django_capture_on_commit_callbacks
):
    record = CommendationFactory(organization=tree.finance_1)
    attachment = attachment_add(record=record, upload=io.BytesIO(PDF), name="a.pdf", size=len(PDF), actor=reviewer)

    with django_capture_on_commit_callbacks(execute=True):
        attachment_delete(attachment=attachment, actor=reviewer)

    assert [entry.action for entry in AuditEntry.objects.all()] == ["attachment.created", "attachment.deleted"]
    assert Attachment.objects.count() == 0
    assert stored_files(attachments_root) == []


def test_it_deletes_a_record_with_its_attachments_in_one_audit_entry(
    tree, reviewer, attachments_root, django_capture_on_commit_callbacks
):
    record = CommendationFactory(organization=tree.finance_1)
    attachment_add(record=record, upload=io.BytesIO(PDF), name="证书.pdf", size=len(PDF), actor=reviewer)
    entries_before = AuditEntry.objects.count()

    with django_capture_on_commit_callbacks(execute=True):
        record_delete(record=record, actor=reviewer)

    entries = list(AuditEntry.objects.order_by("sequence"))[entries_before:]
    assert [entry.action for entry in entries] == ["commendation.deleted"]
    assert [item["original_name"] for item in entries[0].before["attachments"]] == ["证书.pdf"]
    assert Attachment.objects.count() == 0
    assert stored_files(attachments_root) == []
    assert verify_chain() is None
