"""Withdrawing a submission (撤回) until the next step acts on it: the self-evaluation, the superior evaluation."""

from __future__ import annotations

from decimal import Decimal

import pytest

from tests.campaigns.steps import (
    actions,
    evaluate,
    evaluation_of,
    force_evaluated,
    rated_campaign,
    record_survey,
    self_evaluate,
    snapshot,
)
from xingji.audit.models import AuditEntry
from xingji.campaigns import services
from xingji.campaigns.models import CriterionScore, EvaluationState, RatingRun, RunState, ScorePart
from xingji.common.errors import ActionForbidden, TransitionRefused

E = EvaluationState


def self_scores(evaluation) -> dict[str, Decimal]:
    return dict(
        CriterionScore.objects.filter(evaluation=evaluation, part=ScorePart.SELF).values_list("criterion_code", "score")
    )


# --- the self-evaluation -----------------------------------------------------------------------------------------


def test_the_organization_withdraws_its_submitted_self_evaluation_to_a_draft(tree, campaign, secretary):
    # given FIN-1's submitted self-evaluation
    fin_1 = self_evaluate(evaluation_of(campaign, tree.finance_1), secretary, score=9)
    scores = self_scores(fin_1)

    # when its secretary withdraws it
    withdrawn = services.self_evaluation_withdraw(evaluation=fin_1, actor=secretary)

    # then it is a draft again, its scores and claimed level kept, and the withdrawal is logged
    withdrawn.refresh_from_db()
    assert (withdrawn.state, withdrawn.self_submitted_at, withdrawn.self_submitted_by) == (E.SELF_DRAFT, None, None)
    assert (self_scores(withdrawn), withdrawn.claimed_level) == (scores, 4)
    entry = AuditEntry.objects.filter(action="evaluation.self_withdrawn").get()
    assert (entry.before["state"], entry.after["state"]) == (E.SELF_SUBMITTED, E.SELF_DRAFT)
    # and it can be changed and submitted again
    services.self_evaluation_save_draft(evaluation=withdrawn, scores={"1": "7"}, actor=secretary)
    assert services.self_evaluation_submit(evaluation=withdrawn, actor=secretary).state == E.SELF_SUBMITTED


def test_it_refuses_to_withdraw_a_self_evaluation_the_superior_has_evaluated(tree, campaign, secretary, reviewer):
    fin_1 = evaluate(evaluation_of(campaign, tree.finance_1), secretary, reviewer, score=8)
    before = snapshot(fin_1)

    with pytest.raises(TransitionRefused) as refusal:
        services.self_evaluation_withdraw(evaluation=fin_1, actor=secretary)

    assert refusal.value.messages == ["“财政局第一支部”的评定当前状态为“已考评”，不能撤回自评"]
    assert snapshot(fin_1) == before


def test_it_refuses_to_withdraw_a_self_evaluation_the_office_has_checked(tree, campaign, reviewer, office_user):
    # given FIN (directly under the committee) submitted, and the office's sample check recorded
    fin = self_evaluate(evaluation_of(campaign, tree.finance), reviewer, score=9)
    services.direct_check_record(evaluation=fin, method="sample", finding="台账齐全", actor=office_user)
    before = snapshot(fin)

    with pytest.raises(TransitionRefused) as refusal:
        services.self_evaluation_withdraw(evaluation=fin, actor=reviewer)

    assert refusal.value.messages == ["组织部已记录对“财政局机关党委”的抽查情况，自评不能撤回"]
    assert snapshot(fin) == before


def test_only_the_organization_withdraws_its_self_evaluation(tree, campaign, secretary, reviewer):
    fin_1 = self_evaluate(evaluation_of(campaign, tree.finance_1), secretary, score=9)
    before = snapshot(fin_1)

    with pytest.raises(ActionForbidden):
        services.self_evaluation_withdraw(evaluation=fin_1, actor=reviewer)

    assert snapshot(fin_1) == before


# --- the superior evaluation -------------------------------------------------------------------------------------


def test_the_superior_withdraws_its_evaluation_before_the_rating_run(tree, campaign, secretary, reviewer):
    # given FIN-1 evaluated by its reviewer at 75 points
    fin_1 = evaluate(evaluation_of(campaign, tree.finance_1), secretary, reviewer, score=7.5)
    assert (fin_1.state, fin_1.level) == (E.EVALUATED, 3)
    superior_scores = dict(
        fin_1.criterion_scores.filter(part=ScorePart.SUPERIOR).values_list("criterion_code", "score")
    )

    # when the reviewer withdraws the evaluation
    services.superior_evaluation_withdraw(evaluation=fin_1, actor=reviewer)

    # then FIN-1 waits for its superior evaluation again: no result, no proposal, the scores kept as a draft
    fin_1.refresh_from_db()
    assert fin_1.state == E.SELF_SUBMITTED
    assert (fin_1.level, fin_1.final_score, fin_1.proposed_level, fin_1.reasons, fin_1.explanation) == (
        None,
        None,
        None,
        [],
        [],
    )
    assert (fin_1.evaluated_at, fin_1.evaluated_by, fin_1.superior_comment) == (None, None, "同意")
    assert (
        dict(fin_1.criterion_scores.filter(part=ScorePart.SUPERIOR).values_list("criterion_code", "score"))
        == superior_scores
    )
    entry = AuditEntry.objects.filter(action="evaluation.superior_withdrawn").get()
    assert (entry.before["state"], entry.before["level"], entry.after["state"], entry.after["level"]) == (
        E.EVALUATED,
        3,
        E.SELF_SUBMITTED,
        None,
    )
    # and the superior may submit it again
    again = services.superior_evaluate(
        evaluation=fin_1, scores={code: {"score": Decimal(8)} for code in superior_scores}, actor=reviewer
    )
    assert (again.state, again.level) == (E.EVALUATED, 4)


