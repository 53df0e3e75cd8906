"""The rectification item services: each transition × role × state, and refusals that change nothing."""

from __future__ import annotations

import io
from datetime import timedelta

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404

from tests.factories import UserFactory
from tests.ledger.conftest import PDF, audit_count, closing_item, open_item, pdf_upload
from xingji.accounts.models import Role
from xingji.audit.models import AuditEntry
from xingji.common.errors import ActionForbidden, TransitionRefused
from xingji.ledger import services
from xingji.ledger.models import ItemSource, ItemState, RectificationItem

pytestmark = pytest.mark.django_db


# --- item_open ---------------------------------------------------------------------------------


def test_it_opens_a_self_found_item_for_the_secretary_with_its_audit_entry(tree, secretary, today):
    item = open_item(tree.finance_1, secretary)

    assert item.pk is not None
    assert (item.state, item.source, item.opened_by_superior, item.created_by) == (
        ItemState.OPEN,
        ItemSource.SELF,
        False,
        secretary,
    )
    entry = AuditEntry.objects.get(action="rectification_item.opened")
    assert entry.after["problem"] == "会议记录不全"


@pytest.mark.parametrize("source", ItemSource.values)
def test_it_lets_a_superior_open_an_item_of_any_source(tree, reviewer, office_user, source):
    by_reviewer = open_item(tree.finance_1, reviewer, source=source)
    by_office = open_item(tree.education_1, office_user, source=source, source_note="通报〔2026〕3号")

    assert by_reviewer.opened_by_superior and by_office.opened_by_superior
    assert by_office.source_note == "通报〔2026〕3号"


@pytest.mark.parametrize("source", [s for s in ItemSource.values if s != ItemSource.SELF])
def test_it_refuses_the_secretary_a_source_other_than_self_found(tree, secretary, source):
    before = audit_count()

    with pytest.raises(ActionForbidden, match="自查发现"):
        open_item(tree.finance_1, secretary, source=source)

    assert RectificationItem.objects.count() == 0 and audit_count() == before


def test_it_refuses_the_secretary_another_organization(tree, secretary):
    with pytest.raises(Http404):
        open_item(tree.finance_2, secretary)
    assert RectificationItem.objects.count() == 0


def test_it_refuses_a_reviewer_its_own_organization_for_other_sources(tree, reviewer):
    with pytest.raises(ActionForbidden):
        open_item(tree.finance, reviewer, source=ItemSource.INSPECTION)
    assert RectificationItem.objects.count() == 0


def test_it_refuses_the_inspector(tree, inspector):
    with pytest.raises(PermissionDenied):
        open_item(tree.finance_1, inspector)
    assert RectificationItem.objects.count() == 0


def test_it_refuses_a_deadline_before_today(tree, secretary):
    before = audit_count()

    with pytest.raises(TransitionRefused) as refused:
        open_item(tree.finance_1, secretary, days=-1)

    assert refused.value.message_dict == {"deadline": ["整改时限不能早于今天"]}
    assert RectificationItem.objects.count() == 0 and audit_count() == before


def test_it_refuses_an_empty_problem_and_an_unknown_source(tree, reviewer):
    with pytest.raises(ValidationError) as refused:
        open_item(tree.finance_1, reviewer, problem="  ")
    assert "problem" in refused.value.message_dict
    with pytest.raises(ValidationError):
        open_item(tree.finance_1, reviewer, source="rumour")
    assert RectificationItem.objects.count() == 0


def test_it_allows_a_deadline_of_today(tree, secretary, today):
    item = open_item(tree.finance_1, secretary, days=0)
    assert item.deadline == today


# --- item_update --------------------------------------------------------------------------------


def test_it_lets_the_secretary_edit_its_own_self_found_item(tree, secretary):
    item = open_item(tree.finance_1, secretary)

    updated = services.item_update(item=item, actor=secretary, measures="每月检查")

    assert updated.measures == "每月检查"
    assert AuditEntry.objects.filter(action="rectification_item.updated").count() == 1


