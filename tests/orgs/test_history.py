"""History kept, not overwritten: election terms, dated moves (and campaign scopes read on the campaign's
day), former names, merges and dissolutions (issue 17, item 4)."""

from __future__ import annotations

from datetime import date, timedelta
from importlib import import_module

import pytest
from django.apps import apps
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404
from django.utils import timezone

from tests.factories import ElectionFactory, MemberFactory, OrganizationFactory
from xingji.audit.models import AuditEntry
from xingji.campaigns.models import StarLedgerEntry
from xingji.campaigns.scope import scope_organizations
from xingji.campaigns.services import campaign_create
from xingji.orgs.models import (
    Election,
    ElectionTerm,
    LeadershipPosition,
    Member,
    Organization,
    OrganizationMove,
    OrganizationName,
    OrganizationType,
)
from xingji.orgs.selectors import parent_on, subtree_on
from xingji.orgs.services import (
    election_record,
    organization_dissolve,
    organization_merge,
    organization_move,
    organization_update,
)

SECRETARY = LeadershipPosition.SECRETARY
DEPUTY = LeadershipPosition.DEPUTY_SECRETARY
COMMITTEE = LeadershipPosition.COMMITTEE_MEMBER


def fresh(organization: Organization) -> Organization:
    return Organization.objects.get(pk=organization.pk)


def codes(organizations) -> list[str]:
    return [organization.code for organization in organizations]


def ledger_line(organization, approver, level: int = 3) -> StarLedgerEntry:
    return StarLedgerEntry.objects.create(
        organization=organization,
        level=level,
        level_name=f"{level}星级",
        previous_level=None,
        effective_on=date(2025, 7, 1),
        approving_body="市直工委工委会",
        reason="2025年度评定",
        approver=approver,
    )


# --- election history ------------------------------------------------------------------------------------


def test_a_new_election_appends_a_term_and_keeps_the_old_one(tree, secretary):
    # given a first election with its team
    leader = MemberFactory(organization=tree.finance_1, name="张书记")
    member = MemberFactory(organization=tree.finance_1, name="李委员")
    election_record(
        organization=tree.finance_1,
        last_election=date(2020, 5, 20),
        term_years=3,
        team=[(SECRETARY, leader), (COMMITTEE, member)],
        actor=secretary,
    )
    # when the next election is recorded
    election_record(
        organization=tree.finance_1,
        last_election=date(2023, 5, 21),
        term_years=5,
        team=[(SECRETARY, member)],
        note="换届选举",
        actor=secretary,
    )
    # then both terms are kept, newest first, and the current term is the new one
    terms = list(ElectionTerm.objects.filter(organization=tree.finance_1).order_by("-elected_on"))
    assert [(term.elected_on, term.term_years) for term in terms] == [(date(2023, 5, 21), 5), (date(2020, 5, 20), 3)]
    assert terms[0].team_lines == [("书记", "李委员")]
    assert terms[0].note == "换届选举"
    assert terms[1].team_lines == [("书记", "张书记"), ("委员", "李委员")]
    assert Election.objects.get(organization=tree.finance_1).last_election == date(2023, 5, 21)


def test_the_same_date_amends_the_current_term(tree, secretary):
    deputy = MemberFactory(organization=tree.finance_1, name="王副书记")
    election_record(organization=tree.finance_1, last_election=date(2023, 5, 20), term_years=3, actor=secretary)

    election_record(
        organization=tree.finance_1,
        last_election=date(2023, 5, 20),
        term_years=3,
        team=[(DEPUTY, deputy)],
        actor=secretary,
    )

    term = ElectionTerm.objects.get(organization=tree.finance_1)
    assert term.team == [{"position": "deputy_secretary", "name": "王副书记", "member_id": deputy.pk}]
    assert AuditEntry.objects.filter(action="election.recorded").count() == 2


