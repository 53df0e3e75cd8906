"""E-mail: the daily digest of what is due, the event helper, and ``xingji notify_due``."""

from __future__ import annotations

import io
from datetime import date, timedelta

import pytest
from django.core import mail
from django.core.cache import cache
from django.core.management import CommandError, call_command

from tests.factories import ElectionFactory, UserFactory
from xingji import cli
from xingji.accounts.models import Role
from xingji.orgs.models import add_years
from xingji.web import due
from xingji.web.notify import notify, send_due_digest

TODAY = date(2026, 6, 1)


@pytest.fixture(autouse=True)
def only_these_providers(monkeypatch):
    monkeypatch.setattr(due, "PROVIDERS", ["xingji.orgs.due", "xingji.campaigns.due"])
    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def mail_server(settings):
    settings.EMAIL_HOST = "smtp.example.org"
    settings.DEFAULT_FROM_EMAIL = "xingji@example.org"
    settings.XINGJI_BASE_URL = "https://xingji.example.org/"


@pytest.fixture
def addressed(tree, office_user, secretary, reviewer):
    """FIN-1 overdue by 40 days; ROOT and FIN have a record in their term, so only FIN-1 is due, for three users."""
    ElectionFactory(organization=tree.finance_1, last_election=add_years(TODAY, -3) - timedelta(days=40), term_years=3)
    for organization in (tree.root, tree.finance):
        ElectionFactory(organization=organization, last_election=add_years(TODAY, -1), term_years=3)
    office_user.email, secretary.email = "office@example.org", "secretary@example.org"
    office_user.save()
    secretary.save()
    return {"office": office_user, "secretary": secretary, "reviewer": reviewer}


def test_each_user_with_an_address_and_something_due_gets_a_digest(mail_server, addressed, tree):
    idle = UserFactory(
        username="idle", organization=tree.education_1, role=Role.BRANCH_SECRETARY, email="idle@example.org"
    )
    ElectionFactory(organization=idle.organization, last_election=add_years(TODAY, -1), term_years=3)
    UserFactory(
        username="gone",
        organization=tree.finance_1,
        role=Role.BRANCH_SECRETARY,
        email="gone@example.org",
        is_active=False,
    )

    sent = send_due_digest(TODAY)

    assert sent == 2
    assert [message.to for message in mail.outbox] == [["office@example.org"], ["secretary@example.org"]]
    message = mail.outbox[1]
    assert message.subject == "【星级创建】2026-06-01 待办事项 1 项，其中 1 项已逾期"
    assert message.from_email == "xingji@example.org"
    assert message.body.splitlines() == [
        f"{addressed['secretary'].get_full_name()}：",
        "",
        "截至 2026年6月1日，您有 1 项待办事项：",
        "",
        "1. 【已逾期】换届已逾期：财政局第一支部：换届逾期 40 天（期限 2026-04-22）",
        f"   办理：https://xingji.example.org/orgs/{tree.finance_1.pk}/election/",
        "",
        "请登录星级创建管理平台办理。本邮件由系统自动发送，请勿回复。",
    ]


def test_a_user_without_an_address_gets_nothing(mail_server, addressed):
    sent = send_due_digest(TODAY, users=[addressed["reviewer"]])

    assert sent == 0
    assert mail.outbox == []


def test_nothing_is_sent_when_mail_is_not_configured(settings, addressed):
    settings.EMAIL_HOST = ""

    assert send_due_digest(TODAY) == 0
    assert notify([addressed["office"]], "方案被退回", "请修改") == 0
    assert mail.outbox == []


def test_notify_mails_each_user_with_an_address_separately(mail_server, addressed):
    sent = notify(list(addressed.values()), "晋位争星方案被退回", "财政局第一支部的方案被退回，请修改后重新提交。")

    assert sent == 2
    assert [(message.to, message.subject, message.body) for message in mail.outbox] == [
        (["office@example.org"], "【星级创建】晋位争星方案被退回", "财政局第一支部的方案被退回，请修改后重新提交。"),
        (["secretary@example.org"], "【星级创建】晋位争星方案被退回", "财政局第一支部的方案被退回，请修改后重新提交。"),
    ]


def run(*arguments) -> str:
    out = io.StringIO()
    call_command("notify_due", *arguments, stdout=out)
    return out.getvalue()


def test_the_command_sends_the_digests_of_the_day(mail_server, addressed):
    output = run("--date", "2026-06-01")

    assert output == "已发送待办提醒 2 封（2026-06-01）。\n"
    assert len(mail.outbox) == 2


def test_the_command_sends_to_the_users_named(mail_server, addressed):
    output = run("--date", "2026-06-01", "--user", "secretary")

    assert output == "已发送待办提醒 1 封（2026-06-01）。\n"
    assert [message.to for message in mail.outbox] == [["secretary@example.org"]]


def test_the_command_says_mail_is_not_configured_and_sends_nothing(settings, addressed):
    settings.EMAIL_HOST = ""

    assert run() == "邮件未配置（未设置 EMAIL_HOST），未发送任何邮件。\n"
    assert mail.outbox == []


def test_the_command_refuses_a_bad_date_or_an_unknown_user(mail_server, addressed):
    with pytest.raises(CommandError, match="日期“2026-13-01”无效，应为 YYYY-MM-DD"):
        run("--date", "2026-13-01")
    with pytest.raises(CommandError, match="没有这些用户：nobody"):
        run("--user", "nobody", "--user", "secretary")
    assert mail.outbox == []


def test_the_xingji_command_forwards_notify_due_to_django(mail_server, addressed, capsys):
    status = cli.main(["notify_due", "--date", "2026-06-01"])

    assert status == 0
    assert capsys.readouterr().out == "已发送待办提醒 2 封（2026-06-01）。\n"
    assert len(mail.outbox) == 2
