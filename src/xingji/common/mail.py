"""E-mail to the platform's users, when a mail server is configured.

Mail goes through Django's mail settings (``EMAIL_HOST``, ``EMAIL_PORT``,
``EMAIL_HOST_USER``, ``EMAIL_HOST_PASSWORD``, ``EMAIL_USE_TLS``,
``DEFAULT_FROM_EMAIL``, read from the environment by the settings). Mail is
*configured* when the settings set ``EMAIL_HOST`` to something; otherwise
nothing is sent and the functions return 0 — a platform on an intranet
without a mail server works the same, without mail.

* ``notify(users, subject, body)`` — the same message to each of ``users``
  (each gets its own, so addresses are not shown to one another).
* ``notify_after_commit(recipients, subject, body, url)`` — the same, once the
  current transaction commits: a refused or rolled-back change sends nothing.
  Services call this one.

The daily digest of what is due (待办提醒) is the top floor's
(``xingji.web.notify``): it reads every app's due items.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

from django.conf import settings
from django.core.mail import EmailMessage, get_connection
from django.db import transaction

SUBJECT_PREFIX = "【星级创建】"
FOOTER = "请登录星级创建管理平台办理。本邮件由系统自动发送，请勿回复。"


def mail_configured() -> bool:
    """Whether the settings name a mail server (``EMAIL_HOST``)."""
    return bool(settings.EMAIL_HOST)


def address(user: Any) -> str:
    return (getattr(user, "email", "") or "").strip()


def recipients(users: Iterable[Any]) -> list[Any]:
    """The active users of ``users`` with an e-mail address."""
    return [user for user in users if user.is_active and address(user)]


def link(url: str) -> str:
    """An absolute link when the settings give the site's address (``XINGJI_BASE_URL``), else the path."""
    base = str(settings.XINGJI_BASE_URL).rstrip("/")
    return f"{base}{url}" if base else url


def send(messages: list[EmailMessage]) -> int:
    if not messages:
        return 0
    with get_connection() as connection:
        return connection.send_messages(messages) or 0


def notify(users: Iterable[Any], subject: str, body: str) -> int:
    """Mail ``subject`` and ``body`` (plain text) to each active user with an address; the number sent."""
    if not mail_configured():
        return 0
    messages = [
        EmailMessage(f"{SUBJECT_PREFIX}{subject}", body, settings.DEFAULT_FROM_EMAIL, [address(user)])
        for user in recipients(users)
    ]
    return send(messages)


def notify_after_commit(recipients_of: Callable[[], Iterable[Any]], subject: str, body: str, url: str = "") -> None:
    """Mail the users ``recipients_of()`` returns once the current transaction commits (nothing for a
    change that is rolled back); ``url`` is appended as a link."""
    text = f"{body}\n\n{link(url)}\n\n{FOOTER}" if url else f"{body}\n\n{FOOTER}"
    transaction.on_commit(lambda: notify(recipients_of(), subject, text))
