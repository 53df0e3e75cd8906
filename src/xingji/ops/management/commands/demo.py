"""``xingji demo``: a ready-to-try installation on this machine.

Creates (or reuses) the database in the data directory, migrates it, loads
the demo 市直机关 unless it is there already, and serves it on 127.0.0.1,
printing the address and one login per role. One worker of the task queue
(全面评定 runs) runs in a thread of this process (``xingji.ops.worker``), so
the demo needs no second command.

``--lan`` serves it on the local network too (all interfaces), at the
machine's LAN address (``xingji.ops.server.lan_address``, or the one given),
and prints that address with a QR code for phones; the survey slips the site
prints point there (``XINGJI_BASE_URL``), so that an office can try the
ballots from real phones before deploying.

``--data DIR`` must take effect before the settings are read; ``xingji``
(``xingji.cli``) sets ``XINGJI_DATA_DIR`` from it before it starts Django.
"""

from __future__ import annotations

import ipaddress
import os
import signal
import subprocess
from dataclasses import dataclass
from pathlib import Path

from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError
from django.db import connections
from django.urls import Resolver404, resolve

from xingji.demo.data import DEFAULT_SEED, SIZES, DemoRefused, DemoResult, load_demo
from xingji.demo.province import load_province_demo
from xingji.ops.server import (
    PID_FILE_NAME,
    ServerOptions,
    can_run_gunicorn,
    demo_environment,
    gunicorn_argv,
    lan_address,
    lan_origin,
    port_is_free,
    qr_text,
    runserver_argv,
)
from xingji.ops.worker import start_in_thread

LOOPBACK = "127.0.0.1"
ALL_INTERFACES = "0.0.0.0"
AUTO = "auto"


@dataclass(frozen=True)
class Listening:
    """Where the demo listens: the interface bound, and the address phones and slips use."""

    bind_host: str
    port: int
    #: The LAN address (``--lan``), or None on the loopback interface alone.
    lan: str | None = None

    @property
    def base_url(self) -> str:
        return f"{lan_origin(self.lan, self.port)}/" if self.lan else f"http://{LOOPBACK}:{self.port}/"


def listening(port: int, lan: str | None) -> Listening:
    """The loopback interface, or (``--lan``) all interfaces at the LAN address found or given."""
    if lan is None:
        return Listening(LOOPBACK, port)
    if lan == AUTO:
        return Listening(ALL_INTERFACES, port, lan_address())
    try:
        address = ipaddress.ip_address(lan)
    except ValueError:
        raise CommandError(f"--lan 后应是本机的 IPv4 地址（如 192.168.1.23），不是“{lan}”") from None
    if address.version != 4 or address.is_unspecified:
        raise CommandError(f"--lan 后应是本机的 IPv4 地址（如 192.168.1.23），不是“{lan}”")
    return Listening(ALL_INTERFACES, port, str(address))


def describe_database() -> str:
    database = connections["default"].settings_dict
    if connections["default"].vendor == "sqlite":
        return f"SQLite {database['NAME']}"
    host = database.get("HOST") or "localhost"
    port = f":{database['PORT']}" if database.get("PORT") else ""
    return f"{connections['default'].display_name} {host}{port}/{database['NAME']}"


def interrupt(signum, frame):
    raise KeyboardInterrupt


def stop(process: subprocess.Popen, *, grace_seconds: float = 15) -> int:
    """Stop the server: a terminal's Ctrl+C reached it already, a ``kill`` of this process did not."""
    if process.poll() is None:
        process.send_signal(signal.SIGINT)
    try:
        return process.wait(timeout=grace_seconds)
    except subprocess.TimeoutExpired:
        process.kill()
        return process.wait()


