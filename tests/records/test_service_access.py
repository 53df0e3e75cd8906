"""The records services check their actor themselves: a refusal changes nothing and writes no audit entry.

An actor from a sibling subtree (the 教育局 党总支's reviewer, for a 财政局 branch's records) gets the same
answer as for a missing record (404); a read-only inspector gets 403, except for the criticism notices of a
supervision visit below its node.
"""

from __future__ import annotations

import io
from datetime import date

import pytest
from django.core.exceptions import PermissionDenied
from django.http import Http404

from tests.factories import UserFactory
from tests.records.conftest import PDF, stored_files
from tests.records.factories import CommendationFactory
from xingji.accounts.models import Role, User
from xingji.audit.models import AuditEntry
from xingji.records.models import Attachment, Commendation, CriticismIssuer, CriticismNotice
from xingji.records.services import attachment_add, attachment_delete, record_create, record_delete, record_update


def state() -> tuple[list[tuple[object, ...]], ...]:
    """Everything the records services could have written."""
    return (
        list(Commendation.objects.order_by("pk").values_list("pk", "organization_id", "title")),
        list(CriticismNotice.objects.order_by("pk").values_list("pk", "organization_id")),
        list(Attachment.objects.order_by("pk").values_list("pk", "object_id", "sha256")),
        list(AuditEntry.objects.values_list("pk", flat=True)),
    )


@pytest.fixture
def sibling_reviewer(tree) -> User:
    return UserFactory(username="edu-reviewer", organization=tree.education, role=Role.REVIEWER)


@pytest.fixture
def commendation(tree, superuser) -> Commendation:
    record = CommendationFactory(organization=tree.finance_1, title="先进基层党组织")
    attachment_add(record=record, upload=io.BytesIO(PDF), name="决定.pdf", size=len(PDF), actor=superuser)
    return record


def criticism_data(tree) -> dict[str, object]:
    return {
        "organization": tree.finance_1,
        "date": date(2025, 3, 1),
        "issuer": CriticismIssuer.WORKING_COMMITTEE,
        "document_number": "安直工〔2025〕9号",
        "reason": "三会一课未按要求开展",
    }


def create_record(tree, actor):
    data = {
        "organization": tree.finance_1,
        "date": date(2025, 6, 1),
        "kind": "commendation",
        "recipient": "organization",
        "level": "city",
        "title": "五好支部",
        "issuer": "中共安阳市委",
        "document_number": "安发〔2025〕8号",
    }
    return record_create(model=Commendation, data=data, actor=actor)


def update_record(tree, actor):
    return record_update(record=Commendation.objects.get(), data={"title": "改过的标题"}, actor=actor)


def delete_record(tree, actor):
    return record_delete(record=Commendation.objects.get(), actor=actor)


def add_attachment(tree, actor):
    record = Commendation.objects.get()
    return attachment_add(record=record, upload=io.BytesIO(PDF), name="证书.pdf", size=len(PDF), actor=actor)


def delete_attachment(tree, actor):
    return attachment_delete(attachment=Attachment.objects.get(), actor=actor)


WRITES = [create_record, update_record, delete_record, add_attachment, delete_attachment]


@pytest.mark.parametrize("write", WRITES, ids=lambda write: write.__name__)
def test_it_answers_an_actor_of_a_sibling_subtree_as_for_a_missing_record(
    tree, commendation, sibling_reviewer, attachments_root, write
):
    # given a 财政局 branch's commendation with its attachment, and the state before
    before, files = state(), stored_files(attachments_root)

    # when the 教育局 reviewer tries the change
    with pytest.raises(Http404):
        write(tree, sibling_reviewer)

    # then nothing was written, stored nor audited
    assert state() == before
    assert stored_files(attachments_root) == files


@pytest.mark.parametrize("write", WRITES, ids=lambda write: write.__name__)
def test_it_refuses_a_read_only_inspector(tree, commendation, inspector, attachments_root, write):
    # given an inspector whose node holds the branch
    before, files = state(), stored_files(attachments_root)

    # when the inspector tries the change
    with pytest.raises(PermissionDenied):
        write(tree, inspector)

    # then nothing was written, stored nor audited
    assert state() == before
    assert stored_files(attachments_root) == files


def test_a_record_is_not_moved_out_of_the_actors_subtree(tree, commendation, reviewer):
    before = state()

    with pytest.raises(Http404):
        record_update(record=commendation, data={"organization": tree.education_1}, actor=reviewer)

    assert state() == before


def test_an_inspector_records_the_criticism_notices_of_its_visit_only_below_its_node(tree, inspector):
    # given the 财政局 inspection group
    before = state()

    # when it records a criticism notice of a 教育局 branch, then it is refused as for a missing one
    with pytest.raises(Http404):
        record_create(
            model=CriticismNotice, data={**criticism_data(tree), "organization": tree.education_1}, actor=inspector
        )
    assert state() == before

    # and a notice of a branch below its node goes through
    notice = record_create(model=CriticismNotice, data=criticism_data(tree), actor=inspector)
    assert notice.organization == tree.finance_1
