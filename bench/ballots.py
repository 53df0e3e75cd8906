"""Benchmark: concurrent ballot submissions to the real server, next to a bare view doing the same writes.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/postgres .venv/bin/python bench/ballots.py \\
        [--clients 64] [--ballots 40] [--rounds 3] [--warm-up 2] [--rate 100] [--seconds 20] \\
        [--workers 4] [--port 8765] [--conn-max-age SECONDS]

``DATABASE_URL`` names the server and a role allowed to create databases
(its database part is not used): the script creates a scratch database,
``xingji_bench_ballots``, migrates it, and drops it at the end, whatever
happens.

Not timed: an organization with members, a campaign, a survey session and
the codes of both runs for each of the two targets (issued by the services,
so the codes exist in plain text only here).

Timed, on loopback, each target served by its own ``gunicorn`` (both
running throughout, on ``--port`` and the next port) with the command line
of ``xingji serve`` (``xingji.ops.server.gunicorn_argv``: sync workers,
``--workers``), ``--clients`` client threads, each with its own
``http.client`` connection (a voter's phone):

* **app**: ``POST /ballot/submit/`` of the real project (the project's
  middleware, through which the ballot takes its short way, the code checked,
  the answers validated against the session's questions, the token update and
  the ballot insert in one statement, the receipt page rendered);
* **bare**: a bare Django view — Django's WSGI handler with one URL, no
  middleware, no installed app, no template — over the same database with the
  project's connection settings (``CONN_MAX_AGE``, health checks): ``UPDATE
  surveys_surveytoken SET used = true WHERE digest = … AND NOT used AND
  expires_at > now()`` then ``INSERT INTO surveys_ballot`` in one
  transaction, plain-text answer — the floor for these writes in Django.

Not timed either: a warm-up of ``--warm-up`` ballots per client against
each server once both have started, so that no timed round pays for what
each worker does once (its database connection, the compiled templates, the
questions it keeps).

Two runs against each target:

* **closed loop** (saturation): each client submits ``--ballots`` ballots
  back to back, the next as soon as the previous answer arrives; ``--rounds``
  rounds per target, app and bare alternating (app, bare; bare, app; …) so
  that a machine busy with something else weighs on both alike; the median
  round is shown. This measures the most the server can do; its latency is
  mostly waiting in the queue: with N clients always waiting, latency ≈ N /
  throughput (Little's law), printed next to the measured p50;
* **open loop** (a realistic load): the clients together offer ``--rate``
  ballots per second for ``--seconds`` seconds, each client on a fixed
  schedule (every ``clients / rate`` seconds, the clients' phases spread
  evenly). Latency is counted from the scheduled send time, so a request
  that had to wait for its client's previous one counts the wait as well.

Database connections are kept ``--conn-max-age`` seconds by both servers;
by default what the project's settings say (``XINGJI_DB_CONN_MAX_AGE``, 60).

Printed: the machine, requests/s and p50/p99 latency of each run, and the
ratios; then the CPU each ballot cost the server's processes, its
PostgreSQL backends (told apart by ``application_name``; only when
connections are kept, a backend that ends with its request takes its figure
with it) and this client — a figure that another load on the machine
disturbs much less than requests/s, since these runs share the machine's
cores with the client, PostgreSQL and whatever else runs. Nothing is
asserted about time; the script checks that every code produced exactly one
ballot and that every answer was a success.
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.parse
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

SCRATCH_DATABASE = "xingji_bench_ballots"
HERE = Path(__file__).resolve().parent
ROOT = HERE.parent

# --------------------------------------------------------------------------- the bare Django view


def bare_app():
    """Gunicorn's factory (``ballots:bare_app()``): Django with one database, one URL, no middleware or app."""
    import dj_database_url
    from django.conf import settings

    if not settings.configured:
        settings.configure(
            DATABASES={
                "default": dj_database_url.parse(
                    os.environ["DATABASE_URL"],
                    conn_max_age=int(os.environ["XINGJI_DB_CONN_MAX_AGE"]),
                    conn_health_checks=os.environ.get("BENCH_CONN_HEALTH_CHECKS") == "true",
                )
            },
            INSTALLED_APPS=[],
            MIDDLEWARE=[],
            ROOT_URLCONF=__name__,
            USE_TZ=True,
            TIME_ZONE="Asia/Shanghai",
            ALLOWED_HOSTS=["*"],
            DEBUG=False,
            SECRET_KEY="bench-only",
        )
    from django.core.wsgi import get_wsgi_application

    return get_wsgi_application()


