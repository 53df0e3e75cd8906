"""Benchmark: the heaviest pages at 1,000 and at 100,000 organizations (issue 13: every page bounded).

    .venv/bin/python bench/pages.py [--sizes 1000,100000] [--repeat 3]
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/test .venv/bin/python bench/pages.py

SQLite by default (a scratch file in a temporary directory, removed at the
end); with ``DATABASE_URL`` (PostgreSQL, a role allowed to create databases;
its database part is not used) a scratch database ``bench_pages`` is created,
migrated, and dropped at the end, whatever happens.

Not timed: the tree, generated for each size straight into the tables
(``bulk_create`` with the materialized paths computed here; no audit, no
services — what is measured is the pages, not how the rows came): a root
(市直工委), party committees (机关党委) under it, ten general branches
(党总支) under each, branches (党支部) under those; three members per
branch; an election record for nine organizations in ten, spread over the
last seven years (a third of them overdue, some coming due); users: the
committee office and an inspector at the root, a reviewer at the first
committee; then ``VACUUM ANALYZE`` (``ANALYZE`` on SQLite), so that the
database is as one in use is: the planner has its statistics and the
visibility map is set (autovacuum does both within a minute or so of a bulk
load, inserts included since PostgreSQL 13; measured straight after it,
without statistics, PostgreSQL plans 100,000 rows as 31 and several pages
take seconds instead of milliseconds, and without the visibility map the
counts off an index read the table too). Then (``rate_history``) a star
ledger as a province has it after two years of campaigns: two lines for
every organization but the root, levels spread over 0–5, so that a third
of them are under focus management (重点管理) and every current level is the
latest of several lines — the case that made every page's navigation count
read the latest line of each organization (half a second at 100,000).
No campaign and no supervision rows.

Timed, with Django's test client (the whole middleware stack, the
templates rendered; the navigation's to-do counts computed on every page,
as on a cache miss: ``XINGJI_DUE_COUNT_SECONDS = 0``), after one warm-up
request each, the best of ``--repeat`` runs (as ``timeit``): server time
per page, the number of SQL queries (``CaptureQueriesContext``), the size
of the HTML. Printed: the machine, a table per size, then for each page the
ratio of its time at the largest size to its time at the smallest, and
whether the query count stayed the same. Nothing here asserts a time: the
goal (each page ≤ 300 ms at 100,000 organizations and ≤ 2× its time at
1,000) is read off the table.
"""

from __future__ import annotations

import argparse
import math
import os
import platform
import shutil
import sys
import tempfile
import time
from datetime import date, timedelta
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

SCRATCH_DATABASE = "bench_pages"
STEPLEN = 4
ALPHABET = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ"


def path_step(number: int) -> str:
    """Treebeard's path segment for the ``number``-th child (1-based), base 36 over four characters."""
    digits = ""
    while number:
        number, digit = divmod(number, 36)
        digits = ALPHABET[digit] + digits
    return digits.rjust(STEPLEN, "0")


# --------------------------------------------------------------------------- the database


def setup_django(workdir: Path) -> str | None:
    """Configure Django on a scratch database; return the maintenance URL (PostgreSQL) or None (SQLite)."""
    sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "src"))
    os.environ["XINGJI_DATA_DIR"] = str(workdir)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "xingji.settings_test")
    maintenance = None
    database_url = os.environ.get("DATABASE_URL")
    if database_url:
        parts = urlsplit(database_url)
        if parts.scheme not in {"postgres", "postgresql", "pgsql"}:
            sys.exit(f"DATABASE_URL should point at PostgreSQL, not {parts.scheme or 'nothing'}")
        maintenance = urlunsplit(("postgresql", parts.netloc, "/postgres", parts.query, ""))
        os.environ["DATABASE_URL"] = urlunsplit((parts.scheme, parts.netloc, f"/{SCRATCH_DATABASE}", parts.query, ""))
        import psycopg

        with psycopg.connect(maintenance, autocommit=True) as connection:
            connection.execute(f"DROP DATABASE IF EXISTS {SCRATCH_DATABASE} WITH (FORCE)")
            connection.execute(f"CREATE DATABASE {SCRATCH_DATABASE}")
    import django

    django.setup()
    import logging

    from django.conf import settings

    logging.disable(logging.INFO)
    settings.ALLOWED_HOSTS = ["*"]
    settings.DEBUG = False
    return maintenance


def drop_scratch(maintenance: str | None) -> None:
    if maintenance is None:
        return
    from django.db import connections

    connections.close_all()
    import psycopg

    with psycopg.connect(maintenance, autocommit=True) as connection:
        connection.execute(f"DROP DATABASE IF EXISTS {SCRATCH_DATABASE} WITH (FORCE)")


