"""Benchmark: concurrent ballot submissions to the real server, next to a bare view doing the same writes.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/postgres .venv/bin/python bench/ballots.py \\
        [--clients 64] [--ballots 40] [--workers 4] [--port 8765]

``DATABASE_URL`` names the server and a role allowed to create databases
(its database part is not used): the script creates a scratch database,
``xingji_bench_ballots``, migrates it, and drops it at the end, whatever
happens.

Not timed: an organization with members, a campaign, a survey session and
``--clients × --ballots`` codes for each of the two targets (issued by the
services, so the codes exist in plain text only here).

Timed, on loopback, each target served by ``gunicorn`` with the command line
of ``xingji serve`` (``xingji.ops.server.gunicorn_argv``: sync workers,
``--workers``), ``--clients`` client threads, each with its own keep-alive
``http.client`` connection, submitting its ballots one after another:

* **app**: ``POST /ballot/submit/`` of the real project (middleware, CSRF,
  sessions, the code checked, the answers validated against the session's
  questions, the token update and the ballot insert in one transaction, the
  receipt page rendered);
* **bare**: a minimal WSGI application (no middleware, no template, no URL
  resolver beyond one path) over the same database through Django's
  connection: ``UPDATE surveys_surveytoken SET used = true WHERE digest = …
  AND NOT used AND expires_at > now()`` then ``INSERT INTO surveys_ballot``
  in one transaction, plain-text answer — the floor for these writes.

Printed: the machine, requests/s and p50/p99 latency of each, and the ratios.
Nothing is asserted about time; the script checks that every code produced
exactly one ballot and that every answer was a success.
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import platform
import re
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

# --------------------------------------------------------------------------- the bare application

_bare_ready = False


def bare_app():
    """Gunicorn's factory (``ballots:bare_app()``): Django configured with one database and nothing else."""
    global _bare_ready
    if not _bare_ready:
        import dj_database_url
        from django.conf import settings

        settings.configure(
            DATABASES={"default": dj_database_url.parse(
                os.environ["DATABASE_URL"], conn_max_age=int(os.environ.get("XINGJI_DB_CONN_MAX_AGE", "0")))},
            INSTALLED_APPS=[], MIDDLEWARE=[], USE_TZ=True, TIME_ZONE="Asia/Shanghai", ALLOWED_HOSTS=["*"],
        )
        import django

        django.setup()
        _bare_ready = True
    return _bare_application


def _bare_application(environ, start_response):
    import hashlib
    import secrets
    import uuid

    from django.db import close_old_connections, connection, transaction
    from django.utils import timezone

    if environ["REQUEST_METHOD"] != "POST" or environ["PATH_INFO"] != "/bare/":
        start_response("404 Not Found", [("Content-Type", "text/plain")])
        return [b"not found"]
    length = int(environ.get("CONTENT_LENGTH") or 0)
    form = urllib.parse.parse_qs(environ["wsgi.input"].read(length).decode())
    code = form.get("code", [""])[0].replace("-", "").upper()
    digest = hashlib.sha256(code.encode()).hexdigest()
    answers = json.dumps({"overall": form.get("overall", [""])[0]})
    try:
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.execute("UPDATE surveys_surveytoken SET used = true WHERE digest = %s AND NOT used "
                           "AND expires_at > now() RETURNING session_id", [digest])
            row = cursor.fetchone()
            if row is None:
                status, body = "200 OK", "该测评码已使用，您的测评票已计入"
            else:
                receipt = "".join(secrets.choice("0123456789ABCDEFGHJKMNPQRSTVWXYZ") for _ in range(10))
                cursor.execute("INSERT INTO surveys_ballot (id, session_id, answers, cast_on, receipt) "
                               "VALUES (%s, %s, %s, %s, %s)",
                               [uuid.uuid4(), row[0], answers, timezone.localdate(), receipt])
                status, body = "200 OK", f"回执码 {receipt}"
    finally:
        close_old_connections()
    start_response(status, [("Content-Type", "text/plain; charset=utf-8")])
    return [body.encode()]


# --------------------------------------------------------------------------- the scratch database


def server_urls(database_url: str) -> tuple[str, str]:
    """(maintenance URL for psycopg, scratch URL for Django)."""
    parts = urlsplit(database_url)
    if parts.scheme not in {"postgres", "postgresql", "pgsql"}:
        sys.exit(f"DATABASE_URL should point at PostgreSQL, not {parts.scheme or 'nothing'}")
    return (urlunsplit(("postgresql", parts.netloc, "/postgres", parts.query, "")),
            urlunsplit((parts.scheme, parts.netloc, f"/{SCRATCH_DATABASE}", parts.query, "")))


def scratch_database(maintenance_url: str, *, create: bool) -> None:
    import psycopg

    with psycopg.connect(maintenance_url, autocommit=True) as connection:
        connection.execute(f"DROP DATABASE IF EXISTS {SCRATCH_DATABASE} WITH (FORCE)")
        if create:
            connection.execute(f"CREATE DATABASE {SCRATCH_DATABASE}")