def test_an_earlier_date_corrects_the_current_term_but_not_past_the_previous_one(tree, secretary):
    election_record(organization=tree.finance_1, last_election=date(2020, 5, 20), term_years=3, actor=secretary)
    election_record(organization=tree.finance_1, last_election=date(2023, 6, 1), term_years=3, actor=secretary)

    # a correction one day after the previous term is accepted
    election_record(organization=tree.finance_1, last_election=date(2020, 5, 21), term_years=3, actor=secretary)
    dates = list(ElectionTerm.objects.filter(organization=tree.finance_1).values_list("elected_on", flat=True))
    assert sorted(dates) == [date(2020, 5, 20), date(2020, 5, 21)]

    # on the previous term's very day it is refused, and nothing changes
    with pytest.raises(ValidationError) as refused:
        election_record(organization=tree.finance_1, last_election=date(2020, 5, 20), term_years=3, actor=secretary)
    assert "应晚于上一届的换届日期（2020-05-20）" in str(refused.value)
    assert Election.objects.get(organization=tree.finance_1).last_election == date(2020, 5, 21)


def test_changing_only_the_postponement_adds_no_term(tree, reviewer):
    election_record(organization=tree.finance_1, last_election=date(2020, 5, 20), term_years=3, actor=reviewer)

    election_record(
        organization=tree.finance_1,
        last_election=date(2020, 5, 20),
        term_years=3,
        postponement_requested=True,
        actor=reviewer,
    )

    assert ElectionTerm.objects.filter(organization=tree.finance_1).count() == 1


def test_an_unchanged_election_writes_nothing(tree, secretary):
    election_record(organization=tree.finance_1, last_election=date(2020, 5, 20), term_years=3, actor=secretary)

    election_record(organization=tree.finance_1, last_election=date(2020, 5, 20), term_years=3, actor=secretary)

    assert AuditEntry.objects.filter(action="election.recorded").count() == 1


def test_an_election_recorded_before_history_gets_its_first_term(tree, secretary):
    ElectionFactory(organization=tree.finance_1, last_election=date(2022, 6, 1), term_years=3)

    election_record(organization=tree.finance_1, last_election=date(2025, 6, 2), term_years=3, actor=secretary)

    assert list(ElectionTerm.objects.filter(organization=tree.finance_1).values_list("elected_on", flat=True)) == [
        date(2025, 6, 2)
    ]


@pytest.mark.parametrize(
    ("seats", "message"),
    [
        (lambda own, other: [(SECRETARY, own), (COMMITTEE, own)], "“甲”只能担任一个职务"),
        (lambda own, other: [(SECRETARY, other)], "“乙”不是本组织的党员，不能列入当选班子"),
        (lambda own, other: [(LeadershipPosition.NONE, own)], "“甲”的职务不是班子职务"),
    ],
)
def test_it_refuses_a_team_that_cannot_be(tree, secretary, seats, message):
    own = MemberFactory(organization=tree.finance_1, name="甲")
    other = MemberFactory(organization=tree.finance_2, name="乙")

    with pytest.raises(ValidationError) as refused:
        election_record(
            organization=tree.finance_1,
            last_election=date(2023, 5, 20),
            term_years=3,
            team=seats(own, other),
            actor=secretary,
        )

    assert message in str(refused.value)
    assert not ElectionTerm.objects.exists()
    assert not Election.objects.exists()


def test_it_refuses_two_secretaries(tree, secretary):
    first = MemberFactory(organization=tree.finance_1)
    second = MemberFactory(organization=tree.finance_1)

    with pytest.raises(ValidationError, match="只能有一名书记"):
        election_record(
            organization=tree.finance_1,
            last_election=date(2023, 5, 20),
            term_years=3,
            team=[(SECRETARY, first), (SECRETARY, second)],
            actor=secretary,
        )


def test_the_team_keeps_the_names_as_elected(tree, secretary):
    member = MemberFactory(organization=tree.finance_1, name="旧名")
    election_record(
        organization=tree.finance_1,
        last_election=date(2023, 5, 20),
        term_years=3,
        team=[(SECRETARY, member)],
        actor=secretary,
    )

    Member.objects.filter(pk=member.pk).delete()

    assert ElectionTerm.objects.get(organization=tree.finance_1).team_lines == [("书记", "旧名")]


# --- moves with dates ------------------------------------------------------------------------------------


