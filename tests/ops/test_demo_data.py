"""The demo loader: a realistic 市直机关, loaded once, through the services, with its audit trail."""

from __future__ import annotations

from datetime import date

import pytest
from django.contrib.auth.password_validation import validate_password
from django.db import transaction
from django.db.models import Count, Q

from tests.factories import OrganizationFactory, SuperuserFactory
from xingji.accounts.models import Role, User
from xingji.audit.chain import check_chain
from xingji.audit.models import AuditEntry
from xingji.demo.data import (
    DEMO_ROOT_CODE,
    FULL,
    LOGIN_PASSWORDS,
    LOGIN_USERNAMES,
    SMALL,
    DemoRefused,
    leadership_team,
    load_demo,
)
from xingji.orgs.models import Election, LeadershipPosition, Member, MemberStatus, Organization, OrganizationType
from xingji.orgs.services import BRANCH_TYPES
from xingji.records.models import RECORD_MODELS, Absence

TODAY = date(2026, 11, 25)
INNER_TYPES = [OrganizationType.PARTY_COMMITTEE, OrganizationType.GENERAL_BRANCH]


def branches() -> list[Organization]:
    return list(Organization.objects.filter(org_type__in=BRANCH_TYPES))


def secretaries_per_branch() -> dict[str, int]:
    rows = Organization.objects.filter(org_type__in=BRANCH_TYPES).annotate(
        secretaries=Count("members", filter=Q(members__leadership_position=LeadershipPosition.SECRETARY))
    )
    return {row.code: row.secretaries for row in rows}


@pytest.mark.django_db
def test_it_loads_the_full_demo_with_the_counts_the_issue_asks_for():
    # given an empty database
    # when the full demo is loaded
    result = load_demo(size=FULL, today=TODAY)

    # then one working committee, at least 6 机关党委/党总支 under it, 60 branches, 1,500 members
    root = Organization.objects.get(code=DEMO_ROOT_CODE)
    assert result.created is True
    assert Organization.objects.filter(depth=1).count() == 1
    assert root.name == "安阳市直机关工委"
    assert Organization.objects.filter(depth=2, org_type__in=INNER_TYPES).count() >= 6
    assert len(branches()) >= 60
    assert Organization.objects.filter(org_type=OrganizationType.JOINT_BRANCH).count() >= 3
    assert Member.objects.count() >= 1500
    assert (result.organizations, result.branches, result.members) == (
        Organization.objects.count(),
        len(branches()),
        Member.objects.count(),
    )
    # every branch led by exactly one secretary; bigger ones with a deputy
    assert set(secretaries_per_branch().values()) == {1}
    assert Member.objects.filter(leadership_position=LeadershipPosition.DEPUTY_SECRETARY).count() >= 20
    assert Member.objects.filter(status=MemberStatus.PROBATIONARY).exists()
    # every organization has its term, some overdue in each way
    assert Election.objects.count() == Organization.objects.count()
    overdue = [election for election in Election.objects.all() if election.is_overdue(TODAY)]
    assert len(overdue) >= 5
    assert any(election.is_excused for election in overdue)
    assert any(not election.postponement_requested for election in overdue)
    assert any(election.overdue_days(TODAY) > 365 for election in overdue)
    # a year of records, every kind represented, three unexcused absences somewhere
    for model in RECORD_MODELS:
        assert model.objects.filter(date__year=2026).exists(), model.__name__
    assert (
        Absence.objects.filter(is_excused=False)
        .values("organization")
        .annotate(count=Count("id"))
        .filter(count__gte=3)
        .exists()
    )
    # every row through a service: an intact audit chain, written by the system — except the
    # campaign's steps, each taken by the user whose step it is
    status = check_chain()
    assert status.is_intact
    by_system = AuditEntry.objects.filter(actor__isnull=True).count()
    by_users = AuditEntry.objects.filter(actor__isnull=False).count()
    assert status.count == by_system + by_users
    user_steps = {
        entry.split(".")[0] for entry in AuditEntry.objects.filter(actor__isnull=False).values_list("action", flat=True)
    }
    assert user_steps <= {
        "campaign",
        "evaluation",
        "survey",
        "improvement_plan",
        "rectification_item",
        "attachment",
        "recheck",
        "level_change",
        "focus_guide",
        "inspection_visit",
        "criticism_notice",
        "star_ledger",
        # the demo secretary's own claim of a commendation (申报), waiting for its reviewer
        "commendation",
        # last year's 民主评议党员, graded by each branch's secretary
        "appraisal",
        # the working committee's meetings for its units, recorded by its office, and the unit absent or on leave
        "meeting",
        "absence",
    }