def server_environment(django_url: str, data_dir: Path) -> dict[str, str]:
    return {**os.environ, "DATABASE_URL": django_url, "SECRET_KEY": "bench-only-secret-key-" + "x" * 40,
            "XINGJI_DATA_DIR": str(data_dir), "DJANGO_SETTINGS_MODULE": "xingji.settings",
            "XINGJI_LOG_LEVEL": "WARNING", "XINGJI_HTTPS": "false", "DEBUG": "false",
            "ALLOWED_HOSTS": "127.0.0.1,localhost"}


def setup_django(environment: dict[str, str]) -> None:
    os.environ.update({key: environment[key] for key in (
        "DATABASE_URL", "SECRET_KEY", "XINGJI_DATA_DIR", "DJANGO_SETTINGS_MODULE", "XINGJI_LOG_LEVEL",
        "XINGJI_HTTPS", "DEBUG", "ALLOWED_HOSTS")})
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

    root = Organization.objects.add_root(instance=Organization(
        name="市直工委", code="ROOT", org_type=OrganizationType.PARTY_COMMITTEE, category="机关"))
    branch = Organization.objects.get(pk=root.pk).add_child(instance=Organization(
        name="测试支部", code="B-1", org_type=OrganizationType.BRANCH, category="机关"))
    office = User.objects.create(username="office", name="组织部", organization=root, role=Role.COMMITTEE_OFFICE)
    secretary = User.objects.create(username="secretary", name="书记", organization=branch,
                                    role=Role.BRANCH_SECRETARY)
    Member.objects.bulk_create([Member(organization=branch, name=f"党员{n}", gender="female", birth_year=1980,
                                       joined=date(2005, 7, 1)) for n in range(50)])
    campaign = campaign_services.campaign_create(root=root, year=2025, kind="mid_year", actor=office)
    campaign = campaign_services.campaign_open(campaign=campaign, actor=office)
    evaluation = campaign.evaluations.get(organization=branch)
    today = timezone.localdate()
    session = services.session_open(evaluation=evaluation, meeting_on=today, expires_on=today + timedelta(days=1),
                                    actor=secretary)
    codes: list[str] = []
    while len(codes) < 2 * count:
        batch = min(services.MAX_TOKENS_PER_ISSUE, 2 * count - len(codes))
        issued = services.tokens_issue(session=session, member_tokens=0, public_tokens=batch, actor=secretary)
        codes += [code for _, code in issued.codes]
    return codes[:count], codes[count:], session.questions


# --------------------------------------------------------------------------- the load


def start_server(argv: list[str], environment: dict[str, str], port: int) -> subprocess.Popen:
    process = subprocess.Popen(argv, env=environment, cwd=str(ROOT), stdout=subprocess.DEVNULL,
                               stderr=subprocess.PIPE, start_new_session=True)
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
    """One voter's browser: a keep-alive connection, the CSRF cookie of the ballot page, then its submissions."""

    def __init__(self, port: int, *, csrf: bool) -> None:
        self.port = port
        self.connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        self.headers = {"Content-Type": "application/x-www-form-urlencoded"}
        self.token = ""
        if csrf:
            self.connection.request("GET", "/ballot/")
            response = self.connection.getresponse()
            page = response.read().decode()
            cookie = response.getheader("Set-Cookie", "")
            self.headers["Cookie"] = cookie.split(";", 1)[0]
            self.token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page).group(1)

    def post(self, path: str, fields: dict[str, str]) -> tuple[int, str, float]:
        body = urllib.parse.urlencode({**fields, **({"csrfmiddlewaretoken": self.token} if self.token else {})})
        start = time.perf_counter()
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
        return response.status, text, time.perf_counter() - start