def test_a_move_is_recorded_with_its_date_and_actor(tree, office_user):
    organization_move(
        organization=tree.finance_1, new_parent=tree.education, moved_on=date(2026, 1, 1), actor=office_user
    )

    move = OrganizationMove.objects.get()
    assert (move.organization, move.from_parent, move.to_parent, move.moved_on, move.actor) == (
        tree.finance_1,
        tree.finance,
        tree.education,
        date(2026, 1, 1),
        office_user,
    )


def test_a_move_to_the_current_parent_records_nothing(tree, office_user):
    organization_move(organization=tree.finance_1, new_parent=tree.finance, actor=office_user)

    assert not OrganizationMove.objects.exists()


def test_a_move_defaults_to_today(tree, office_user):
    organization_move(organization=tree.finance_1, new_parent=tree.education, actor=office_user)

    assert OrganizationMove.objects.get().moved_on == timezone.localdate()


def test_it_refuses_a_move_in_the_future_or_before_the_last_move(tree, office_user):
    tomorrow = timezone.localdate() + timedelta(days=1)
    with pytest.raises(ValidationError, match="日期不能晚于今天"):
        organization_move(organization=tree.finance_1, new_parent=tree.education, moved_on=tomorrow, actor=office_user)
    organization_move(
        organization=tree.finance_1, new_parent=tree.education, moved_on=date(2026, 3, 1), actor=office_user
    )

    with pytest.raises(ValidationError, match=r"不能早于.*（2026-03-01）"):
        organization_move(
            organization=tree.finance_1, new_parent=tree.finance, moved_on=date(2026, 2, 28), actor=office_user
        )

    # the same day as the last move is in order
    organization_move(
        organization=tree.finance_1, new_parent=tree.finance, moved_on=date(2026, 3, 1), actor=office_user
    )
    assert OrganizationMove.objects.count() == 2
    assert Organization.objects.get_parent(fresh(tree.finance_1)) == tree.finance


def test_parent_on_reads_the_parent_as_it_stood_on_the_day(tree, office_user):
    organization_move(
        organization=tree.finance_1, new_parent=tree.education, moved_on=date(2026, 1, 1), actor=office_user
    )
    organization_move(organization=tree.finance_1, new_parent=tree.root, moved_on=date(2026, 6, 1), actor=office_user)
    moved = fresh(tree.finance_1)

    assert parent_on(moved, date(2025, 12, 31)) == tree.finance
    # a move dated on the day itself has happened by that day
    assert parent_on(moved, date(2026, 1, 1)) == tree.education
    assert parent_on(moved, date(2026, 5, 31)) == tree.education
    assert parent_on(moved, date(2026, 6, 1)) == tree.root
    assert parent_on(fresh(tree.finance_2), date(2025, 1, 1)) == tree.finance


def test_subtree_on_undoes_the_later_moves_with_their_subtrees(tree, office_user):
    # given FIN (with its two branches) moved under EDU on 1 March 2026
    organization_move(
        organization=tree.finance, new_parent=tree.education, moved_on=date(2026, 3, 1), actor=office_user
    )

    # then on the day before, EDU held only its own branch, and FIN's branches stood under FIN at the top level
    assert codes(subtree_on(fresh(tree.education), date(2026, 2, 28))) == ["EDU", "EDU-1"]
    assert codes(subtree_on(fresh(tree.root), date(2026, 2, 28))) == ["ROOT", "EDU", "EDU-1", "FIN", "FIN-1", "FIN-2"]
    # and from that day on, EDU holds FIN's subtree
    assert codes(subtree_on(fresh(tree.education), date(2026, 3, 1))) == ["EDU", "EDU-1", "FIN", "FIN-1", "FIN-2"]


@pytest.fixture
def finance_campaign(tree, office_user):
    return campaign_create(root=tree.finance, year=2025, kind="year_end", actor=office_user)


@pytest.fixture
def education_campaign(tree, office_user):
    return campaign_create(root=tree.education, year=2025, kind="year_end", actor=office_user)


