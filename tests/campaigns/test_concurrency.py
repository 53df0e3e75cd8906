"""Two users acting on the same evaluation at the same moment: exactly one transition (PostgreSQL)."""

from __future__ import annotations

import threading

import pytest
from django.db import connection, connections

from tests.campaigns.steps import evaluate, evaluation_of
from xingji.audit.chain import verify_chain
from xingji.audit.models import AuditEntry
from xingji.campaigns import services
from xingji.campaigns.models import EvaluationState, Objection, ObjectionState
from xingji.campaigns.services import base as services_base
from xingji.common.errors import TransitionRefused

pytestmark = pytest.mark.skipif(connection.vendor != "postgresql", reason="row locks need PostgreSQL")


def at_once(*calls):
    """Run the calls in threads released together; each outcome is its result or the exception it raised."""
    barrier = threading.Barrier(len(calls))
    outcomes: list = [None] * len(calls)

    def run(index, call):
        try:
            barrier.wait(timeout=10)
            outcomes[index] = call()
        except Exception as error:  # noqa: BLE001 - the outcome under test
            outcomes[index] = error
        finally:
            connections.close_all()

    threads = [threading.Thread(target=run, args=(index, call)) for index, call in enumerate(calls)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    return outcomes


@pytest.mark.django_db(transaction=True)
def test_it_lets_only_one_of_two_simultaneous_five_star_approvals_through(
    tree,
    office_user,
    office_user_2,
    secretary,
    reviewer,
):
    # given a five-star proposal awaiting the office's review
    campaign = services.campaign_create(root=tree.root, year=2025, kind="mid_year", actor=office_user)
    campaign = services.campaign_open(campaign=campaign, actor=office_user)
    evaluation = evaluate(evaluation_of(campaign, tree.finance_1), secretary, reviewer, score="9.5")
    assert evaluation.state == EvaluationState.REVIEW_PENDING

    # when two office users approve it at the same moment
    outcomes = at_once(
        lambda: services.five_star_review_approve(evaluation=evaluation, comment="同意", actor=office_user),
        lambda: services.five_star_review_approve(evaluation=evaluation, comment="同意", actor=office_user_2),
    )

    # then exactly one transition happened, and the other was told why
    refused = [outcome for outcome in outcomes if isinstance(outcome, Exception)]
    approved = [outcome for outcome in outcomes if not isinstance(outcome, Exception)]
    assert len(approved) == 1 and len(refused) == 1
    assert isinstance(refused[0], TransitionRefused)
    assert refused[0].messages == ["“财政局第一支部”的评定当前状态为“已考评”，不能审核通过五星级"]
    evaluation.refresh_from_db()
    assert (evaluation.state, evaluation.reviewed_by) == (EvaluationState.EVALUATED, approved[0].reviewed_by)
    assert AuditEntry.objects.filter(action="evaluation.five_star_approved").count() == 1
    assert verify_chain() is None


@pytest.mark.django_db(transaction=True)
def test_it_answers_an_objection_once_when_two_answers_arrive_together(
    tree,
    office_user,
    office_user_2,
    monkeypatch,
    django_capture_on_commit_callbacks,
):
    # given a notice with one objection
    from tests.campaigns.steps import Clock, noticed_campaign

    clock = Clock(services_base._today())
    monkeypatch.setattr(services_base, "_today", lambda: clock.today)
    campaign = services.campaign_create(root=tree.root, year=2025, kind="mid_year", actor=office_user)
    campaign = services.campaign_open(campaign=campaign, actor=office_user)
    notice = noticed_campaign(campaign, office_user, django_capture_on_commit_callbacks)
    filed = services.objection_file(notice=notice, evaluation=evaluation_of(campaign, tree.finance_1), content="异议")

    # when two office users answer it at once, one upholding and one rejecting
    outcomes = at_once(
        lambda: services.objection_answer(objection=filed.objection, upheld=True, answer="成立", actor=office_user),
        lambda: services.objection_answer(
            objection=filed.objection, upheld=False, answer="不成立", actor=office_user_2
        ),
    )

    # then one answer stands, and the evaluation moved only if it was the upholding one
    refused = [outcome for outcome in outcomes if isinstance(outcome, Exception)]
    assert [error.messages for error in refused] == [["该异议已经答复"]]
    objection = Objection.objects.get(pk=filed.objection.pk)
    expected_state = (
        EvaluationState.REEVALUATION if objection.state == ObjectionState.UPHELD else EvaluationState.ON_NOTICE
    )
    assert evaluation_of(campaign, tree.finance_1).state == expected_state
    assert AuditEntry.objects.filter(action="objection.answered").count() == 1
