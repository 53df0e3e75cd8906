"""The orgs services check their actor themselves: a refusal changes nothing and writes no audit entry.

An actor from a sibling subtree (the 教育局 党总支's reviewer, for the 财政局 side of the tree) gets the
same answer as for a missing object (404); a read-only inspector gets 403.
"""

from __future__ import annotations

from datetime import date

import pytest
from django.core.exceptions import PermissionDenied
from django.http import Http404

from tests.factories import ElectionFactory, MemberFactory, UserFactory
from xingji.accounts.models import Role, User
from xingji.audit.models import AuditEntry
from xingji.common.errors import ActionForbidden
from xingji.orgs.models import Election, Gender, Member, Organization, OrganizationCategory, OrganizationType
from xingji.orgs.services import (
    election_record,
    member_create,
    member_delete,
    member_update,
    organization_create,
    organization_move,
    organization_update,
)


def state() -> tuple[list[tuple[object, ...]], ...]:
    """Everything the orgs services could have written."""
    return (
        list(Organization.objects.order_by("pk").values_list("pk", "name", "path", "is_active")),
        list(Member.objects.order_by("pk").values_list("pk", "name", "organization_id", "status")),
        list(Election.objects.order_by("pk").values_list("pk", "last_election", "postponement_approved")),
        list(AuditEntry.objects.values_list("pk", flat=True)),
    )


@pytest.fixture
def sibling_reviewer(tree) -> User:
    return UserFactory(username="edu-reviewer", organization=tree.education, role=Role.REVIEWER)


@pytest.fixture
def member(tree) -> Member:
    return MemberFactory(organization=tree.finance_1, name="王五")


def create_organization(tree, actor):
    return organization_create(
        name="财政局第三支部",
        code="FIN-3",
        org_type=OrganizationType.BRANCH,
        category=OrganizationCategory.GOVERNMENT,
        parent=tree.finance,
        actor=actor,
    )


def update_organization(tree, actor):
    return organization_update(organization=tree.finance_1, data={"name": "改名支部"}, actor=actor)


def move_organization(tree, actor):
    return organization_move(organization=tree.finance_1, new_parent=tree.education, actor=actor)


def create_member(tree, actor):
    return member_create(
        organization=tree.finance_1,
        name="赵六",
        gender=Gender.MALE,
        birth_year=1990,
        joined=date(2015, 7, 1),
        actor=actor,
    )


def update_member(tree, actor):
    return member_update(member=Member.objects.get(name="王五"), data={"name": "王伍"}, actor=actor)


def delete_member(tree, actor):
    return member_delete(member=Member.objects.get(name="王五"), actor=actor)


def record_election(tree, actor):
    return election_record(organization=tree.finance_1, last_election=date(2024, 6, 1), term_years=3, actor=actor)


WRITES = [
    create_organization,
    update_organization,
    move_organization,
    create_member,
    update_member,
    delete_member,
    record_election,
]


@pytest.mark.parametrize("write", WRITES, ids=lambda write: write.__name__)
def test_it_answers_an_actor_of_a_sibling_subtree_as_for_a_missing_object(tree, member, sibling_reviewer, write):
    # given the organizations and a member of the 财政局 side, and the state before
    before = state()

    # when the 教育局 reviewer tries the change
    with pytest.raises(Http404):
        write(tree, sibling_reviewer)

    # then nothing was written, nor audited
    assert state() == before


@pytest.mark.parametrize("write", WRITES, ids=lambda write: write.__name__)
def test_it_refuses_a_read_only_inspector(tree, member, inspector, write):
    # given an inspector whose node holds the organizations
    before = state()

    # when the inspector tries the change
    with pytest.raises(PermissionDenied):
        write(tree, inspector)

    # then nothing was written, nor audited
    assert state() == before


def test_only_a_superuser_creates_a_root(tree, office_user, superuser):
    before = state()

    with pytest.raises(ActionForbidden):
        organization_create(
            name="另一个工委",
            code="ROOT-2",
            org_type=OrganizationType.PARTY_COMMITTEE,
            category=OrganizationCategory.GOVERNMENT,
            actor=office_user,
        )

    assert state() == before
    root = organization_create(
        name="另一个工委",
        code="ROOT-2",
        org_type=OrganizationType.PARTY_COMMITTEE,
        category=OrganizationCategory.GOVERNMENT,
        actor=superuser,
    )
    assert root.depth == 1


def test_an_organization_does_not_move_itself(tree, reviewer):
    # given the 财政局 reviewer, whose own node is 财政局机关党委
    before = state()

    # when it tries to put its own node under the 教育局 党总支
    with pytest.raises(ActionForbidden, match="只有上级党组织可以调整"):
        organization_move(organization=tree.finance, new_parent=tree.education, actor=reviewer)

    # then the tree is as it was
    assert state() == before


def test_a_superior_moves_nothing_out_of_its_subtree(tree, reviewer):
    before = state()

    with pytest.raises(Http404):
        organization_move(organization=tree.finance_1, new_parent=tree.education, actor=reviewer)

    assert state() == before


def test_a_member_is_not_transferred_out_of_the_actors_subtree(tree, member, secretary):
    before = state()

    with pytest.raises(Http404):
        member_update(member=member, data={"organization": tree.education_1}, actor=secretary)

    assert state() == before


def test_the_organization_itself_does_not_approve_its_postponement(tree, secretary, reviewer):
    # given a term whose postponement was requested
    ElectionFactory(organization=tree.finance_1, last_election=date(2020, 5, 20), postponement_requested=True)
    before = state()

    # when the branch's own secretary approves it, then it is refused and nothing changes
    with pytest.raises(ActionForbidden, match="延期换届须由上级党组织批准"):
        election_record(
            organization=tree.finance_1,
            last_election=date(2020, 5, 20),
            term_years=3,
            postponement_requested=True,
            postponement_approved=True,
            actor=secretary,
        )
    assert state() == before

    # and the superior's approval goes through
    approved = election_record(
        organization=tree.finance_1,
        last_election=date(2020, 5, 20),
        term_years=3,
        postponement_requested=True,
        postponement_approved=True,
        actor=reviewer,
    )
    assert approved.postponement_approved is True