def test_an_organization_moved_after_the_campaigns_day_stays_in_the_old_parents_campaign(
    tree, office_user, finance_campaign, education_campaign
):
    # the 2025 campaigns read the tree of 31 December 2025
    organization_move(
        organization=tree.finance_1, new_parent=tree.education, moved_on=date(2026, 1, 1), actor=office_user
    )

    # (listed in today's tree order: FIN-1 now sits under EDU, after FIN-2)
    assert codes(scope_organizations(finance_campaign)) == ["FIN-2", "FIN-1"]
    assert codes(scope_organizations(education_campaign)) == ["EDU-1"]


def test_an_organization_moved_on_the_campaigns_day_is_in_the_new_parents_campaign(
    tree, office_user, finance_campaign, education_campaign
):
    organization_move(
        organization=tree.finance_1, new_parent=tree.education, moved_on=date(2025, 12, 31), actor=office_user
    )

    assert codes(scope_organizations(finance_campaign)) == ["FIN-2"]
    assert codes(scope_organizations(education_campaign)) == ["EDU-1", "FIN-1"]


# --- renames ---------------------------------------------------------------------------------------------


def test_a_rename_keeps_the_former_name_and_a_second_rename_keeps_both(tree, reviewer):
    organization_update(organization=tree.finance_1, data={"name": "财政局一支部"}, actor=reviewer)
    organization_update(organization=tree.finance_1, data={"name": "财政局综合支部"}, actor=reviewer)

    names = list(OrganizationName.objects.filter(organization=tree.finance_1).order_by("-id"))
    assert [(former.name, former.until) for former in names] == [
        ("财政局一支部", timezone.localdate()),
        ("财政局第一支部", timezone.localdate()),
    ]
    assert fresh(tree.finance_1).name == "财政局综合支部"


def test_an_update_without_a_new_name_keeps_no_former_name(tree, reviewer):
    organization_update(organization=tree.finance_1, data={"name": "财政局第一支部", "code": "FIN-01"}, actor=reviewer)

    assert not OrganizationName.objects.exists()


def test_the_star_ledger_stays_with_a_renamed_organization(client, tree, office_user):
    ledger_line(tree.finance_1, office_user)
    organization_update(organization=tree.finance_1, data={"name": "财政局综合支部"}, actor=office_user)
    client.force_login(office_user)

    ledger = client.get(f"/campaigns/ledger/{tree.finance_1.pk}/")
    detail = client.get(f"/orgs/{tree.finance_1.pk}/")

    assert ledger.status_code == 200
    assert [entry.reason for entry, _ in ledger.context["entries"]] == ["2025年度评定"]
    assert "星级管理台账：财政局综合支部" in ledger.content.decode()
    assert "曾用名" in detail.content.decode()
    assert "财政局第一支部（至 " in detail.content.decode()


# --- merging ---------------------------------------------------------------------------------------------


def test_a_merge_moves_members_and_sub_organizations_and_keeps_the_source(tree, office_user):
    # given FIN with a member (its secretary) and two branches, merged into EDU
    member = MemberFactory(organization=tree.finance, leadership_position=SECRETARY)
    ledger_line(tree.finance, office_user)

    organization_merge(
        source=tree.finance, into=tree.education, on=date(2026, 1, 1), reason="机构改革", actor=office_user
    )

    source = fresh(tree.finance)
    assert (source.is_active, source.merged_into, source.ended_on, source.end_reason) == (
        False,
        tree.education,
        date(2026, 1, 1),
        "机构改革",
    )
    member.refresh_from_db()
    assert (member.organization, member.leadership_position) == (tree.education, LeadershipPosition.NONE)
    assert codes(Organization.objects.get_children(fresh(tree.education))) == ["EDU-1", "FIN-1", "FIN-2"]
    assert sorted(OrganizationMove.objects.values_list("organization__code", "moved_on")) == [
        ("FIN-1", date(2026, 1, 1)),
        ("FIN-2", date(2026, 1, 1)),
    ]
    assert StarLedgerEntry.objects.filter(organization=source).count() == 1
    assert Organization.objects.get_parent(source) == tree.root
    merged = AuditEntry.objects.get(action="organization.merged")
    assert merged.after["merged_into_id"] == tree.education.pk
    assert merged.after["members_moved"] == 1
    assert merged.after["organizations_moved"] == ["FIN-1", "FIN-2"]
    assert AuditEntry.objects.filter(action="organization.moved").count() == 2
    assert AuditEntry.objects.filter(action="member.updated").count() == 1


