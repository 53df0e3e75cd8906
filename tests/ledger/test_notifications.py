"""Mail to the branch when its superior decides on its plan or on a closing request (where mail is configured)."""

from __future__ import annotations

import pytest
from django.core import mail

from tests.factories import UserFactory
from tests.ledger.conftest import closing_item, make_plan
from xingji.accounts.models import Role
from xingji.common.errors import TransitionRefused
from xingji.ledger import services


@pytest.fixture
def mailed(settings, secretary):
    """Mail configured; the branch's secretary has an address, and so has a user of another branch."""
    settings.EMAIL_HOST = "smtp.example.org"
    settings.XINGJI_BASE_URL = "https://xingji.example.org"
    secretary.email = "fin1@example.org"
    secretary.save()
    return secretary


def sent() -> list[tuple[list[str], str, str]]:
    return [(message.to, message.subject, message.body) for message in mail.outbox]


def test_a_returned_plan_is_mailed_to_the_branch_with_the_comment_and_the_link(
    tree, mailed, reviewer, django_capture_on_commit_callbacks
):
    UserFactory(username="fin2", organization=tree.finance_2, role=Role.BRANCH_SECRETARY, email="fin2@example.org")
    plan = services.plan_submit(plan=make_plan(tree.finance_1, mailed), actor=mailed)

    with django_capture_on_commit_callbacks(execute=True):
        services.plan_return(plan=plan, comment="措施要具体到人", actor=reviewer)

    [(to, subject, body)] = sent()
    assert to == ["fin1@example.org"] and subject == "【星级创建】晋位争星方案被退回"
    assert "措施要具体到人" in body and f"https://xingji.example.org/ledger/plans/{plan.pk}/" in body


def test_an_acknowledged_plan_and_a_confirmed_closing_are_mailed(
    tree, mailed, reviewer, django_capture_on_commit_callbacks
):
    plan = services.plan_submit(plan=make_plan(tree.finance_1, mailed), actor=mailed)
    item = closing_item(tree.finance_1, mailed, reviewer)

    with django_capture_on_commit_callbacks(execute=True):
        services.plan_acknowledge(plan=plan, actor=reviewer)
        services.item_confirm_close(item=item, actor=reviewer)

    assert [subject for _, subject, _ in sent()] == ["【星级创建】晋位争星方案已备案", "【星级创建】整改事项已销账"]


def test_a_refused_closing_is_mailed_and_a_refused_refusal_is_not(
    tree, mailed, reviewer, django_capture_on_commit_callbacks
):
    item = closing_item(tree.finance_1, mailed, reviewer)

    with django_capture_on_commit_callbacks(execute=True), pytest.raises(TransitionRefused):
        services.item_refuse_close(item=item, comment="", actor=reviewer)
    assert sent() == []

    with django_capture_on_commit_callbacks(execute=True):
        services.item_refuse_close(item=item, comment="请补充照片", actor=reviewer)
    [(to, subject, body)] = sent()
    assert (to, subject) == (["fin1@example.org"], "【星级创建】销账申请被退回") and "请补充照片" in body


def test_nothing_is_mailed_without_a_mail_server(tree, mailed, reviewer, settings, django_capture_on_commit_callbacks):
    settings.EMAIL_HOST = ""
    plan = services.plan_submit(plan=make_plan(tree.finance_1, mailed), actor=mailed)
    with django_capture_on_commit_callbacks(execute=True):
        services.plan_acknowledge(plan=plan, actor=reviewer)
    assert sent() == []
