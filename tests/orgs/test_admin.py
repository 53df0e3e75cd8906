"""The back-office admin: for administrators only, writing through services, and still scoped like the rest.

Only superusers enter ``/admin/`` (every other role gets 403: tests/accounts/test_admin_gate.py); the admin
classes keep scoping their querysets, choices and permissions by the user's subtree and role all the same,
tested here on the admin classes directly, so that widening the gate would not open the tree.
"""

from __future__ import annotations

import pytest
from django.contrib import admin
from django.test import RequestFactory

from tests.factories import MemberFactory, UserFactory
from xingji.accounts.models import Role
from xingji.audit.models import AuditEntry
from xingji.orgs.models import Member, Organization

ORGANIZATIONS = "/admin/orgs/organization/"
MEMBERS = "/admin/orgs/member/"


def change_url(base: str, pk) -> str:
    return f"{base}{pk}/change/"


def model_admin(model):
    return admin.site._registry[model]


def request_of(user):
    request = RequestFactory().get("/admin/")
    request.user = user
    return request


@pytest.fixture
def login(client):
    def log_in(user):
        client.force_login(user)
        return client

    return log_in


def test_it_scopes_the_organizations_to_the_users_subtree(reviewer, tree):
    shown = [organization.code for organization in model_admin(Organization).get_queryset(request_of(reviewer))]

    assert shown == ["FIN", "FIN-1", "FIN-2"]


def test_it_answers_a_foreign_and_a_missing_organization_alike(reviewer, tree):
    missing_id = Organization.objects.order_by("-pk").first().pk + 1000
    organizations = model_admin(Organization)

    foreign = organizations.get_object(request_of(reviewer), str(tree.education.pk))
    missing = organizations.get_object(request_of(reviewer), str(missing_id))

    assert foreign is None and missing is None


def test_it_refuses_an_inspector_the_pages_and_its_changes(login, inspector, tree):
    client = login(inspector)
    url = change_url(ORGANIZATIONS, tree.finance_1.pk)

    page = client.get(url)
    posted = client.post(
        url,
        {
            "name": "改名",
            "code": "FIN-1",
            "org_type": "branch",
            "category": "机关",
            "is_active": "on",
            "parent": tree.finance.pk,
        },
    )

    assert page.status_code == 403
    assert model_admin(Organization).has_change_permission(request_of(inspector)) is False
    assert posted.status_code == 403
    assert Organization.objects.get(pk=tree.finance_1.pk).name == "财政局第一支部"
    assert AuditEntry.objects.count() == 0


def test_it_creates_a_member_through_the_service(login, superuser, tree):
    response = login(superuser).post(
        f"{MEMBERS}add/",
        {
            "organization": tree.finance_1.pk,
            "name": "陈红",
            "gender": "female",
            "birth_year": "1990",
            "joined": "2015-07-01",
            "status": "full",
            "leadership_position": "none",
            "phone": "13700001111",
        },
    )

    assert response.status_code == 302
    member = Member.objects.get(name="陈红")
    entry = AuditEntry.objects.get()
    assert (entry.action, entry.object_id, entry.actor) == ("member.created", str(member.pk), superuser)


def test_it_offers_only_organizations_of_the_subtree(secretary, tree):
    field = model_admin(Member).formfield_for_foreignkey(Member._meta.get_field("organization"), request_of(secretary))

    assert list(field.queryset) == [tree.finance_1]


def test_it_deletes_a_member_through_the_service(login, superuser, tree):
    member = MemberFactory(organization=tree.finance_1)

    response = login(superuser).post(f"{MEMBERS}{member.pk}/delete/", {"post": "yes"})

    assert response.status_code == 302
    assert not Member.objects.filter(pk=member.pk).exists()
    assert AuditEntry.objects.get().action == "member.deleted"


def test_it_moves_an_organization_by_changing_its_parent(login, superuser, tree):
    response = login(superuser).post(
        change_url(ORGANIZATIONS, tree.finance_2.pk),
        {
            "parent": tree.education.pk,
            "name": "财政局第二支部（改）",
            "code": "FIN-2",
            "org_type": "branch",
            "category": "机关",
            "founded": "2010-07-01",
            "is_active": "on",
        },
    )

    assert response.status_code == 302
    moved = Organization.objects.get(pk=tree.finance_2.pk)
    assert Organization.objects.get_parent(moved) == tree.education
    updated, moved_entry = AuditEntry.objects.order_by("sequence")
    assert (updated.action, updated.after) == ("organization.updated", {"name": "财政局第二支部（改）"})
    assert (moved_entry.action, moved_entry.after) == ("organization.moved", {"parent_id": tree.education.pk})


def test_it_refuses_a_move_under_its_own_subtree_with_a_form_error(login, superuser, tree):
    response = login(superuser).post(
        change_url(ORGANIZATIONS, tree.finance.pk),
        {
            "parent": tree.finance_1.pk,
            "name": "财政局机关党委",
            "code": "FIN",
            "org_type": "party_committee",
            "category": "机关",
            "is_active": "on",
        },
    )

    assert response.status_code == 200
    assert "parent" in response.context["adminform"].form.errors
    assert AuditEntry.objects.count() == 0


def test_it_would_not_let_a_reviewer_move_its_own_node(reviewer, superuser, tree):
    organizations = model_admin(Organization)

    assert "parent" not in organizations.get_fields(request_of(reviewer), tree.finance)
    assert "parent" in organizations.get_fields(request_of(superuser), tree.finance)


def test_it_keeps_the_audit_log_to_administrators(login, superuser, office_user, reviewer, tree):
    assert login(superuser).get("/admin/audit/auditentry/").status_code == 200
    assert login(office_user).get("/admin/audit/auditentry/").status_code == 403
    assert login(reviewer).get("/admin/audit/auditentry/").status_code == 403


def test_it_creates_a_user_through_the_service(login, superuser, tree):
    response = login(superuser).post(
        "/admin/accounts/user/add/",
        {
            "username": "zhaoliu",
            "name": "赵六",
            "email": "",
            "organization": tree.finance_2.pk,
            "role": Role.BRANCH_SECRETARY,
            "usable_password": "true",
            "password1": "Xingji-2026!",
            "password2": "Xingji-2026!",
        },
    )

    assert response.status_code == 302
    entry = AuditEntry.objects.get()
    assert (entry.action, entry.after["username"], entry.after["role"]) == (
        "user.created",
        "zhaoliu",
        "branch_secretary",
    )


def test_it_refuses_users_admin_to_a_reviewer(login, reviewer, tree):
    other = UserFactory(organization=tree.finance_1, role=Role.BRANCH_SECRETARY)

    assert login(reviewer).get(change_url("/admin/accounts/user/", other.pk)).status_code == 403