def test_a_branch_merges_into_a_branch(tree, reviewer):
    MemberFactory(organization=tree.finance_1)

    organization_merge(
        source=tree.finance_1, into=tree.finance_2, on=date(2026, 1, 1), reason="支部调整", actor=reviewer
    )

    assert Member.objects.filter(organization=tree.finance_2).count() == 1
    assert fresh(tree.finance_1).merged_into == tree.finance_2


@pytest.mark.parametrize(
    ("source", "into", "message"),
    [
        ("finance", "finance", "不能把组织并入它自己"),
        ("finance", "finance_1", "不能把组织并入它自己的下级组织"),
        ("finance", "education_1", "该组织有 2 个下级组织，党支部下不能再设党组织，不能并入"),
    ],
)
def test_it_refuses_a_merge_that_cannot_be(tree, office_user, source, into, message):
    MemberFactory(organization=tree.finance)

    with pytest.raises(ValidationError) as refused:
        organization_merge(
            source=getattr(tree, source),
            into=getattr(tree, into),
            on=date(2026, 1, 1),
            reason="调整",
            actor=office_user,
        )

    assert message in str(refused.value)
    assert fresh(tree.finance).is_active
    assert Member.objects.filter(organization=tree.finance).count() == 1
    assert not OrganizationMove.objects.exists()
    assert not AuditEntry.objects.exists()


def test_it_refuses_a_merge_into_an_inactive_organization_or_of_an_inactive_one(tree, office_user):
    organization_dissolve(organization=tree.education_1, on=date(2026, 1, 1), reason="撤销", actor=office_user)

    with pytest.raises(ValidationError, match="接收组织已撤销或已合并"):
        organization_merge(
            source=tree.finance_1, into=tree.education_1, on=date(2026, 1, 2), reason="调整", actor=office_user
        )
    with pytest.raises(ValidationError, match="该组织已撤销或已合并"):
        organization_merge(
            source=tree.education_1, into=tree.finance_1, on=date(2026, 1, 2), reason="调整", actor=office_user
        )


def test_it_refuses_a_merge_without_a_reason_or_in_the_future(tree, office_user):
    with pytest.raises(ValidationError, match="请填写原因"):
        organization_merge(
            source=tree.finance_1, into=tree.finance_2, on=date(2026, 1, 1), reason=" ", actor=office_user
        )
    with pytest.raises(ValidationError, match="日期不能晚于今天"):
        organization_merge(
            source=tree.finance_1,
            into=tree.finance_2,
            on=timezone.localdate() + timedelta(days=1),
            reason="调整",
            actor=office_user,
        )


def test_a_merged_organization_cannot_be_made_active_again(tree, reviewer):
    organization_merge(source=tree.finance_1, into=tree.finance_2, on=date(2026, 1, 1), reason="调整", actor=reviewer)

    with pytest.raises(ValidationError, match="不能恢复为有效"):
        organization_update(organization=tree.finance_1, data={"is_active": True}, actor=reviewer)


def test_only_a_superior_merges(tree, secretary, inspector, reviewer):
    with pytest.raises(PermissionDenied, match="只有上级党组织可以合并或撤销该组织"):
        organization_merge(
            source=tree.finance_1, into=tree.finance_2, on=date(2026, 1, 1), reason="调整", actor=secretary
        )
    with pytest.raises(PermissionDenied):
        organization_merge(
            source=tree.finance_1, into=tree.finance_2, on=date(2026, 1, 1), reason="调整", actor=inspector
        )
    # into another subtree: as for a missing organization
    with pytest.raises(Http404):
        organization_merge(
            source=tree.finance_1, into=tree.education_1, on=date(2026, 1, 1), reason="调整", actor=reviewer
        )
    assert fresh(tree.finance_1).is_active
    assert not AuditEntry.objects.exists()


# --- dissolving ------------------------------------------------------------------------------------------


