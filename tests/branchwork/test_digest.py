"""The daily digest mail reminds a branch of the meetings a period still lacks before it closes.

``xingji notify_due`` mails what ``xingji.web.due`` collects; the branch's items are
``xingji.branchwork.due``'s: a meeting still lacking in a period closing within ``DUE_SOON_DAYS``
(临近期限), and for a superior one line per kind counting the branches below.
"""

from __future__ import annotations

import io
from datetime import date

import pytest
from django.core import mail
from django.core.cache import cache
from django.core.management import call_command
from django.test import override_settings

from xingji.branchwork.models import Meeting
from xingji.orgs.models import Organization
from xingji.web import due
from xingji.web.notify import send_due_digest

MAY_20 = date(2026, 5, 20)
MAIL = override_settings(
    EMAIL_BACKEND="django.core.mail.backends.locmem.EmailBackend",
    EMAIL_HOST="smtp.example.org",
    DEFAULT_FROM_EMAIL="xingji@example.org",
    XINGJI_BASE_URL="https://xingji.example.org/",
)


@pytest.fixture(autouse=True)
def only_branchwork(monkeypatch):
    monkeypatch.setattr(due, "PROVIDERS", ["xingji.branchwork.due"])
    cache.clear()
    yield
    cache.clear()


def held(organization, kind, day):
    Meeting.objects.create(organization=organization, kind=kind, held_on=day, place="会议室", host="张伟", topic="学习")


@pytest.fixture
def may_branch(tree, secretary, reviewer):
    """FIN-1 founded on 1 May 2026 (so only May's monthly meetings are owed), its committee and group meeting held;
    its secretary and the reviewer above have addresses."""
    Organization.objects.filter(pk=tree.finance_1.pk).update(founded=date(2026, 5, 1))
    held(tree.finance_1, "committee", date(2026, 5, 5))
    held(tree.finance_1, "group_meeting", date(2026, 5, 6))
    secretary.email, reviewer.email = "secretary@example.org", "reviewer@example.org"
    secretary.save()
    reviewer.save()
    return tree.finance_1


@MAIL
def test_the_secretary_is_mailed_the_meeting_still_lacking_before_the_month_closes(may_branch, secretary):
    sent = send_due_digest(MAY_20, users=[secretary])

    assert sent == 1
    message = mail.outbox[0]
    assert message.to == ["secretary@example.org"]
    assert message.subject == "【星级创建】2026-05-20 待办事项 1 项"
    assert message.body.splitlines()[4:6] == [
        "1. 组织生活临近期限：财政局第一支部：2026年5月尚未召开主题党日（期限 2026-05-31）",
        f"   办理：https://xingji.example.org/branchwork/branches/{may_branch.pk}/meetings/new/?kind=theme_day",
    ]


@MAIL
def test_nothing_is_mailed_while_the_period_is_far_from_closing(may_branch, secretary):
    assert send_due_digest(date(2026, 5, 10), users=[secretary]) == 0
    assert mail.outbox == []


@MAIL
def test_the_last_day_of_the_period_still_reminds(may_branch, secretary):
    assert send_due_digest(date(2026, 5, 31), users=[secretary]) == 1
    assert "2026年5月尚未召开主题党日" in mail.outbox[0].body


@MAIL
def test_the_meeting_held_ends_the_reminder(may_branch, secretary):
    held(may_branch, "theme_day", date(2026, 5, 18))

    assert send_due_digest(MAY_20, users=[secretary]) == 0
    assert mail.outbox == []


@MAIL
def test_the_reviewer_is_mailed_the_count_of_branches_lacking_each_kind(may_branch, reviewer):
    send_due_digest(MAY_20, users=[reviewer])

    body = mail.outbox[0].body
    # FIN-2 (founding unknown) lacks the three monthly kinds, FIN-1 only its theme day.
    assert "下级支部组织生活临近期限：1 个支部2026年5月尚未召开支部委员会（期限 2026-05-31）" in body
    assert "下级支部组织生活临近期限：2 个支部2026年5月尚未召开主题党日（期限 2026-05-31）" in body
    assert "https://xingji.example.org/branchwork/?pending=theme_day" in body


@MAIL
def test_the_notify_due_command_sends_the_branchs_reminder(may_branch, secretary, reviewer):
    out = io.StringIO()

    call_command("notify_due", "--date", "2026-05-20", stdout=out)

    assert sorted(message.to[0] for message in mail.outbox) == ["reviewer@example.org", "secretary@example.org"]
    assert out.getvalue() == "已发送待办提醒 2 封（2026-05-20）。\n"


@override_settings(EMAIL_HOST="")
def test_without_a_mail_server_nothing_is_sent(may_branch, secretary):
    assert send_due_digest(MAY_20, users=[secretary]) == 0
    assert mail.outbox == []
