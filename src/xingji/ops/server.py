"""Starting the web server: gunicorn's command line, the demo's environment, the pid file.

The functions here only build and inspect; the commands start the processes.
"""

from __future__ import annotations

import ipaddress
import os
import socket
import sys
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from django.core.exceptions import ImproperlyConfigured

DEFAULT_BIND = "127.0.0.1:8000"
DEFAULT_TIMEOUT = 60
MAX_DEFAULT_WORKERS = 8
PID_FILE_NAME = "server.pid"
WSGI_APPLICATION = "xingji.wsgi:application"


@dataclass(frozen=True)
class ServerOptions:
    bind: str = DEFAULT_BIND
    workers: int = 2
    timeout: int = DEFAULT_TIMEOUT
    #: Where gunicorn writes its pid: the embedded install's data directory,
    #: so that ``xingji restore`` can tell that a server is running.
    pid_file: Path | None = None


def positive_int(environ: Mapping[str, str], name: str, default: int) -> int:
    raw = environ.get(name, "").strip()
    if not raw:
        return default
    try:
        value = int(raw)
    except ValueError:
        raise ImproperlyConfigured(f"{name} should be a positive integer, not {raw!r}") from None
    if value < 1:
        raise ImproperlyConfigured(f"{name} should be a positive integer, not {raw!r}")
    return value


def default_workers(cpu_count: int | None = None) -> int:
    """Gunicorn's rule of thumb, 2 × CPUs + 1, at most 8 (each worker holds its own connections)."""
    cpus = cpu_count if cpu_count is not None else (os.cpu_count() or 1)
    return min(2 * cpus + 1, MAX_DEFAULT_WORKERS)


def server_options_from_environment(
    environ: Mapping[str, str] | None = None,
    *,
    bind: str | None = None,
    workers: int | None = None,
    timeout: int | None = None,
    pid_file: Path | None = None,
) -> ServerOptions:
    """Options given on the command line win over ``XINGJI_BIND``, ``WEB_CONCURRENCY``, ``XINGJI_TIMEOUT``."""
    environ = os.environ if environ is None else environ
    return ServerOptions(
        bind=bind or environ.get("XINGJI_BIND", "").strip() or DEFAULT_BIND,
        workers=workers or positive_int(environ, "WEB_CONCURRENCY", default_workers()),
        timeout=timeout or positive_int(environ, "XINGJI_TIMEOUT", DEFAULT_TIMEOUT),
        pid_file=pid_file,
    )


def gunicorn_argv(options: ServerOptions, *, python: str = sys.executable) -> list[str]:
    """The gunicorn command line: the WSGI app, bind address, workers, access log on standard output.

    Gunicorn also reads ``GUNICORN_CMD_ARGS`` and ``FORWARDED_ALLOW_IPS``
    from the environment, for whatever is not set here.
    """
    argv = [
        python,
        "-m",
        "gunicorn",
        WSGI_APPLICATION,
        "--bind",
        options.bind,
        "--workers",
        str(options.workers),
        "--timeout",
        str(options.timeout),
        "--access-logfile",
        "-",
        "--error-logfile",
        "-",
    ]
    if options.pid_file is not None:
        argv += ["--pid", str(options.pid_file)]
    return argv


def runserver_argv(port: int, *, python: str = sys.executable, host: str = "127.0.0.1") -> list[str]:
    """Django's own server, without the autoreloader: the demo where gunicorn cannot run (Windows)."""
    return [python, "-m", "xingji", "runserver", "--noreload", f"{host}:{port}"]


def can_run_gunicorn() -> bool:
    if os.name != "posix":
        return False
    try:
        import gunicorn  # noqa: F401
    except ImportError:
        return False
    return True


