"""``xingji notify_due``: mail each user the digest of what is due (待办提醒); meant to run once a day.

``--queue`` hands the mailing to the task queue (``send_due_digest_task``, run by ``xingji worker``).
"""

from __future__ import annotations

from datetime import date

from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from xingji.web.notify import mail_configured, send_due_digest


class Command(BaseCommand):
    help = "向有待办事项且填写了电子邮箱的用户发送待办提醒邮件（每天运行一次，如 cron 或 systemd 定时器）。"

    def add_arguments(self, parser):
        parser.add_argument("--date", help="按哪一天计算待办（YYYY-MM-DD，默认今天）")
        parser.add_argument("--user", action="append", default=[], metavar="USERNAME", help="只发给这些用户（可重复）")
        parser.add_argument(
            "--queue", action="store_true", help="交给任务队列，由工作进程（xingji worker）发送，本命令立即结束"
        )

    def handle(self, *args, **options):
        today = self._day(options["date"])
        user = options["user"]
        if not mail_configured():
            self.stdout.write("邮件未配置（未设置 EMAIL_HOST），未发送任何邮件。")
            return
        from xingji.accounts.models import User

        users = None
        if user:
            users = list(User.objects.filter(username__in=user).order_by("pk"))
            unknown = sorted(set(user) - {account.username for account in users})
            if unknown:
                raise CommandError(f"没有这些用户：{'、'.join(unknown)}")
        if options["queue"]:
            from xingji.web.tasks import send_due_digest_task

            result = send_due_digest_task.enqueue(f"{today:%Y-%m-%d}", [account.username for account in users or []])
            self.stdout.write(f"待办提醒（{today:%Y-%m-%d}）已交给任务队列（任务 {result.id}）。")
            return
        sent = send_due_digest(today, users=users)
        self.stdout.write(f"已发送待办提醒 {sent} 封（{today:%Y-%m-%d}）。")

    @staticmethod
    def _day(text: str | None):
        if not text:
            return timezone.localdate()
        try:
            return date.fromisoformat(text)
        except ValueError as error:
            raise CommandError(f"日期“{text}”无效，应为 YYYY-MM-DD") from error