def reset_database() -> None:
    from django.core.management import call_command
    from django.db import connection

    if connection.vendor == "sqlite":
        connection.close()
        Path(connection.settings_dict["NAME"]).unlink(missing_ok=True)
    else:
        call_command("flush", interactive=False, verbosity=0)
    call_command("migrate", interactive=False, verbosity=0)
    call_command("createcachetable", verbosity=0)


# --------------------------------------------------------------------------- the tree


def shape(size: int) -> tuple[int, int, int]:
    """(committees, general branches per committee, branches per general branch) for about ``size`` organizations."""
    committees = max(1, round(math.sqrt(size / 10)))
    generals = 10
    branches = max(1, round(size / (committees * generals)))
    return committees, generals, branches


def generate(size: int) -> dict:
    """Write about ``size`` organizations with members, elections and users; return the users and a few ids."""
    from django.db import transaction

    from xingji.accounts.models import Role, User
    from xingji.orgs.models import Election, Member, Organization

    committees, generals, branches = shape(size)
    from django.utils import timezone

    today = timezone.localdate()
    organizations: list[Organization] = []

    def node(path: str, name: str, code: str, org_type: str, children: int) -> None:
        organizations.append(
            Organization(
                path=path,
                depth=len(path) // STEPLEN,
                numchild=children,
                name=name,
                code=code,
                org_type=org_type,
                category="机关",
            )
        )

    root = path_step(1)
    node(root, "市直工委", "ROOT", "party_committee", committees)
    for c in range(1, committees + 1):
        committee = root + path_step(c)
        node(committee, f"第{c}机关党委", f"C{c}", "party_committee", generals)
        for g in range(1, generals + 1):
            general = committee + path_step(g)
            node(general, f"第{c}-{g}党总支", f"C{c}-G{g}", "general_branch", branches)
            for b in range(1, branches + 1):
                node(general + path_step(b), f"第{c}-{g}-{b}党支部", f"C{c}-G{g}-B{b}", "branch", 0)
    with transaction.atomic():
        Organization.objects.bulk_create(organizations, batch_size=5000)
        ids = dict(Organization.objects.values_list("code", "pk"))
        members = [
            Member(
                organization_id=ids[organization.code],
                name=f"党员{index}-{number}",
                gender="male" if number % 2 else "female",
                birth_year=1970 + index % 30,
                joined=date(2005, 7, 1),
            )
            for index, organization in enumerate(organizations)
            if organization.org_type == "branch"
            for number in range(3)
        ]
        Member.objects.bulk_create(members, batch_size=5000)
        elections = [
            Election(
                organization_id=ids[organization.code],
                last_election=today - timedelta(days=(index * 37) % (7 * 365) + 1),
                term_years=3 if index % 2 else 5,
            )
            for index, organization in enumerate(organizations)
            if index % 10 != 9
        ]
        Election.objects.bulk_create(elections, batch_size=5000)
        users = {
            "office": User(username="office", name="组织部", organization_id=ids["ROOT"], role=Role.COMMITTEE_OFFICE),
            "inspector": User(username="inspector", name="督导组", organization_id=ids["ROOT"], role=Role.INSPECTOR),
            "reviewer": User(username="reviewer", name="机关党委", organization_id=ids["C1"], role=Role.REVIEWER),
        }
        for user in users.values():
            user.set_unusable_password()
        User.objects.bulk_create(users.values())
    return {
        "count": len(organizations),
        "members": len(members),
        "users": {key: User.objects.get(username=key) for key in users},
        "root": ids["ROOT"],
        "committee": ids["C1"],
    }


def rate_history(data: dict) -> None:
    """Two lines of the star ledger for every organization but the root (2024 and 2025, levels spread)."""
    from django.db import transaction

    from xingji.campaigns.models import StarLedgerEntry
    from xingji.orgs.models import Organization

    approver = data["users"]["office"]
    ids = Organization.objects.filter(depth__gt=1).values_list("pk", flat=True).order_by("pk")
    names = {0: "不定星级", 1: "一星级", 2: "二星级", 3: "三星级", 4: "四星级", 5: "五星级"}
    lines = [
        StarLedgerEntry(
            organization_id=pk,
            level=(pk + shift) % 6,
            level_name=names[(pk + shift) % 6],
            effective_on=date(year, 12, 31),
            approving_body="工委会",
            reason=f"{year}年度评定",
            approver=approver,
        )
        for pk in ids
        for year, shift in ((2024, 3), (2025, 0))
    ]
    with transaction.atomic():
        StarLedgerEntry.objects.bulk_create(lines, batch_size=5000)