def test_it_refuses_the_secretary_an_item_the_superior_opened(tree, secretary, reviewer):
    item = open_item(tree.finance_1, reviewer, source=ItemSource.SELF)
    before = audit_count()

    with pytest.raises(ActionForbidden, match="上级交办"):
        services.item_update(item=item, actor=secretary, measures="改掉")

    item.refresh_from_db()
    assert item.measures == "逐月补记并指定专人负责" and audit_count() == before


def test_it_refuses_the_secretary_turning_a_self_item_into_another_source(tree, secretary):
    item = open_item(tree.finance_1, secretary)
    with pytest.raises(ActionForbidden):
        services.item_update(item=item, actor=secretary, source=ItemSource.INSPECTION)
    item.refresh_from_db()
    assert item.source == ItemSource.SELF


def test_it_refuses_editing_a_closing_item(tree, secretary, reviewer):
    item = closing_item(tree.finance_1, secretary, reviewer)
    before = audit_count()

    with pytest.raises(TransitionRefused, match="待确认销账"):
        services.item_update(item=item, actor=reviewer, measures="改掉")

    assert audit_count() == before


# --- closing -----------------------------------------------------------------------------------------


def test_it_walks_an_item_from_open_to_closed(tree, secretary, reviewer, today):
    item = open_item(tree.finance_1, reviewer, source=ItemSource.RECHECK)

    item = services.item_request_close(item=item, evidence="已整改", uploads=[pdf_upload()], actor=secretary)
    assert item.state == ItemState.CLOSING and item.close_requested_by == secretary
    assert services.item_attachments(item).count() == 1

    item = services.item_confirm_close(item=item, actor=reviewer)
    assert (item.state, item.closed_on, item.closed_by) == (ItemState.CLOSED, today, reviewer)
    actions = list(
        AuditEntry.objects.filter(action__startswith="rectification_item")
        .values_list("action", flat=True)
        .order_by("id")
    )
    assert actions == ["rectification_item.opened", "rectification_item.close_requested", "rectification_item.closed"]


def test_it_refuses_a_closing_request_without_an_attachment(tree, secretary):
    item = open_item(tree.finance_1, secretary)
    before = audit_count()

    with pytest.raises(TransitionRefused) as refused:
        services.item_request_close(item=item, evidence="已整改", actor=secretary)

    assert refused.value.message_dict == {"file": ["申请销账须至少上传一份佐证材料"]}
    item.refresh_from_db()
    assert item.state == ItemState.OPEN and audit_count() == before


def test_it_refuses_a_closing_request_without_evidence_text_and_keeps_no_file(tree, secretary):
    item = open_item(tree.finance_1, secretary)
    before = audit_count()

    with pytest.raises(TransitionRefused, match="整改完成情况"):
        services.item_request_close(item=item, evidence=" ", uploads=[pdf_upload()], actor=secretary)

    assert services.item_attachments(item).count() == 0 and audit_count() == before


def test_it_accepts_a_closing_request_with_a_file_uploaded_before(tree, secretary):
    item = open_item(tree.finance_1, secretary)
    services.item_attachment_add(item=item, upload=io.BytesIO(PDF), name="a.pdf", size=len(PDF), actor=secretary)

    item = services.item_request_close(item=item, evidence="已整改", actor=secretary)

    assert item.state == ItemState.CLOSING


@pytest.mark.parametrize("role", ["reviewer", "office_user", "inspector"])
def test_it_refuses_a_closing_request_by_anyone_but_the_organization(request, tree, secretary, role):
    actor = request.getfixturevalue(role)
    item = open_item(tree.finance_1, secretary)
    services.item_attachment_add(item=item, upload=io.BytesIO(PDF), name="a.pdf", size=len(PDF), actor=secretary)
    before = audit_count()

    with pytest.raises(PermissionDenied):
        services.item_request_close(item=item, evidence="已整改", actor=actor)

    item.refresh_from_db()
    assert item.state == ItemState.OPEN and audit_count() == before


