"""User management for the committee office: list the subtree's accounts, create, change role — audited."""

from __future__ import annotations

import pytest

from tests.factories import UserFactory
from xingji.accounts.models import Role, User
from xingji.audit.models import AuditEntry


@pytest.fixture
def office_client(client, office_user):
    client.force_login(office_user)
    return client


def form_errors(response) -> dict[str, list[str]]:
    return {name: [str(error) for error in errors] for name, errors in response.context["form"].errors.items()}


def new_user_data(**overrides) -> dict:
    data = {
        "username": "fin2",
        "name": "孙书记",
        "email": "",
        "organization": None,
        "role": "branch_secretary",
        "password1": "Zhibu-2026!",
        "password2": "Zhibu-2026!",
    }
    data.update(overrides)
    return data


def test_it_lists_the_accounts_of_the_subtree_without_superusers(office_client, reviewer, secretary, superuser, tree):
    response = office_client.get("/accounts/users/")

    assert sorted(user.username for user in response.context["page_obj"]) == ["office", "reviewer", "secretary"]


def test_it_searches_and_filters_accounts_by_role(office_client, reviewer, secretary, inspector):
    by_role = office_client.get("/accounts/users/", {"role": "inspector"})
    by_name = office_client.get("/accounts/users/", {"q": "secr"})

    assert [user.username for user in by_role.context["page_obj"]] == ["inspector"]
    assert [user.username for user in by_name.context["page_obj"]] == ["secretary"]


def test_it_creates_an_account_at_a_node_with_a_role_and_audits_it(office_client, office_user, tree):
    response = office_client.post("/accounts/users/new/", new_user_data(organization=tree.finance_2.pk))

    created = User.objects.get(username="fin2")
    entry = AuditEntry.objects.get(action="user.created")
    assert response.status_code == 302
    assert (created.organization_id, created.role, created.is_staff) == (tree.finance_2.pk, "branch_secretary", False)
    assert created.check_password("Zhibu-2026!")
    assert entry.actor_id == office_user.pk
    assert "password" not in entry.after


def test_it_refuses_a_weak_or_mismatched_password(office_client, tree):
    weak = office_client.post(
        "/accounts/users/new/",
        new_user_data(organization=tree.finance_2.pk, password1="abcdefgh", password2="abcdefgh"),
    )
    mismatched = office_client.post(
        "/accounts/users/new/", new_user_data(organization=tree.finance_2.pk, password2="Other-2026!")
    )

    assert "password2" in form_errors(weak)
    assert form_errors(mismatched) == {"password2": ["两次输入的密码不一致"]}
    assert not User.objects.filter(username="fin2").exists()


def test_it_offers_only_nodes_of_the_managers_subtree(client, tree):
    manager = UserFactory(username="fin-office", organization=tree.finance, role=Role.COMMITTEE_OFFICE)
    client.force_login(manager)

    response = client.post("/accounts/users/new/", new_user_data(organization=tree.education_1.pk))

    assert "organization" in form_errors(response)
    assert not User.objects.filter(username="fin2").exists()


def test_it_changes_a_role_through_the_service_and_audits_it(office_client, office_user, secretary, tree):
    response = office_client.post(
        f"/accounts/users/{secretary.pk}/edit/",
        {
            "name": secretary.name,
            "email": "",
            "organization": tree.finance.pk,
            "role": "inspector",
            "is_active": "on",
        },
    )

    secretary.refresh_from_db()
    entry = AuditEntry.objects.get(action="user.role_changed")
    assert response.status_code == 302
    assert (secretary.organization_id, secretary.role) == (tree.finance.pk, "inspector")
    assert entry.before == {"organization_id": tree.finance_1.pk, "role": "branch_secretary"}
    assert entry.after == {"organization_id": tree.finance.pk, "role": "inspector"}
    assert entry.actor_id == office_user.pk


def test_it_deactivates_an_account(office_client, secretary):
    office_client.post(
        f"/accounts/users/{secretary.pk}/edit/",
        {
            "name": secretary.name,
            "email": "",
            "organization": secretary.organization_id,
            "role": secretary.role,
        },
    )

    secretary.refresh_from_db()
    assert secretary.is_active is False
    assert AuditEntry.objects.get(action="user.updated").after == {"is_active": False}


def test_it_refuses_to_change_the_managers_own_role(office_client, office_user, tree):
    response = office_client.post(
        f"/accounts/users/{office_user.pk}/edit/",
        {
            "name": office_user.name,
            "email": "",
            "organization": tree.root.pk,
            "role": "inspector",
            "is_active": "on",
        },
    )

    office_user.refresh_from_db()
    assert form_errors(response) == {"__all__": ["不能修改自己的所在组织、角色或停用自己的账户，请由其他管理员操作"]}
    assert office_user.role == Role.COMMITTEE_OFFICE
    assert not AuditEntry.objects.exists()


def test_it_hides_a_superusers_account_like_a_missing_one(office_client, superuser):
    assert office_client.get(f"/accounts/users/{superuser.pk}/edit/").status_code == 404
