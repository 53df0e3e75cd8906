"""``xingji audit verify`` / ``xingji audit head``: check and show the audit chain."""

from __future__ import annotations

from django.core.management.base import BaseCommand, CommandError

from xingji.audit.chain import check_chain, head_hash


class Command(BaseCommand):
    help = "审计日志：verify 逐条校验哈希链；head 打印链头哈希。"

    def add_arguments(self, parser):
        subcommands = parser.add_subparsers(dest="subcommand", required=True, metavar="{verify,head}")
        subcommands.add_parser("verify", help="逐条校验哈希链，指出第一条被改动、删除或插入的记录（失败时退出码为 1）")
        subcommands.add_parser("head", help="打印链头（最新一条记录）的哈希")

    def handle(self, *args, subcommand: str, **options):
        if subcommand == "head":
            self.stdout.write(head_hash())
            return
        status = check_chain()
        if status.is_intact:
            self.stdout.write(f"OK：{status.count} 条审计记录，哈希链完整。链头哈希 {status.head_hash}")
            return
        raise CommandError(
            f"哈希链断开，第一条有问题的记录：{status.broken}。"
            f"此前 {status.count} 条完好，最后一条完好记录的哈希 {status.head_hash}",
            returncode=1,
        )
