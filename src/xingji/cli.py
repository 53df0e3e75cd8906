"""The ``xingji`` command.

``xingji rate`` and ``xingji schemes`` use the rating engine alone; every
other subcommand (``migrate``, ``createsuperuser``, ``demo``, ``serve``,
``worker``, ``audit verify`` …) is a Django management command of the platform.
``xingji --help`` lists the commands an office uses, each with one line in
Chinese (``USER_COMMANDS``); ``xingji help`` lists every management command.

Every command takes ``--data DIR``, the data directory (SQLite database,
secret key, attachments): it must take effect before Django reads the
settings, so ``xingji`` takes it off the command line and sets
``XINGJI_DATA_DIR`` from it before it starts Django.
"""

from __future__ import annotations

import argparse
import os
import re
import sys
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from xingji.batch.writers import Guidance, Headers
    from xingji.rules import Organization, Rating, Scheme
    from xingji.rules.guidance import Step

EXIT_BAD_INPUT = 2
ENGINE_COMMANDS = {"rate", "schemes"}
DATA_OPTION = "--data"
DATA_HELP = "数据目录：数据库、密钥、附件、静态文件放在这里（默认：环境变量 XINGJI_DATA_DIR 或本用户的数据目录）"

#: The commands an office uses, in the order ``xingji --help`` lists them, each with one line in Chinese.
#: ``rate`` and ``schemes`` are the engine's (this module); the others are Django management commands.
USER_COMMANDS = {
    "demo": "演示：载入一个市直机关的演示数据并在本机启动（加 --lan 让局域网中的手机也能访问）",
    "serve": "生产环境启动：检查部署设置和数据库迁移后以 gunicorn 运行",
    "setup": "正式启用：设立顶级组织和第一个工委组织部账户，可同时导入组织和党员名册（全部正确才写入）",
    "worker": "运行任务队列的工作进程（全面评定等长任务；可在多台机器上运行多个，demo 自带一个）",
    "migrate": "建立或升级数据库（安装和每次升级后运行一次）",
    "createsuperuser": "新建系统管理员（超级用户）账户",
    "changepassword": "修改某个账户的密码",
    "backup": "备份数据库到文件（服务不必停止）",
    "restore": "从备份文件恢复数据库（覆盖当前数据）",
    "audit": "审计日志：verify 逐条校验哈希链，head 打印链头哈希",
    "notify_due": "向有待办事项的用户发送提醒邮件（每天运行一次）",
    "axes_reset_username": "解除某个账户的登录锁定（如系统管理员自己被锁定；其他账户可在“用户管理”中解除）",
    "collectstatic": "收集静态文件（部署时运行；serve 和 demo 会自动运行）",
    "check": "检查配置（加 --deploy 检查生产环境的安全设置）",
    "rate": "按评定方案为一批组织评星定级（读写 JSON、CSV、XLSX 文件，不使用数据库）",
    "schemes": "列出内置的评定方案及其出处",
    "help": "列出全部管理命令（含 Django 自带命令，英文说明）；xingji help 命令 查看该命令的用法",
}


class ChineseHelpFormatter(argparse.HelpFormatter):
    def add_usage(self, usage, actions, groups, prefix=None):
        super().add_usage(usage, actions, groups, "用法：" if prefix is None else prefix)


class ChineseArgumentParser(argparse.ArgumentParser):
    """argparse with its own words in Chinese: usage, the sections of the help, the help option, errors."""

    def __init__(self, *args, **kwargs):
        kwargs["add_help"] = False
        kwargs.setdefault("formatter_class", ChineseHelpFormatter)
        super().__init__(*args, **kwargs)
        self._positionals.title = "参数"
        self._optionals.title = "选项"
        self.add_argument("-h", "--help", action="help", default=argparse.SUPPRESS, help="显示本帮助并退出")

    def error(self, message):
        self.print_usage(sys.stderr)
        self.exit(EXIT_BAD_INPUT, f"错误：{chinese_error(message)}\n")


#: argparse's own error messages (Python 3.11–3.13), in Chinese; others are shown as argparse words them.
ARGPARSE_ERRORS = [
    (
        re.compile(r"argument (?P<a>.+?): invalid choice: (?P<v>.+?) \(choose from (?P<c>.+)\)$"),
        "{a} 的值 {v} 无效，可选：{c}",
    ),
    (re.compile(r"the following arguments are required: (?P<a>.+)$"), "缺少参数：{a}"),
    (re.compile(r"unrecognized arguments: (?P<a>.+)$"), "无法识别的参数：{a}"),
    (re.compile(r"argument (?P<a>.+?): expected one argument$"), "{a} 后面应有一个值"),
    (re.compile(r"argument (?P<a>.+?): invalid (?P<t>\w+) value: (?P<v>.+)$"), "{a} 的值 {v} 无效"),
]