def test_a_dissolution_is_refused_while_members_or_active_children_remain(tree, office_user):
    MemberFactory.create_batch(2, organization=tree.finance)

    with pytest.raises(ValidationError) as refused:
        organization_dissolve(organization=tree.finance, on=date(2026, 1, 1), reason="撤销", actor=office_user)

    assert "该组织还有党员 2 名、有效的下级组织 2 个" in str(refused.value)
    assert fresh(tree.finance).is_active
    assert not AuditEntry.objects.exists()


def test_a_dissolution_names_only_what_remains(tree, office_user):
    MemberFactory(organization=tree.finance_1)

    with pytest.raises(ValidationError) as refused:
        organization_dissolve(organization=tree.finance_1, on=date(2026, 1, 1), reason="撤销", actor=office_user)

    assert "该组织还有党员 1 名，" in str(refused.value)


def test_dissolved_children_do_not_hold_back_their_parent(tree, office_user):
    for branch in (tree.finance_1, tree.finance_2):
        organization_dissolve(organization=branch, on=date(2026, 1, 1), reason="撤销", actor=office_user)
    ledger_line(tree.finance, office_user)

    organization_dissolve(organization=tree.finance, on=date(2026, 1, 2), reason="机构撤销", actor=office_user)

    finance = fresh(tree.finance)
    assert (finance.is_active, finance.ended_on, finance.end_reason, finance.merged_into) == (
        False,
        date(2026, 1, 2),
        "机构撤销",
        None,
    )
    assert StarLedgerEntry.objects.filter(organization=finance).count() == 1
    assert AuditEntry.objects.filter(action="organization.revoked").count() == 3


def test_it_refuses_dissolving_twice_and_before_the_founding(tree, office_user):
    with pytest.raises(ValidationError, match=r"不能早于该组织的成立日期（2010-07-01）"):
        organization_dissolve(organization=tree.finance_1, on=date(2010, 6, 30), reason="撤销", actor=office_user)
    organization_dissolve(organization=tree.finance_1, on=date(2010, 7, 1), reason="撤销", actor=office_user)

    with pytest.raises(ValidationError, match="该组织已撤销或已合并"):
        organization_dissolve(organization=tree.finance_1, on=date(2026, 1, 1), reason="撤销", actor=office_user)


def test_only_a_superior_dissolves(tree, secretary, inspector, reviewer):
    with pytest.raises(PermissionDenied, match="只有上级党组织"):
        organization_dissolve(organization=tree.finance_1, on=date(2026, 1, 1), reason="撤销", actor=secretary)
    with pytest.raises(PermissionDenied):
        organization_dissolve(organization=tree.finance_1, on=date(2026, 1, 1), reason="撤销", actor=inspector)
    with pytest.raises(Http404):
        organization_dissolve(organization=tree.education_1, on=date(2026, 1, 1), reason="撤销", actor=reviewer)
    assert Organization.objects.filter(is_active=False).count() == 0


def test_the_merge_into_a_committee_of_another_type_keeps_the_tree_consistent(tree, office_user):
    general = OrganizationFactory(
        name="新党总支", code="GEN", org_type=OrganizationType.GENERAL_BRANCH, parent=tree.root
    )

    organization_merge(source=tree.finance, into=general, on=date(2026, 1, 1), reason="调整", actor=office_user)

    assert codes(Organization.objects.get_children(fresh(general))) == ["FIN-1", "FIN-2"]
    assert fresh(tree.finance).numchild == 0


def test_the_data_migration_gives_each_current_election_one_term(tree):
    migration = import_module("xingji.orgs.migrations.0003_election_terms_from_current_elections")
    ElectionFactory(organization=tree.finance_1, last_election=date(2022, 6, 1), term_years=3)
    ElectionFactory(organization=tree.finance_2, last_election=date(2021, 3, 1), term_years=5)

    migration.create_terms(apps, None)

    terms = ElectionTerm.objects.order_by("organization__code")
    assert [(term.organization.code, term.elected_on, term.term_years, term.team) for term in terms] == [
        ("FIN-1", date(2022, 6, 1), 3, []),
        ("FIN-2", date(2021, 3, 1), 5, []),
    ]
    assert {term.note for term in terms} == {migration.NOTE}