@pytest.mark.django_db
def test_it_creates_a_login_for_every_role_that_passes_validation_and_logs_in(client):
    # given a small demo
    result = load_demo(size=SMALL, today=TODAY)

    # then each printed login exists at the right node, with a valid password that works
    users = {user.username: user for user in User.objects.select_related("organization")}
    office = users[LOGIN_USERNAMES[Role.COMMITTEE_OFFICE]]
    reviewer = users[LOGIN_USERNAMES[Role.REVIEWER]]
    secretary = users[LOGIN_USERNAMES[Role.BRANCH_SECRETARY]]
    inspector = users[LOGIN_USERNAMES[Role.INSPECTOR]]
    admin = users[LOGIN_USERNAMES["superuser"]]
    assert (office.role, office.organization.depth) == (Role.COMMITTEE_OFFICE, 1)
    assert (reviewer.role, reviewer.organization.org_type) == (Role.REVIEWER, OrganizationType.PARTY_COMMITTEE)
    assert (secretary.role, secretary.organization.org_type in BRANCH_TYPES) == (Role.BRANCH_SECRETARY, True)
    assert (
        secretary.name
        == Member.objects.get(
            organization=secretary.organization, leadership_position=LeadershipPosition.SECRETARY
        ).name
    )
    assert inspector.role == Role.INSPECTOR
    assert admin.is_superuser is True
    assert [login.username for login in result.logins] == ["office", "reviewer", "secretary", "inspector", "admin"]
    for key, username in LOGIN_USERNAMES.items():
        user = users[username]
        validate_password(LOGIN_PASSWORDS[key], user)
        assert user.check_password(LOGIN_PASSWORDS[key]), username
        response = client.post("/accounts/login/", {"username": username, "password": LOGIN_PASSWORDS[key]})
        assert response.status_code == 302, username
        assert client.session["_auth_user_id"] == str(user.pk)
        client.logout()
    # and every other 机关党委/党总支 and branch has its own account with its role's password
    other_secretary = User.objects.filter(role=Role.BRANCH_SECRETARY).exclude(pk=secretary.pk).first()
    assert other_secretary.username == other_secretary.organization.code.lower()
    assert other_secretary.check_password(LOGIN_PASSWORDS[Role.BRANCH_SECRETARY])
    assert User.objects.filter(role=Role.BRANCH_SECRETARY).count() == len(branches())


@pytest.mark.django_db
def test_it_reuses_the_demo_when_loaded_twice():
    # given a loaded demo
    first = load_demo(size=SMALL, today=TODAY)
    entries = AuditEntry.objects.count()

    # when it is loaded again
    second = load_demo(size=SMALL, today=TODAY)

    # then nothing is added: the second load reports the existing demo
    assert (first.created, second.created) == (True, False)
    assert (second.organizations, second.members, second.users) == (first.organizations, first.members, first.users)
    assert second.records == first.records
    assert AuditEntry.objects.count() == entries
    assert Organization.objects.filter(code=DEMO_ROOT_CODE).count() == 1


@pytest.mark.django_db
def test_it_refuses_to_load_into_a_database_with_other_organizations():
    # given an organization that is not the demo's
    OrganizationFactory(name="某县委", code="XW")

    # when the demo is loaded, then it is refused and nothing is written
    with pytest.raises(DemoRefused):
        load_demo(size=SMALL, today=TODAY)
    assert Organization.objects.count() == 1
    assert not Member.objects.exists()
    assert not AuditEntry.objects.exists()


@pytest.mark.django_db
def test_it_refuses_to_load_where_a_user_has_one_of_its_user_names():
    SuperuserFactory(username="admin")

    with pytest.raises(DemoRefused):
        load_demo(size=SMALL, today=TODAY)
    assert not Organization.objects.exists()


@pytest.mark.django_db
def test_it_draws_the_same_demo_from_the_same_seed_and_day():
    def names() -> list[tuple[str, str, str]]:
        return list(
            Member.objects.order_by("organization__code", "id").values_list(
                "organization__code", "name", "leadership_position"
            )
        )

    with transaction.atomic():
        load_demo(size=SMALL, today=TODAY, seed=7)
        first = names()
        transaction.set_rollback(True)
    load_demo(size=SMALL, today=TODAY, seed=7)

    assert names() == first


def test_it_sizes_a_branch_committee_by_its_members():
    assert leadership_team(5) == [LeadershipPosition.SECRETARY]
    assert leadership_team(7).count(LeadershipPosition.COMMITTEE_MEMBER) == 2
    assert leadership_team(25)[:2] == [LeadershipPosition.SECRETARY, LeadershipPosition.DEPUTY_SECRETARY]
    assert len(leadership_team(40)) == 5


@pytest.mark.django_db
def test_it_opens_this_year_s_re_rating_with_some_evaluations_under_way():
    # when the demo is loaded
    load_demo(size=SMALL, today=TODAY)

    # then one year-end campaign over the demo root is open, walked partly through the services
    from xingji.campaigns.models import Campaign, Evaluation, EvaluationState

    campaign = Campaign.objects.get()
    assert (campaign.year, campaign.kind, campaign.root.code) == (2026, "year_end", DEMO_ROOT_CODE)
    states = set(Evaluation.objects.filter(campaign=campaign).values_list("state", flat=True))
    assert {EvaluationState.SELF_DRAFT, EvaluationState.SELF_SUBMITTED, EvaluationState.EVALUATED} <= states
    assert AuditEntry.objects.filter(action="evaluation.self_submitted").exists()
    assert check_chain().is_intact


@pytest.mark.django_db
def test_it_does_not_open_the_campaign_twice():
    # given a loaded demo
    load_demo(size=SMALL, today=TODAY)
    entries = AuditEntry.objects.count()

    # when it is loaded again, then the campaign is reused and nothing is written
    load_demo(size=SMALL, today=TODAY)
    from xingji.campaigns.models import Campaign

    assert Campaign.objects.count() == 1
    assert AuditEntry.objects.count() == entries
