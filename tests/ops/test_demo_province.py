"""The province in the demo (``xingji demo --scale province``), and the bulk path that writes it.

The shape is shrunk here (two cities of three counties…); the generator is
the one that writes 100,000 organizations and 3,000,000 members.
"""

from __future__ import annotations

from collections import Counter
from datetime import date
from io import StringIO

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import transaction

from tests.factories import OrganizationFactory
from xingji.accounts.models import Role, User
from xingji.audit.chain import check_chain
from xingji.common.bulk import insert_rows
from xingji.demo import province
from xingji.demo.data import LOGIN_PASSWORDS, DemoRefused, load_demo
from xingji.demo.province import PROVINCE, ProvinceShape, load_province_demo
from xingji.orgs.models import Election, Member, Organization

pytestmark = pytest.mark.django_db

TODAY = date(2026, 12, 4)
SMALL = ProvinceShape(cities=2, counties=2, townships=3, branches=4, members=8)


def test_the_full_shape_is_a_province():
    assert 99_000 <= PROVINCE.organizations <= 101_000
    branches = PROVINCE.cities * PROVINCE.counties * PROVINCE.townships * PROVINCE.branches
    assert 2_900_000 <= branches * PROVINCE.members <= 3_100_000


def test_it_writes_the_shape_as_a_valid_tree_with_rolls_terms_and_logins(client):
    lines: list[str] = []

    result = load_province_demo(seed=3, today=TODAY, shape=SMALL, progress=lines.append)

    assert result.created
    assert result.organizations == Organization.objects.count() == SMALL.organizations == 1 + 2 + 4 + 12 + 48
    assert result.branches == Organization.objects.filter(org_type="branch").count() == 48
    assert result.members == Member.objects.count()
    assert Organization.objects.find_problems() == ([], [], [], [], [])
    root = Organization.objects.get(depth=1)
    assert (root.code, root.numchild, Organization.objects.get_children(root).count()) == ("SF", 2, 2)
    # every branch with a roll led by one secretary; only branches have members
    secretaries = Counter(Member.objects.filter(leadership_position="secretary").values_list("organization", flat=True))
    branch_ids = set(Organization.objects.filter(org_type="branch").values_list("pk", flat=True))
    assert set(secretaries) == branch_ids and set(secretaries.values()) == {1}
    assert set(Member.objects.values_list("organization", flat=True)) == branch_ids
    for member in Member.objects.all()[:50]:
        member.full_clean()  # what ``save`` would have checked holds for the rows written in bulk
    # a term for every organization, some overdue
    assert Election.objects.count() == SMALL.organizations
    assert any(election.is_overdue(TODAY) for election in Election.objects.all())
    # the printed logins, through the account service (audited), and they log in where they should
    logins = {login.username: login for login in result.logins}
    assert set(logins) == {"office", "reviewer", "secretary", "inspector", "admin"}
    assert logins["office"].role_label == "省委组织部"
    secretary = User.objects.get(username="secretary")
    assert (secretary.role, secretary.organization.org_type) == (Role.BRANCH_SECRETARY, "branch")
    password = LOGIN_PASSWORDS[Role.COMMITTEE_OFFICE]
    response = client.post("/accounts/login/", {"username": "office", "password": password})
    assert response.status_code == 302
    assert client.get("/orgs/").status_code == 200
    assert User.objects.get(username="admin").is_superuser
    assert check_chain().is_intact
    # progress was told as it went
    assert any(line.startswith("党员：") for line in lines) and any(line.startswith("党组织：") for line in lines)


def test_it_draws_the_same_province_from_the_same_seed():
    load_province_demo(seed=5, today=TODAY, shape=SMALL)
    first = list(Member.objects.order_by("pk").values_list("organization__code", "name", "birth_year", "phone"))
    Member.objects.all().delete()
    Election.objects.all().delete()
    User.objects.all().delete()
    Organization.objects.all().delete()

    load_province_demo(seed=5, today=TODAY, shape=SMALL)

    assert list(Member.objects.order_by("pk").values_list("organization__code", "name", "birth_year", "phone")) == first


def test_a_second_load_reuses_the_province():
    load_province_demo(seed=3, today=TODAY, shape=SMALL)
    count = Member.objects.count()

    again = load_province_demo(seed=3, today=TODAY, shape=SMALL)

    assert not again.created
    assert (again.organizations, again.members) == (SMALL.organizations, count)
    assert Member.objects.count() == count


def test_it_refuses_a_database_with_other_organizations_and_the_city_refuses_the_province():
    OrganizationFactory(name="某单位党委", code="OTHER")
    with pytest.raises(DemoRefused):
        load_province_demo(seed=3, today=TODAY, shape=SMALL)
    assert Organization.objects.count() == 1

    Organization.objects.all().delete()
    load_province_demo(seed=3, today=TODAY, shape=SMALL)
    with pytest.raises(DemoRefused):
        load_demo(today=TODAY)


def test_the_command_loads_the_province_and_prints_its_logins(monkeypatch):
    monkeypatch.setattr(province, "PROVINCE", SMALL)
    output = StringIO()

    call_command("demo", "--no-serve", "--scale", "province", stdout=output)

    text = output.getvalue()
    assert f"{SMALL.organizations} 个党组织" in text
    assert "省委组织部：用户名 office" in text
    assert "党员：" in text  # the progress
    assert "ay-jy" not in text  # the city's other accounts are not the province's


def test_the_command_refuses_the_province_beside_other_data():
    OrganizationFactory(name="某单位党委", code="OTHER")
    with pytest.raises(CommandError, match="非省级演示数据"):
        call_command("demo", "--no-serve", "--scale", "province", stdout=StringIO())


def test_insert_rows_gives_ids_in_order_and_writes_every_column():
    parent = OrganizationFactory(name="某党委", code="P")
    rows = [
        (parent.pk, f"党员{number}", "male", 1980 + number, date(2010, 7, 1), "full", "none", "") for number in range(7)
    ]
    before = set(Member.objects.values_list("pk", flat=True))

    with transaction.atomic():
        ids = insert_rows(Member, province.MEMBER_COLUMNS, rows)

    assert len(set(ids)) == 7 and not before & set(ids)
    stored = Member.objects.in_bulk(ids)
    assert [stored[member_id].name for member_id in ids] == [f"党员{number}" for number in range(7)]
    assert stored[ids[3]].birth_year == 1983
    # the sequence (PostgreSQL) or the largest id (SQLite) moves on: an ordinary insert still works
    assert (
        Member.objects.create(
            organization=parent, name="后来者", gender="female", birth_year=1990, joined=date(2012, 7, 1)
        ).pk
        not in ids
    )


@pytest.mark.django_db(transaction=True)
def test_insert_rows_refuses_to_run_outside_a_transaction():
    with pytest.raises(transaction.TransactionManagementError):
        insert_rows(Member, ("name",), [("某",)])
    assert not Member.objects.exists()


def test_insert_rows_names_a_wrong_column():
    with transaction.atomic(), pytest.raises(TypeError, match="members"):
        insert_rows(Organization, ("members",), [(1,)])
    assert insert_rows(Member, ("name",), []) == []
