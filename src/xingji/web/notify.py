"""E-mail: the daily digest of what is due (待办提醒), and a small helper for event mails.

Mail goes through Django's mail settings (``EMAIL_HOST``, ``EMAIL_PORT``,
``EMAIL_HOST_USER``, ``EMAIL_HOST_PASSWORD``, ``EMAIL_USE_TLS``,
``DEFAULT_FROM_EMAIL``, read from the environment by the settings). Mail is
*configured* when the settings set ``EMAIL_HOST`` to something; otherwise
nothing is sent and the functions return 0 — a platform on an intranet
without a mail server works the same, without mail.

* ``send_due_digest(today)`` — one plain-text Chinese message per active user
  with an e-mail address and something due (``xingji.web.due.due_for``); run
  daily by ``xingji notify_due`` (a cron job or a systemd timer).
* ``notify(users, subject, body)`` — the same message to each of ``users``
  (each gets its own, so addresses are not shown to one another). Call it from
  ``transaction.on_commit`` in a service, so that a refused or rolled-back
  change sends nothing.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date

from django.conf import settings
from django.core.mail import EmailMessage, get_connection
from django.db import transaction

from xingji.web.due import DueItem, due_for

SUBJECT_PREFIX = "【星级创建】"
FOOTER = "请登录星级创建管理平台办理。本邮件由系统自动发送，请勿回复。"


def mail_configured() -> bool:
    """Whether the settings name a mail server (``EMAIL_HOST``)."""
    return bool(settings.EMAIL_HOST)


def _address(user) -> str:
    return (getattr(user, "email", "") or "").strip()


def _recipients(users: Iterable) -> list:
    return [user for user in users if user.is_active and _address(user)]


def _link(url: str) -> str:
    """An absolute link when the settings give the site's address (``XINGJI_BASE_URL``), else the path."""
    base = settings.XINGJI_BASE_URL.rstrip("/")
    return f"{base}{url}" if base else url


def digest_subject(today: date, items: list[DueItem]) -> str:
    overdue = sum(1 for item in items if item.overdue)
    late = f"，其中 {overdue} 项已逾期" if overdue else ""
    return f"{SUBJECT_PREFIX}{today:%Y-%m-%d} 待办事项 {len(items)} 项{late}"


def digest_body(user, today: date, items: list[DueItem]) -> str:
    name = user.get_full_name() if hasattr(user, "get_full_name") else user.username
    lines = [f"{name}：", "", f"截至 {today.year}年{today.month}月{today.day}日，您有 {len(items)} 项待办事项：", ""]
    for number, item in enumerate(items, start=1):
        late = "【已逾期】" if item.overdue else ""
        deadline = f"（期限 {item.due_on:%Y-%m-%d}）" if item.due_on else ""
        lines.append(f"{number}. {late}{item.kind}：{item.title}{deadline}")
        lines.append(f"   办理：{_link(item.url)}")
    lines += ["", FOOTER]
    return "\n".join(lines) + "\n"


def _send(messages: list[EmailMessage]) -> int:
    if not messages:
        return 0
    with get_connection() as connection:
        return connection.send_messages(messages) or 0


def send_due_digest(today: date, *, users=None) -> int:
    """Mail each active user with an address what is due for it on ``today``; the number of messages sent.

    ``users``: the accounts to consider (default: every active account with
    an e-mail address). A user with nothing due gets nothing.
    """
    if not mail_configured():
        return 0
    if users is None:
        from xingji.accounts.models import User

        users = User.objects.filter(is_active=True).exclude(email="").order_by("pk")
    messages = []
    for user in _recipients(users):
        items = due_for(user, today)
        if items:
            messages.append(
                EmailMessage(
                    digest_subject(today, items),
                    digest_body(user, today, items),
                    settings.DEFAULT_FROM_EMAIL,
                    [_address(user)],
                )
            )
    return _send(messages)


def notify(users: Iterable, subject: str, body: str) -> int:
    """Mail ``subject`` and ``body`` (plain text) to each active user with an address; the number sent."""
    if not mail_configured():
        return 0
    messages = [
        EmailMessage(f"{SUBJECT_PREFIX}{subject}", body, settings.DEFAULT_FROM_EMAIL, [_address(user)])
        for user in _recipients(users)
    ]
    return _send(messages)


def notify_organization_after_commit(organization, subject: str, body: str, url: str = "") -> None:
    """Mail the organization's own active users once the current transaction commits (nothing for a change
    that is rolled back); ``url`` is appended as a link."""
    from xingji.accounts.models import User

    text = f"{body}\n\n{_link(url)}\n\n{FOOTER}" if url else f"{body}\n\n{FOOTER}"
    transaction.on_commit(lambda: notify(User.objects.filter(organization=organization, is_active=True), subject, text))