def test_a_withdrawn_re_evaluation_goes_back_to_re_evaluation(tree, campaign, secretary, reviewer, office_user):
    # given FIN-1's five-star proposal returned by the office, then evaluated again
    fin_1 = evaluate(evaluation_of(campaign, tree.finance_1), secretary, reviewer, score=10)
    services.five_star_review_return(evaluation=fin_1, reason="材料不足", actor=office_user)
    fin_1.refresh_from_db()
    services.superior_evaluate(
        evaluation=fin_1, scores={str(code): {"score": 8} for code in range(1, 11)}, actor=reviewer
    )

    # when the reviewer withdraws that evaluation
    services.superior_evaluation_withdraw(evaluation=fin_1, actor=reviewer)

    # then it is back where the reviewer found it, with the office's reason
    fin_1.refresh_from_db()
    assert (fin_1.state, fin_1.return_reason) == (E.REEVALUATION, "材料不足")


def test_the_superior_withdraws_a_five_star_proposal_before_the_review(tree, campaign, secretary, reviewer):
    fin_1 = evaluate(evaluation_of(campaign, tree.finance_1), secretary, reviewer, score=10)
    assert fin_1.state == E.REVIEW_PENDING

    services.superior_evaluation_withdraw(evaluation=fin_1, actor=reviewer)

    fin_1.refresh_from_db()
    assert (fin_1.state, fin_1.level) == (E.SELF_SUBMITTED, None)


def test_it_refuses_to_withdraw_a_five_star_proposal_the_office_has_approved(
    tree, campaign, secretary, reviewer, office_user
):
    fin_1 = evaluate(evaluation_of(campaign, tree.finance_1), secretary, reviewer, score=10)
    services.five_star_review_approve(evaluation=fin_1, comment="属实", actor=office_user)
    fin_1.refresh_from_db()
    before = snapshot(fin_1)

    with pytest.raises(TransitionRefused) as refusal:
        services.superior_evaluation_withdraw(evaluation=fin_1, actor=reviewer)

    assert refusal.value.messages == ["组织部已审核“财政局第一支部”的五星级建议，考评不能撤回"]
    assert snapshot(fin_1) == before


def test_it_refuses_to_withdraw_an_evaluation_after_the_rating_run(
    tree, campaign, reviewer, office_user, django_capture_on_commit_callbacks
):
    rated_campaign(campaign, office_user, django_capture_on_commit_callbacks)
    fin_1 = evaluation_of(campaign, tree.finance_1)
    assert fin_1.state == E.RATED
    before = snapshot(fin_1)

    with pytest.raises(TransitionRefused) as refusal:
        services.superior_evaluation_withdraw(evaluation=fin_1, actor=reviewer)

    assert refusal.value.messages == ["“财政局第一支部”的考评已经过全面评定，不能撤回"]
    assert snapshot(fin_1) == before


def test_it_refuses_to_withdraw_an_evaluation_while_a_rating_run_is_queued(tree, campaign, reviewer, office_user):
    for evaluation in campaign.evaluations.all():
        force_evaluated(evaluation, score=8)
    fin_1 = evaluation_of(campaign, tree.finance_1)
    RatingRun.objects.create(campaign=campaign, state=RunState.QUEUED, requested_by=office_user)
    before = snapshot(fin_1)

    with pytest.raises(TransitionRefused) as refusal:
        services.superior_evaluation_withdraw(evaluation=fin_1, actor=reviewer)

    assert refusal.value.messages == ["全面评定正在运行，暂不能撤回考评"]
    assert snapshot(fin_1) == before


def test_only_a_superior_withdraws_the_superior_evaluation(tree, campaign, secretary, reviewer):
    fin_1 = evaluate(evaluation_of(campaign, tree.finance_1), secretary, reviewer, score=8)
    before = snapshot(fin_1)

    with pytest.raises(ActionForbidden):
        services.superior_evaluation_withdraw(evaluation=fin_1, actor=secretary)

    assert snapshot(fin_1) == before
    assert "evaluation.superior_withdrawn" not in actions("evaluation.")


def test_a_withdrawn_survey_keeps_its_figures(tree, campaign, secretary):
    # The survey is the organization's own step beside the self-evaluation: withdrawing the form keeps it.
    fin_1 = evaluation_of(campaign, tree.finance_1)
    record_survey(fin_1, secretary, satisfaction="0.9")
    fin_1 = self_evaluate(evaluation_of(campaign, tree.finance_1), secretary, score=9)

    services.self_evaluation_withdraw(evaluation=fin_1, actor=secretary)

    fin_1.refresh_from_db()
    assert (fin_1.state, fin_1.survey_satisfaction) == (E.SELF_DRAFT, Decimal("0.9000"))
