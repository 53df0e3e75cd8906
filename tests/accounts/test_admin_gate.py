"""Only administrators see ``/admin/`` (issue 18 item 6): every other role has no link to it and gets a 403
page in Chinese, not a login form; the back office names its sections in Chinese; a refusal is one log line."""

from __future__ import annotations

import logging
import re

import pytest

from tests.factories import PASSWORD
from xingji.accounts.access import ADMINISTRATORS_ONLY, is_administrator

ROLES = ["office_user", "reviewer", "secretary", "inspector"]
ADMIN_PAGES = ["/admin/", "/admin/orgs/organization/", "/admin/accounts/user/", "/admin/login/", "/admin/nowhere/"]
ASCII_LETTERS = re.compile(r"[A-Za-z]")


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("path", ADMIN_PAGES)
def test_every_other_role_gets_a_chinese_403_page(client, request, role, path):
    client.force_login(request.getfixturevalue(role))

    response = client.get(path)

    assert response.status_code == 403
    page = response.content.decode()
    assert "无权操作" in page
    assert ADMINISTRATORS_ONLY in page


@pytest.mark.parametrize("role", ROLES)
def test_every_other_role_has_no_link_to_the_back_office(client, request, role):
    user = request.getfixturevalue(role)
    client.force_login(user)

    page = client.get("/").content.decode()

    assert is_administrator(user) is False
    assert "后台管理" not in page
    assert 'href="/admin/"' not in page


def test_an_administrator_has_the_link_and_the_back_office(client, superuser):
    client.force_login(superuser)

    home = client.get("/")
    index = client.get("/admin/")

    assert 'href="/admin/"' in home.content.decode()
    assert index.status_code == 200


def test_an_anonymous_visitor_is_sent_to_the_login(client, db):
    response = client.get("/admin/")

    assert response.status_code == 302
    assert response["Location"].startswith("/admin/login/")


def test_the_admin_login_refuses_an_account_of_another_role(client, office_user, superuser):
    refused = client.post("/admin/login/", {"username": "office", "password": PASSWORD, "next": "/admin/"})

    assert refused.status_code == 200
    assert "后台管理只对系统管理员开放：该账户请从网站首页登录。" in refused.content.decode()
    assert "_auth_user_id" not in client.session

    admitted = client.post("/admin/login/", {"username": "admin", "password": PASSWORD, "next": "/admin/"})
    assert admitted.status_code == 302
    assert client.session["_auth_user_id"] == str(superuser.pk)


def test_an_inactive_superuser_is_no_administrator(superuser):
    superuser.is_active = False

    assert is_administrator(superuser) is False


def test_the_back_office_names_every_section_and_model_in_chinese(client, superuser):
    client.force_login(superuser)

    app_list = client.get("/admin/").context["app_list"]

    names = {app["app_label"]: [app["name"], *(model["name"] for model in app["models"])] for app in app_list}
    assert {"axes", "otp_totp", "orgs", "accounts", "audit", "records"} <= set(names)
    assert "auth" not in names  # groups are not used: roles decide
    english = {label: [name for name in texts if ASCII_LETTERS.search(str(name))] for label, texts in names.items()}
    assert {label: texts for label, texts in english.items() if texts} == {}
    assert names["axes"][0] == "登录安全"
    assert names["otp_totp"] == ["动态验证码", "验证器"]


def test_the_chinese_names_ask_no_migration_of_the_third_party_apps(db):
    from io import StringIO

    from django.core.management import call_command

    output = StringIO()
    call_command("makemigrations", "axes", "otp_totp", check=True, dry_run=True, stdout=output)


def test_a_refusal_is_one_log_line_without_a_traceback(client, secretary, caplog):
    client.force_login(secretary)

    with caplog.at_level(logging.WARNING, logger="django.request"):
        client.get("/admin/")

    records = [record for record in caplog.records if record.name == "django.request"]
    assert [record.getMessage() for record in records] == ["Forbidden (Permission denied): /admin/"]
    assert records[0].exc_info is None
    assert "Traceback" not in caplog.text