class Command(BaseCommand):
    help = (
        "演示：在数据目录中建立（或沿用）SQLite 数据库，载入一个市直机关的演示数据，"
        "在 127.0.0.1 上启动，并打印网址和各角色的登录账号。再次运行时沿用已有数据。"
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--data",
            metavar="DIR",
            help="数据目录：数据库、密钥、静态文件放在这里（默认：本用户的数据目录，如 ~/.local/share/xingji）",
        )
        parser.add_argument(
            "--port", type=int, default=8000, help="端口（默认 8000），只监听 127.0.0.1（加 --lan 时监听所有网卡）"
        )
        parser.add_argument(
            "--lan",
            nargs="?",
            const=AUTO,
            metavar="ADDRESS",
            help="让局域网中的手机也能访问：监听本机所有网卡，打印本机的局域网地址和二维码，"
            "测评票上的二维码也指向该地址。可给出地址（如 --lan 192.168.1.23），不给则自动查找",
        )
        parser.add_argument("--no-serve", action="store_true", help="只准备数据并打印账号，不启动服务")
        parser.add_argument(
            "--size",
            choices=sorted(SIZES),
            default="full",
            help="full：完整演示（默认）；small：几个支部，用于快速试用和测试",
        )
        parser.add_argument(
            "--scale",
            choices=("city", "province"),
            default="city",
            help="city：一个市直机关（默认）；province：一个省（约 10 万个党组织、300 万名党员，"
            "直接批量写入，宜用 PostgreSQL，用于查看省级规模下的页面）",
        )
        parser.add_argument("--seed", type=int, default=DEFAULT_SEED, help="随机数种子（同一天同一种子数据相同）")

    def handle(self, *args, data, port, no_serve, size, seed, lan=None, scale="city", **options):
        data_dir = Path(settings.DATA_DIR)
        if data and Path(data).expanduser().resolve() != data_dir.resolve():
            raise CommandError(
                "--data 须在读取设置之前生效：请用 xingji demo --data DIR 运行，或设置环境变量 XINGJI_DATA_DIR"
            )
        serve = not no_serve
        if not 1 <= port <= 65535:
            raise CommandError(f"端口应在 1–65535 之间，不是 {port}")
        where = listening(port, lan)
        if serve and not port_is_free(port, where.bind_host):
            raise CommandError(f"端口 {port} 已被占用（也许演示已在运行）：用 --port 换一个端口")

        self.stdout.write(f"数据目录：{data_dir}")
        self.stdout.write(f"数据库：{describe_database()}")
        call_command("migrate", interactive=False, verbosity=0)
        try:
            if scale == "province":
                result = load_province_demo(seed=seed, progress=self.progress)
            else:
                result = load_demo(seed=seed, size=SIZES[size])
        except DemoRefused as refusal:
            raise CommandError(f"{refusal}（{describe_database()}）。请用 --data 指定另一个目录。") from None
        self.report(result)
        if serve:
            # Hashed, compressed static files for whitenoise; quick when nothing changed.
            call_command("collectstatic", interactive=False, verbosity=0)
        self.print_logins(result, where, others=scale == "city")
        if where.lan:
            self.print_lan(where)
        if not serve:
            return
        self.serve(data_dir, where)

    def report(self, result: DemoResult) -> None:
        if result.created:
            self.stdout.write(self.style.SUCCESS(f"已载入演示数据（用时 {result.seconds:.1f} 秒）。"))
        else:
            self.stdout.write(self.style.SUCCESS("数据库中已有演示数据，直接使用（未重复载入）。"))
        self.stdout.write(
            f"  {result.organizations} 个党组织（其中支部 {result.branches} 个），"
            f"{result.members} 名党员，{result.users} 个用户"
        )
        if result.records is None:
            self.stdout.write("  加减分依据（表彰、通报批评、处分、缺席……）：记录模块尚未就绪，未载入。")
        elif result.records:
            counts = "，".join(f"{label} {count}" for label, count in result.records.items())
            self.stdout.write(f"  加减分依据：{counts}")

    def progress(self, line: str) -> None:
        self.stdout.write(f"  {line}")
        self.stdout.flush()

    def print_logins(self, result: DemoResult, where: Listening, *, others: bool = True) -> None:
        base = where.base_url
        self.stdout.write("")
        try:
            resolve("/")
            self.stdout.write(f"网址：{base}    后台（仅系统管理员）：{base}admin/")
        except Resolver404:
            self.stdout.write(f"网址：{base}admin/")
        self.stdout.write("登录账号（仅供演示；密码只在本机演示中使用）：")
        width = max(len(login.username) for login in result.logins) if result.logins else 0
        for login in result.logins:
            self.stdout.write(
                f"  {login.role_label}：用户名 {login.username:<{width}}  密码 {login.password}"
                f"  （{login.organization}）"
            )
        if others:
            self.stdout.write(
                "  其他机关党委/党总支、支部也各有账号：用户名为组织编号的小写（如 ay-jy、ay-jy-01），"
                "密码与上面同角色的账号相同。"
            )

    def print_lan(self, where: Listening) -> None:
        self.stdout.write("")
        if where.lan and ipaddress.ip_address(where.lan).is_loopback:
            self.stdout.write(
                self.style.WARNING(
                    "没有找到本机的局域网地址（本机也许没有连接网络）："
                    "请连接网络，或用 --lan 地址 指定本机的局域网地址。"
                )
            )
        self.stdout.write(f"局域网访问：同一网络中的手机和电脑打开 {where.base_url} ，或用手机扫描下面的二维码。")
        self.stdout.write(qr_text(where.base_url))
        self.stdout.write(
            f"测评票（“发放测评码”打印的 PDF）上的二维码都指向 {where.base_url}ballot/ ，可用真实手机试投票。"
        )
        self.stdout.write(
            self.style.WARNING(
                "注意：演示账号的密码是公开的，且不加密（HTTP），只在可信的局域网中短时间试用，"
                "试用完毕请按 Ctrl+C 停止。"
                "若手机打不开，请检查本机防火墙是否放行该端口，或用 --lan 地址 指定本机的局域网地址。"
            )
        )

    def serve(self, data_dir: Path, where: Listening) -> None:
        pid_file = self.pid_file(data_dir)
        argv, environment = self.server_command(data_dir, where)
        self.stdout.write("\n按 Ctrl+C 停止。")
        self.stdout.flush()
        connections.close_all()
        process = subprocess.Popen(argv, env=environment)
        # The queue's worker, in a thread with its own connection: the server enqueues, it runs.
        worker, worker_thread = start_in_thread()
        # The server writes the pid file itself when it is given one (gunicorn's --pid).
        own_pid_file = pid_file if "--pid" not in argv else None
        if own_pid_file is not None:
            own_pid_file.write_text(str(process.pid), encoding="ascii")
        previous_handler = signal.signal(signal.SIGTERM, interrupt)
        try:
            status = process.wait()
        except KeyboardInterrupt:
            status = stop(process)
        finally:
            signal.signal(signal.SIGTERM, previous_handler)
            # After its current task; a run cut short is resumed by the next start (its heartbeat stops).
            worker.stop()
            worker_thread.join(timeout=5)
            if own_pid_file is not None:
                own_pid_file.unlink(missing_ok=True)
        if status not in (0, -signal.SIGINT, -signal.SIGTERM, 128 + signal.SIGINT):
            raise CommandError(f"服务进程异常退出（状态 {status}）", returncode=status if status > 0 else 1)
        self.stdout.write("演示已停止。")

    def pid_file(self, data_dir: Path) -> Path | None:
        embedded = connections["default"].vendor == "sqlite"
        return data_dir / PID_FILE_NAME if embedded else None

    def server_command(self, data_dir: Path, where: Listening) -> tuple[list[str], dict[str, str]]:
        """The server's command line and environment: gunicorn (or Django's server) bound where the demo listens.

        The server is a child process with its own settings: plain HTTP
        (XINGJI_HTTPS=0) on the loopback interface, or with --lan also at the
        LAN address, which this process's settings, loaded for any use, do
        not assume.
        """
        pid_file = self.pid_file(data_dir)
        if can_run_gunicorn():
            argv = gunicorn_argv(ServerOptions(bind=f"{where.bind_host}:{where.port}", workers=2, pid_file=pid_file))
        else:
            argv = runserver_argv(where.port, host=where.bind_host)
        environment = demo_environment(os.environ, data_dir=data_dir, lan_address=where.lan, port=where.port)
        return argv, environment