def demo_environment(
    base: Mapping[str, str], *, data_dir: Path, lan_address: str | None = None, port: int = 8000
) -> dict[str, str]:
    """The demo server's environment: the demo's data, plain HTTP on the loopback interface.

    With ``lan_address`` (``xingji demo --lan``) the server also answers at
    that address of the local network, its forms are accepted from there, and
    the survey slips point there (``XINGJI_BASE_URL``), so that phones on the
    same network reach the ballot.
    """
    environment = dict(base)
    hosts = ["127.0.0.1", "localhost"]
    environment.update(
        {
            "DJANGO_SETTINGS_MODULE": "xingji.settings",
            "XINGJI_DATA_DIR": str(data_dir),
            # Plain HTTP is safe only because the demo listens on 127.0.0.1 (or, with --lan, on a network
            # the office trusts, for a trial).
            "XINGJI_HTTPS": "0",
            "DEBUG": "0",
            "ALLOWED_HOSTS": ",".join(hosts),
        }
    )
    if lan_address:
        origin = lan_origin(lan_address, port)
        environment["ALLOWED_HOSTS"] = ",".join([*hosts, lan_address])
        environment["CSRF_TRUSTED_ORIGINS"] = origin
        environment["XINGJI_BASE_URL"] = origin
    return environment


def lan_origin(address: str, port: int) -> str:
    """``http://address:port`` (an IPv6 address in brackets)."""
    host = f"[{address}]" if ":" in address else address
    return f"http://{host}:{port}"


#: Private addresses a UDP socket is "connected" to, to learn which local address the system would send
#: from. Connecting a UDP socket sends nothing: it only picks the route. No internet needed.
ROUTE_PROBES = ("10.255.255.254", "192.168.255.254", "172.31.255.254")


def _usable(address: str) -> bool:
    try:
        parsed = ipaddress.ip_address(address)
    except ValueError:
        return False
    return parsed.version == 4 and not (parsed.is_loopback or parsed.is_unspecified or parsed.is_link_local)


def lan_address() -> str:
    """This machine's address on the local network, found without the internet.

    First the address the system would send from to a private network (a UDP
    socket's ``connect`` sends no packet); then the addresses the host name
    resolves to; else 127.0.0.1.
    """
    for probe in ROUTE_PROBES:
        try:
            with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as udp:
                udp.connect((probe, 9))
                address = str(udp.getsockname()[0])
        except OSError:
            continue
        if _usable(address):
            return address
    try:
        infos = socket.getaddrinfo(socket.gethostname(), None, socket.AF_INET, socket.SOCK_STREAM)
    except OSError:
        infos = []
    for info in infos:
        address = str(info[4][0])
        if _usable(address):
            return address
    return "127.0.0.1"


def qr_text(text: str) -> str:
    """``text`` as a QR code drawn with block characters, for a terminal (two rows of modules per line)."""
    from reportlab.graphics.barcode import qrencoder

    code = qrencoder.QRCode(None, qrencoder.QRErrorCorrectLevel.M)
    code.addData(text)
    code.make()
    count = code.getModuleCount()
    quiet = 4  # the quiet zone the QR standard asks for
    side = count + 2 * quiet

    def dark(row: int, column: int) -> bool:
        row, column = row - quiet, column - quiet
        return 0 <= row < count and 0 <= column < count and bool(code.isDark(row, column))

    # Light modules are drawn (white on a dark terminal is what a phone reads), dark ones left blank.
    blocks = {(False, False): "█", (False, True): "▀", (True, False): "▄", (True, True): " "}
    lines = []
    for row in range(0, side, 2):
        lines.append("".join(blocks[(dark(row, column), dark(row + 1, column))] for column in range(side)))
    return "\n".join(lines)


def port_is_free(port: int, host: str = "127.0.0.1") -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        if os.name == "posix":
            # As the servers do: a port whose old connections linger in TIME_WAIT is free.
            probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind((host, port))
        except OSError:
            return False
    return True


def running_server_pid(pid_file: Path) -> int | None:
    """The pid of the server that wrote ``pid_file``, if it seems to be still running."""
    try:
        pid = int(pid_file.read_text(encoding="ascii").strip())
    except (FileNotFoundError, ValueError):
        return None
    if os.name != "posix":
        # No harmless way to probe a process there (os.kill terminates it):
        # a pid file that exists means a server that may be running.
        return pid
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return None
    except PermissionError:
        return pid
    return pid
