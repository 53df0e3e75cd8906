"""The web layer's tasks of the queue (django-tasks): the daily digest of what is due (待办提醒).

``xingji notify_due --queue`` enqueues ``send_due_digest_task`` for a worker
(``xingji worker``) instead of mailing in the command itself; cron (or a
systemd timer) runs the command once a day either way.
"""

from __future__ import annotations

from datetime import date

from django_tasks import task

from xingji.web.notify import send_due_digest


@task()
def send_due_digest_task(day: str, usernames: list[str] | None = None) -> int:
    """Mail the digest of what is due on ``day`` (YYYY-MM-DD) to every user, or to ``usernames``; messages sent."""
    users = None
    if usernames:
        from xingji.accounts.models import User

        users = list(User.objects.filter(username__in=usernames).order_by("pk"))
    return send_due_digest(date.fromisoformat(day), users=users)