def bare_view(request):
    """The same writes as a ballot, in a Django view and nothing more: no middleware, template or form."""
    import hashlib
    import secrets
    import uuid

    from django.db import connection, transaction
    from django.http import HttpResponse, HttpResponseNotAllowed
    from django.utils import timezone

    if request.method != "POST":
        return HttpResponseNotAllowed(["POST"])
    code = request.POST.get("code", "").replace("-", "").upper()
    digest = hashlib.sha256(code.encode()).hexdigest()
    # The same answers as the app stores (every criterion, the overall rating, the comment), unchecked.
    answers = json.dumps({key: value for key, value in request.POST.items() if key != "code"}, ensure_ascii=False)
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(
            "UPDATE surveys_surveytoken SET used = true WHERE digest = %s AND NOT used "
            "AND expires_at > now() RETURNING session_id",
            [digest],
        )
        row = cursor.fetchone()
        if row is None:
            return HttpResponse("该测评码已使用，您的测评票已计入", content_type="text/plain; charset=utf-8")
        receipt = "".join(secrets.choice("0123456789ABCDEFGHJKMNPQRSTVWXYZ") for _ in range(10))
        cursor.execute(
            "INSERT INTO surveys_ballot (id, session_id, answers, cast_on, receipt) VALUES (%s, %s, %s, %s, %s)",
            [uuid.uuid4(), row[0], answers, timezone.localdate(), receipt],
        )
    return HttpResponse(f"回执码 {receipt}", content_type="text/plain; charset=utf-8")


def _urlpatterns():
    from django.urls import path

    return [path("bare/", bare_view)]


def __getattr__(name):
    # ``ROOT_URLCONF`` is this module; its patterns are made on first use, once Django is configured.
    if name == "urlpatterns":
        return _urlpatterns()
    raise AttributeError(name)


# --------------------------------------------------------------------------- the scratch database


def server_urls(database_url: str) -> tuple[str, str]:
    """(maintenance URL for psycopg, scratch URL for Django)."""
    parts = urlsplit(database_url)
    if parts.scheme not in {"postgres", "postgresql", "pgsql"}:
        sys.exit(f"DATABASE_URL should point at PostgreSQL, not {parts.scheme or 'nothing'}")
    return (
        urlunsplit(("postgresql", parts.netloc, "/postgres", parts.query, "")),
        urlunsplit((parts.scheme, parts.netloc, f"/{SCRATCH_DATABASE}", parts.query, "")),
    )


def scratch_database(maintenance_url: str, *, create: bool) -> None:
    import psycopg

    with psycopg.connect(maintenance_url, autocommit=True) as connection:
        connection.execute(f"DROP DATABASE IF EXISTS {SCRATCH_DATABASE} WITH (FORCE)")
        if create:
            connection.execute(f"CREATE DATABASE {SCRATCH_DATABASE}")


def server_environment(django_url: str, data_dir: Path) -> dict[str, str]:
    return {
        **os.environ,
        "DATABASE_URL": django_url,
        "SECRET_KEY": "bench-only-secret-key-" + "x" * 40,
        "XINGJI_DATA_DIR": str(data_dir),
        "DJANGO_SETTINGS_MODULE": "xingji.settings",
        "XINGJI_LOG_LEVEL": "WARNING",
        "XINGJI_HTTPS": "false",
        "DEBUG": "false",
        "ALLOWED_HOSTS": "127.0.0.1,localhost",
    }