def test_it_refuses_a_second_closing_request(tree, secretary, reviewer):
    item = closing_item(tree.finance_1, secretary, reviewer)
    before = audit_count()
    with pytest.raises(TransitionRefused, match="不能申请销账"):
        services.item_request_close(item=item, evidence="再次", uploads=[pdf_upload()], actor=secretary)
    assert audit_count() == before and services.item_attachments(item).count() == 1


@pytest.mark.parametrize("role", ["secretary", "inspector"])
def test_it_refuses_confirmation_by_the_organization_or_the_inspector(request, tree, secretary, reviewer, role):
    item = closing_item(tree.finance_1, secretary, reviewer)
    before = audit_count()

    with pytest.raises(PermissionDenied):
        services.item_confirm_close(item=item, actor=request.getfixturevalue(role))

    item.refresh_from_db()
    assert item.state == ItemState.CLOSING and item.closed_on is None and audit_count() == before


def test_it_refuses_confirmation_by_the_organization_s_own_reviewer(tree, reviewer, office_user):
    # The 机关党委's own item: its reviewer is the organization itself, not its superior.
    item = open_item(tree.finance, office_user)
    item = services.item_request_close(item=item, evidence="已整改", uploads=[pdf_upload()], actor=reviewer)

    with pytest.raises(ActionForbidden):
        services.item_confirm_close(item=item, actor=reviewer)

    assert services.item_confirm_close(item=item, actor=office_user).state == ItemState.CLOSED


def test_it_refuses_confirmation_of_an_open_item(tree, secretary, reviewer):
    item = open_item(tree.finance_1, secretary)
    before = audit_count()
    with pytest.raises(TransitionRefused, match="整改中"):
        services.item_confirm_close(item=item, actor=reviewer)
    assert audit_count() == before


def test_it_sends_a_refused_closing_back_to_open_with_the_comment(tree, secretary, reviewer):
    item = closing_item(tree.finance_1, secretary, reviewer)

    item = services.item_refuse_close(item=item, comment="佐证材料不足", actor=reviewer)

    assert (item.state, item.review_comment, item.closed_on) == (ItemState.OPEN, "佐证材料不足", None)
    # The organization tries again.
    again = services.item_request_close(
        item=item, evidence="补充材料", uploads=[pdf_upload("补充.pdf")], actor=secretary
    )
    assert again.state == ItemState.CLOSING and services.item_attachments(again).count() == 2


def test_it_refuses_a_refusal_without_a_comment(tree, secretary, reviewer):
    item = closing_item(tree.finance_1, secretary, reviewer)
    before = audit_count()
    with pytest.raises(TransitionRefused, match="意见"):
        services.item_refuse_close(item=item, comment="", actor=reviewer)
    item.refresh_from_db()
    assert item.state == ItemState.CLOSING and audit_count() == before


def test_it_refuses_a_superior_outside_its_subtree(tree, secretary, reviewer):
    other_reviewer = UserFactory(username="edu-reviewer", organization=tree.education, role=Role.REVIEWER)
    item = closing_item(tree.finance_1, secretary, reviewer)
    with pytest.raises(Http404):
        services.item_confirm_close(item=item, actor=other_reviewer)
    item.refresh_from_db()
    assert item.state == ItemState.CLOSING


def test_it_refuses_evidence_changes_once_closing(tree, secretary, reviewer):
    item = closing_item(tree.finance_1, secretary, reviewer)
    attachment = services.item_attachments(item).get()
    before = audit_count()
    with pytest.raises(TransitionRefused):
        services.item_attachment_add(item=item, upload=io.BytesIO(PDF), name="b.pdf", size=len(PDF), actor=secretary)
    with pytest.raises(TransitionRefused):
        services.item_attachment_delete(item=item, attachment=attachment, actor=secretary)
    assert services.item_attachments(item).count() == 1 and audit_count() == before


def test_it_counts_an_item_past_its_deadline_as_overdue_until_closed(tree, secretary, today):
    item = open_item(tree.finance_1, secretary)
    assert not item.is_overdue(today)
    assert item.is_overdue(item.deadline + timedelta(days=1))
