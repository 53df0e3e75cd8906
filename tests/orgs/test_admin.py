"""The back-office admin: scoped like the rest, read-only for inspectors, writing through services."""

from __future__ import annotations

import re

import pytest

from tests.factories import MemberFactory, UserFactory
from xingji.accounts.models import Role
from xingji.audit.models import AuditEntry
from xingji.orgs.models import Member, Organization

ORGANIZATIONS = "/admin/orgs/organization/"
MEMBERS = "/admin/orgs/member/"


def change_url(base: str, pk) -> str:
    return f"{base}{pk}/change/"


def message_texts(response) -> list[str]:
    return [str(message) for message in response.wsgi_request._messages]


@pytest.fixture
def login(client):
    def log_in(user):
        client.force_login(user)
        return client

    return log_in


def test_it_lists_only_the_users_subtree(login, reviewer, tree):
    response = login(reviewer).get(ORGANIZATIONS)

    assert response.status_code == 200
    shown = [organization.code for organization in response.context["cl"].result_list]
    assert shown == ["FIN", "FIN-1", "FIN-2"]


def test_it_answers_a_foreign_and_a_missing_organization_alike(login, reviewer, tree):
    client = login(reviewer)
    missing_id = Organization.objects.order_by("-pk").first().pk + 1000

    foreign = client.get(change_url(ORGANIZATIONS, tree.education.pk), follow=True)
    missing = client.get(change_url(ORGANIZATIONS, missing_id), follow=True)

    assert foreign.redirect_chain == missing.redirect_chain == [("/admin/", 302)]
    without_ids = [re.sub(r"\d+", "N", text) for text in message_texts(foreign) + message_texts(missing)]
    assert without_ids[0] == without_ids[1]


def test_it_shows_an_inspector_read_only_pages_and_refuses_its_changes(login, inspector, tree):
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

    assert page.status_code == 200
    assert page.context["has_change_permission"] is False
    assert posted.status_code == 403
    assert Organization.objects.get(pk=tree.finance_1.pk).name == "财政局第一支部"
    assert AuditEntry.objects.count() == 0


def test_it_creates_a_member_through_the_service(login, secretary, tree):
    response = login(secretary).post(
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
    assert (entry.action, entry.object_id, entry.actor) == ("member.created", str(member.pk), secretary)


def test_it_offers_only_organizations_of_the_subtree(login, secretary, tree):
    response = login(secretary).post(
        f"{MEMBERS}add/",
        {
            "organization": tree.education_1.pk,
            "name": "外人",
            "gender": "male",
            "birth_year": "1990",
            "joined": "2015-07-01",
            "status": "full",
            "leadership_position": "none",
        },
    )

    assert response.status_code == 200
    assert "organization" in response.context["adminform"].form.errors
    assert not Member.objects.filter(name="外人").exists()


def test_it_deletes_a_member_through_the_service(login, secretary, tree):
    member = MemberFactory(organization=tree.finance_1)

    response = login(secretary).post(f"{MEMBERS}{member.pk}/delete/", {"post": "yes"})

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


def test_it_lets_a_reviewer_edit_its_own_node_but_not_move_it(login, reviewer, tree):
    url = change_url(ORGANIZATIONS, tree.finance.pk)
    client = login(reviewer)

    page = client.get(url)
    response = client.post(
        url,
        {
            "name": "财政局党委",
            "code": "FIN",
            "org_type": "party_committee",
            "category": "机关",
            "founded": "2010-07-01",
            "is_active": "on",
        },
    )

    assert "parent" not in page.context["adminform"].form.fields
    assert response.status_code == 302
    assert AuditEntry.objects.get().after == {"name": "财政局党委"}


def test_it_keeps_the_audit_log_to_the_office(login, office_user, reviewer, tree):
    assert login(office_user).get("/admin/audit/auditentry/").status_code == 200
    assert login(reviewer).get("/admin/audit/auditentry/").status_code == 403


def test_it_creates_a_user_through_the_service(login, office_user, tree):
    response = login(office_user).post(
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