def setup_django(environment: dict[str, str]) -> None:
    os.environ.update(
        {
            key: environment[key]
            for key in (
                "DATABASE_URL",
                "SECRET_KEY",
                "XINGJI_DATA_DIR",
                "DJANGO_SETTINGS_MODULE",
                "XINGJI_LOG_LEVEL",
                "XINGJI_HTTPS",
                "DEBUG",
                "ALLOWED_HOSTS",
            )
        }
    )
    # The servers' connection setting, so that this process reads the same settings.
    if "XINGJI_DB_CONN_MAX_AGE" in environment:
        os.environ["XINGJI_DB_CONN_MAX_AGE"] = environment["XINGJI_DB_CONN_MAX_AGE"]
    import django
    from django.core.management import call_command

    django.setup()
    call_command("migrate", verbosity=0)


# --------------------------------------------------------------------------- the data


def make_codes(count: int) -> tuple[list[str], list[str], dict]:
    """Two sets of ``count`` public codes of one open session (app, bare), and the session's questions."""
    from datetime import date, timedelta

    from django.utils import timezone

    from xingji.accounts.models import Role, User
    from xingji.campaigns import services as campaign_services
    from xingji.orgs.models import Member, Organization, OrganizationType
    from xingji.surveys import services

    root = Organization.objects.add_root(
        instance=Organization(name="市直工委", code="ROOT", org_type=OrganizationType.PARTY_COMMITTEE, category="机关")
    )
    branch = Organization.objects.add_child(
        Organization.objects.get(pk=root.pk),
        instance=Organization(name="测试支部", code="B-1", org_type=OrganizationType.BRANCH, category="机关"),
    )
    office = User.objects.create(username="office", name="组织部", organization=root, role=Role.COMMITTEE_OFFICE)
    secretary = User.objects.create(username="secretary", name="书记", organization=branch, role=Role.BRANCH_SECRETARY)
    Member.objects.bulk_create(
        [
            Member(organization=branch, name=f"党员{n}", gender="female", birth_year=1980, joined=date(2005, 7, 1))
            for n in range(50)
        ]
    )
    campaign = campaign_services.campaign_create(root=root, year=2025, kind="mid_year", actor=office)
    campaign = campaign_services.campaign_open(campaign=campaign, actor=office)
    evaluation = campaign.evaluations.get(organization=branch)
    today = timezone.localdate()
    session = services.session_open(
        evaluation=evaluation, meeting_on=today, expires_on=today + timedelta(days=1), actor=secretary
    )
    codes: list[str] = []
    while len(codes) < 2 * count:
        batch = min(services.MAX_TOKENS_PER_ISSUE, 2 * count - len(codes))
        issued = services.tokens_issue(session=session, member_tokens=0, public_tokens=batch, actor=secretary)
        codes += [code for _, code in issued.codes]
    return codes[:count], codes[count:], session.questions


# --------------------------------------------------------------------------- the load


def start_server(argv: list[str], environment: dict[str, str], port: int) -> subprocess.Popen:
    process = subprocess.Popen(
        argv, env=environment, cwd=str(ROOT), stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, start_new_session=True
    )
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            connection = http.client.HTTPConnection("127.0.0.1", port, timeout=2)
            connection.request("GET", "/")
            connection.getresponse().read()
            connection.close()
            return process
        except OSError:
            if process.poll() is not None:
                sys.exit("the server did not start:\n" + process.stderr.read().decode(errors="replace")[-2000:])
            time.sleep(0.2)
    stop_server(process)
    sys.exit("the server did not answer within 30 s")


def stop_server(process: subprocess.Popen) -> None:
    process.terminate()
    try:
        process.wait(timeout=15)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()


