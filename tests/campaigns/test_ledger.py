"""The star ledger (星级管理台账): written by approval, the single source of the current level."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from tests.campaigns.steps import evaluation_of, force_evaluated, noticed_campaign, uniform
from xingji.audit.models import AuditEntry
from xingji.campaigns import selectors, services
from xingji.campaigns.models import EvaluationState, MunicipalResult, StarLedgerEntry
from xingji.common.errors import TransitionRefused

E = EvaluationState


def approve_all(campaign, clock, office_user, capture, scores=None, minutes="工委会纪要〔2026〕1号"):
    notice = noticed_campaign(campaign, office_user, capture, scores=scores)
    clock.advance(notice.ends_on.toordinal() - clock.today.toordinal() + 1)
    services.notice_close(notice=notice, actor=office_user)
    return services.campaign_approve(
        campaign=campaign, approved_on=clock.today, minutes_number=minutes, actor=office_user
    )


def test_it_writes_the_ledger_on_approval_with_its_approver(
    tree, campaign, clock, office_user, django_capture_on_commit_callbacks
):
    # given no organization has a level yet
    assert selectors.current_level(tree.finance_1) is None

    # when the committee's approval is recorded
    approval = approve_all(
        campaign, clock, office_user, django_capture_on_commit_callbacks, scores={"FIN-1": "8.5", "EDU-1": "6.5"}
    )

    # then each organization's ledger has its approved level, date, campaign, approval and approver
    entry = StarLedgerEntry.objects.get(organization=tree.finance_1)
    assert (entry.level, entry.level_name, entry.previous_level, entry.effective_on) == (4, "四星级", None, clock.today)
    assert (entry.campaign, entry.approval, entry.approver, entry.approving_body) == (
        campaign,
        approval,
        office_user,
        "市直工委工委会",
    )
    assert selectors.current_level(tree.finance_1) == 4
    assert selectors.current_levels([tree.finance_1.pk, tree.education_1.pk, tree.root.pk]) == {
        tree.finance_1.pk: 4,
        tree.education_1.pk: 2,
    }
    assert StarLedgerEntry.objects.count() == 5
    audit = AuditEntry.objects.get(action="star_ledger.recorded", object_id=str(entry.pk))
    assert (audit.actor, audit.before, audit.after["level"]) == (office_user, {"level": None}, 4)
    assert evaluation_of(campaign, tree.finance_1).approved_level == 4


def test_it_carries_the_ledger_into_the_year_end_re_check(
    tree, campaign, clock, office_user, reviewer, django_capture_on_commit_callbacks
):
    # given FIN-1 approved at four stars mid-year
    approve_all(campaign, clock, office_user, django_capture_on_commit_callbacks, scores={"FIN-1": "8.5"})

    # when the year-end re-check opens and rates FIN-1 at three stars, and the committee approves
    year_end = services.campaign_create(root=tree.root, year=2025, kind="year_end", actor=office_user)
    year_end = services.campaign_open(campaign=year_end, actor=office_user)
    assert evaluation_of(year_end, tree.finance_1).previous_level == 4
    assert evaluation_of(year_end, tree.finance_1).facts == {}
    approve_all(
        year_end,
        clock,
        office_user,
        django_capture_on_commit_callbacks,
        scores={"FIN-1": "7.5"},
        minutes="工委会纪要〔2026〕9号",
    )

    # then the ledger keeps both lines, the change explained, and the current level is the new one
    lines = list(selectors.star_ledger(tree.finance_1))
    assert [(line.level, line.previous_level, line.campaign) for line in lines] == [
        (4, None, campaign),
        (3, 4, year_end),
    ]
    assert lines[1].reason.startswith("2025年度年底复核：由四星级调整为三星级，市直工委工委会")
    assert selectors.current_level(tree.finance_1) == 3
    unchanged = selectors.star_ledger(tree.finance_2).last()
    assert unchanged.reason.startswith("2025年度年底复核：维持四星级")
    assert evaluation_of(year_end, tree.finance_1).facts["previous_stars"] == 4


def test_it_lowers_the_ledger_when_the_municipal_re_review_does_not_confirm(
    tree,
    campaign,
    clock,
    office_user,
    django_capture_on_commit_callbacks,
):
    # given FIN-1 approved at five stars and sent to the municipal re-review
    approve_all(campaign, clock, office_user, django_capture_on_commit_callbacks, scores={"FIN-1": "9.5", "EDU-1": 4})
    [review] = services.municipal_review_send(campaign=campaign, sent_on=clock.today, actor=office_user)

    # when the department returns it not confirmed, at four stars
    services.municipal_review_return(
        review=review,
        returned_on=clock.advance(10),
        result=MunicipalResult.NOT_CONFIRMED,
        result_level=4,
        note="创新成效不突出",
        actor=office_user,
    )

    # then the ledger has the lower level, approved by the municipal re-review
    latest = selectors.current_ledger_entry(tree.finance_1)
    assert (latest.level, latest.previous_level, latest.approving_body, latest.effective_on) == (
        4,
        5,
        "市委组织部复审",
        clock.today,
    )
    assert latest.reason == "2025年度申报创星：市委组织部复审未通过，由五星级调整为四星级；创新成效不突出"
    assert selectors.current_level(tree.finance_1) == 4
    assert evaluation_of(campaign, tree.finance_1).state == E.MUNICIPAL_RETURNED


def test_it_reads_current_levels_in_one_query(
    tree, campaign, clock, office_user, django_assert_num_queries, django_capture_on_commit_callbacks
):
    approve_all(campaign, clock, office_user, django_capture_on_commit_callbacks)
    ids = [tree.finance.pk, tree.finance_1.pk, tree.finance_2.pk, tree.education.pk, tree.education_1.pk]

    with django_assert_num_queries(1):
        levels = selectors.current_levels(ids)

    assert levels == dict.fromkeys(ids, 4)


def test_it_keeps_the_noticed_level_when_a_re_evaluation_gives_the_same(
    tree,
    campaign,
    clock,
    office_user,
    reviewer,
    django_capture_on_commit_callbacks,
):
    # given FIN-1 on the notice at four stars, and an objection upheld
    notice = noticed_campaign(campaign, office_user, django_capture_on_commit_callbacks)
    evaluation = evaluation_of(campaign, tree.finance_1)
    filed = services.objection_file(notice=notice, evaluation=evaluation, content="得分偏高")
    services.objection_answer(objection=filed.objection, upheld=True, answer="部分属实", actor=office_user)

    # when its reviewer re-evaluates it at a lower score but the same level
    services.superior_evaluate(evaluation=evaluation, scores=uniform("8.2"), actor=reviewer)

    # then it needs no new notice: it awaits approval with the others once the notice closes
    evaluation.refresh_from_db()
    assert (evaluation.state, evaluation.level, evaluation.final_score) == (E.NOTICE_PASSED, 4, Decimal("82.00"))
    clock.advance(7)
    services.notice_close(notice=notice, actor=office_user)
    services.campaign_approve(campaign=campaign, approved_on=clock.today, minutes_number="纪要", actor=office_user)
    assert selectors.current_level(tree.finance_1) == 4
    campaign.refresh_from_db()
    assert campaign.state == "approved"


def test_it_refuses_a_municipal_re_review_with_no_five_star_result(
    tree, campaign, clock, office_user, django_capture_on_commit_callbacks
):
    approve_all(campaign, clock, office_user, django_capture_on_commit_callbacks)

    with pytest.raises(TransitionRefused) as refusal:
        services.municipal_review_send(campaign=campaign, sent_on=clock.today, actor=office_user)

    assert refusal.value.messages == ["没有待报送复审的五星级组织"]


def test_it_shows_the_progress_of_a_campaign_in_a_fixed_number_of_queries(
    tree,
    campaign,
    office_user,
    reviewer,
    django_assert_num_queries,
):
    # given the reviewer's three evaluations evaluated, and two drafts elsewhere
    for organization in (tree.finance, tree.finance_1, tree.finance_2):
        force_evaluated(evaluation_of(campaign, organization), score=8)

    with django_assert_num_queries(3):
        progress = selectors.campaign_progress(user=reviewer, campaign=campaign, today=date(2025, 6, 6))

    assert (progress.total, progress.overdue) == (3, 0)
    assert progress.by_state[E.EVALUATED] == 3
    overall = selectors.campaign_progress(user=office_user, campaign=campaign, today=date(2025, 6, 6))
    assert (overall.total, overall.overdue, overall.by_state[E.SELF_DRAFT]) == (5, 2, 2)
