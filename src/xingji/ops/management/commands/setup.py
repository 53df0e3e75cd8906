"""``xingji setup``: the first run of a real office — the root organization, the first office account, the tree."""

from __future__ import annotations

import getpass
import os
from pathlib import Path

from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError

from xingji.ops.setup import SetupRefused, first_setup

PASSWORD_VARIABLE = "XINGJI_SETUP_PASSWORD"


class Command(BaseCommand):
    help = (
        "正式启用：建立数据库，设立顶级组织（工委）和第一个工委组织部账户，"
        "可同时导入组织名册和党员名册（与网页导入相同的模板）。任何一处有误都不写入。"
    )

    def add_arguments(self, parser):
        parser.add_argument("--root-name", required=True, help="顶级组织名称，如：中共某某市直属机关工作委员会")
        parser.add_argument("--root-code", required=True, help="顶级组织编号（字母、数字、点、下划线、连字符）")
        parser.add_argument("--username", required=True, help="工委组织部账户的登录名")
        parser.add_argument("--name", default="", help="账户使用人姓名")
        parser.add_argument("--email", default="", help="账户邮箱（接收待办提醒）")
        parser.add_argument("--organizations", type=Path, help="组织名册（.xlsx/.xls/.ods/.csv），按组织导入模板填写")
        parser.add_argument("--members", type=Path, help="党员名册（.xlsx/.xls/.ods/.csv），按党员导入模板填写")

    def handle(self, *args, root_name, root_code, username, name, email, organizations, members, **options):
        password = os.environ.get(PASSWORD_VARIABLE) or self.ask_password()
        call_command("migrate", interactive=False, verbosity=0)
        try:
            result = first_setup(
                root_name=root_name,
                root_code=root_code,
                username=username,
                password=password,
                name=name,
                email=email,
                organizations_file=organizations,
                members_file=members,
            )
        except SetupRefused as refused:
            raise CommandError("未能初始化，数据库未作任何改动：\n" + "\n".join(refused.problems)) from None
        self.stdout.write(self.style.SUCCESS(f"已设立顶级组织：{result.root.name}（{result.root.code}）"))
        self.stdout.write(f"工委组织部账户：{result.office.username}（用该账户登录后可新建其他账户）")
        if organizations:
            self.stdout.write(f"已导入组织 {result.organizations} 个")
        if members:
            self.stdout.write(f"已导入党员 {result.members} 名")
        self.stdout.write(
            "下一步：运行 xingji serve 启动服务，登录后在“组织管理”中导入组织和党员名册（模板可在导入页面下载），"
            "在“用户管理”中为各党委、支部建立账户。"
        )

    def ask_password(self) -> str:
        if not self.stdin_is_interactive():
            raise CommandError(f"请在终端中运行以输入密码，或用环境变量 {PASSWORD_VARIABLE} 给出密码")
        first = getpass.getpass("工委组织部账户的密码：")
        second = getpass.getpass("再输入一次：")
        if first != second:
            raise CommandError("两次输入的密码不一致")
        return first

    @staticmethod
    def stdin_is_interactive() -> bool:
        import sys

        return sys.stdin.isatty()
