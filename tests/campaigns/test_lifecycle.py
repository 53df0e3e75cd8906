"""One campaign walked through the services from opening to approval, municipal re-review, the results'
publication and a correction of a published result."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from tests.campaigns.steps import YEAR, actions, evaluate, evaluation_of, run_rating, uniform
from tests.records.factories import CommendationFactory
from xingji.audit.chain import verify_chain
from xingji.campaigns import selectors, services
from xingji.campaigns.models import (
    CampaignState,
    EvaluationState,
    MunicipalResult,
    NoticeState,
    ObjectionState,
    RunState,
)
from xingji.reports import corrections
from xingji.reports import selectors as report_selectors
from xingji.reports import services as report_services
from xingji.reports.models import CorrectionKind

E = EvaluationState


def test_it_walks_a_campaign_from_opening_to_municipal_re_review(
    tree,
    clock,
    office_user,
    reviewer,
    secretary,
    secretary_2,
    edu_reviewer,
    edu_secretary,
    django_capture_on_commit_callbacks,
    monkeypatch,
):
    # given a mid-year campaign over the whole tree, and a city commendation of FIN-2 this year
    CommendationFactory(organization=tree.finance_2, date=date(YEAR, 3, 1))
    campaign = services.campaign_create(root=tree.root, year=YEAR, kind="mid_year", actor=office_user)
    assert (campaign.state, campaign.deadline, campaign.notice_days, campaign.scheme_code) == (
        CampaignState.DRAFT,
        date(YEAR, 6, 5),
        7,
        "anyang-2017",
    )

    # when the office opens it
    campaign = services.campaign_open(campaign=campaign, actor=office_user)

    # then every organization under the root has an evaluation to fill in
    assert campaign.state == CampaignState.OPEN
    codes = sorted(campaign.evaluations.values_list("organization__code", flat=True))
    assert codes == ["EDU", "EDU-1", "FIN", "FIN-1", "FIN-2"]
    fin, fin_1, fin_2, edu, edu_1 = (
        evaluation_of(campaign, org)
        for org in (tree.finance, tree.finance_1, tree.finance_2, tree.education, tree.education_1)
    )

    # when each organization evaluates itself and its superior evaluates it
    evaluate(fin, reviewer, office_user, score="8.5")
    evaluate(fin_1, secretary, reviewer, score="9.5", self_score=10)
    evaluate(fin_2, secretary_2, reviewer, score=8)
    evaluate(edu, edu_reviewer, office_user, score="7.5")
    evaluate(edu_1, edu_secretary, edu_reviewer, score="6.5")

    # then the engine's levels are proposed, the five-star one awaiting the office's review
    fin_1.refresh_from_db()
    fin_2.refresh_from_db()
    assert (fin_1.state, fin_1.proposed_level, fin_1.final_score) == (E.REVIEW_PENDING, 5, Decimal("95.00"))
    assert (fin_2.state, fin_2.proposed_level, fin_2.final_score) == (E.EVALUATED, 4, Decimal("83.00"))
    assert [reason["rule"] for reason in fin_2.reasons] == ["commendation"]
    assert fin_1.composite_hint == Decimal("95.10")  # 0.2·100 + 0.3·92 + 0.5·95

    # when the office approves the five-star proposal and runs the campaign-wide rating
    services.five_star_review_approve(evaluation=fin_1, comment="材料属实", actor=office_user)
    run = run_rating(campaign, office_user, django_capture_on_commit_callbacks)

    # then every evaluation is rated, and the quota check is reported (warn mode changes nothing)
    assert (run.state, run.percent) == (RunState.DONE, 100)
    levels = dict(campaign.evaluations.values_list("organization__code", "level"))
    assert levels == {"FIN": 4, "FIN-1": 5, "FIN-2": 4, "EDU": 3, "EDU-1": 2}
    assert set(campaign.evaluations.values_list("state", flat=True)) == {E.RATED}
    ceiling = run.summary["quota"]["checks"][0]
    assert (ceiling["rule"], ceiling["limit"], ceiling["would_move"]) == ("five_star_ceiling", 0, ["FIN-1"])

    # when the office publishes the notice and the public objects to FIN-2 and EDU
    notice = services.notice_publish(
        campaign=campaign, title="2025年度星级评定结果公示", confirmation="确认发布", actor=office_user
    )
    assert (notice.starts_on, notice.ends_on) == (date(2026, 6, 1), date(2026, 6, 7))
    assert [(e.organization.code, e.level_name) for e in selectors.notice_entries(notice)] == [
        ("FIN-1", "五星级"),
        ("FIN", "四星级"),
        ("FIN-2", "四星级"),
        ("EDU", "三星级"),
        ("EDU-1", "二星级"),
    ]
    upheld = services.objection_file(notice=notice, evaluation=fin_2, content="该支部主题党日活动未按要求开展")
    rejected = services.objection_file(notice=notice, evaluation=edu, content="资料不实", contact="13800000000")
    assert selectors.objection_by_receipt(upheld.receipt.lower()) == upheld.objection

    # and the office upholds the first and rejects the second
    services.objection_answer(objection=upheld.objection, upheld=True, answer="经核实情况属实", actor=office_user)
    services.objection_answer(objection=rejected.objection, upheld=False, answer="经核实资料真实", actor=office_user)

    # then FIN-2 goes back to its reviewer, who re-evaluates it with a lower level
    fin_2.refresh_from_db()
    assert (fin_2.state, fin_2.return_reason) == (E.REEVALUATION, "异议成立：经核实情况属实")
    services.superior_evaluate(evaluation=fin_2, scores=uniform("7.5"), comment="根据异议调查结果调整", actor=reviewer)
    fin_2.refresh_from_db()
    assert (fin_2.state, fin_2.level, fin_2.noticed_level) == (E.RATED, 3, 4)

    # when the notice has run its course and closes
    clock.advance(7)
    services.notice_close(notice=notice, actor=office_user)

    # then the others await approval, and the committee approves them
    states = dict(campaign.evaluations.values_list("organization__code", "state"))
    assert states == {
        "FIN": E.NOTICE_PASSED,
        "FIN-1": E.NOTICE_PASSED,
        "FIN-2": E.RATED,
        "EDU": E.NOTICE_PASSED,
        "EDU-1": E.NOTICE_PASSED,
    }
    first = services.campaign_approve(
        campaign=campaign, approved_on=clock.today, minutes_number="工委会纪要〔2026〕5号", actor=office_user
    )
    campaign.refresh_from_db()
    assert (first.evaluations.count(), campaign.state) == (4, CampaignState.OPEN)

    # when FIN-2's changed level goes through a supplementary notice and the next approval
    supplement = services.notice_publish(
        campaign=campaign, title="星级评定结果补充公示", confirmation="确认发布", actor=office_user
    )
    assert [(e.organization.code, e.level) for e in supplement.entries.all()] == [("FIN-2", 3)]
    clock.advance(7)
    services.notice_close(notice=supplement, actor=office_user)
    services.campaign_approve(
        campaign=campaign, approved_on=clock.today, minutes_number="工委会纪要〔2026〕6号", actor=office_user
    )

    # then the campaign is approved and the star ledger holds every level with its approval
    campaign.refresh_from_db()
    assert campaign.state == CampaignState.APPROVED
    current = {
        org.code: selectors.current_level(org)
        for org in (tree.finance, tree.finance_1, tree.finance_2, tree.education, tree.education_1)
    }
    assert current == {"FIN": 4, "FIN-1": 5, "FIN-2": 3, "EDU": 3, "EDU-1": 2}
    [entry] = selectors.star_ledger(tree.finance_2)
    assert (entry.level_name, entry.effective_on, entry.approver, entry.approval.minutes_number) == (
        "三星级",
        date(2026, 6, 15),
        office_user,
        "工委会纪要〔2026〕6号",
    )
    assert entry.reason == "2025年度申报创星：评定为三星级，市直工委工委会2026年06月15日批准（工委会纪要〔2026〕6号）"

    # when the five-star result is sent to the municipal re-review and comes back confirmed
    [review] = services.municipal_review_send(campaign=campaign, sent_on=clock.advance(1), actor=office_user)
    services.municipal_review_return(
        review=review, returned_on=clock.advance(14), result=MunicipalResult.CONFIRMED, note="同意", actor=office_user
    )
    campaign = services.campaign_close(campaign=campaign, actor=office_user)

    # then the campaign is over, FIN-1 keeps its five stars, and the audit chain holds every step
    fin_1.refresh_from_db()
    assert (campaign.state, fin_1.state, selectors.current_level(tree.finance_1)) == (
        CampaignState.CLOSED,
        E.MUNICIPAL_RETURNED,
        5,
    )
    assert selectors.star_ledger(tree.finance_1).count() == 1
    assert {notice.state for notice in campaign.notices.all()} == {NoticeState.CLOSED}
    assert set(campaign.notices.first().objections.values_list("state", flat=True)) <= {
        ObjectionState.UPHELD,
        ObjectionState.REJECTED,
    }
    assert actions("campaign.") == ["campaign.created", "campaign.opened", "campaign.closed"]
    assert actions("notice.") == ["notice.published", "notice.closed"] * 2
    assert actions("approval.") == ["approval.recorded"] * 2
    assert len(actions("star_ledger.")) == 5
    assert len(actions("evaluation.rated")) == 5
    assert actions("rating_run.") == ["rating_run.requested", "rating_run.finished"]
    assert verify_chain() is None

    # when the results are published, and an objection upheld after the notice proves EDU's result wrong
    publication = report_services.results_publish(root=tree.root, year=YEAR, confirmation="确认发布", actor=office_user)
    monkeypatch.setattr(corrections, "_today", lambda: clock.today)
    corrected = corrections.result_correct(
        publication=publication,
        changes=[corrections.ResultChange(organization=tree.education, level=2)],
        kind=CorrectionKind.OBJECTION_UPHELD,
        reason="公示后异议成立：三会一课记录不实",
        confirmation="确认发布",
        actor=office_user,
    )

    # then a second version marks EDU's line only, the first stays reachable, and the star ledger follows
    publication.refresh_from_db()
    assert (corrected.version, corrected.supersedes, publication.successor) == (2, publication, corrected)
    assert [
        (line.organization.code, line.previous_level_name, line.level_name)
        for line in report_selectors.corrected_lines(corrected)
    ] == [("EDU", "三星级", "二星级")]
    assert corrected.results.count() == publication.results.count() == 5
    edu.refresh_from_db()
    assert (edu.approved_level, selectors.current_level(tree.education)) == (2, 2)
    assert selectors.star_ledger(tree.education).last().previous_level == 3

    # and during the fresh notice the public objects to the corrected line, and the office answers
    line = corrected.results.get(organization=tree.education)
    objection = corrections.correction_objection_file(publication=corrected, result=line, content="更正依据不足")
    corrections.correction_objection_answer(
        objection=objection, upheld=False, answer="经复核更正依据充分", actor=office_user
    )
    assert actions("results.") == ["results.published", "results.corrected"]
    assert actions("correction_objection.") == ["correction_objection.filed", "correction_objection.answered"]
    assert verify_chain() is None
