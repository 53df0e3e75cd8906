"""The transition tables of a campaign and of an evaluation.

Every service that changes a state names its transition here; ``check``
refuses a state the transition does not start from, with a message saying
what the state is and what was asked, and ``move`` refuses (as a programming
error) a target the table does not list. The states, as text::

    campaign:  草稿 ──open──▶ 进行中 ──notice_publish──▶ 公示中 ──notice_close──▶ 进行中
               进行中 ──approve (all approved)──▶ 已批准 ──close──▶ 已结束

    evaluation:
      自评填写中 ──self_submit──▶ 自评已提交 ──self_return (reason)──▶ 自评填写中
      自评已提交 / 退回上级重新考评 ──superior_evaluate──▶
          五星级待审核            (the scheme's top level)
          已考评                  (before any notice)
          已评定待公示            (after a notice, with a level other than the one noticed)
          公示期满待批准          (after a notice, with the level noticed)
      五星级待审核 ──five_star_approve──▶ (as superior_evaluate, without review)
      五星级待审核 ──five_star_return (reason)──▶ 退回上级重新考评
      已考评 / 已评定待公示 ──rate (campaign-wide run, quotas)──▶ 已评定待公示
      已评定待公示 ──notice_publish──▶ 公示中 ──notice_close──▶ 公示期满待批准
      公示中 … ──objection upheld──▶ 退回上级重新考评
      公示期满待批准 ──campaign_approve──▶ 已批准 (star ledger written)
      已批准 (top level) ──municipal_send──▶ 市委组织部复审中 ──municipal_return──▶ 复审已返回
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from django.db import models

from xingji.campaigns.errors import TransitionRefused
from xingji.campaigns.models import CampaignState as C
from xingji.campaigns.models import EvaluationState as E


@dataclass(frozen=True)
class Transition:
    code: str
    label: str  # what is asked, as a Chinese verb phrase: "提交自评"
    sources: frozenset[str]
    targets: frozenset[str]  # empty: the state does not change


def _t(code: str, label: str, sources: Iterable[str], targets: Iterable[str] = ()) -> Transition:
    return Transition(code, label, frozenset(sources), frozenset(targets))


# Where a finished superior evaluation (or an approved five-star review) leads.
READY_STATES = (E.EVALUATED, E.RATED, E.NOTICE_PASSED)

EVALUATION_TRANSITIONS: dict[str, Transition] = {
    t.code: t
    for t in (
        _t("self_save", "保存自评", [E.SELF_DRAFT]),
        _t("self_submit", "提交自评", [E.SELF_DRAFT], [E.SELF_SUBMITTED]),
        _t("self_return", "退回自评", [E.SELF_SUBMITTED, E.REEVALUATION], [E.SELF_DRAFT]),
        _t("survey_record", "录入测评结果", [E.SELF_DRAFT, E.SELF_SUBMITTED, E.REEVALUATION]),
        _t(
            "superior_evaluate",
            "上级考评",
            [E.SELF_SUBMITTED, E.REEVALUATION, E.EVALUATED, E.RATED],
            [E.REVIEW_PENDING, *READY_STATES],
        ),
        _t("five_star_approve", "审核通过五星级", [E.REVIEW_PENDING], READY_STATES),
        _t("five_star_return", "退回五星级建议", [E.REVIEW_PENDING], [E.REEVALUATION]),
        _t(
            "direct_check",
            "记录普查或抽查情况",
            [E.SELF_SUBMITTED, E.REEVALUATION, E.REVIEW_PENDING, E.EVALUATED, E.RATED],
        ),
        _t("rate", "全面评定", [E.EVALUATED, E.RATED], [E.RATED]),
        _t("tie_decide", "决定比例线并列", [E.RATED]),
        _t("publish", "公示", [E.RATED], [E.ON_NOTICE]),
        _t(
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
        _t("notice_pass", "公示期满", [E.ON_NOTICE], [E.NOTICE_PASSED]),
        _t("approve", "工委会批准", [E.NOTICE_PASSED], [E.APPROVED]),
        _t("municipal_send", "报送市委组织部复审", [E.APPROVED], [E.MUNICIPAL_REVIEW]),
        _t("municipal_return", "录入复审结果", [E.MUNICIPAL_REVIEW], [E.MUNICIPAL_RETURNED]),
    )
}

CAMPAIGN_TRANSITIONS: dict[str, Transition] = {
    t.code: t
    for t in (
        _t("update", "修改评定活动", [C.DRAFT]),
        _t("open", "开展评定", [C.DRAFT], [C.OPEN]),
        _t("evaluate", "填写或考评", [C.OPEN, C.NOTICE]),
        _t("rate", "运行全面评定", [C.OPEN]),
        _t("tie_decide", "决定比例线并列", [C.OPEN]),
        _t("publish", "发布公示", [C.OPEN], [C.NOTICE]),
        _t("objection", "处理异议", [C.NOTICE]),
        _t("notice_close", "结束公示", [C.NOTICE], [C.OPEN]),
        _t("approve", "录入工委会批准", [C.OPEN], [C.OPEN, C.APPROVED]),
        _t("municipal", "报送或录入市委组织部复审", [C.OPEN, C.APPROVED]),
        _t("close", "结束评定活动", [C.APPROVED], [C.CLOSED]),
    )
}


def _state_label(choices, state: str) -> str:
    try:
        return choices(state).label
    except ValueError:
        return state


def check(transition: Transition, state: str, *, subject: str, choices: type[models.TextChoices]) -> None:
    """Refuse when ``state`` is not one the transition starts from, naming the state and the transition."""
    if state not in transition.sources:
        raise TransitionRefused(
            f"{subject}当前状态为“{_state_label(choices, state)}”，不能{transition.label}",
            code="state",
        )


def check_evaluation(code: str, evaluation) -> None:
    check(EVALUATION_TRANSITIONS[code], evaluation.state, subject=f"“{evaluation.organization.name}”的评定", choices=E)


def check_campaign(code: str, campaign) -> None:
    check(CAMPAIGN_TRANSITIONS[code], campaign.state, subject=f"评定活动“{campaign.name}”", choices=C)


def move_evaluation(code: str, evaluation, target: str) -> None:
    """Set the evaluation's new state, which the transition must list."""
    transition = EVALUATION_TRANSITIONS[code]
    if target not in transition.targets:
        raise ValueError(f"transition {code} does not lead to {target}")
    evaluation.state = target


def move_campaign(code: str, campaign, target: str) -> None:
    transition = CAMPAIGN_TRANSITIONS[code]
    if target not in transition.targets:
        raise ValueError(f"transition {code} does not lead to {target}")
    campaign.state = target


def allowed_campaign_transitions(campaign) -> frozenset[str]:
    """The codes of the campaign transitions its current state allows (what ``check_campaign`` lets pass)."""
    return frozenset(code for code, transition in CAMPAIGN_TRANSITIONS.items() if campaign.state in transition.sources)
