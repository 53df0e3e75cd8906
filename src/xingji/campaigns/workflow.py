"""The transition tables of a campaign and of an evaluation.

Every service that changes a state names its transition here; ``check``
refuses a state the transition does not start from, with a message saying
what the state is and what was asked, and ``move`` refuses (as a programming
error) a target the table does not list. The states, as text::

    campaign:  草稿 ──open──▶ 进行中 ──notice_publish──▶ 公示中 ──notice_close──▶ 进行中
               进行中 ──approve (all approved)──▶ 已批准 ──close──▶ 已结束
               草稿 / 进行中 ──quota_mode (until the first rating run)──▶ (unchanged)

    evaluation:
      自评填写中 ──self_submit──▶ 自评已提交 ──self_return (reason)──▶ 自评填写中
      自评已提交 / 退回上级重新考评 ──superior_evaluate──▶
          五星级待审核            (the scheme's top level)
          已考评                  (before any notice)
          已评定待公示            (after a notice, with a level other than the one noticed)
          公示期满待批准          (after a notice, with the level noticed)
      五星级待审核 / 已考评 / … ──superior_withdraw (by the superior, before the review, the rating run,
          the notice or the approval acts)──▶ 自评已提交, or 退回上级重新考评 when it was returned
      五星级待审核 ──five_star_approve──▶ (as superior_evaluate, without review)
      五星级待审核 ──five_star_return (reason)──▶ 退回上级重新考评
      已考评 / 已评定待公示 ──rate (campaign-wide run, quotas)──▶ 已评定待公示
      已评定待公示 ──notice_publish──▶ 公示中 ──notice_close──▶ 公示期满待批准
      公示中 … ──objection upheld──▶ 退回上级重新考评
      公示期满待批准 ──campaign_approve──▶ 已批准 (star ledger written)
      已批准 (top level) ──municipal_send──▶ 市委组织部复审中 ──municipal_return──▶ 复审已返回
"""

from __future__ import annotations

from xingji.campaigns.models import CampaignState as C
from xingji.campaigns.models import EvaluationState as E
from xingji.common.workflow import Transition, allowed, check, move, table, transition

# Where a finished superior evaluation (or an approved five-star review) leads.
READY_STATES = (E.EVALUATED, E.RATED, E.NOTICE_PASSED)
# Where a superior evaluation leads, and so where its author may withdraw it from (the service checks that
# no later step has acted on it yet).
EVALUATED_STATES = (E.REVIEW_PENDING, *READY_STATES)

EVALUATION_TRANSITIONS: dict[str, Transition] = table(
    transition("self_save", "保存自评", [E.SELF_DRAFT]),
    transition("self_submit", "提交自评", [E.SELF_DRAFT], [E.SELF_SUBMITTED]),
    transition("self_return", "退回自评", [E.SELF_SUBMITTED, E.REEVALUATION], [E.SELF_DRAFT]),
    transition("self_withdraw", "撤回自评", [E.SELF_SUBMITTED], [E.SELF_DRAFT]),
    transition("survey_record", "录入测评结果", [E.SELF_DRAFT, E.SELF_SUBMITTED, E.REEVALUATION]),
    transition(
        "superior_evaluate",
        "上级考评",
        [E.SELF_SUBMITTED, E.REEVALUATION, E.EVALUATED, E.RATED],
        EVALUATED_STATES,
    ),
    transition("superior_withdraw", "撤回考评", EVALUATED_STATES, [E.SELF_SUBMITTED, E.REEVALUATION]),
    transition("five_star_approve", "审核通过五星级", [E.REVIEW_PENDING], READY_STATES),
    transition("five_star_return", "退回五星级建议", [E.REVIEW_PENDING], [E.REEVALUATION]),
    transition(
        "direct_check",
        "记录普查或抽查情况",
        [E.SELF_SUBMITTED, E.REEVALUATION, E.REVIEW_PENDING, E.EVALUATED, E.RATED],
    ),
    transition("rate", "全面评定", [E.EVALUATED, E.RATED], [E.RATED]),
    transition("tie_decide", "决定比例线并列", [E.RATED]),
    transition("publish", "公示", [E.RATED], [E.ON_NOTICE]),
    transition(
        "objection_uphold",
        "因异议成立退回重新考评",
        [
            E.ON_NOTICE,
            E.NOTICE_PASSED,
            E.RATED,
            E.EVALUATED,
            E.REVIEW_PENDING,
            E.REEVALUATION,
            E.SELF_SUBMITTED,
            E.SELF_DRAFT,
        ],
        [E.REEVALUATION],
    ),
    transition("notice_pass", "公示期满", [E.ON_NOTICE], [E.NOTICE_PASSED]),
    transition("approve", "工委会批准", [E.NOTICE_PASSED], [E.APPROVED]),
    transition("municipal_send", "报送市委组织部复审", [E.APPROVED], [E.MUNICIPAL_REVIEW]),
    transition("municipal_return", "录入复审结果", [E.MUNICIPAL_REVIEW], [E.MUNICIPAL_RETURNED]),
)

CAMPAIGN_TRANSITIONS: dict[str, Transition] = table(
    transition("update", "修改评定活动", [C.DRAFT]),
    transition("quota_mode", "修改比例控制方式", [C.DRAFT, C.OPEN]),
    transition("open", "开展评定", [C.DRAFT], [C.OPEN]),
    transition("evaluate", "填写或考评", [C.OPEN, C.NOTICE]),
    transition("rate", "运行全面评定", [C.OPEN]),
    transition("tie_decide", "决定比例线并列", [C.OPEN]),
    transition("publish", "发布公示", [C.OPEN], [C.NOTICE]),
    transition("objection", "处理异议", [C.NOTICE]),
    transition("notice_close", "结束公示", [C.NOTICE], [C.OPEN]),
    transition("approve", "录入工委会批准", [C.OPEN], [C.OPEN, C.APPROVED]),
    transition("municipal", "报送或录入市委组织部复审", [C.OPEN, C.APPROVED]),
    transition("close", "结束评定活动", [C.APPROVED], [C.CLOSED]),
)


def check_evaluation(code: str, evaluation) -> None:
    check(EVALUATION_TRANSITIONS[code], evaluation.state, subject=f"“{evaluation.organization.name}”的评定", choices=E)


def check_campaign(code: str, campaign) -> None:
    check(CAMPAIGN_TRANSITIONS[code], campaign.state, subject=f"评定活动“{campaign.name}”", choices=C)


def move_evaluation(code: str, evaluation, target: str) -> None:
    """Set the evaluation's new state, which the transition must list."""
    move(EVALUATION_TRANSITIONS, code, evaluation, target)


def move_campaign(code: str, campaign, target: str) -> None:
    move(CAMPAIGN_TRANSITIONS, code, campaign, target)


def allowed_campaign_transitions(campaign) -> frozenset[str]:
    """The codes of the campaign transitions its current state allows (what ``check_campaign`` lets pass)."""
    return allowed(CAMPAIGN_TRANSITIONS, campaign.state)