class Client:
    """One voter's phone: its connection, then its submissions (the ballot sets no cookie, needs no token).

    Gunicorn's sync workers close the connection after each answer; ``http.client`` opens a new one.
    """

    def __init__(self, port: int) -> None:
        self.port = port
        self.connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        self.headers = {"Content-Type": "application/x-www-form-urlencoded"}

    def post(self, path: str, fields: dict[str, str]) -> tuple[int, str]:
        body = urllib.parse.urlencode(fields)
        try:
            self.connection.request("POST", path, body=body, headers=self.headers)
            response = self.connection.getresponse()
            text = response.read().decode()
        except (http.client.HTTPException, OSError):
            # A worker closed the idle connection: reconnect once, as a browser does.
            self.connection.close()
            self.connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=30)
            self.connection.request("POST", path, body=body, headers=self.headers)
            response = self.connection.getresponse()
            text = response.read().decode()
        return response.status, text

    def close(self) -> None:
        self.connection.close()


def drive(
    port: int, path: str, codes: list[str], clients: int, answer: dict[str, str], *, rate: float | None = None
) -> dict:
    """Submit every code, ``clients`` at a time; closed loop without ``rate``, else open loop at ``rate``/s.

    Closed loop: a client sends its next ballot when the previous answer
    arrives; latency from sending to the answer. Open loop: client ``i``
    sends its ``k``-th ballot at ``i / rate + k · clients / rate`` seconds
    (later if its previous one is still waiting); latency from that
    scheduled moment to the answer.
    """
    per_client = [codes[index::clients] for index in range(clients)]
    latencies: list[float] = []
    lateness: list[float] = []
    failures: list[str] = []
    lock = threading.Lock()
    ready = [Client(port) for _ in range(clients)]
    barrier = threading.Barrier(clients + 1)
    start = 0.0

    def run(index: int, client: Client, own: list[str]) -> None:
        barrier.wait()
        mine, late, bad = [], [], []
        for number, code in enumerate(own):
            if rate is None:
                scheduled = time.perf_counter()
            else:
                scheduled = start + (index + number * clients) / rate
                wait = scheduled - time.perf_counter()
                if wait > 0:
                    time.sleep(wait)
                else:
                    late.append(-wait)
            status, text = client.post(path, {"code": code, **answer})
            mine.append(time.perf_counter() - scheduled)
            if status != 200 or "回执码" not in text:
                bad.append(f"{status} {text[:80]!r}")
        with lock:
            latencies.extend(mine)
            lateness.extend(late)
            failures.extend(bad)

    threads = [
        threading.Thread(target=run, args=(index, client, own))
        for index, (client, own) in enumerate(zip(ready, per_client, strict=True))
    ]
    for thread in threads:
        thread.start()
    # The open loop's time zero: a moment after the threads are released.
    start = time.perf_counter() + (0.05 if rate is not None else 0.0)
    barrier.wait()
    for thread in threads:
        thread.join()
    elapsed = time.perf_counter() - start
    for client in ready:
        client.close()
    latencies.sort()
    return {
        "requests": len(latencies),
        "seconds": elapsed,
        "rps": len(latencies) / elapsed,
        "p50": statistics.median(latencies) * 1000,
        "p99": percentile(latencies, 0.99) * 1000,
        "max": latencies[-1] * 1000,
        "late": len(lateness),
        "failures": failures,
    }


def percentile(ordered: list[float], share: float) -> float:
    return ordered[min(len(ordered) - 1, int(len(ordered) * share))]


def _stat(pid: int | str) -> list[str]:
    """The fields of ``/proc/<pid>/stat`` after the command name (state, ppid, …); empty if gone."""
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except (OSError, IndexError):
        return []


def process_cpu(pid: int) -> float:
    """User + system CPU seconds of a process so far (Linux; 0 elsewhere or once it is gone)."""
    fields = _stat(pid)
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK") if fields else 0.0


def server_pids(master: int) -> list[int]:
    """Gunicorn's master and its workers."""
    children = [
        int(entry.name)
        for entry in Path("/proc").iterdir()
        if entry.name.isdigit() and (fields := _stat(entry.name)) and int(fields[1]) == master
    ]
    return [master, *children]


