"""What may not happen in each state: every refusal leaves the data and the audit log as they were."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

import pytest

from tests.campaigns.steps import (
    audit_count,
    evaluate,
    evaluation_of,
    force_evaluated,
    force_state,
    noticed_campaign,
    rated_campaign,
    record_survey,
    self_evaluate,
    snapshot,
    uniform,
)
from xingji.campaigns import services
from xingji.campaigns.models import (
    Campaign,
    CampaignState,
    CriterionScore,
    Evaluation,
    EvaluationState,
    MunicipalResult,
    Notice,
    NoticeState,
    Objection,
    RatingRun,
    RunState,
    ScorePart,
)
from xingji.campaigns.workflow import CAMPAIGN_TRANSITIONS, EVALUATION_TRANSITIONS
from xingji.common.errors import TransitionRefused

E = EvaluationState


def given_filled_in(evaluation: Evaluation) -> Evaluation:
    """A complete self-evaluation and valid survey figures, whatever the state."""
    CriterionScore.objects.bulk_create(
        [
            CriterionScore(evaluation=evaluation, part=ScorePart.SELF, criterion_code=str(code), score=Decimal(9))
            for code in range(1, 11)
        ]
    )
    Evaluation.objects.filter(pk=evaluation.pk).update(
        claimed_level=4,
        survey_member_count=10,
        survey_participant_count=9,
        survey_satisfaction=Decimal("0.9"),
        survey_meeting_on=date(2025, 5, 20),
        level=5,
        proposed_level=5,
    )
    evaluation.refresh_from_db()
    return evaluation


# The evaluation services, each with the organization it acts on and a call that succeeds in an allowed state.
CALLS = {
    "self_save": (
        "finance_1",
        lambda ev, users: services.self_evaluation_save_draft(
            evaluation=ev, scores=uniform(8), claimed_level=3, actor=users["secretary"]
        ),
    ),
    "self_submit": (
        "finance_1",
        lambda ev, users: services.self_evaluation_submit(evaluation=ev, actor=users["secretary"]),
    ),
    "self_return": (
        "finance_1",
        lambda ev, users: services.self_evaluation_return(evaluation=ev, reason="请补充材料", actor=users["reviewer"]),
    ),
    "survey_record": (
        "finance_1",
        lambda ev, users: services.survey_figures_record(
            evaluation=ev,
            member_count=20,
            participant_count=20,
            satisfaction="0.95",
            meeting_on=date(2025, 5, 21),
            actor=users["secretary"],
        ),
    ),
    "superior_evaluate": (
        "finance_1",
        lambda ev, users: services.superior_evaluate(evaluation=ev, scores=uniform(8), actor=users["reviewer"]),
    ),
    "five_star_approve": (
        "finance_1",
        lambda ev, users: services.five_star_review_approve(evaluation=ev, actor=users["office"]),
    ),
    "five_star_return": (
        "finance_1",
        lambda ev, users: services.five_star_review_return(evaluation=ev, reason="材料不足", actor=users["office"]),
    ),
    "self_withdraw": (
        "finance_1",
        lambda ev, users: services.self_evaluation_withdraw(evaluation=ev, actor=users["secretary"]),
    ),
    "superior_withdraw": (
        "finance_1",
        lambda ev, users: services.superior_evaluation_withdraw(evaluation=ev, actor=users["reviewer"]),
    ),
    "direct_check": (
        "finance",
        lambda ev, users: services.direct_check_record(
            evaluation=ev, method="sample", finding="台账齐全", actor=users["office"]
        ),
    ),
}
CASES = [(code, state) for code in CALLS for state in E.values]


@pytest.mark.parametrize(("code", "state"), CASES, ids=[f"{code}-{state}" for code, state in CASES])
def test_it_allows_each_evaluation_transition_only_from_its_states(
    code,
    state,
    tree,
    campaign,
    clock,
    office_user,
    reviewer,
    secretary,
):
    # given an evaluation filled in and put in the state
    organization_attribute, call = CALLS[code]
    evaluation = evaluation_of(campaign, getattr(tree, organization_attribute))
    force_state(given_filled_in(evaluation), state)
    users = {"office": office_user, "reviewer": reviewer, "secretary": secretary}
    before = snapshot(evaluation)

    if state in EVALUATION_TRANSITIONS[code].sources:
        # when the transition starts from the state, then it goes through and is logged
        call(evaluation, users)
        assert audit_count() == before[-1] + 1
    else:
        # when it does not, then it is refused with the state named, and nothing changed
        with pytest.raises(TransitionRefused) as refusal:
            call(evaluation, users)
        label = E(state).label
        assert refusal.value.messages == [
            f"“{evaluation.organization.name}”的评定当前状态为“{label}”，不能{EVALUATION_TRANSITIONS[code].label}"
        ]
        assert snapshot(evaluation) == before


CAMPAIGN_CALLS = {
    "update": lambda c, office: services.campaign_update(campaign=c, data={"notice_days": 5}, actor=office),
    "open": lambda c, office: services.campaign_open(campaign=c, actor=office),
    "quota_mode": lambda c, office: services.campaign_quota_mode_change(campaign=c, quota_mode="enforce", actor=office),
    "rate": lambda c, office: services.campaign_rate(campaign=c, actor=office),
    "publish": lambda c, office: services.notice_publish(
        campaign=c, title="公示", confirmation="确认发布", actor=office
    ),
    "approve": lambda c, office: services.campaign_approve(
        campaign=c, approved_on=date(2026, 1, 5), minutes_number="纪要1号", actor=office
    ),
    "close": lambda c, office: services.campaign_close(campaign=c, actor=office),
}
CAMPAIGN_CASES = [
    (code, state)
    for code in CAMPAIGN_CALLS
    for state in CampaignState.values
    if state not in CAMPAIGN_TRANSITIONS[code].sources
]


@pytest.mark.parametrize(("code", "state"), CAMPAIGN_CASES, ids=[f"{c}-{s}" for c, s in CAMPAIGN_CASES])
def test_it_refuses_each_campaign_transition_outside_its_states(code, state, campaign, clock, office_user):
    # given the campaign in a state the transition does not start from
    Campaign.objects.filter(pk=campaign.pk).update(state=state)
    campaign.refresh_from_db()
    count, evaluations = audit_count(), Evaluation.objects.count()

    # when the office asks for it, then it is refused and nothing changed
    with pytest.raises(TransitionRefused) as refusal:
        CAMPAIGN_CALLS[code](campaign, office_user)
    assert refusal.value.messages == [
        f"评定活动“{campaign.name}”当前状态为“{CampaignState(state).label}”，不能{CAMPAIGN_TRANSITIONS[code].label}"
    ]
    campaign.refresh_from_db()
    assert (campaign.state, audit_count(), Evaluation.objects.count(), RatingRun.objects.count()) == (
        state,
        count,
        evaluations,
        0,
    )


# --- self-evaluation and superior evaluation ------------------------------------------------


def test_it_refuses_scores_beyond_the_criterion_or_with_three_decimals(tree, campaign, secretary):
    # given a draft self-evaluation
    evaluation = evaluation_of(campaign, tree.finance_1)
    before = snapshot(evaluation)

    # when the secretary saves a score above the maximum, a negative one, one with three decimals, an unknown code
    with pytest.raises(TransitionRefused) as refusal:
        services.self_evaluation_save_draft(
            evaluation=evaluation, actor=secretary, scores={"1": "10.5", "2": "-1", "3": "9.125", "4": "abc", "99": "5"}
        )

    # then every problem is named, and nothing is saved
    assert refusal.value.messages == [
        "“1 组织健全”的得分10.5超过该项满分10.00",
        "“2 制度完善、落实”的得分不能为负数",
        "“3 党组织战斗堡垒作用强”的得分最多保留两位小数",
        "“4 党员模范带头作用好”的得分“abc”不是数字",
        "评定方案中没有编号为“99”的评定内容",
    ]
    assert snapshot(evaluation) == before


def test_it_saves_a_partial_draft_and_refuses_to_submit_it(tree, campaign, secretary):
    # given a draft with two criteria scored and no claimed level
    evaluation = evaluation_of(campaign, tree.finance_1)
    services.self_evaluation_save_draft(
        evaluation=evaluation, scores={"1": {"score": "9.5", "comment": "班子健全"}, "2": 8}, actor=secretary
    )
    before = snapshot(evaluation)

    # when the secretary submits it
    with pytest.raises(TransitionRefused) as refusal:
        services.self_evaluation_submit(evaluation=evaluation, actor=secretary)

    # then the missing criteria and level are listed, and it stays a draft
    assert len(refusal.value.messages) == 9
    assert refusal.value.messages[0] == "“3 党组织战斗堡垒作用强”尚未评分"
    assert refusal.value.messages[-1] == "尚未选择申报星级"
    assert snapshot(evaluation) == before
    assert before[0] == E.SELF_DRAFT
    assert CriterionScore.objects.get(evaluation=evaluation, criterion_code="1").comment == "班子健全"


def test_it_does_not_log_a_draft_saved_unchanged(tree, campaign, secretary):
    # given a saved draft
    evaluation = evaluation_of(campaign, tree.finance_1)
    services.self_evaluation_save_draft(evaluation=evaluation, scores=uniform(9), claimed_level=4, actor=secretary)
    before = snapshot(evaluation)

    # when it is saved again with the same scores
    services.self_evaluation_save_draft(evaluation=evaluation, scores=uniform(9), actor=secretary)

    # then nothing is written
    assert snapshot(evaluation) == before


def test_it_unlocks_a_returned_self_evaluation_with_the_reason(tree, campaign, secretary, reviewer):
    # given a submitted self-evaluation
    evaluation = evaluation_of(campaign, tree.finance_1)
    self_evaluate(evaluation, secretary)

    # when the reviewer returns it, then the secretary can change and submit it again
    services.self_evaluation_return(evaluation=evaluation, reason="第3项缺少佐证材料", actor=reviewer)
    evaluation.refresh_from_db()
    assert (evaluation.state, evaluation.return_reason) == (E.SELF_DRAFT, "第3项缺少佐证材料")
    services.self_evaluation_save_draft(evaluation=evaluation, scores={"3": "8"}, actor=secretary)
    services.self_evaluation_submit(evaluation=evaluation, actor=secretary)
    evaluation.refresh_from_db()
    assert (evaluation.state, evaluation.return_reason) == (E.SELF_SUBMITTED, "")


def test_it_refuses_a_return_without_a_reason(tree, campaign, secretary, reviewer):
    evaluation = evaluation_of(campaign, tree.finance_1)
    self_evaluate(evaluation, secretary)
    before = snapshot(evaluation)

    with pytest.raises(TransitionRefused) as refusal:
        services.self_evaluation_return(evaluation=evaluation, reason="  ", actor=reviewer)

    assert refusal.value.messages == ["请填写退回理由"]
    assert snapshot(evaluation) == before


def test_it_refuses_the_superior_evaluation_without_survey_figures(tree, campaign, secretary, reviewer):
    # given a submitted self-evaluation and no survey
    evaluation = evaluation_of(campaign, tree.finance_1)
    self_evaluate(evaluation, secretary)
    before = snapshot(evaluation)

    with pytest.raises(TransitionRefused) as refusal:
        services.superior_evaluate(evaluation=evaluation, scores=uniform(8), actor=reviewer)

    assert refusal.value.messages == ["尚未录入党员群众测评结果，不能考评"]
    assert snapshot(evaluation) == before


def test_it_refuses_the_superior_evaluation_after_a_survey_below_80_percent(tree, campaign, secretary, reviewer):
    # given a survey where 15 of 20 members took part
    evaluation = evaluation_of(campaign, tree.finance_1)
    self_evaluate(evaluation, secretary)
    record_survey(evaluation, secretary, members=20, participants=15)
    before = snapshot(evaluation)

    with pytest.raises(TransitionRefused) as refusal:
        services.superior_evaluate(evaluation=evaluation, scores=uniform(8), actor=reviewer)

    assert refusal.value.messages == ["参加测评的党员占75.0%，不足80%，测评无效，应重新组织测评"]
    assert snapshot(evaluation) == before


def test_it_refuses_survey_figures_that_cannot_be(tree, campaign, secretary):
    evaluation = evaluation_of(campaign, tree.finance_1)
    before = snapshot(evaluation)

    for figures, message in [
        ({"member_count": 10, "participant_count": 11, "satisfaction": "0.9"}, "参加测评党员数不能超过党员总数"),
        ({"member_count": 0, "participant_count": 0, "satisfaction": "0.9"}, "党员总数应大于0"),
        ({"member_count": 10, "participant_count": 9, "satisfaction": "1.2"}, "满意率应在0到1之间（如0.92）"),
    ]:
        with pytest.raises(TransitionRefused) as refusal:
            services.survey_figures_record(
                evaluation=evaluation, meeting_on=date(2025, 5, 1), actor=secretary, **figures
            )
        assert refusal.value.messages == [message]
    assert snapshot(evaluation) == before


def test_it_refuses_a_five_star_approval_of_a_direct_organization_without_a_check(
    tree, campaign, reviewer, office_user
):
    # given FIN, directly under the committee, proposed for five stars by the office
    evaluation = evaluation_of(campaign, tree.finance)
    evaluate(evaluation, reviewer, office_user, score="9.5")
    evaluation.refresh_from_db()
    assert evaluation.state == E.REVIEW_PENDING
    before = snapshot(evaluation)

    # when the office approves it without having recorded its check, then it is refused
    with pytest.raises(TransitionRefused) as refusal:
        services.five_star_review_approve(evaluation=evaluation, actor=office_user)
    assert refusal.value.messages == ["直属组织须先记录普查或抽查情况，才能审核通过"]
    assert snapshot(evaluation) == before

    # and once the check is recorded, it goes through
    services.direct_check_record(
        evaluation=evaluation, method="census", finding="逐项核查，情况属实", actor=office_user
    )
    services.five_star_review_approve(evaluation=evaluation, actor=office_user)
    evaluation.refresh_from_db()
    assert (evaluation.state, evaluation.check_method) == (E.EVALUATED, "census")


def test_it_refuses_a_direct_check_of_an_organization_not_directly_under_the_committee(
    tree, campaign, secretary, office_user
):
    evaluation = evaluation_of(campaign, tree.finance_1)
    self_evaluate(evaluation, secretary)
    before = snapshot(evaluation)

    with pytest.raises(TransitionRefused) as refusal:
        services.direct_check_record(evaluation=evaluation, method="sample", finding="抽查", actor=office_user)

    assert refusal.value.messages == ["只有市直工委直属的组织由组织部普查或抽查"]
    assert snapshot(evaluation) == before


def test_it_returns_a_five_star_proposal_to_the_reviewer(tree, campaign, secretary, reviewer, office_user):
    evaluation = evaluation_of(campaign, tree.finance_1)
    evaluate(evaluation, secretary, reviewer, score="9.5")

    services.five_star_review_return(evaluation=evaluation, reason="创新项目未被上级认可推广", actor=office_user)

    evaluation.refresh_from_db()
    assert (evaluation.state, evaluation.return_reason) == (E.REEVALUATION, "创新项目未被上级认可推广")
    services.superior_evaluate(evaluation=evaluation, scores=uniform("8.9"), actor=reviewer)
    evaluation.refresh_from_db()
    assert (evaluation.state, evaluation.level, evaluation.final_score) == (E.EVALUATED, 4, Decimal("89.00"))


# --- the rating run ---------------------------------------------------------------------------


def test_it_refuses_the_rating_while_an_evaluation_is_unfinished(
    tree, campaign, office_user, django_capture_on_commit_callbacks
):
    # given four evaluations evaluated and one still a draft
    for evaluation in campaign.evaluations.exclude(organization=tree.education_1):
        force_evaluated(evaluation, score=8)
    count = audit_count()

    with django_capture_on_commit_callbacks(execute=True) as callbacks, pytest.raises(TransitionRefused) as refusal:
        services.campaign_rate(campaign=campaign, actor=office_user)

    assert refusal.value.messages == ["还有1个组织未完成考评或五星级审核，不能运行全面评定"]
    assert (RatingRun.objects.count(), audit_count(), callbacks) == (0, count, [])


def test_it_refuses_a_second_rating_while_one_is_running(campaign, office_user):
    # given a run started a minute ago, still running
    for evaluation in campaign.evaluations.all():
        force_evaluated(evaluation, score=8)
    RatingRun.objects.create(campaign=campaign, state=RunState.RUNNING, requested_by=office_user, total=10, done=4)
    count = audit_count()

    with pytest.raises(TransitionRefused) as refusal:
        services.campaign_rate(campaign=campaign, actor=office_user)

    assert refusal.value.messages == ["全面评定正在运行（已完成40%），请等待结束"]
    assert (RatingRun.objects.count(), audit_count()) == (1, count)


def test_it_replaces_a_run_without_progress_for_too_long(
    campaign, office_user, settings, django_capture_on_commit_callbacks
):
    # given a run whose process died twenty minutes ago
    for evaluation in campaign.evaluations.all():
        force_evaluated(evaluation, score=8)
    stale = RatingRun.objects.create(campaign=campaign, state=RunState.RUNNING, requested_by=office_user)
    RatingRun.objects.filter(pk=stale.pk).update(heartbeat_at=stale.created_at - timedelta(minutes=20))
    settings.XINGJI_RATING_RUN_STALE_MINUTES = 15

    # when the office starts the rating again
    with django_capture_on_commit_callbacks(execute=True):
        run = services.campaign_rate(campaign=campaign, actor=office_user)

    # then the stale run is marked interrupted and the new one runs
    stale.refresh_from_db()
    run.refresh_from_db()
    assert (stale.state, stale.error) == (RunState.FAILED, "运行中断（长时间没有进展），已由新的全面评定取代")
    assert run.state == RunState.DONE


def test_it_refuses_the_rating_after_the_first_notice(campaign, clock, office_user, django_capture_on_commit_callbacks):
    noticed_campaign(campaign, office_user, django_capture_on_commit_callbacks)
    Campaign.objects.filter(pk=campaign.pk).update(state=CampaignState.OPEN)
    count = audit_count()

    with pytest.raises(TransitionRefused) as refusal:
        services.campaign_rate(campaign=campaign, actor=office_user)

    assert refusal.value.messages == ["已发布公示，不能再运行全面评定；异议成立重新考评的组织按考评结果进入补充公示"]
    assert (RatingRun.objects.count(), audit_count()) == (1, count)


def test_it_refuses_the_notice_before_any_rating(campaign, clock, office_user):
    for evaluation in campaign.evaluations.all():
        force_evaluated(evaluation, score=8)
    count = audit_count()

    with pytest.raises(TransitionRefused) as refusal:
        services.notice_publish(campaign=campaign, title="公示", confirmation="确认发布", actor=office_user)

    assert refusal.value.messages == ["请先运行全面评定并等待其完成，再发布公示"]
    assert (Notice.objects.count(), audit_count()) == (0, count)


def test_it_refuses_the_notice_when_a_result_was_revised_after_the_rating(
    tree,
    campaign,
    clock,
    office_user,
    reviewer,
    django_capture_on_commit_callbacks,
):
    # given a rated campaign, then FIN-1 re-evaluated by its reviewer
    rated_campaign(campaign, office_user, django_capture_on_commit_callbacks)
    evaluation = evaluation_of(campaign, tree.finance_1)
    services.superior_evaluate(evaluation=evaluation, scores=uniform(7), actor=reviewer)
    count = audit_count()

    with pytest.raises(TransitionRefused) as refusal:
        services.notice_publish(campaign=campaign, title="公示", confirmation="确认发布", actor=office_user)

    assert refusal.value.messages == ["有1个组织的评定结果不是最新一次全面评定的结果，请重新运行全面评定"]
    assert (Notice.objects.count(), audit_count()) == (0, count)


# --- notice and objections -------------------------------------------------------------------


def test_it_refuses_to_close_a_notice_before_its_end(campaign, clock, office_user, django_capture_on_commit_callbacks):
    # given a notice published today for seven days
    notice = noticed_campaign(campaign, office_user, django_capture_on_commit_callbacks)
    clock.advance(6)  # its last day
    count = audit_count()

    with pytest.raises(TransitionRefused) as refusal:
        services.notice_close(notice=notice, actor=office_user)

    assert refusal.value.messages == ["公示期至2026年06月07日止，期满后才能结束公示"]
    notice.refresh_from_db()
    campaign.refresh_from_db()
    assert (notice.state, campaign.state, audit_count()) == (NoticeState.PUBLISHED, CampaignState.NOTICE, count)
    assert set(campaign.evaluations.values_list("state", flat=True)) == {E.ON_NOTICE}


def test_it_refuses_to_close_a_notice_while_an_objection_is_open(
    tree, campaign, clock, office_user, django_capture_on_commit_callbacks
):
    # given a notice past its end with one objection unanswered
    notice = noticed_campaign(campaign, office_user, django_capture_on_commit_callbacks)
    services.objection_file(notice=notice, evaluation=evaluation_of(campaign, tree.education_1), content="有异议")
    clock.advance(8)
    count = audit_count()

    with pytest.raises(TransitionRefused) as refusal:
        services.notice_close(notice=notice, actor=office_user)

    assert refusal.value.messages == ["尚有1条异议未答复，不能结束公示"]
    notice.refresh_from_db()
    assert (notice.state, audit_count()) == (NoticeState.PUBLISHED, count)
    assert set(campaign.evaluations.values_list("state", flat=True)) == {E.ON_NOTICE}


def test_it_refuses_objections_that_cannot_be_filed(
    tree, campaign, clock, office_user, settings, django_capture_on_commit_callbacks
):
    notice = noticed_campaign(campaign, office_user, django_capture_on_commit_callbacks)
    on_notice = evaluation_of(campaign, tree.finance_1)
    other = services.campaign_create(root=tree.finance, year=2025, kind="year_end", actor=office_user)
    services.campaign_open(campaign=other, actor=office_user)
    settings.XINGJI_OBJECTIONS_PER_NOTICE_PER_HOUR = 2
    services.objection_file(notice=notice, evaluation=on_notice, content="第一条")
    count = audit_count()

    def refusal(**kwargs) -> list[str]:
        arguments = {"notice": notice, "evaluation": on_notice, "content": "异议", **kwargs}
        with pytest.raises(TransitionRefused) as refused:
            services.objection_file(**arguments)
        return refused.value.messages

    assert refusal(content="   ") == ["请填写异议内容"]
    assert refusal(content="字" * 2001) == ["异议内容不能超过2000字"]
    assert refusal(evaluation=evaluation_of(other, tree.finance_1)) == ["该组织不在本次公示名单中"]
    services.objection_file(notice=notice, evaluation=on_notice, content="第二条")
    assert refusal() == ["本公示收到的异议过于频繁，请稍后再试"]
    clock.advance(7)
    assert refusal() == ["公示期为2026年06月01日至2026年06月07日，当前不在公示期内"]
    assert Objection.objects.count() == 2
    assert audit_count() == count + 1  # the second objection only


def test_it_refuses_to_answer_an_objection_twice(
    tree, campaign, clock, office_user, django_capture_on_commit_callbacks
):
    notice = noticed_campaign(campaign, office_user, django_capture_on_commit_callbacks)
    filed = services.objection_file(notice=notice, evaluation=evaluation_of(campaign, tree.finance_1), content="异议")
    services.objection_answer(objection=filed.objection, upheld=False, answer="不成立", actor=office_user)
    count = audit_count()

    with pytest.raises(TransitionRefused) as refusal:
        services.objection_answer(objection=filed.objection, upheld=True, answer="成立", actor=office_user)

    assert refusal.value.messages == ["该异议已经答复"]
    filed.objection.refresh_from_db()
    assert (filed.objection.answer, audit_count()) == ("不成立", count)
    assert evaluation_of(campaign, tree.finance_1).state == E.ON_NOTICE


# --- approval and municipal re-review --------------------------------------------------------


def test_it_refuses_an_approval_dated_within_the_notice(
    campaign, clock, office_user, django_capture_on_commit_callbacks
):
    notice = noticed_campaign(campaign, office_user, django_capture_on_commit_callbacks)
    clock.advance(8)
    services.notice_close(notice=notice, actor=office_user)
    count = audit_count()

    with pytest.raises(TransitionRefused) as refusal:
        services.campaign_approve(
            campaign=campaign, approved_on=notice.ends_on, minutes_number="纪要", actor=office_user
        )

    assert refusal.value.messages == ["工委会批准日期应在公示期满（2026年06月07日）之后"]
    assert audit_count() == count
    assert set(campaign.evaluations.values_list("state", flat=True)) == {E.NOTICE_PASSED}


def test_it_refuses_an_approval_with_nothing_to_approve(campaign, clock, office_user):
    count = audit_count()

    with pytest.raises(TransitionRefused) as refusal:
        services.campaign_approve(campaign=campaign, approved_on=clock.today, minutes_number="纪要", actor=office_user)

    assert refusal.value.messages == ["没有公示期满待批准的组织"]
    assert audit_count() == count


def test_it_refuses_a_failed_re_review_without_a_lower_level(
    tree, campaign, clock, office_user, django_capture_on_commit_callbacks
):
    # given FIN-1 approved at five stars and sent to the municipal re-review
    notice = noticed_campaign(
        campaign, office_user, django_capture_on_commit_callbacks, scores={"FIN-1": "9.5", "EDU-1": 4}
    )
    clock.advance(8)
    services.notice_close(notice=notice, actor=office_user)
    services.campaign_approve(campaign=campaign, approved_on=clock.today, minutes_number="纪要", actor=office_user)
    [review] = services.municipal_review_send(campaign=campaign, sent_on=clock.today, actor=office_user)
    count = audit_count()

    for level, message in [(None, "复审未通过时请填写复审后的星级"), (5, "复审未通过时，复审后星级应低于五星级")]:
        with pytest.raises(TransitionRefused) as refusal:
            services.municipal_review_return(
                review=review,
                returned_on=clock.today,
                result=MunicipalResult.NOT_CONFIRMED,
                result_level=level,
                actor=office_user,
            )
        assert refusal.value.messages == [message]
    assert audit_count() == count
    assert evaluation_of(campaign, tree.finance_1).state == E.MUNICIPAL_REVIEW


# --- campaigns -----------------------------------------------------------------------------


def test_it_refuses_an_uploaded_scheme_that_does_not_validate(tree, office_user):
    count = audit_count()

    with pytest.raises(TransitionRefused) as refusal:
        services.campaign_create(
            root=tree.root,
            year=2025,
            kind="mid_year",
            scheme_text='id = "x"\nname = "y"\n',
            scheme_filename="local.toml",
            actor=office_user,
        )

    assert refusal.value.messages == ["评定方案有误：local.toml: levels: 缺少必填的键"]
    assert (Campaign.objects.count(), audit_count()) == (0, count)


def test_it_refuses_an_unknown_shipped_scheme(tree, office_user):
    with pytest.raises(TransitionRefused) as refusal:
        services.campaign_create(
            root=tree.root, year=2025, kind="mid_year", scheme="../../etc/passwd", actor=office_user
        )

    assert refusal.value.messages[0].startswith("没有编号为“../../etc/passwd”的内置评定方案")
    assert Campaign.objects.count() == 0


def test_it_refuses_a_second_campaign_of_the_same_kind_and_year(tree, campaign, office_user):
    count = audit_count()

    with pytest.raises(TransitionRefused) as refusal:
        services.campaign_create(root=tree.root, year=2025, kind="mid_year", actor=office_user)

    assert refusal.value.messages == ["该范围本年度已有同类型的评定活动"]
    assert (Campaign.objects.count(), audit_count()) == (1, count)


def test_it_refuses_to_record_a_municipal_result_twice(
    tree, campaign, clock, office_user, django_capture_on_commit_callbacks
):
    # given FIN-1's five stars confirmed by the municipal re-review
    notice = noticed_campaign(
        campaign, office_user, django_capture_on_commit_callbacks, scores={"FIN-1": "9.5", "EDU-1": 4}
    )
    clock.advance(8)
    services.notice_close(notice=notice, actor=office_user)
    services.campaign_approve(campaign=campaign, approved_on=clock.today, minutes_number="纪要", actor=office_user)
    [review] = services.municipal_review_send(campaign=campaign, sent_on=clock.today, actor=office_user)
    services.municipal_review_return(
        review=review, returned_on=clock.today, result=MunicipalResult.CONFIRMED, actor=office_user
    )
    count = audit_count()

    # when a second result is recorded, then it is refused and the first stands
    with pytest.raises(TransitionRefused) as refusal:
        services.municipal_review_return(
            review=review,
            returned_on=clock.today,
            result=MunicipalResult.NOT_CONFIRMED,
            result_level=3,
            actor=office_user,
        )
    assert refusal.value.messages == ["“财政局第一支部”的评定当前状态为“复审已返回”，不能录入复审结果"]
    review.refresh_from_db()
    assert (review.result, review.result_level, audit_count()) == (MunicipalResult.CONFIRMED, 5, count)
