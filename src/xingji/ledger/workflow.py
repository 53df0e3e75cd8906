"""The transition tables of an improvement plan and of a rectification item.

Every service that changes a state names its transition here; ``check_*``
refuses a state the transition does not start from, naming the state and
what was asked, and ``move_*`` refuses (as a programming error) a target the
table does not list. The states, as text::

    plan:  草稿 ──submit──▶ 已报送 ──acknowledge──▶ 已备案
                              └──return (comment)──▶ 已退回 ──(edit)── submit ──▶ 已报送 …

    item:  整改中 ──request_close (evidence text + ≥ 1 attachment)──▶ 待确认销账
           待确认销账 ──confirm_close (superior; closed_on = that day)──▶ 已销账
           待确认销账 ──refuse_close (superior, comment)──▶ 整改中
"""

from __future__ import annotations

from xingji.common.errors import TransitionRefused
from xingji.common.workflow import Transition, check, move, table, transition
from xingji.ledger.models import ItemState as I
from xingji.ledger.models import PlanState as P

__all__ = [
    "ITEM_TRANSITIONS",
    "PLAN_TRANSITIONS",
    "TransitionRefused",
    "check_item",
    "check_plan",
    "item_allows",
    "move_item",
    "move_plan",
    "plan_allows",
]

PLAN_TRANSITIONS: dict[str, Transition] = table(
    transition("edit", "修改方案", [P.DRAFT, P.RETURNED]),
    transition("submit", "报送方案", [P.DRAFT, P.RETURNED], [P.SUBMITTED]),
    transition("acknowledge", "备案", [P.SUBMITTED], [P.ACKNOWLEDGED]),
    transition("return", "退回方案", [P.SUBMITTED], [P.RETURNED]),
)

ITEM_TRANSITIONS: dict[str, Transition] = table(
    transition("edit", "修改整改事项", [I.OPEN]),
    transition("attach", "上传或删除佐证材料", [I.OPEN]),
    transition("request_close", "申请销账", [I.OPEN], [I.CLOSING]),
    transition("confirm_close", "确认销账", [I.CLOSING], [I.CLOSED]),
    transition("refuse_close", "退回销账申请", [I.CLOSING], [I.OPEN]),
)


def check_plan(code: str, plan) -> None:
    check(PLAN_TRANSITIONS[code], plan.state, subject=f"“{plan.organization.name}”{plan.year}年的方案", choices=P)


def check_item(code: str, item) -> None:
    check(ITEM_TRANSITIONS[code], item.state, subject="该整改事项", choices=I)


def move_plan(code: str, plan, target: str) -> None:
    move(PLAN_TRANSITIONS, code, plan, target)


def move_item(code: str, item, target: str) -> None:
    move(ITEM_TRANSITIONS, code, item, target)


def plan_allows(code: str, plan) -> bool:
    return plan.state in PLAN_TRANSITIONS[code].sources


def item_allows(code: str, item) -> bool:
    return item.state in ITEM_TRANSITIONS[code].sources