def database_pids(application: str) -> list[int]:
    """The PostgreSQL backends of one server (told apart by ``application_name``)."""
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("SELECT pid FROM pg_stat_activity WHERE application_name = %s", [application])
        return [row[0] for row in cursor.fetchall()]


class CpuMeter:
    """CPU seconds spent by a server's processes, its database backends and this client during a run.

    The backends are looked at every quarter of a second as well: a backend
    that ends during the run (its connection reached ``CONN_MAX_AGE``) keeps
    what it had spent when last seen. A process started during the run
    counts from zero.
    """

    INTERVAL = 0.25

    def __init__(self, server: subprocess.Popen, application: str) -> None:
        from django.db import connections

        self.server, self.application = server, application
        self.database: dict[int, float] = {}
        self.stop = threading.Event()
        # The sampling thread's own connection, closed by ``__exit__``.
        self.connections = connections

    def _backends(self) -> dict[int, float]:
        return {pid: process_cpu(pid) for pid in database_pids(self.application)}

    def _watch(self) -> None:
        try:
            while not self.stop.wait(self.INTERVAL):
                for pid, cpu in self._backends().items():
                    self.database[pid] = max(cpu, self.database.get(pid, 0.0))
        finally:
            self.connections.close_all()

    def __enter__(self) -> CpuMeter:
        self.server_before = {pid: process_cpu(pid) for pid in server_pids(self.server.pid)}
        self.database_before = self._backends()
        self.database.update(self.database_before)
        self.client = time.process_time()
        self.watcher = threading.Thread(target=self._watch, daemon=True)
        self.watcher.start()
        return self

    def __exit__(self, *exc) -> None:
        client = time.process_time() - self.client
        self.stop.set()
        self.watcher.join()
        for pid, cpu in self._backends().items():
            self.database[pid] = max(cpu, self.database.get(pid, 0.0))
        server = {pid: process_cpu(pid) for pid in server_pids(self.server.pid)}
        self.seconds = {
            "server": sum(cpu - self.server_before.get(pid, 0.0) for pid, cpu in server.items()),
            "database": sum(cpu - self.database_before.get(pid, 0.0) for pid, cpu in self.database.items()),
            # The sampling thread's few queries are the client's too; they are small next to the load.
            "client": client,
        }


# --------------------------------------------------------------------------- reporting


def cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown"


