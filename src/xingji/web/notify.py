"""E-mail: the daily digest of what is due (待办提醒).

Mail goes through Django's mail settings (``EMAIL_HOST``, ``EMAIL_PORT``,
``EMAIL_HOST_USER``, ``EMAIL_HOST_PASSWORD``, ``EMAIL_USE_TLS``,
``DEFAULT_FROM_EMAIL``, read from the environment by the settings). Mail is
*configured* when the settings set ``EMAIL_HOST`` to something; otherwise
nothing is sent and the functions return 0 — a platform on an intranet
without a mail server works the same, without mail.

* ``send_due_digest(today)`` — one plain-text Chinese message per active user
  with an e-mail address and something due (``xingji.web.due.due_for``); run
  daily by ``xingji notify_due`` (a cron job or a systemd timer).

The event mails of the services (``notify``, ``notify_after_commit``) are
``xingji.common.mail``'s.
"""

from __future__ import annotations

from datetime import date

from django.conf import settings
from django.core.mail import EmailMessage

from xingji.common.mail import FOOTER, SUBJECT_PREFIX, address, link, mail_configured, notify, recipients, send
from xingji.web.due import DueItem, due_for

__all__ = ["digest_body", "digest_subject", "mail_configured", "notify", "send_due_digest"]


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
        lines.append(f"   办理：{link(item.url)}")
    lines += ["", FOOTER]
    return "\n".join(lines) + "\n"


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
    for user in recipients(users):
        items = due_for(user, today)
        if items:
            messages.append(
                EmailMessage(
                    digest_subject(today, items),
                    digest_body(user, today, items),
                    settings.DEFAULT_FROM_EMAIL,
                    [address(user)],
                )
            )
    return send(messages)
