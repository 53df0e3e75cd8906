"""``xingji demo --lan`` (issue 18 item 11): the machine's LAN address found without the internet, the server
bound to every interface and told its LAN address, and the QR code the command prints."""

from __future__ import annotations

import socket
from io import StringIO
from pathlib import Path

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from reportlab.graphics.barcode import qrencoder

from xingji.ops import server
from xingji.ops.management.commands import demo
from xingji.ops.server import demo_environment, lan_address, qr_text

LAN = "192.168.1.23"


class FakeUdp:
    """A UDP socket whose ``connect`` picks a route: ``routes`` maps a probe address to the local address."""

    routes: dict[str, str] = {}
    connected: list[tuple[str, int]] = []

    def __init__(self, family, kind):
        assert (family, kind) == (socket.AF_INET, socket.SOCK_DGRAM)
        self.local = None

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        return False

    def connect(self, address):
        FakeUdp.connected.append(address)
        if address[0] not in self.routes:
            raise OSError("Network is unreachable")
        self.local = self.routes[address[0]]

    def getsockname(self):
        return (self.local, 54321)

    def send(self, *args):  # pragma: no cover - the picker must never send
        raise AssertionError("the address picker sent a packet")

    sendto = send


@pytest.fixture
def fake_network(monkeypatch):
    FakeUdp.routes = {}
    FakeUdp.connected = []
    monkeypatch.setattr(server.socket, "socket", FakeUdp)
    names: dict[str, list[str]] = {}

    def getaddrinfo(host, port, family=0, kind=0, *args):
        if host not in names:
            raise socket.gaierror("unknown host")
        return [(socket.AF_INET, socket.SOCK_STREAM, 6, "", (address, 0)) for address in names[host]]

    monkeypatch.setattr(server.socket, "getaddrinfo", getaddrinfo)
    monkeypatch.setattr(server.socket, "gethostname", lambda: "office-pc")
    return names


def test_it_takes_the_address_the_system_would_send_from_to_a_private_network(fake_network):
    FakeUdp.routes = {probe: LAN for probe in server.ROUTE_PROBES}

    assert lan_address() == LAN
    # Only private addresses are "connected" to (which sends nothing).
    assert all(address[0].startswith(("10.", "192.168.", "172.")) for address in FakeUdp.connected)


def test_it_tries_the_other_private_networks_when_one_has_no_route(fake_network):
    FakeUdp.routes = {server.ROUTE_PROBES[1]: "172.20.0.9"}

    assert lan_address() == "172.20.0.9"


def test_it_falls_back_to_the_host_name_and_skips_loopback_addresses(fake_network):
    fake_network["office-pc"] = ["127.0.1.1", "10.8.0.12"]

    assert lan_address() == "10.8.0.12"


def test_it_falls_back_to_the_loopback_address_when_nothing_else_is_known(fake_network):
    FakeUdp.routes = {probe: "127.0.0.1" for probe in server.ROUTE_PROBES}

    assert lan_address() == "127.0.0.1"


def test_the_server_is_told_its_lan_address_for_hosts_forms_and_slips(tmp_path):
    environment = demo_environment({"PATH": "/bin"}, data_dir=tmp_path, lan_address=LAN, port=8123)

    assert environment["ALLOWED_HOSTS"] == f"127.0.0.1,localhost,{LAN}"
    assert environment["CSRF_TRUSTED_ORIGINS"] == f"http://{LAN}:8123"
    assert environment["XINGJI_BASE_URL"] == f"http://{LAN}:8123"
    assert environment["XINGJI_HTTPS"] == "0"
    assert demo_environment({}, data_dir=tmp_path)["ALLOWED_HOSTS"] == "127.0.0.1,localhost"
    assert "XINGJI_BASE_URL" not in demo_environment({}, data_dir=tmp_path)


def test_the_server_listens_on_every_interface_with_lan_and_on_the_loopback_without(tmp_path, db):
    command = demo.Command()

    lan_argv, lan_environment = command.server_command(tmp_path, demo.listening(8123, LAN))
    local_argv, local_environment = command.server_command(tmp_path, demo.listening(8123, None))

    bind = lan_argv[lan_argv.index("--bind") + 1] if "--bind" in lan_argv else lan_argv[-1]
    assert bind == "0.0.0.0:8123"
    assert lan_environment["XINGJI_BASE_URL"] == f"http://{LAN}:8123"
    local_bind = local_argv[local_argv.index("--bind") + 1] if "--bind" in local_argv else local_argv[-1]
    assert local_bind == "127.0.0.1:8123"
    assert "XINGJI_BASE_URL" not in local_environment


@pytest.mark.django_db
def test_demo_with_lan_prints_the_lan_address_and_its_qr_code(monkeypatch):
    monkeypatch.setattr(demo, "lan_address", lambda: LAN)
    output = StringIO()

    call_command("demo", "--no-serve", "--lan", "--size", "small", "--port", "8123", stdout=output)

    text = output.getvalue()
    assert f"网址：http://{LAN}:8123/" in text
    assert f"局域网访问：同一网络中的手机和电脑打开 http://{LAN}:8123/" in text
    assert f"测评票（“发放测评码”打印的 PDF）上的二维码都指向 http://{LAN}:8123/ballot/" in text
    assert qr_text(f"http://{LAN}:8123/") in text
    assert "http://127.0.0.1:8123/" not in text


def test_demo_refuses_an_address_that_is_not_an_ipv4_address():
    with pytest.raises(CommandError, match="--lan 后应是本机的 IPv4 地址"):
        demo.listening(8000, "office-pc")
    with pytest.raises(CommandError, match="--lan 后应是本机的 IPv4 地址"):
        demo.listening(8000, "0.0.0.0")


def test_demo_with_lan_checks_the_port_on_every_interface(tmp_path):
    with socket.socket() as listener:
        listener.bind(("0.0.0.0", 0))
        listener.listen()
        port = listener.getsockname()[1]

        with pytest.raises(CommandError, match=f"端口 {port} 已被占用"):
            call_command("demo", "--lan", LAN, "--port", str(port), stdout=StringIO())


def test_the_qr_code_in_the_terminal_draws_the_modules_of_the_symbol():
    text = qr_text("http://192.168.1.23:8000/")

    code = qrencoder.QRCode(None, qrencoder.QRErrorCorrectLevel.M)
    code.addData("http://192.168.1.23:8000/")
    code.make()
    count, quiet = code.getModuleCount(), 4
    lines = text.splitlines()
    assert {len(line) for line in lines} == {count + 2 * quiet}
    # Each character holds two rows: ▀ light above, ▄ light below, █ both light, a space both dark.
    light_above = {"█": True, "▀": True, "▄": False, " ": False}
    light_below = {"█": True, "▀": False, "▄": True, " ": False}
    for row in range(count):
        line = lines[(row + quiet) // 2]
        table = light_above if (row + quiet) % 2 == 0 else light_below
        drawn = [not table[line[column + quiet]] for column in range(count)]
        assert drawn == [bool(code.isDark(row, column)) for column in range(count)], row


def test_the_readme_documents_demo_lan():
    readme = (Path(__file__).resolve().parents[2] / "README.md").read_text(encoding="utf-8")

    assert "xingji demo --lan" in readme
