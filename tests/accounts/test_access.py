"""Scoping: a user sees its node's subtree; outside it and missing look alike (404).

A read-only role gets 403 when it asks to change something it can read.
"""

from __future__ import annotations

import pytest
from django.contrib.auth.models import AnonymousUser
from django.core.exceptions import PermissionDenied
from django.http import Http404

from tests.factories import ElectionFactory, MemberFactory, UserFactory
from xingji.accounts.access import (
    access_election,
    access_member,
    access_organization,
    can_manage_users,
    can_read_audit,
    can_write,
    visible_organizations,
    visible_users,
)
from xingji.accounts.models import Role
from xingji.orgs.models import Organization
from xingji.orgs.services import organization_move


def codes(queryset) -> list[str]:
    return [organization.code for organization in queryset.order_by("path")]


def test_it_shows_each_user_the_subtree_of_its_node(tree, office_user, reviewer, secretary, inspector):
    assert codes(visible_organizations(office_user)) == ["ROOT", "FIN", "FIN-1", "FIN-2", "EDU", "EDU-1"]
    assert codes(visible_organizations(reviewer)) == ["FIN", "FIN-1", "FIN-2"]
    assert codes(visible_organizations(secretary)) == ["FIN-1"]
    assert codes(visible_organizations(inspector)) == ["FIN", "FIN-1", "FIN-2"]


def test_it_shows_a_superuser_everything(tree, superuser):
    assert visible_organizations(superuser).count() == 6


def test_it_shows_nothing_to_anonymous_inactive_or_unattached_users(tree, reviewer):
    inactive = UserFactory(organization=tree.root, is_active=False)

    assert codes(visible_organizations(AnonymousUser())) == []
    assert codes(visible_organizations(inactive)) == []
    reviewer.organization = None  # as if the node were detached (the database forbids saving it)
    assert codes(visible_organizations(reviewer)) == []


def test_it_scopes_by_where_the_node_is_now_after_a_move(tree, reviewer, superuser):
    organization_move(organization=tree.education, new_parent=tree.finance, actor=superuser)

    assert codes(visible_organizations(reviewer)) == ["FIN", "FIN-1", "FIN-2", "EDU", "EDU-1"]


def test_it_returns_an_organization_inside_the_subtree(tree, reviewer):
    assert access_organization(reviewer, tree.finance_2.pk) == tree.finance_2
    assert access_organization(reviewer, str(tree.finance_2.pk), write=True) == tree.finance_2


def test_it_answers_a_foreign_and_a_missing_organization_alike(tree, reviewer):
    missing_id = Organization.objects.order_by("-pk").first().pk + 1000

    with pytest.raises(Http404) as foreign:
        access_organization(reviewer, tree.education_1.pk)
    with pytest.raises(Http404) as missing:
        access_organization(reviewer, missing_id)
    with pytest.raises(Http404) as garbage:
        access_organization(reviewer, "not-a-number")

    assert str(foreign.value) == str(missing.value) == str(garbage.value)


def test_it_answers_404_not_403_for_a_write_outside_the_subtree(tree, inspector):
    with pytest.raises(Http404):
        access_organization(inspector, tree.education.pk, write=True)


def test_it_lets_an_inspector_read_but_not_write(tree, inspector):
    assert access_organization(inspector, tree.finance_1.pk) == tree.finance_1

    with pytest.raises(PermissionDenied):
        access_organization(inspector, tree.finance_1.pk, write=True)


def test_it_denies_a_branch_secretary_its_parent(tree, secretary):
    assert access_organization(secretary, tree.finance_1.pk, write=True) == tree.finance_1

    with pytest.raises(Http404):
        access_organization(secretary, tree.finance.pk)


def test_it_scopes_members_and_elections_like_their_organizations(tree, secretary, inspector):
    own_member = MemberFactory(organization=tree.finance_1)
    foreign_member = MemberFactory(organization=tree.finance_2)
    own_election = ElectionFactory(organization=tree.finance_1)
    foreign_election = ElectionFactory(organization=tree.education_1)

    assert access_member(secretary, own_member.pk, write=True) == own_member
    assert access_election(secretary, own_election.pk, write=True) == own_election
    with pytest.raises(Http404):
        access_member(secretary, foreign_member.pk)
    with pytest.raises(Http404):
        access_election(secretary, foreign_election.pk)
    with pytest.raises(PermissionDenied):
        access_member(inspector, own_member.pk, write=True)
    assert access_member(inspector, foreign_member.pk) == foreign_member


@pytest.mark.parametrize(
    ("role", "writes"),
    [
        (Role.COMMITTEE_OFFICE, True),
        (Role.REVIEWER, True),
        (Role.BRANCH_SECRETARY, True),
        (Role.INSPECTOR, False),
    ],
)
def test_it_lets_every_role_but_the_inspector_write(tree, role, writes):
    user = UserFactory(organization=tree.finance, role=role)

    assert can_write(user) is writes
    assert user.is_read_only is (not writes)


def test_it_lets_nobody_write_without_an_active_account(tree):
    assert can_write(AnonymousUser()) is False
    assert can_write(UserFactory(organization=tree.root, is_active=False)) is False


def test_it_keeps_accounts_and_the_audit_log_to_the_office(tree, office_user, reviewer, superuser):
    assert (can_manage_users(office_user), can_read_audit(office_user)) == (True, True)
    assert (can_manage_users(reviewer), can_read_audit(reviewer)) == (False, False)
    assert (can_manage_users(superuser), can_read_audit(superuser)) == (True, True)


def test_it_hides_superusers_and_foreign_accounts_from_the_office(tree, office_user, reviewer, superuser):
    attached_superuser = UserFactory(organization=tree.finance, is_superuser=True)

    assert set(visible_users(office_user)) == {office_user, reviewer}
    assert set(visible_users(reviewer)) == {reviewer}
    assert attached_superuser in set(visible_users(superuser))
