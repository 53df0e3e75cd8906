"""Selectors: scoped to the user, related rows joined, a fixed number of queries."""

from __future__ import annotations

from datetime import date

from tests.factories import ElectionFactory, MemberFactory, OrganizationFactory
from xingji.orgs.models import LeadershipPosition, OrganizationType
from xingji.orgs.selectors import (
    election_list,
    elections_overdue,
    leadership_team,
    member_list,
    move_targets,
    organization_ancestors,
    organization_children,
    organization_list,
)


def test_it_lists_the_users_organizations_in_tree_order_with_member_counts(tree, reviewer):
    MemberFactory.create_batch(3, organization=tree.finance_1)
    MemberFactory(organization=tree.education_1)

    organizations = list(organization_list(user=reviewer))

    assert [(o.code, o.member_count) for o in organizations] == [("FIN", 0), ("FIN-1", 3), ("FIN-2", 0)]


def test_it_filters_organizations_by_search_and_subtree(tree, office_user):
    assert [o.code for o in organization_list(user=office_user, search="教育")] == ["EDU", "EDU-1"]
    assert [o.code for o in organization_list(user=office_user, under=tree.finance)] == ["FIN", "FIN-1", "FIN-2"]


def test_it_lists_only_visible_children_and_ancestors(tree, reviewer):
    assert [o.code for o in organization_children(user=reviewer, organization=tree.finance)] == ["FIN-1", "FIN-2"]
    assert [o.code for o in organization_children(user=reviewer, organization=tree.root)] == ["FIN"]
    # The root is above the reviewer's node: not shown in the breadcrumbs.
    assert [o.code for o in organization_ancestors(user=reviewer, organization=tree.finance_1)] == ["FIN"]


def test_it_lists_members_with_a_fixed_number_of_queries(tree, office_user, django_assert_num_queries):
    MemberFactory.create_batch(5, organization=tree.finance_1)
    MemberFactory.create_batch(5, organization=tree.education_1)

    with django_assert_num_queries(1):
        names = [(member.organization.code, member.name) for member in member_list(user=office_user)]

    assert len(names) == 10
    assert [code for code, _ in names] == ["FIN-1"] * 5 + ["EDU-1"] * 5


def test_it_lists_only_the_members_the_user_may_see(tree, secretary):
    own = MemberFactory(organization=tree.finance_1)
    MemberFactory(organization=tree.finance_2)

    assert list(member_list(user=secretary)) == [own]
    assert list(member_list(user=secretary, organization=tree.finance_2)) == []


def test_it_orders_the_leadership_team_by_position(tree, office_user):
    member = MemberFactory(organization=tree.finance_1, leadership_position=LeadershipPosition.COMMITTEE_MEMBER)
    deputy = MemberFactory(organization=tree.finance_1, leadership_position=LeadershipPosition.DEPUTY_SECRETARY)
    secretary = MemberFactory(organization=tree.finance_1, leadership_position=LeadershipPosition.SECRETARY)
    MemberFactory(organization=tree.finance_1)

    assert leadership_team(user=office_user, organization=tree.finance_1) == [secretary, deputy, member]


def test_it_lists_overdue_elections_longest_overdue_first(tree, office_user, django_assert_num_queries):
    ElectionFactory(organization=tree.finance_1, last_election=date(2021, 1, 10), term_years=3)
    ElectionFactory(organization=tree.finance_2, last_election=date(2022, 1, 10), term_years=3)
    ElectionFactory(organization=tree.education_1, last_election=date(2020, 1, 10), term_years=5)

    with django_assert_num_queries(1):
        overdue = elections_overdue(user=office_user, on=date(2025, 1, 10))
        codes = [(e.organization.code, e.overdue_days(date(2025, 1, 10))) for e in overdue]

    assert codes == [("FIN-1", 366)]
    assert [e.organization.code for e in election_list(user=office_user)] == ["FIN-1", "FIN-2", "EDU-1"]


def test_it_offers_as_move_targets_only_the_visible_active_parents_other_than_the_current_one(
    tree, office_user, reviewer
):
    # given an inactive general branch and a general branch under FIN
    OrganizationFactory(code="GONE", org_type=OrganizationType.GENERAL_BRANCH, parent=tree.root, is_active=False)
    OrganizationFactory(code="FIN-GB", org_type=OrganizationType.GENERAL_BRANCH, parent=tree.finance)

    # then the office may move FIN-1 under the root, FIN-GB or EDU (tree order), not under FIN (its parent)
    # nor a branch nor an inactive organization
    assert [o.code for o in move_targets(user=office_user, organization=tree.finance_1)] == ["ROOT", "FIN-GB", "EDU"]
    # the reviewer sees only FIN's subtree
    assert [o.code for o in move_targets(user=reviewer, organization=tree.finance_1)] == ["FIN-GB"]
    # and FIN's own subtree never takes FIN
    assert [o.code for o in move_targets(user=office_user, organization=tree.finance)] == ["EDU"]
