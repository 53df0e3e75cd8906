"""The columns the database keeps for each organization (its own member count, its election's due date),
right whichever way a row is written."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from django.db import connection, transaction

from tests.factories import ElectionFactory, MemberFactory, OrganizationFactory
from xingji.common.bulk import insert_rows
from xingji.orgs import kept
from xingji.orgs.models import Election, Member, Organization


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
    assert kept.MEMBER_COUNT.install(connection) is False  # all in place: nothing to do
    with connection.cursor() as cursor:
        cursor.execute(
            "DROP TRIGGER orgs_member_count_insert" + (" ON orgs_member" if connection.vendor == "postgresql" else "")
        )
    MemberFactory(organization=tree.finance_1)  # not counted: the trigger is gone
    assert own(tree.finance_1) == 1

    assert kept.MEMBER_COUNT.install(connection) is True

    assert kept.MEMBER_COUNT.installed(connection) == set(kept.MEMBER_COUNT.triggers)
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


# --- the election's due date ----------------------------------------------------------------------------


def due_on(organization) -> date | None:
    return Organization.objects.get(pk=organization.pk).election_due_on


@pytest.mark.parametrize(
    ("last_election", "term_years"),
    [
        (date(2022, 6, 1), 3),
        (date(2021, 12, 31), 5),
        (date(2024, 2, 29), 3),  # ends on a common year's 28 February
        (date(2020, 2, 29), 5),
        (date(2024, 2, 28), 5),
        (date(2023, 3, 1), 3),
    ],
)
def test_the_due_date_kept_is_the_models_by_trigger_and_by_recomputing(tree, last_election, term_years):
    election = ElectionFactory(organization=tree.finance_1, last_election=last_election, term_years=term_years)
    assert due_on(tree.finance_1) == election.due_date

    Organization.objects.filter(pk=tree.finance_1.pk).update(election_due_on=None)
    kept.ELECTION_DUE.recompute(connection)

    assert due_on(tree.finance_1) == election.due_date


def test_recording_changing_moving_and_removing_an_election_keeps_the_due_date(tree):
    assert due_on(tree.finance_1) is None
    election = ElectionFactory(organization=tree.finance_1, last_election=date(2022, 6, 1), term_years=3)
    assert due_on(tree.finance_1) == date(2025, 6, 1)

    election.last_election, election.term_years = date(2024, 2, 29), 5
    election.save()
    assert due_on(tree.finance_1) == date(2029, 2, 28)

    election.postponement_requested = True
    election.save()  # a change of anything else keeps the date
    assert due_on(tree.finance_1) == date(2029, 2, 28)

    election.organization = tree.finance_2
    election.save()
    assert (due_on(tree.finance_1), due_on(tree.finance_2)) == (None, date(2029, 2, 28))

    election.delete()
    assert due_on(tree.finance_2) is None


def test_statements_over_many_elections_set_each_due_date(tree):
    organizations = [tree.finance_1, tree.finance_2, tree.education_1]
    Election.objects.bulk_create(
        [
            Election(organization=organization, last_election=date(2020, 1, 1) + timedelta(days=n), term_years=3)
            for n, organization in enumerate(organizations)
        ]
    )
    assert [due_on(o) for o in organizations] == [date(2023, 1, 1), date(2023, 1, 2), date(2023, 1, 3)]

    Election.objects.filter(organization__in=organizations[:2]).update(term_years=5)
    assert [due_on(o) for o in organizations] == [date(2025, 1, 1), date(2025, 1, 2), date(2023, 1, 3)]

    Election.objects.filter(organization=tree.education_1).delete()
    assert due_on(tree.education_1) is None


def test_saving_a_copy_loaded_before_the_election_keeps_the_due_date(tree):
    stale = Organization.objects.get(pk=tree.finance_1.pk)
    ElectionFactory(organization=tree.finance_1, last_election=date(2022, 6, 1), term_years=3)

    stale.name = "财政局第一党支部"
    stale.save()

    assert due_on(tree.finance_1) == date(2025, 6, 1)


def test_install_recomputes_the_due_dates_after_a_trigger_was_lost(tree):
    ElectionFactory(organization=tree.finance_1, last_election=date(2022, 6, 1), term_years=3)
    assert kept.ELECTION_DUE.install(connection) is False
    on = " ON orgs_election" if connection.vendor == "postgresql" else ""
    with connection.cursor() as cursor:
        cursor.execute("DROP TRIGGER orgs_election_due_insert" + on)
    ElectionFactory(organization=tree.finance_2, last_election=date(2023, 6, 1), term_years=3)
    assert due_on(tree.finance_2) is None  # the trigger is gone

    assert kept.ELECTION_DUE.install(connection) is True

    assert kept.ELECTION_DUE.installed(connection) == set(kept.ELECTION_DUE.triggers)
    assert (due_on(tree.finance_1), due_on(tree.finance_2)) == (date(2025, 6, 1), date(2026, 6, 1))
    assert kept.install(connection) is False  # every kept column in place
