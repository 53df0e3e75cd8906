"""The ``xingji`` command.

``xingji rate`` and ``xingji schemes`` use the rating engine alone; every
other subcommand (``migrate``, ``createsuperuser``, ``demo``, ``serve``,
``audit verify`` …) is a Django management command of the platform.
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from xingji.rules import Organization, Rating, Scheme

EXIT_BAD_INPUT = 2
ENGINE_COMMANDS = {"rate", "schemes"}


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="xingji",
        description="基层服务型党组织星级创建：评定、公示、台账。其余子命令见 xingji help。",
    )
    commands = parser.add_subparsers(dest="command", required=True)

    rate = commands.add_parser(
        "rate",
        help="按评定方案为一批组织评星定级",
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
    rate.add_argument("--explain", metavar="ID", help="打印某个组织的评定说明（逐条依据）")
    rate.add_argument(
        "--template", type=Path, metavar="FILE", help="写出空白的输入模板（.xlsx 或 .csv，中文表头和一行示例）"
    )

    commands.add_parser("schemes", help="列出内置的评定方案及其出处")
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
    _write(rating, args.output, json_to_stdout=explained is None)
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


def _write(rating: Rating, output: Path | None, *, json_to_stdout: bool) -> None:
    """The rating into ``output``, else as JSON on standard output if ``json_to_stdout``."""
    from xingji.batch import write_rating
    from xingji.batch.writers import render_json

    try:
        if output is not None:
            write_rating(rating, output)
        elif json_to_stdout:
            sys.stdout.buffer.write(render_json(rating))
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


def run_django(argv: list[str]) -> int:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "xingji.settings")
    if argv[0] == "demo":
        # The settings read the data directory when Django starts, before the
        # demo command parses its options.
        data = option_value(argv[1:], "--data")
        if data:
            os.environ["XINGJI_DATA_DIR"] = str(Path(data).expanduser().resolve())
    from django.core.management import execute_from_command_line

    execute_from_command_line(["xingji", *argv])
    return 0


def main(argv: list[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    if argv and argv[0] not in ENGINE_COMMANDS and not argv[0].startswith("-"):
        return run_django(argv)
    args = build_parser().parse_args(argv)
    if args.command == "rate":
        return command_rate(args)
    return command_schemes()


if __name__ == "__main__":
    sys.exit(main())
