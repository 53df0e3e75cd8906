"""Every orgs service writes exactly one audit entry, with the values before and after."""

from __future__ import annotations

from datetime import date

import pytest
from django.core.exceptions import ValidationError

from tests.factories import ElectionFactory, MemberFactory
from xingji.audit.chain import verify_chain
from xingji.audit.models import AuditEntry
from xingji.orgs.models import (
    Election,
    Gender,
    LeadershipPosition,
    Member,
    MemberStatus,
    OrganizationCategory,
    OrganizationType,
)
from xingji.orgs.services import (
    election_record,
    member_create,
    member_delete,
    member_update,
    organization_create,
    organization_move,
    organization_update,
)


def only_entry() -> AuditEntry:
    entries = list(AuditEntry.objects.all())
    assert len(entries) == 1
    return entries[0]


def test_it_audits_creating_an_organization(tree, office_user):
    organization = organization_create(
        name="财政局第三支部",
        code="FIN-3",
        org_type=OrganizationType.BRANCH,
        category=OrganizationCategory.GOVERNMENT,
        founded=date(2019, 7, 1),
        parent=tree.finance,
        actor=office_user,
    )

    entry = only_entry()
    assert (entry.action, entry.object_type, entry.object_id) == (
        "organization.created",
        "orgs.organization",
        str(organization.pk),
    )
    assert (entry.actor, entry.actor_name) == (office_user, str(office_user))
    assert entry.object_repr == "财政局第三支部（FIN-3）"
    assert entry.before is None
    assert entry.after == {
        "name": "财政局第三支部",
        "code": "FIN-3",
        "org_type": "branch",
        "category": "机关",
        "founded": "2019-07-01",
        "is_active": True,
        "parent_id": tree.finance.pk,
    }


def test_it_audits_only_the_changed_fields_of_an_organization(tree, office_user):
    updated = organization_update(
        organization=tree.finance_1, data={"name": "财政局第一党支部", "code": "FIN-1"}, actor=office_user
    )

    entry = only_entry()
    assert updated.name == "财政局第一党支部"
    assert entry.action == "organization.updated"
    assert (entry.before, entry.after) == ({"name": "财政局第一支部"}, {"name": "财政局第一党支部"})


def test_it_writes_nothing_when_an_update_changes_nothing(tree, office_user):
    organization_update(organization=tree.finance_1, data={"name": "财政局第一支部"}, actor=office_user)

    assert AuditEntry.objects.count() == 0


def test_it_refuses_to_update_a_field_it_does_not_know(tree, office_user):
    with pytest.raises(ValueError, match="path"):
        organization_update(organization=tree.finance_1, data={"path": "0002"}, actor=office_user)

    assert AuditEntry.objects.count() == 0


def test_it_audits_moving_an_organization(tree, office_user):
    organization_move(organization=tree.finance_2, new_parent=tree.education, actor=office_user)

    entry = only_entry()
    assert entry.action == "organization.moved"
    assert (entry.before, entry.after) == ({"parent_id": tree.finance.pk}, {"parent_id": tree.education.pk})


def test_it_audits_creating_a_member_with_the_phone_masked(tree, secretary):
    member = member_create(
        organization=tree.finance_1,
        name="王芳",
        gender=Gender.FEMALE,
        birth_year=1988,
        joined=date(2012, 7, 1),
        status=MemberStatus.FULL,
        leadership_position=LeadershipPosition.SECRETARY,
        phone="13912345678",
        actor=secretary,
    )

    entry = only_entry()
    assert member.phone == "13912345678"
    assert (entry.action, entry.object_id) == ("member.created", str(member.pk))
    assert entry.before is None
    assert entry.after == {
        "organization_id": tree.finance_1.pk,
        "name": "王芳",
        "gender": "female",
        "birth_year": 1988,
        "joined": "2012-07-01",
        "status": "full",
        "leadership_position": "secretary",
        "phone": "139****5678",
    }


def test_it_audits_updating_a_member(tree, reviewer):
    member = MemberFactory(organization=tree.finance_1, status=MemberStatus.PROBATIONARY)

    member_update(member=member, data={"status": MemberStatus.FULL, "organization": tree.finance_2}, actor=reviewer)

    entry = only_entry()
    assert entry.action == "member.updated"
    assert entry.before == {"organization_id": tree.finance_1.pk, "status": "probationary"}
    assert entry.after == {"organization_id": tree.finance_2.pk, "status": "full"}