def drive(port: int, path: str, codes: list[str], clients: int, answer: dict[str, str], *, csrf: bool) -> dict:
    per_client = [codes[index::clients] for index in range(clients)]
    latencies: list[float] = []
    failures: list[str] = []
    lock = threading.Lock()
    ready = [Client(port, csrf=csrf) for _ in range(clients)]
    barrier = threading.Barrier(clients + 1)

    def run(client: Client, own: list[str]) -> None:
        barrier.wait()
        mine, bad = [], []
        for code in own:
            status, text, seconds = client.post(path, {"code": code, **answer})
            mine.append(seconds)
            if status != 200 or "回执码" not in text:
                bad.append(f"{status} {text[:80]!r}")
        with lock:
            latencies.extend(mine)
            failures.extend(bad)

    threads = [threading.Thread(target=run, args=(client, own)) for client, own in zip(ready, per_client, strict=True)]
    for thread in threads:
        thread.start()
    barrier.wait()
    start = time.perf_counter()
    for thread in threads:
        thread.join()
    elapsed = time.perf_counter() - start
    latencies.sort()
    return {"requests": len(latencies), "seconds": elapsed, "rps": len(latencies) / elapsed,
            "p50": statistics.median(latencies) * 1000,
            "p99": latencies[min(len(latencies) - 1, int(len(latencies) * 0.99))] * 1000,
            "failures": failures}


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
    return [
        ("platform", platform.platform()),
        ("CPU", f"{cpu_model()}, {os.cpu_count()} logical cores"),
        ("Python", f"{platform.python_implementation()} {platform.python_version()}"),
        ("PostgreSQL", f"{server_version} (psycopg {psycopg.__version__})"),
        ("Django / gunicorn", f"{django.get_version()} / {gunicorn.__version__}"),
    ]


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--clients", type=int, default=64, help="concurrent clients (default 64)")
    parser.add_argument("--ballots", type=int, default=40, help="ballots per client and target (default 40)")
    parser.add_argument("--workers", type=int, default=4, help="gunicorn workers of each server (default 4)")
    parser.add_argument("--port", type=int, default=8765, help="loopback port (default 8765)")
    parser.add_argument("--conn-max-age", type=int, default=0,
                        help="XINGJI_DB_CONN_MAX_AGE of both servers: 0 (the default) connects per request")
    arguments = parser.parse_args(argv)
    database_url = os.environ.get("DATABASE_URL")
    if not database_url:
        sys.exit("set DATABASE_URL, e.g. DATABASE_URL=postgres://postgres@127.0.0.1:5432/postgres")
    maintenance_url, django_url = server_urls(database_url)
    count = arguments.clients * arguments.ballots

    with tempfile.TemporaryDirectory(prefix="xingji-bench-") as scratch:
        environment = server_environment(django_url, Path(scratch))
        environment["XINGJI_DB_CONN_MAX_AGE"] = str(arguments.conn_max_age)
        scratch_database(maintenance_url, create=True)
        try:
            setup_django(environment)
            run(arguments, environment, count)
        finally:
            from django.db import connections

            connections.close_all()
            scratch_database(maintenance_url, create=False)


def run(arguments, environment: dict[str, str], count: int) -> None:
    from xingji.ops.server import WSGI_APPLICATION, ServerOptions, gunicorn_argv
    from xingji.surveys.models import Ballot, SurveyToken

    print("machine")
    for label, value in machine():
        print(f"  {label:<18} {value}")
    start = time.perf_counter()
    app_codes, bare_codes, questions = make_codes(count)
    answer = {"overall": "satisfied", "comment": ""}
    answer.update({f"criterion_{criterion['code']}": "satisfied" for criterion in questions["criteria"]})
    print(f"\ndata (not timed): {2 * count:,} codes of one session in {time.perf_counter() - start:.1f} s")

    bind = f"127.0.0.1:{arguments.port}"
    options = ServerOptions(bind=bind, workers=arguments.workers, timeout=60, pid_file=None)
    app_argv = gunicorn_argv(options)
    bare_argv = [*app_argv, "--pythonpath", str(HERE)]
    bare_argv[bare_argv.index(WSGI_APPLICATION)] = "ballots:bare_app()"
    print(f"server: gunicorn, {arguments.workers} sync workers on {bind}, "
          f"database connections kept {arguments.conn_max_age} s; "
          f"{arguments.clients} clients × {arguments.ballots} ballots each per target")

    results = {}
    for name, argv, path, codes, csrf in (("app", app_argv, "/ballot/submit/", app_codes, True),
                                          ("bare", bare_argv, "/bare/", bare_codes, False)):
        process = start_server(argv, environment, arguments.port)
        try:
            results[name] = drive(arguments.port, path, codes, arguments.clients, answer, csrf=csrf)
        finally:
            stop_server(process)
        if results[name]["failures"]:
            sys.exit(f"{name}: {len(results[name]['failures'])} failed requests, e.g. {results[name]['failures'][0]}")

    if Ballot.objects.count() != 2 * count or SurveyToken.objects.filter(used=True).count() != 2 * count:
        sys.exit("not every code produced exactly one ballot")
    print(f"\n{'target':<8}{'requests':>10}{'seconds':>10}{'req/s':>10}{'p50 ms':>10}{'p99 ms':>10}")
    for name, result in results.items():
        print(f"{name:<8}{result['requests']:>10}{result['seconds']:>10.2f}{result['rps']:>10.1f}"
              f"{result['p50']:>10.1f}{result['p99']:>10.1f}")
    ratio = results["app"]["rps"] / results["bare"]["rps"]
    print(f"\napp / bare throughput: {ratio:.0%} (target ≥ 70 %); app p99 {results['app']['p99']:.1f} ms "
          f"(target < 100 ms at 64 clients)")
    print(f"checked: {2 * count:,} codes, {Ballot.objects.count():,} ballots, each code used once")


if __name__ == "__main__":
    main()
