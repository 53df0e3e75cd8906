"""Re-checks, changes of level, focus guides and visits through their services, with every guard."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.utils import timezone

from tests.supervision.conftest import audit_count, item_row, rate
from xingji.audit.models import AuditEntry
from xingji.campaigns.models import StarLedgerEntry
from xingji.campaigns.selectors import current_level
from xingji.common.errors import ActionForbidden, TransitionRefused
from xingji.ledger.models import ItemSource, RectificationItem
from xingji.records.models import CriticismIssuer, CriticismNotice
from xingji.records.selectors import engine_facts
from xingji.supervision import services
from xingji.supervision.models import ChangeState, FocusGuide, InspectionVisit, LevelChange, Recheck

pytestmark = pytest.mark.django_db


def today() -> date:
    return timezone.localdate()


def actions(after: int) -> list[str]:
    return list(AuditEntry.objects.order_by("sequence").values_list("action", flat=True)[after:])


def world_state() -> tuple:
    return (
        Recheck.objects.count(),
        LevelChange.objects.count(),
        RectificationItem.objects.count(),
        StarLedgerEntry.objects.count(),
        CriticismNotice.objects.count(),
        InspectionVisit.objects.count(),
        FocusGuide.objects.count(),
        audit_count(),
    )


# --- re-checks ---------------------------------------------------------------------------------


def test_it_records_a_recheck_and_opens_its_items_on_the_ledger(tree, reviewer):
    # given a reviewer above the branch
    before = audit_count()

    # when the reviewer records a re-check with two problems
    recheck = services.recheck_record(
        organization=tree.finance_1,
        checked_on=today(),
        method="site",
        findings="组织生活不规范",
        items=[item_row(), item_row(problem="党费收缴不及时", responsible="李委员")],
        actor=reviewer,
    )

    # then the re-check holds both items, opened as 复检核星 items of the branch
    items = list(recheck.items.order_by("pk"))
    assert [item.problem for item in items] == ["三会一课记录不全", "党费收缴不及时"]
    assert {(item.organization_id, item.source) for item in items} == {(tree.finance_1.pk, ItemSource.RECHECK)}
    assert items[0].source_note == f"{today():%Y年%m月%d日}复检"
    assert list(items[0].rechecks.all()) == [recheck]
    assert actions(before) == ["rectification_item.opened", "rectification_item.opened", "recheck.recorded"]


def test_it_refuses_a_recheck_whose_item_misses_a_field_and_names_the_row(tree, reviewer):
    before = world_state()
    with pytest.raises(TransitionRefused) as refused:
        services.recheck_record(
            organization=tree.finance_1,
            checked_on=today(),
            method="site",
            findings="问题",
            items=[item_row(), item_row(measures=" ", responsible="")],
            actor=reviewer,
        )
    assert refused.value.messages == ["第2条整改事项：请填写整改措施", "第2条整改事项：请填写责任人"]
    assert world_state() == before


def test_it_refuses_a_recheck_when_the_ledger_refuses_an_item_and_keeps_nothing(tree, reviewer):
    before = world_state()
    with pytest.raises(TransitionRefused) as refused:
        services.recheck_record(
            organization=tree.finance_1,
            checked_on=today(),
            method="site",
            findings="问题",
            items=[item_row(), item_row(deadline=today() - timedelta(days=1))],
            actor=reviewer,
        )
    assert refused.value.messages[0].startswith("第2条整改事项：")
    assert world_state() == before


@pytest.mark.parametrize(
    ("who", "where", "error"),
    [
        ("secretary", "finance_1", ActionForbidden),
        ("inspector", "finance_1", PermissionDenied),
        ("reviewer", "education_1", Http404),
        ("reviewer", "finance", ActionForbidden),
    ],
)
def test_it_refuses_a_recheck_by_anyone_but_a_superior(tree, request, who, where, error):
    user = request.getfixturevalue(who)
    before = world_state()
    with pytest.raises(error):
        services.recheck_record(
            organization=getattr(tree, where),
            checked_on=today(),
            method="site",
            findings="问题",
            items=[item_row()],
            actor=user,
        )
    assert world_state() == before


def test_it_refuses_a_recheck_dated_in_the_future_or_without_findings(tree, reviewer):
    before = world_state()
    with pytest.raises(TransitionRefused, match="复检日期不能晚于今天"):
        services.recheck_record(
            organization=tree.finance_1,
            checked_on=today() + timedelta(days=1),
            method="site",
            findings="问题",
            actor=reviewer,
        )
    with pytest.raises(TransitionRefused, match="请填写复检发现"):
        services.recheck_record(
            organization=tree.finance_1, checked_on=today(), method="site", findings=" ", actor=reviewer
        )
    assert world_state() == before


def test_it_opens_more_items_from_a_recorded_recheck(tree, reviewer, secretary):
    recheck = services.recheck_record(
        organization=tree.finance_1, checked_on=today(), method="documents", findings="台账不全", actor=reviewer
    )
    opened = services.recheck_items_open(recheck=recheck, items=[item_row()], actor=reviewer)
    assert list(recheck.items.all()) == opened
    before = world_state()
    with pytest.raises(ActionForbidden):
        services.recheck_items_open(recheck=recheck, items=[item_row()], actor=secretary)
    assert world_state() == before


# --- changes of level --------------------------------------------------------------------------


def test_a_proposed_downgrade_changes_nothing_until_approved(tree, reviewer, office_user, campaign):
    rate(tree.finance_1, 3, approver=office_user, campaign=campaign)
    recheck = services.recheck_record(
        organization=tree.finance_1, checked_on=today(), method="site", findings="作用发挥不明显", actor=reviewer
    )
    ledger = StarLedgerEntry.objects.count()

    change = services.level_change_propose(
        organization=tree.finance_1, to_level=2, reason="复检发现作用发挥不明显", recheck=recheck, actor=reviewer
    )

    assert (change.state, change.from_level, change.to_level, change.is_downgrade) == (ChangeState.PROPOSED, 3, 2, True)
    assert current_level(tree.finance_1) == 3
    assert StarLedgerEntry.objects.count() == ledger
    assert AuditEntry.objects.filter(action="level_change.proposed").count() == 1


def test_the_committee_approval_writes_exactly_one_ledger_line(tree, reviewer, office_user, campaign):
    # given a three-star branch (rated under anyang-2017) and a proposed downgrade after a re-check
    rate(tree.finance_1, 3, approver=office_user, campaign=campaign)
    recheck = services.recheck_record(
        organization=tree.finance_1, checked_on=today(), method="site", findings="作用发挥不明显", actor=reviewer
    )
    change = services.level_change_propose(
        organization=tree.finance_1, to_level=2, reason="作用发挥不明显", recheck=recheck, actor=reviewer
    )
    ledger, before = StarLedgerEntry.objects.count(), audit_count()

    # when the office records the committee's approval
    change = services.level_change_approve(
        change=change, meeting_on=today(), minutes_number="工委会纪要〔2026〕5号", actor=office_user
    )

    # then one ledger line, from the meeting date, names the re-check and the decision
    assert StarLedgerEntry.objects.count() == ledger + 1
    entry = change.ledger_entry
    assert (entry.level, entry.level_name, entry.previous_level, entry.effective_on) == (2, "二星级", 3, today())
    assert (entry.campaign, entry.evaluation, entry.approval, entry.approving_body) == (None, None, None, "市直工委")
    assert entry.reason == (
        f"{today():%Y年%m月%d日}复检，由三星级调整为二星级，市直工委工委会{today():%Y年%m月%d日}批准"
        "（工委会纪要〔2026〕5号）。理由：作用发挥不明显"
    )
    assert current_level(tree.finance_1) == 2
    assert (change.state, change.decided_by, change.minutes_number) == (
        ChangeState.APPROVED,
        office_user,
        "工委会纪要〔2026〕5号",
    )
    assert actions(before) == ["level_change.approved", "star_ledger.recorded"]

    # and a second approval is refused, changing nothing
    state = world_state()
    with pytest.raises(TransitionRefused, match="当前状态为“已批准”，不能批准"):
        services.level_change_approve(change=change, meeting_on=today(), minutes_number="又一号", actor=office_user)
    assert world_state() == state


def test_the_rejection_writes_no_ledger_line_and_frees_the_organization(tree, reviewer, office_user):
    rate(tree.finance_1, 3, approver=office_user)
    change = services.level_change_propose(organization=tree.finance_1, to_level=1, reason="问题较多", actor=reviewer)
    ledger = StarLedgerEntry.objects.count()
    with pytest.raises(TransitionRefused, match="请填写不批准的理由"):
        services.level_change_reject(change=change, comment="", actor=office_user)
    change = services.level_change_reject(change=change, comment="整改后再复检", actor=office_user)
    assert (change.state, change.decision_comment, change.ledger_entry) == (ChangeState.REJECTED, "整改后再复检", None)
    assert StarLedgerEntry.objects.count() == ledger
    assert current_level(tree.finance_1) == 3
    again = services.level_change_propose(organization=tree.finance_1, to_level=2, reason="复检后", actor=reviewer)
    assert again.state == ChangeState.PROPOSED


@pytest.mark.parametrize("decide", ["approve", "reject"])
@pytest.mark.parametrize(
    ("who", "error"),
    [
        ("reviewer", ActionForbidden),
        ("secretary", PermissionDenied),
        ("inspector", PermissionDenied),
    ],
)
def test_only_the_committee_office_decides_a_change(tree, request, reviewer, office_user, decide, who, error):
    rate(tree.finance_1, 3, approver=office_user)
    change = services.level_change_propose(organization=tree.finance_1, to_level=2, reason="理由", actor=reviewer)
    user = request.getfixturevalue(who)
    before = world_state()
    with pytest.raises(error):
        if decide == "approve":
            services.level_change_approve(change=change, meeting_on=today(), minutes_number="纪要1号", actor=user)
        else:
            services.level_change_reject(change=change, comment="不同意", actor=user)
    assert world_state() == before
    change.refresh_from_db()
    assert change.state == ChangeState.PROPOSED


def test_the_secretary_gets_404_for_a_change_outside_its_branch(tree, reviewer, office_user, secretary):
    rate(tree.finance_2, 3, approver=office_user)
    change = services.level_change_propose(organization=tree.finance_2, to_level=2, reason="理由", actor=reviewer)
    with pytest.raises(Http404):
        services.level_change_approve(change=change, meeting_on=today(), minutes_number="纪要1号", actor=secretary)


@pytest.mark.parametrize(
    ("who", "where", "error"),
    [
        ("secretary", "finance_1", ActionForbidden),
        ("inspector", "finance_1", PermissionDenied),
        ("reviewer", "education_1", Http404),
    ],
)
def test_only_a_superior_proposes_a_change(tree, request, office_user, who, where, error):
    rate(getattr(tree, where), 3, approver=office_user)
    before = world_state()
    with pytest.raises(error):
        services.level_change_propose(
            organization=getattr(tree, where), to_level=2, reason="理由", actor=request.getfixturevalue(who)
        )
    assert world_state() == before


def test_it_refuses_a_second_pending_proposal_the_same_level_and_an_unknown_level(tree, reviewer, office_user):
    rate(tree.finance_1, 3, approver=office_user)
    before = world_state()
    with pytest.raises(TransitionRefused, match="现为三星级，无需调整"):
        services.level_change_propose(organization=tree.finance_1, to_level=3, reason="理由", actor=reviewer)
    with pytest.raises(TransitionRefused, match="调整后的星级应为不定星级、一星级、二星级、三星级、四星级、五星级之一"):
        services.level_change_propose(organization=tree.finance_1, to_level=6, reason="理由", actor=reviewer)
    with pytest.raises(TransitionRefused, match="请填写调整理由"):
        services.level_change_propose(organization=tree.finance_1, to_level=2, reason="", actor=reviewer)
    assert world_state() == before
    services.level_change_propose(organization=tree.finance_1, to_level=2, reason="理由", actor=reviewer)
    before = world_state()
    with pytest.raises(TransitionRefused, match="已有待工委会批准的星级调整"):
        services.level_change_propose(organization=tree.finance_1, to_level=1, reason="理由", actor=office_user)
    assert world_state() == before


def test_it_refuses_an_approval_when_the_ledger_already_has_that_level(tree, reviewer, office_user, campaign):
    # given a downgrade proposed, then a campaign approval that rated the branch at the proposed level
    rate(tree.finance_1, 3, approver=office_user, on=date(2025, 7, 1))
    change = services.level_change_propose(organization=tree.finance_1, to_level=2, reason="理由", actor=reviewer)
    rate(tree.finance_1, 2, approver=office_user, on=today(), campaign=campaign)
    before = world_state()
    with pytest.raises(TransitionRefused, match="现已是二星级，不能再调整为同一星级"):
        services.level_change_approve(change=change, meeting_on=today(), minutes_number="纪要1号", actor=office_user)
    assert world_state() == before


def test_it_refuses_a_meeting_date_in_the_future_or_before_the_proposal(tree, reviewer, office_user):
    rate(tree.finance_1, 3, approver=office_user)
    change = services.level_change_propose(organization=tree.finance_1, to_level=2, reason="理由", actor=reviewer)
    before = world_state()
    with pytest.raises(TransitionRefused, match="工委会会议日期不能晚于今天"):
        services.level_change_approve(
            change=change, meeting_on=today() + timedelta(days=1), minutes_number="1号", actor=office_user
        )
    with pytest.raises(TransitionRefused, match="不能早于提出调整的日期"):
        services.level_change_approve(
            change=change, meeting_on=today() - timedelta(days=1), minutes_number="1号", actor=office_user
        )
    with pytest.raises(TransitionRefused, match="请填写会议纪要编号"):
        services.level_change_approve(change=change, meeting_on=today(), minutes_number=" ", actor=office_user)
    assert world_state() == before


def test_an_unrated_organization_may_be_given_a_level_with_the_plain_names(tree, reviewer, office_user):
    with pytest.raises(TransitionRefused, match="尚未定级"):
        services.level_change_propose(organization=tree.finance_1, to_level=0, reason="理由", actor=reviewer)
    change = services.level_change_propose(
        organization=tree.finance_1, to_level=1, reason="新建组织首次定级", actor=reviewer
    )
    change = services.level_change_approve(change=change, meeting_on=today(), minutes_number="1号", actor=office_user)
    assert (change.ledger_entry.level_name, change.ledger_entry.previous_level) == ("一星级", None)
    assert change.ledger_entry.reason.startswith("由未定级调整为一星级")
    assert current_level(tree.finance_1) == 1


def test_the_proposer_withdraws_a_pending_change_and_others_may_not(tree, reviewer, office_user):
    from tests.factories import UserFactory
    from xingji.accounts.models import Role

    other_reviewer = UserFactory(username="reviewer-2", organization=tree.finance, role=Role.REVIEWER)
    rate(tree.finance_1, 3, approver=office_user)
    change = services.level_change_propose(organization=tree.finance_1, to_level=2, reason="理由", actor=reviewer)
    before = world_state()
    with pytest.raises(ActionForbidden, match="只有提出人或市直工委组织部可以撤回"):
        services.level_change_withdraw(change=change, actor=other_reviewer)
    assert world_state() == before
    change = services.level_change_withdraw(change=change, actor=reviewer)
    assert change.state == ChangeState.WITHDRAWN
    with pytest.raises(TransitionRefused, match="当前状态为“已撤回”，不能撤回"):
        services.level_change_withdraw(change=change, actor=office_user)


# --- focus guides ------------------------------------------------------------------------------


def test_a_superior_assigns_and_changes_the_focus_guide(tree, reviewer, office_user, secretary, inspector):
    guide = services.focus_guide_assign(
        organization=tree.finance_1, name="王主任", note="机关党委副书记", actor=reviewer
    )
    guide = services.focus_guide_assign(organization=tree.finance_1, name="赵部长", user=office_user, actor=office_user)
    assert (guide.name, guide.user, guide.assigned_by, FocusGuide.objects.count()) == (
        "赵部长",
        office_user,
        office_user,
        1,
    )
    assert AuditEntry.objects.filter(action="focus_guide.assigned").count() == 2
    before = world_state()
    with pytest.raises(ActionForbidden):
        services.focus_guide_assign(organization=tree.finance_1, name="某人", actor=secretary)
    with pytest.raises(PermissionDenied):
        services.focus_guide_assign(organization=tree.finance_1, name="某人", actor=inspector)
    with pytest.raises(TransitionRefused, match="请填写指导人"):
        services.focus_guide_assign(organization=tree.finance_1, name="", actor=reviewer)
    assert world_state() == before


# --- supervision visits ------------------------------------------------------------------------


def test_a_visit_records_criticism_notices_the_rules_read_and_opens_items(tree, office_user):
    # given two branches visited by the committee's group, the first without criticisms this year
    year = today().year
    assert engine_facts(tree.finance_1, year)["criticisms"] == {"working_committee": 0, "municipal_committee": 0}

    # when the visit issues a notice (with an item from it) to the first and an item to the second
    visit = services.visit_record(
        organizations=[tree.finance_1, tree.education_1],
        visited_on=today(),
        method="acceptance",
        group_members="赵部长、钱科长",
        findings="活动开展不积极",
        criticisms=[
            {
                "organization": tree.finance_1,
                "issuer": CriticismIssuer.WORKING_COMMITTEE,
                "document_number": "安市直工〔2026〕9号",
                "reason": "活动开展不积极",
                "item": {k: v for k, v in item_row().items() if k != "problem"},
            }
        ],
        items=[{**item_row(problem="工作措施落实不到位"), "organization": tree.education_1}],
        actor=office_user,
    )

    # then the rules deduct the notice, and each item carries its source and links back to the visit
    assert engine_facts(tree.finance_1, year)["criticisms"] == {"working_committee": 1, "municipal_committee": 0}
    notice = visit.criticisms.get()
    assert (notice.organization, notice.date, notice.document_number) == (
        tree.finance_1,
        today(),
        "安市直工〔2026〕9号",
    )
    items = {item.organization_id: item for item in visit.items.all()}
    assert items[tree.finance_1.pk].source == ItemSource.CRITICISM
    assert items[tree.finance_1.pk].problem == "活动开展不积极"
    assert items[tree.finance_1.pk].source_note == "市直工委通报批评（安市直工〔2026〕9号）"
    assert items[tree.education_1.pk].source == ItemSource.INSPECTION
    assert list(items[tree.education_1.pk].inspection_visits.all()) == [visit]
    assert set(visit.organizations.all()) == {tree.finance_1, tree.education_1}
    assert AuditEntry.objects.filter(action="criticism_notice.created").count() == 1
    assert AuditEntry.objects.filter(action="inspection_visit.recorded").count() == 1


def test_a_visit_refuses_a_notice_for_an_organization_not_visited_and_keeps_nothing(tree, office_user):
    before = world_state()
    with pytest.raises(TransitionRefused) as refused:
        services.visit_record(
            organizations=[tree.finance_1],
            visited_on=today(),
            method="research",
            group_members="赵部长",
            findings="问题",
            criticisms=[
                {"organization": tree.finance_2, "issuer": "working_committee", "reason": "不积极"},
                {"organization": tree.finance_1, "issuer": "", "reason": ""},
            ],
            actor=office_user,
        )
    assert refused.value.messages == [
        "第1条通报批评：党组织应为本次督导对象之一",
        "第2条通报批评：请选择通报单位",
        "第2条通报批评：请填写事由",
    ]
    assert world_state() == before


@pytest.mark.parametrize(
    ("who", "error"),
    [
        ("reviewer", Http404),
        ("inspector", Http404),
        ("secretary", ActionForbidden),
    ],
)
def test_a_visit_is_recorded_only_by_a_superior_or_the_inspection_group_of_every_visited_organization(
    tree, request, who, error
):
    # the reviewer and the inspector sit on 财政局机关党委: 教育局第一支部 is outside their subtree
    before = world_state()
    with pytest.raises(error):
        services.visit_record(
            organizations=[tree.finance_1, tree.education_1] if who != "secretary" else [tree.finance_1],
            visited_on=today(),
            method="research",
            group_members="组员",
            findings="问题",
            actor=request.getfixturevalue(who),
        )
    assert world_state() == before


def test_the_inspection_group_records_a_visit_with_a_criticism_notice_and_its_item(tree, inspector, secretary):
    # given the inspection group (督导组, otherwise read-only) over 财政局机关党委
    year = today().year

    # when it records a visit to a branch with a notice and an item from it
    visit = services.visit_record(
        organizations=[tree.finance_1],
        visited_on=today(),
        method="acceptance",
        group_members="督导组",
        findings="组织生活不规范",
        criticisms=[
            {
                "organization": tree.finance_1,
                "issuer": CriticismIssuer.WORKING_COMMITTEE,
                "document_number": "安市直工〔2026〕11号",
                "reason": "组织生活不规范",
                "item": {k: v for k, v in item_row().items() if k != "problem"},
            }
        ],
        actor=inspector,
    )

    # then the rules read the notice, and the item is the group's: the branch may only ask to close it
    assert engine_facts(tree.finance_1, year)["criticisms"]["working_committee"] == 1
    item = visit.items.get()
    assert (item.source, item.opened_by_superior, item.created_by) == (ItemSource.CRITICISM, True, inspector)
    from xingji.ledger import access as ledger_access

    assert not ledger_access.may_edit_item(secretary, item)
    # and it still cannot re-check or propose a level: those are the superiors'
    with pytest.raises(PermissionDenied):
        services.recheck_record(
            organization=tree.finance_1, checked_on=today(), method="site", findings="问题", actor=inspector
        )


def test_a_visit_refuses_an_unknown_method_and_no_organizations(tree, office_user):
    before = world_state()
    with pytest.raises(TransitionRefused, match="请选择督导对象"):
        services.visit_record(
            organizations=[],
            visited_on=today(),
            method="research",
            group_members="组员",
            findings="问题",
            actor=office_user,
        )
    with pytest.raises(TransitionRefused, match="督导形式“walk”无效"):
        services.visit_record(
            organizations=[tree.finance_1],
            visited_on=today(),
            method="walk",
            group_members="组员",
            findings="问题",
            actor=office_user,
        )
    assert world_state() == before


def test_a_superuser_approval_names_the_working_committee_as_approving_body(tree, reviewer, superuser, office_user):
    rate(tree.finance_1, 3, approver=office_user)
    change = services.level_change_propose(organization=tree.finance_1, to_level=2, reason="理由", actor=reviewer)
    change = services.level_change_approve(change=change, meeting_on=today(), minutes_number="1号", actor=superuser)
    assert change.ledger_entry.approving_body == "市直工委"