def machine() -> list[tuple[str, str]]:
    import django
    import gunicorn
    import psycopg
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("SHOW server_version")
        server_version = cursor.fetchone()[0]
    load = ", ".join(f"{value:.2f}" for value in os.getloadavg()) if hasattr(os, "getloadavg") else "unknown"
    return [
        ("platform", platform.platform()),
        ("CPU", f"{cpu_model()}, {os.cpu_count()} logical cores (client, servers and PostgreSQL share them)"),
        ("load average", f"{load} (before the runs)"),
        ("Python", f"{platform.python_implementation()} {platform.python_version()}"),
        ("PostgreSQL", f"{server_version} (psycopg {psycopg.__version__})"),
        ("Django / gunicorn", f"{django.get_version()} / {gunicorn.__version__}"),
    ]


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--clients", type=int, default=64, help="concurrent clients (default 64)")
    parser.add_argument(
        "--ballots", type=int, default=40, help="closed loop: ballots per client, target and round (default 40)"
    )
    parser.add_argument(
        "--rounds", type=int, default=3, help="closed loop: rounds per target, app and bare alternating (default 3)"
    )
    parser.add_argument(
        "--warm-up",
        type=int,
        default=2,
        help="ballots per client sent to each server before the timed runs (default 2)",
    )
    parser.add_argument(
        "--rate",
        type=float,
        default=100.0,
        help="open loop: ballots per second offered by all clients together (default 100)",
    )
    parser.add_argument("--seconds", type=float, default=20.0, help="open loop: duration (default 20)")
    parser.add_argument("--workers", type=int, default=4, help="gunicorn workers of each server (default 4)")
    parser.add_argument(
        "--port",
        type=int,
        default=8765,
        help="loopback port of the app; the bare view listens on the next one (default 8765)",
    )
    parser.add_argument(
        "--conn-max-age",
        type=int,
        default=None,
        help="XINGJI_DB_CONN_MAX_AGE of both servers, 0 to connect per request (default: the project's setting)",
    )
    arguments = parser.parse_args(argv)
    if arguments.rate <= 0 or arguments.seconds <= 0 or arguments.rounds < 1 or arguments.warm_up < 0:
        parser.error("--rate, --seconds and --rounds must be positive, --warm-up not negative")
    database_url = os.environ.get("DATABASE_URL")
    if not database_url:
        sys.exit("set DATABASE_URL, e.g. DATABASE_URL=postgres://postgres@127.0.0.1:5432/postgres")
    maintenance_url, django_url = server_urls(database_url)

    with tempfile.TemporaryDirectory(prefix="xingji-bench-") as scratch:
        environment = server_environment(django_url, Path(scratch))
        if arguments.conn_max_age is not None:
            environment["XINGJI_DB_CONN_MAX_AGE"] = str(arguments.conn_max_age)
        scratch_database(maintenance_url, create=True)
        try:
            setup_django(environment)
            from django.conf import settings

            # What the app's servers will use (the project's setting unless given), and the bare one the same.
            database = settings.DATABASES["default"]
            environment["XINGJI_DB_CONN_MAX_AGE"] = str(database["CONN_MAX_AGE"])
            environment["BENCH_CONN_HEALTH_CHECKS"] = "true" if database["CONN_HEALTH_CHECKS"] else "false"
            run(arguments, environment)
        finally:
            from django.db import connections

            connections.close_all()
            scratch_database(maintenance_url, create=False)


def run(arguments, environment: dict[str, str]) -> None:
    from xingji.surveys.models import Ballot, SurveyToken

    print("machine")
    for label, value in machine():
        print(f"  {label:<18} {value}")
    clients = arguments.clients
    closed_count = clients * arguments.ballots
    per_client = max(1, round(arguments.rate * arguments.seconds / clients))
    open_count = clients * per_client
    warm_count = clients * arguments.warm_up
    count = warm_count + arguments.rounds * closed_count + open_count
    start = time.perf_counter()
    app_codes, bare_codes, questions = make_codes(count)
    answer = {"overall": "satisfied", "comment": ""}
    answer.update({f"criterion_{criterion['code']}": "satisfied" for criterion in questions["criteria"]})
    print(f"\ndata (not timed): {2 * count:,} codes of one session in {time.perf_counter() - start:.1f} s")

    targets = server_targets(arguments, environment, {"app": app_codes, "bare": bare_codes})
    print_plan(arguments, environment, per_client)
    closed, opened = measure(
        targets, arguments, answer, warm_count=warm_count, closed_count=closed_count, open_count=open_count
    )

    if Ballot.objects.count() != 2 * count or SurveyToken.objects.filter(used=True).count() != 2 * count:
        sys.exit("not every code produced exactly one ballot")

    header = f"{'target':<8}{'requests':>10}{'seconds':>9}{'req/s':>9}{'p50 ms':>9}{'p99 ms':>9}{'max ms':>9}"
    print_closed_loop(closed, header, clients, arguments.rounds)
    print_open_loop(opened, header, arguments.rate)
    print_cpu(closed, opened, kept=environment["XINGJI_DB_CONN_MAX_AGE"] != "0")
    print(f"\nchecked: {2 * count:,} codes, {Ballot.objects.count():,} ballots, each code used once")


