"""The user of a request comes with its node's path, and is scoped by it as a literal."""

from __future__ import annotations

from django.contrib.auth import get_user
from django.db import connection
from django.test import RequestFactory
from django.test.utils import CaptureQueriesContext

from xingji.accounts.access import visible_organizations
from xingji.accounts.backends import ScopedModelBackend
from xingji.orgs.models import Organization


def _request_user(client, user):
    client.force_login(user)
    request = RequestFactory().get("/")
    request.session = client.session
    return get_user(request)


def test_the_user_of_a_request_is_read_with_its_node_in_one_query(client, reviewer, tree):
    client.force_login(reviewer)
    request = RequestFactory().get("/")
    request.session = client.session

    with CaptureQueriesContext(connection) as captured:
        user = get_user(request)
        organization = user.organization

    reads = [query["sql"] for query in captured.captured_queries if "django_session" not in query["sql"]]
    assert len(reads) == 1 and "orgs_organization" in reads[0]
    assert organization == tree.finance and user.scope_path == tree.finance.path


def test_it_is_scoped_by_its_path_as_a_literal_and_sees_the_same_as_any_other_user_object(client, reviewer, tree):
    user = _request_user(client, reviewer)

    scoped = visible_organizations(user)

    assert str(tree.finance.path) in str(scoped.query) and "SELECT U0" not in str(scoped.query)
    assert set(scoped) == set(visible_organizations(reviewer)) == {tree.finance, tree.finance_1, tree.finance_2}


def test_a_user_object_loaded_otherwise_reads_the_path_afresh(reviewer, tree):
    # A node moved after the user object was loaded is scoped by where it is now.
    assert reviewer.scope_path is None
    Organization.objects.filter(pk=tree.finance_2.pk).update(path=tree.education.path + "0009")

    assert set(visible_organizations(reviewer)) == {tree.finance, tree.finance_1}


def test_an_inactive_or_missing_user_is_no_user(reviewer):
    backend = ScopedModelBackend()
    reviewer.is_active = False
    reviewer.save(update_fields=["is_active"])

    assert backend.get_user(reviewer.pk) is None
    assert backend.get_user(10**9) is None


def test_a_superuser_without_a_node_has_no_path(client, django_user_model):
    admin = django_user_model.objects.create_superuser("root-admin", password="x-long-password-123")

    user = ScopedModelBackend().get_user(admin.pk)

    assert user is not None and user.scope_path is None
    assert visible_organizations(user).count() == Organization.objects.count()
