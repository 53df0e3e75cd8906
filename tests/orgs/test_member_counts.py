"""Each organization's own member count, kept by the database whichever way a member row is written."""

from __future__ import annotations

from datetime import date

from django.db import connection, transaction

from tests.factories import MemberFactory, OrganizationFactory
from xingji.common.bulk import insert_rows
from xingji.orgs import member_counts
from xingji.orgs.models import Member, Organization


def own(organization) -> int:
    return Organization.objects.get(pk=organization.pk).own_members


def counted(organization) -> int:
    return Member.objects.filter(organization=organization).count()


def test_adding_moving_and_removing_members_keeps_each_count(tree):
    first, second = MemberFactory(organization=tree.finance_1), MemberFactory(organization=tree.finance_1)
    MemberFactory(organization=tree.finance_2)
    assert (own(tree.finance_1), own(tree.finance_2), own(tree.finance)) == (2, 1, 0)

    first.organization = tree.finance_2
    first.save()
    assert (own(tree.finance_1), own(tree.finance_2)) == (1, 2)

    second.name = "改名"
    second.save()  # a change of anything else changes no count
    assert own(tree.finance_1) == 1

    second.delete()
    assert own(tree.finance_1) == 0


def test_statements_over_many_rows_count_each_row_once(tree):
    Member.objects.bulk_create(
        [MemberFactory.build(organization=tree.finance_1) for _ in range(3)]
        + [MemberFactory.build(organization=tree.education_1) for _ in range(2)]
    )
    assert (own(tree.finance_1), own(tree.education_1)) == (3, 2)

    Member.objects.filter(organization=tree.finance_1).update(organization=tree.education_1)
    assert (own(tree.finance_1), own(tree.education_1)) == (0, 5)

    Member.objects.filter(organization=tree.education_1)[:0]  # a queryset that writes nothing
    Member.objects.filter(pk__in=list(Member.objects.values_list("pk", flat=True)[:4])).delete()
    assert own(tree.education_1) == 1 == counted(tree.education_1)


def test_the_bulk_path_copy_or_batched_inserts_is_counted(tree):
    names = ["organization_id", "name", "gender", "birth_year", "joined", "status", "leadership_position", "phone"]
    rows = [(tree.finance_1.pk, f"党员{n}", "male", 1980, date(2005, 7, 1), "full", "none", "") for n in range(7)]

    with transaction.atomic():
        insert_rows(Member, names, rows)

    assert own(tree.finance_1) == 7


def test_organizations_written_in_bulk_start_at_zero(tree):
    names = ["name", "code", "org_type", "category", "is_active", "end_reason", "path", "depth", "numchild"]
    row = ("新支部", "NEW-1", "branch", "机关", True, "", "00090001", 2, 0)
    with transaction.atomic():
        (new_id,) = insert_rows(Organization, names, [row])

    assert Organization.objects.get(pk=new_id).own_members == 0


def test_saving_a_copy_loaded_before_a_member_joined_keeps_the_count(tree):
    stale = Organization.objects.get(pk=tree.finance_1.pk)
    MemberFactory(organization=tree.finance_1)

    stale.name = "财政局第一党支部"
    stale.save()

    assert own(tree.finance_1) == 1
    assert Organization.objects.get(pk=tree.finance_1.pk).name == "财政局第一党支部"


def test_a_new_organization_is_saved_with_its_count_at_zero(tree):
    child = OrganizationFactory(parent=tree.finance)

    MemberFactory(organization=child)

    assert own(child) == 1


def test_install_is_idempotent_and_recounts_after_a_trigger_was_lost(tree):
    MemberFactory(organization=tree.finance_1)
    assert member_counts.install(connection) is False  # all in place: nothing to do
    with connection.cursor() as cursor:
        cursor.execute(
            "DROP TRIGGER orgs_member_count_insert" + (" ON orgs_member" if connection.vendor == "postgresql" else "")
        )
    MemberFactory(organization=tree.finance_1)  # not counted: the trigger is gone
    assert own(tree.finance_1) == 1

    assert member_counts.install(connection) is True

    assert member_counts.installed(connection) == set(member_counts.TRIGGERS)
    assert own(tree.finance_1) == 2 == counted(tree.finance_1)
    MemberFactory(organization=tree.finance_1)
    assert own(tree.finance_1) == 3


def test_every_count_matches_the_members_after_a_mixed_history(tree):
    organizations = [tree.finance_1, tree.finance_2, tree.education_1, OrganizationFactory(parent=tree.education)]
    members = [MemberFactory(organization=organizations[n % 4]) for n in range(12)]
    for n, member in enumerate(members[:6]):
        member.organization = organizations[(n + 1) % 4]
        member.save(update_fields=["organization"])
    Member.objects.filter(pk__in=[member.pk for member in members[6:9]]).delete()

    for organization in Organization.objects.all():
        assert organization.own_members == counted(organization), organization.code