def analyze() -> None:
    """Vacuum and gather the planner's statistics on the rows just written (what autovacuum does after a bulk
    load)."""
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("VACUUM ANALYZE" if connection.vendor == "postgresql" else "ANALYZE")


# --------------------------------------------------------------------------- the pages


def pages(data: dict) -> list[tuple[str, str, str]]:
    """(label, user, URL) of the pages measured."""
    from django.urls import reverse

    return [
        ("首页（组织部）", "office", reverse("web:home")),
        ("首页（机关党委）", "reviewer", reverse("web:home")),
        ("待办事项", "office", reverse("web:due")),
        ("组织架构", "office", reverse("orgs:tree")),
        ("组织架构·搜索", "office", reverse("orgs:tree") + "?q=第1-1-1"),
        ("组织架构·下级", "office", reverse("orgs:tree") + f"?under={data['committee']}"),
        ("组织详情（根）", "office", reverse("orgs:detail", args=[data["root"]])),
        ("重点管理", "office", reverse("supervision:focus_list")),
        ("督导记录（导航计数）", "inspector", reverse("supervision:visit_list")),
        ("结果运用", "office", reverse("reports:index")),
    ]


def measure(client, url: str, repeat: int) -> tuple[float, float, int, int, int]:
    """(best seconds, best CPU seconds, queries, HTML bytes, status) of ``repeat`` GETs after a warm-up.

    The CPU time is this process's: on SQLite that is the server's whole work (the database runs in the
    process), and it does not count the time the machine gave to other processes.
    """
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    client.get(url)
    best = math.inf
    cpu_best = math.inf
    queries = size = status = 0
    for _ in range(repeat):
        with CaptureQueriesContext(connection) as captured:
            started, cpu_started = time.perf_counter(), time.process_time()
            response = client.get(url)
            elapsed, cpu = time.perf_counter() - started, time.process_time() - cpu_started
        best, cpu_best = min(best, elapsed), min(cpu_best, cpu)
        queries, size, status = len(captured.captured_queries), len(response.content), response.status_code
    return best, cpu_best, queries, size, status


def pad(text: str, width: int) -> str:
    """Left-align text whose Chinese characters take two columns each."""
    columns = sum(2 if ord(character) > 0x2E80 else 1 for character in text)
    return text + " " * max(1, width - columns)


def machine() -> str:
    from django.db import connection

    cpu = platform.processor() or platform.machine()
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    return (
        f"{platform.system()} {platform.release()}, {cpu}, {os.cpu_count()} CPUs; Python {platform.python_version()}; "
        f"{connection.vendor} {connection.Database.sqlite_version if connection.vendor == 'sqlite' else ''}".rstrip()  # type: ignore[attr-defined]
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--sizes", default="1000,100000", help="organization counts, comma-separated")
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    sizes = [int(size) for size in args.sizes.split(",")]
    workdir = Path(tempfile.mkdtemp(prefix="xingji-bench-pages-"))
    maintenance = setup_django(workdir)
    try:
        from django.test import Client

        print(machine())
        results: dict[int, dict[str, tuple[float, float, int, int, int]]] = {}
        for size in sizes:
            reset_database()
            started = time.perf_counter()
            data = generate(size)
            rate_history(data)
            analyze()
            print(
                f"\n{data['count']:,} organizations, {data['members']:,} members "
                f"(generated in {time.perf_counter() - started:.1f} s)"
            )
            print(f"{'page':<22}{'ms':>9}{'CPU ms':>9}{'queries':>9}{'KB':>9}{'status':>8}")
            results[size] = {}
            for label, username, url in pages(data):
                client = Client()
                client.force_login(data["users"][username])
                figures = measure(client, url, args.repeat)
                results[size][label] = figures
                seconds, cpu, queries, html, status = figures
                times = f"{seconds * 1000:>9.1f}{cpu * 1000:>9.1f}"
                print(f"{pad(label, 22)}{times}{queries:>9}{html / 1024:>9.1f}{status:>8}")
        if len(sizes) > 1:
            small, large = min(sizes), max(sizes)
            print(f"\n{large:,} vs {small:,} organizations")
            print(f"{'page':<22}{'ratio':>9}{'CPU ratio':>11}{'queries':>12}")
            for label in results[small]:
                a, b = results[small][label], results[large][label]
                same = "same" if a[2] == b[2] else f"{a[2]} → {b[2]}"
                print(f"{pad(label, 22)}{b[0] / a[0]:>9.2f}{b[1] / max(a[1], 1e-9):>11.2f}{same:>12}")
    finally:
        drop_scratch(maintenance)
        shutil.rmtree(workdir, ignore_errors=True)


if __name__ == "__main__":
    main()