def server_targets(arguments, environment: dict[str, str], codes: dict[str, list[str]]) -> dict[str, dict]:
    """The two servers to start, app on ``--port`` and bare on the next: command line, codes, environment."""
    from xingji.ops.server import WSGI_APPLICATION, ServerOptions, gunicorn_argv

    targets = {}
    separator = "&" if "?" in environment["DATABASE_URL"] else "?"
    for name, port in (("app", arguments.port), ("bare", arguments.port + 1)):
        options = ServerOptions(bind=f"127.0.0.1:{port}", workers=arguments.workers, timeout=60, pid_file=None)
        argv = gunicorn_argv(options)
        if name == "bare":
            argv = [*argv, "--pythonpath", str(HERE)]
            argv[argv.index(WSGI_APPLICATION)] = "ballots:bare_app()"
        application = f"xingji_bench_{name}"
        targets[name] = {
            "argv": argv,
            "port": port,
            "path": "/ballot/submit/" if name == "app" else "/bare/",
            "codes": codes[name],
            "application": application,
            "environment": {
                **environment,
                "DATABASE_URL": f"{environment['DATABASE_URL']}{separator}application_name={application}",
            },
        }
    return targets


def print_plan(arguments, environment: dict[str, str], per_client: int) -> None:
    clients = arguments.clients
    checks = "on" if environment["BENCH_CONN_HEALTH_CHECKS"] == "true" else "off"
    print(
        f"servers: gunicorn, {arguments.workers} sync workers each (app on {arguments.port}, bare on "
        f"{arguments.port + 1}), database connections kept {environment['XINGJI_DB_CONN_MAX_AGE']} s "
        f"(health checks {checks}), the same for both"
    )
    print(f"warm-up (not timed): {clients} clients × {arguments.warm_up} ballots per target")
    print(
        f"closed loop: {clients} clients × {arguments.ballots} ballots back to back, {arguments.rounds} rounds "
        f"per target, app and bare alternating"
    )
    print(
        f"open loop: {clients} clients offering {arguments.rate:g} ballots/s together "
        f"(each one every {clients / arguments.rate:.2f} s), {per_client} each per target"
    )


def measure(
    targets: dict[str, dict], arguments, answer: dict[str, str], *, warm_count: int, closed_count: int, open_count: int
) -> tuple[dict[str, list[dict]], dict[str, dict]]:
    """Start both servers, warm them up, then the closed-loop rounds and the open loop: (closed, opened)."""
    clients = arguments.clients

    def batch(name: str, size: int) -> list[str]:
        codes = targets[name]["codes"]
        taken, targets[name]["codes"] = codes[:size], codes[size:]
        return taken

    def load(name: str, rate: float | None = None) -> dict:
        target = targets[name]
        with CpuMeter(target["process"], target["application"]) as meter:
            result = drive(
                target["port"],
                target["path"],
                batch(name, closed_count if rate is None else open_count),
                clients,
                answer,
                rate=rate,
            )
        result["cpu"] = {part: seconds / result["requests"] * 1000 for part, seconds in meter.seconds.items()}
        if result["failures"]:
            sys.exit(f"{name}: {len(result['failures'])} failed requests, e.g. {result['failures'][0]}")
        return result

    processes = []
    closed: dict[str, list[dict]] = {"app": [], "bare": []}
    opened: dict[str, dict] = {}
    try:
        for name in ("app", "bare"):
            targets[name]["process"] = start_server(
                targets[name]["argv"], targets[name]["environment"], targets[name]["port"]
            )
            processes.append(targets[name]["process"])
        for name in ("app", "bare"):
            if warm_count:
                warm = drive(targets[name]["port"], targets[name]["path"], batch(name, warm_count), clients, answer)
                if warm["failures"]:
                    sys.exit(f"{name}: {len(warm['failures'])} failed requests, e.g. {warm['failures'][0]}")
        for round_ in range(arguments.rounds):
            for name in ("app", "bare") if round_ % 2 == 0 else ("bare", "app"):
                closed[name].append(load(name))
        for name in ("app", "bare"):
            opened[name] = load(name, rate=arguments.rate)
    finally:
        for process in processes:
            stop_server(process)
    return closed, opened