def test_it_audits_deleting_a_member(tree, secretary):
    member = MemberFactory(organization=tree.finance_1, name="李四")
    member_id = member.pk

    member_delete(member=member, actor=secretary)

    entry = only_entry()
    assert not Member.objects.filter(pk=member_id).exists()
    assert (entry.action, entry.object_id, entry.object_repr) == ("member.deleted", str(member_id), "李四")
    assert entry.before["name"] == "李四"
    assert entry.before["phone"] == "138****5678"
    assert entry.after is None


def test_it_refuses_a_second_secretary_and_logs_nothing(tree, secretary):
    MemberFactory(organization=tree.finance_1, leadership_position=LeadershipPosition.SECRETARY)

    with pytest.raises(ValidationError, match="该组织已有书记"):
        member_create(
            organization=tree.finance_1,
            name="赵六",
            gender=Gender.MALE,
            birth_year=1979,
            joined=date(2001, 7, 1),
            leadership_position=LeadershipPosition.SECRETARY,
            actor=secretary,
        )

    assert Member.objects.filter(organization=tree.finance_1).count() == 1
    assert AuditEntry.objects.count() == 0


def test_it_audits_recording_a_first_election(tree, secretary):
    election = election_record(
        organization=tree.finance_1, last_election=date(2023, 5, 20), term_years=3, actor=secretary
    )

    entry = only_entry()
    assert election.due_date == date(2026, 5, 20)
    assert (entry.action, entry.object_type) == ("election.recorded", "orgs.election")
    assert entry.before is None
    assert entry.after == {
        "organization_id": tree.finance_1.pk,
        "last_election": "2023-05-20",
        "term_years": 3,
        "postponement_requested": False,
        "postponement_approved": False,
        # The term kept in the election history (tests/orgs/test_history.py).
        "term": {"elected_on": "2023-05-20", "term_years": 3, "team": [], "note": ""},
    }


def test_it_audits_recording_a_new_election_over_the_old_one(tree, secretary):
    ElectionFactory(
        organization=tree.finance_1,
        last_election=date(2020, 5, 20),
        term_years=3,
        postponement_requested=True,
        postponement_approved=True,
    )

    election_record(organization=tree.finance_1, last_election=date(2023, 6, 1), term_years=5, actor=secretary)

    entry = only_entry()
    assert Election.objects.get(organization=tree.finance_1).term_years == 5
    assert entry.before["last_election"] == "2020-05-20"
    assert entry.before["postponement_approved"] is True
    assert entry.after["last_election"] == "2023-06-01"
    assert entry.after["postponement_approved"] is False


def test_it_refuses_an_approved_postponement_that_was_never_requested(tree, secretary):
    with pytest.raises(ValidationError, match="未请示的延期不能批准"):
        election_record(
            organization=tree.finance_1,
            last_election=date(2020, 5, 20),
            term_years=3,
            postponement_requested=False,
            postponement_approved=True,
            actor=secretary,
        )

    assert not Election.objects.exists()
    assert AuditEntry.objects.count() == 0


def test_it_refuses_an_election_in_the_future(tree, secretary):
    with pytest.raises(ValidationError):
        election_record(organization=tree.finance_1, last_election=date(2999, 1, 1), term_years=3, actor=secretary)

    assert AuditEntry.objects.count() == 0


def test_it_chains_the_entries_of_successive_services(tree, office_user):
    organization_update(organization=tree.finance_1, data={"name": "一支部"}, actor=office_user)
    member = member_create(
        organization=tree.finance_1,
        name="张三",
        gender=Gender.MALE,
        birth_year=1980,
        joined=date(2000, 7, 1),
        actor=office_user,
    )
    member_delete(member=member, actor=None)

    entries = list(AuditEntry.objects.order_by("sequence"))
    assert [entry.sequence for entry in entries] == [1, 2, 3]
    assert [entry.previous_hash for entry in entries[1:]] == [entry.hash for entry in entries[:-1]]
    assert entries[2].actor_name == "系统"
    assert verify_chain() is None