def chinese_error(message: str) -> str:
    for pattern, text in ARGPARSE_ERRORS:
        found = pattern.match(message)
        if found:
            return text.format(**found.groupdict())
    return message


def build_parser() -> argparse.ArgumentParser:
    parser = ChineseArgumentParser(
        prog="xingji",
        description="基层服务型党组织星级创建管理平台：评定、公示、台账。",
        epilog=(
            f"每个命令都接受 {DATA_OPTION} DIR（数据目录）。xingji 命令 --help 查看该命令的全部选项，"
            "xingji help 列出全部管理命令。"
        ),
    )
    commands = parser.add_subparsers(dest="command", required=True, title="命令", metavar="命令")
    for name, description in USER_COMMANDS.items():
        if name not in ENGINE_COMMANDS:
            # Listed for the help only: main() hands these to Django before any parsing.
            commands.add_parser(name, help=description, description=description)

    rate = commands.add_parser(
        "rate",
        help=USER_COMMANDS["rate"],
        description="读取 JSON、CSV 或 XLSX，按评定方案评定星级，输出 JSON（或按输出文件扩展名输出 CSV/XLSX）。",
    )
    rate.add_argument("input", nargs="?", type=Path, help="输入文件：.json、.csv 或 .xlsx")
    rate.add_argument(
        "--scheme", default="anyang-2017", help="评定方案：内置方案名或 .toml 文件路径（默认 anyang-2017）"
    )
    rate.add_argument(
        "--quota",
        choices=("warn", "enforce", "off"),
        default="warn",
        help="比例控制：warn 只提示（默认），enforce 强制调整，off 不检查",
    )
    rate.add_argument(
        "--stage",
        choices=("year-end", "mid-year"),
        default="year-end",
        help="评定阶段：year-end 年底复核（默认，适用年底降级规则），mid-year 申报创星",
    )
    rate.add_argument("-o", "--output", type=Path, help="输出文件：.json、.csv 或 .xlsx；不给则把 JSON 打印到标准输出")
    rate.add_argument(
        "--headers",
        choices=("zh", "en"),
        default="zh",
        help="CSV/XLSX 输出的表头：zh 中文（默认），en 为 JSON 字段名（id、base_score……，供程序读取）",
    )
    rate.add_argument("--explain", metavar="ID", help="打印某个组织的评定说明（逐条依据）")
    rate.add_argument(
        "--next",
        nargs="?",
        const="all",
        metavar="LEVEL",
        help="晋位争星：输出中为每个组织加上达到更高等级所需的最小改变（JSON 的 next、CSV/XLSX 的“晋级所需”列）；"
        "给出等级值（如 5）则只算该等级",
    )
    rate.add_argument(
        "--template", type=Path, metavar="FILE", help="写出空白的输入模板（.xlsx 或 .csv，中文表头和一行示例）"
    )

    rate.add_argument(DATA_OPTION, metavar="DIR", help="数据目录（rate 不读写数据目录，为与其他命令一致而接受）")

    schemes = commands.add_parser("schemes", help=USER_COMMANDS["schemes"], description=USER_COMMANDS["schemes"])
    schemes.add_argument(DATA_OPTION, metavar="DIR", help="数据目录（schemes 不读写数据目录，为与其他命令一致而接受）")
    # In the order of USER_COMMANDS, whatever the order the parsers were made in.
    order = list(USER_COMMANDS)
    commands._choices_actions.sort(key=lambda action: order.index(action.dest))
    return parser


def fail(message: str) -> int:
    print(f"错误：{message}", file=sys.stderr)
    return EXIT_BAD_INPUT


class _Refused(Exception):
    """Why ``xingji rate`` stops with EXIT_BAD_INPUT, for the user (in Chinese)."""


def command_rate(args: argparse.Namespace) -> int:
    try:
        return _rate(args)
    except _Refused as refusal:
        return fail(str(refusal))


def _rate(args: argparse.Namespace) -> int:
    from xingji.batch import write_template
    from xingji.rules import Engine, SchemeError, load_scheme
    from xingji.rules.explain import report

    try:
        scheme = load_scheme(args.scheme)
    except SchemeError as error:
        raise _Refused(f"评定方案无法使用：{error}") from None
    if args.template is not None:
        try:
            write_template(scheme, args.template)
        except (ValueError, OSError) as error:
            raise _Refused(str(error)) from None
        print(f"已写出模板：{args.template}")
        return 0
    organizations = _organizations(args, scheme)
    stage = args.stage.replace("-", "_")
    rating = Engine(scheme, stage=stage).rate(organizations, quota_mode=args.quota)
    explained = None
    if args.explain is not None:
        explained = rating.find(args.explain)
        if explained is None:
            raise _Refused(f"输入中没有编号为“{args.explain}”的组织")
    guidance = _guidance(args.next, scheme, organizations, rating) if args.next is not None else None
    _write(rating, args.output, json_to_stdout=explained is None, headers=args.headers, guidance=guidance)
    if explained is not None:
        sys.stdout.write(report(rating, explained))
    if args.output is not None:
        by_level = "，".join(
            f"{scheme.level_name(level)} {count}" for level, count in sorted(rating.by_level().items(), reverse=True)
        )
        print(f"已评定 {len(rating.results)} 个组织（{by_level}），结果写入 {args.output}", file=sys.stderr)
    return 0