def print_closed_loop(closed: dict[str, list[dict]], header: str, clients: int, rounds: int) -> None:
    median = {
        name: sorted(results, key=lambda result: result["rps"])[len(results) // 2] for name, results in closed.items()
    }
    print(f"\nclosed loop (saturation: {clients} clients back to back; the median round of {rounds} by req/s)")
    print(f"{header}{'N/rate ms':>11}  req/s of each round")
    for name in ("app", "bare"):
        result = median[name]
        print(
            f"{name:<8}{result['requests']:>10}{result['seconds']:>9.2f}{result['rps']:>9.1f}"
            f"{result['p50']:>9.1f}{result['p99']:>9.1f}{result['max']:>9.1f}"
            f"{clients / result['rps'] * 1000:>11.1f}  " + ", ".join(f"{each['rps']:.0f}" for each in closed[name])
        )
    ratios = [app["rps"] / bare["rps"] for app, bare in zip(closed["app"], closed["bare"], strict=True)]
    print(
        f"app / bare throughput: {median['app']['rps'] / median['bare']['rps']:.0%} (target ≥ 90 %; round by "
        f"round {', '.join(f'{ratio:.0%}' for ratio in ratios)}); p99 app {median['app']['p99']:.1f} ms "
        f"(target < 100 ms), bare {median['bare']['p99']:.1f} ms."
    )
    print(
        f"N/rate: the latency that {clients} clients always waiting imply at that throughput (Little's law): "
        f"in a closed loop the latency is mostly queueing."
    )


def print_open_loop(opened: dict[str, dict], header: str, rate: float) -> None:
    print(f"\nopen loop ({rate:g} ballots/s offered, latency from the scheduled send time)")
    print(f"{header}{'late':>11}")
    for name in ("app", "bare"):
        result = opened[name]
        print(
            f"{name:<8}{result['requests']:>10}{result['seconds']:>9.2f}{result['rps']:>9.1f}"
            f"{result['p50']:>9.1f}{result['p99']:>9.1f}{result['max']:>9.1f}{result['late']:>11}"
        )
    app, bare = opened["app"], opened["bare"]
    print(
        f"app / bare latency: p50 {app['p50'] / bare['p50']:.2f}×, p99 {app['p99'] / bare['p99']:.2f}×; "
        f"app p99 {app['p99']:.1f} ms (target < 100 ms). late: ballots sent after their scheduled moment "
        f"because the client's previous one was still waiting."
    )


def print_cpu(closed: dict[str, list[dict]], opened: dict[str, dict], *, kept: bool) -> None:
    """CPU per ballot; ``kept``: database connections outlive requests, so their backends can be measured."""
    print(
        "\nCPU per ballot, ms (closed loop: the median of the rounds; what the load costs, whatever else "
        "runs on the machine)"
    )
    print(f"{'target':<8}{'loop':<8}{'server':>9}{'database':>10}{'both':>9}{'client':>9}")
    cost: dict[tuple[str, str], float] = {}
    for mode, runs in (("closed", closed), ("open", {name: [result] for name, result in opened.items()})):
        for name in ("app", "bare"):
            part = {
                key: statistics.median(result["cpu"][key] for result in runs[name])
                for key in ("server", "database", "client")
            }
            cost[mode, name] = part["server"] + (part["database"] if kept else 0.0)
            database = f"{part['database']:>10.2f}" if kept else f"{'n/a':>10}"
            print(f"{name:<8}{mode:<8}{part['server']:>9.2f}{database}{cost[mode, name]:>9.2f}{part['client']:>9.2f}")
    what = "server and database" if kept else "server (database backends end with each request: not counted)"
    print(
        f"bare / app CPU of {what}: closed {cost['closed', 'bare'] / cost['closed', 'app']:.0%}, "
        f"open {cost['open', 'bare'] / cost['open', 'app']:.0%} — the throughput ratio to expect where the "
        f"CPU is the limit and nothing else runs."
    )


if __name__ == "__main__":
    main()