def _organizations(args: argparse.Namespace, scheme: Scheme) -> list[Organization]:
    """The organizations of the input file, once the output file's kind is known to be one ``rate`` writes."""
    from xingji.batch import FileError, read_records
    from xingji.batch.writers import output_renderer
    from xingji.rules import InputError, parse_organizations

    if args.input is None:
        raise _Refused("请给出输入文件（或用 --template 生成模板）")
    if args.output is not None:
        try:
            output_renderer(args.output)
        except ValueError as error:
            raise _Refused(str(error)) from None
    try:
        records = read_records(args.input, scheme)
        return parse_organizations(records, scheme)
    except FileError as error:
        raise _Refused(str(error)) from None
    except InputError as error:
        count = len(error.problems)
        lines = "\n".join(f"  {problem}" for problem in error.problems)
        raise _Refused(f"输入有 {count} 处问题，未评定，也未写出任何文件：\n{lines}") from None


def _guidance(wanted: str, scheme: Scheme, organizations: list[Organization], rating: Rating) -> dict[str, list[Step]]:
    """``--next``: each organization's steps up (``wanted``: "all", or one level's value)."""
    from xingji.rules import Engine
    from xingji.rules.guidance import GuidanceError, guidance, guidance_for_level

    engine = Engine(scheme, stage=rating.stage)
    ranking = rating if rating.quota_mode != "off" else None
    if wanted == "all":
        return {o.id: guidance(o, scheme, rating=ranking, engine=engine) for o in organizations}
    try:
        level = int(wanted)
    except ValueError:
        raise _Refused(f"--next 的等级“{wanted}”应为整数（如 5）") from None
    steps: dict[str, list[Step]] = {}
    try:
        for organization in organizations:
            steps[organization.id] = [guidance_for_level(organization, scheme, level, rating=ranking, engine=engine)]
    except GuidanceError as error:
        raise _Refused(str(error)) from None
    return steps


def _write(
    rating: Rating,
    output: Path | None,
    *,
    json_to_stdout: bool,
    headers: Headers = "zh",
    guidance: Guidance | None = None,
) -> None:
    """The rating into ``output``, else as JSON on standard output if ``json_to_stdout``."""
    from xingji.batch import write_rating
    from xingji.batch.writers import render_json

    try:
        if output is not None:
            write_rating(rating, output, headers=headers, guidance=guidance)
        elif json_to_stdout:
            sys.stdout.buffer.write(render_json(rating, guidance=guidance))
            sys.stdout.flush()
    except OSError as error:
        raise _Refused(f"无法写出 {output}：{error.strerror}") from None


def command_schemes() -> int:
    from xingji.rules import list_schemes

    for info in list_schemes():
        print(f"{info['id']}\t{info['name']}\n\t出处：{info['source']}")
    return 0


def option_value(argv: list[str], option: str) -> str | None:
    """The value of ``--option VALUE`` or ``--option=VALUE`` in ``argv`` (the last one given)."""
    value = None
    for index, argument in enumerate(argv):
        if argument == option and index + 1 < len(argv):
            value = argv[index + 1]
        elif argument.startswith(option + "="):
            value = argument.split("=", 1)[1]
    return value


def take_data_option(argv: list[str]) -> tuple[str | None, list[str]]:
    """``--data DIR`` (or ``--data=DIR``; the last one given) and the command line without it."""
    data = None
    rest: list[str] = []
    arguments = iter(argv)
    for argument in arguments:
        if argument == DATA_OPTION:
            data = next(arguments, None)
        elif argument.startswith(DATA_OPTION + "="):
            data = argument.split("=", 1)[1]
        else:
            rest.append(argument)
    return data, rest


def run_django(argv: list[str]) -> int:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "xingji.settings")
    # The settings read the data directory when Django starts, before any
    # command parses its options: every command takes --data, here.
    data, argv = take_data_option(argv)
    if data:
        os.environ["XINGJI_DATA_DIR"] = str(Path(data).expanduser().resolve())
    from django.core.management import execute_from_command_line

    execute_from_command_line(["xingji", *argv])
    return 0


def main(argv: list[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    if argv and argv[0] not in ENGINE_COMMANDS and not argv[0].startswith("-"):
        return run_django(argv)
    parser = build_parser()
    if not argv:
        parser.print_help()
        return EXIT_BAD_INPUT
    args = parser.parse_args(argv)
    if args.command == "rate":
        return command_rate(args)
    return command_schemes()


if __name__ == "__main__":
    sys.exit(main())
