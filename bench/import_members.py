"""Benchmark: importing members from CSV and XLSX into PostgreSQL, next to a bare ``COPY`` of the same rows.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/test .venv/bin/python bench/import_members.py \\
        [--rows 100000] [--branches 200] [--repeat 3] [--seed 1] [--keep-files DIR]

``DATABASE_URL`` names the server and a role allowed to create databases
(its database part is not used): the script creates a scratch database,
``bench_import``, migrates it, and drops it at the end, whatever happens.

Not timed: the organizations (a root, ten 机关党委, ``--branches`` branches,
imported with ``import_organizations``, whose time is printed for
information), the synthetic members, and writing them to a CSV (UTF-8 with
BOM, as Excel saves) and an XLSX file.

Timed, each ``--repeat`` times, the members table emptied (and vacuumed)
before each run, the best run reported as with ``timeit`` (on a shared
machine the slower runs measure the neighbours):

* ``import_members`` from the CSV file and from the XLSX file, by a
  committee-office user scoped to the tree: reading, checking every row,
  inserting, auditing, committing — what the web view will do;
* reading and checking alone is not separated, but parsing alone (the file
  read into rows, nothing checked) is timed for both formats, to show where
  the XLSX time goes;
* the baseline: ``COPY orgs_member FROM STDIN`` (psycopg 3 ``cursor.copy``,
  ``write_row``) of the very same rows, already converted to the stored
  values, in one transaction, committed — the fastest way to put these rows
  into PostgreSQL from Python, and the floor for any import.

Nothing here asserts a time: it is a benchmark. It checks that each run
created the expected number of members and that the audit chain verifies.
"""

from __future__ import annotations

import argparse
import csv
import os
import platform
import random
import statistics
import sys
import tempfile
import time
from datetime import date, timedelta
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

SCRATCH_DATABASE = "bench_import"
SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程苏魏吕丁任沈姚卢姜崔钟谭陆汪范金石廖贾夏韦付方白邹孟熊秦邱江尹薛闫段雷侯龙史陶黎贺顾毛郝龚邵万钱严覃武戴莫孔向汤"  # noqa: E501
GIVEN = "伟芳娜秀英敏静丽强磊军洋勇艳杰娟涛明超秀兰霞平刚桂英华玉萍红娥玲芬燕彬鑫浩宇轩然晨曦子涵梓萱俊峰建国志强海燕春梅丹凤"  # noqa: E501


# --------------------------------------------------------------------------- the scratch database


def server_urls(database_url: str) -> tuple[str, str, str]:
    """(maintenance URL for psycopg, scratch URL for psycopg, scratch URL for Django)."""
    parts = urlsplit(database_url)
    if parts.scheme not in {"postgres", "postgresql", "pgsql"}:
        sys.exit(f"DATABASE_URL should point at PostgreSQL, not {parts.scheme or 'nothing'}")

    def with_database(name: str, scheme: str) -> str:
        return urlunsplit((scheme, parts.netloc, f"/{name}", parts.query, ""))

    return (
        with_database("postgres", "postgresql"),
        with_database(SCRATCH_DATABASE, "postgresql"),
        with_database(SCRATCH_DATABASE, parts.scheme),
    )


def create_scratch_database(maintenance_url: str) -> None:
    import psycopg

    with psycopg.connect(maintenance_url, autocommit=True) as connection:
        connection.execute(f"DROP DATABASE IF EXISTS {SCRATCH_DATABASE} WITH (FORCE)")
        connection.execute(f"CREATE DATABASE {SCRATCH_DATABASE}")


def drop_scratch_database(maintenance_url: str) -> None:
    import psycopg

    with psycopg.connect(maintenance_url, autocommit=True) as connection:
        connection.execute(f"DROP DATABASE IF EXISTS {SCRATCH_DATABASE} WITH (FORCE)")


def setup_django(django_url: str, data_dir: Path) -> None:
    os.environ["DATABASE_URL"] = django_url
    os.environ.setdefault("SECRET_KEY", "bench-only-secret-key-" + "x" * 40)
    os.environ["XINGJI_DATA_DIR"] = str(data_dir)
    os.environ["DJANGO_SETTINGS_MODULE"] = "xingji.settings"
    os.environ.setdefault("XINGJI_LOG_LEVEL", "WARNING")
    import django
    from django.core.management import call_command

    django.setup()
    call_command("migrate", verbosity=0)


# --------------------------------------------------------------------------- the data


def organization_rows(branches: int) -> list[list[str]]:
    rows = [["组织编号", "组织名称", "组织类型", "类别", "上级组织编号", "成立日期"]]
    committees = 10
    for number in range(1, committees + 1):
        rows.append([f"JG-{number:02d}", f"市直第{number}机关党委", "党委", "机关", "ROOT", "2000-07-01"])
    for number in range(1, branches + 1):
        committee = (number - 1) % committees + 1
        rows.append(
            [
                f"JG-{committee:02d}-{number:04d}",
                f"市直第{committee}机关党委第{number}党支部",
                "党支部",
                "机关",
                f"JG-{committee:02d}",
                "2005-07-01",
            ]
        )
    return rows


def member_population(count: int, branch_codes: list[str], seed: int) -> list[tuple]:
    """(code, name, gender, birth_year, joined, status, position, phone) in Chinese labels, reproducible.

    Every branch gets a 书记 and a 副书记 first, then the rest are spread
    at random, about one in eight of them 委员.
    """
    from django.utils import timezone

    rng = random.Random(seed)
    today = timezone.localdate()
    rows = []
    for index in range(count):
        if index < 2 * len(branch_codes):
            code = branch_codes[index % len(branch_codes)]
            position = "书记" if index < len(branch_codes) else "副书记"
        else:
            code = rng.choice(branch_codes)
            position = "委员" if rng.random() < 0.125 else ""
        birth_year = rng.randint(1945, 2003)
        earliest = date(birth_year + 18, 7, 1)
        joined = earliest + timedelta(days=rng.randrange(max(1, (today - earliest).days)))
        status = "预备党员" if (today - joined).days < 365 else "正式党员"
        phone = f"1{rng.choice('3578')}{rng.randrange(10**9):09d}" if rng.random() < 0.7 else ""
        name = rng.choice(SURNAMES) + "".join(rng.choices(GIVEN, k=rng.choice((1, 2))))
        rows.append((code, name, rng.choice("男女"), birth_year, joined, status, position, phone))
    return rows


HEADER = ["组织编号", "姓名", "性别", "出生年份", "入党日期", "党员类别", "班子职务", "联系电话"]


def write_csv(path: Path, rows: list[tuple]) -> None:
    with path.open("w", encoding="utf-8-sig", newline="") as handle:
        writer = csv.writer(handle, lineterminator="\r\n")
        writer.writerow(HEADER)
        writer.writerows(
            (code, name, gender, year, joined.isoformat(), status, position, phone)
            for code, name, gender, year, joined, status, position, phone in rows
        )


MAIN_NAMESPACE = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
RELATIONSHIPS = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
PACKAGE_RELATIONSHIPS = "http://schemas.openxmlformats.org/package/2006/relationships"
OFFICE_TYPES = "application/vnd.openxmlformats-officedocument.spreadsheetml"
XML_DECLARATION = '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
EXCEL_EPOCH = date(1899, 12, 30)


def write_xlsx(path: Path, rows: list[tuple]) -> None:
    """Write the rows as Excel itself writes a sheet: shared strings, dates as serial numbers with a date style.

    openpyxl (3.1) writes every string inline, which openpyxl then reads
    back about twice as slowly as the shared strings of a file saved by
    Excel or WPS; the import of a real office's file is what is measured.
    """
    import zipfile
    from xml.sax.saxutils import escape

    from openpyxl.utils import get_column_letter

    strings: dict[str, int] = {}

    def cell(reference: str, value) -> str:
        if isinstance(value, str):
            if not value:
                return ""
            index = strings.setdefault(value, len(strings))
            return f'<c r="{reference}" t="s"><v>{index}</v></c>'
        if isinstance(value, date):
            return f'<c r="{reference}" s="1"><v>{(value - EXCEL_EPOCH).days}</v></c>'
        return f'<c r="{reference}"><v>{value}</v></c>'

    letters = [get_column_letter(position) for position in range(1, len(HEADER) + 1)]
    sheet_rows = []
    for number, row in enumerate([HEADER, *rows], start=1):
        cells = "".join(cell(f"{letter}{number}", value) for letter, value in zip(letters, row, strict=True))
        sheet_rows.append(f'<row r="{number}">{cells}</row>')
    sheet = (
        f'{XML_DECLARATION}<worksheet xmlns="{MAIN_NAMESPACE}"><dimension ref="A1:{letters[-1]}{len(rows) + 1}"/>'
        f"<sheetData>{''.join(sheet_rows)}</sheetData></worksheet>"
    )
    shared = "".join(f"<si><t>{escape(text)}</t></si>" for text in strings)
    parts = {
        "[Content_Types].xml": (
            f'{XML_DECLARATION}<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
            f'<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
            f'<Default Extension="xml" ContentType="application/xml"/>'
            f'<Override PartName="/xl/workbook.xml" ContentType="{OFFICE_TYPES}.sheet.main+xml"/>'
            f'<Override PartName="/xl/worksheets/sheet1.xml" ContentType="{OFFICE_TYPES}.worksheet+xml"/>'
            f'<Override PartName="/xl/styles.xml" ContentType="{OFFICE_TYPES}.styles+xml"/>'
            f'<Override PartName="/xl/sharedStrings.xml" ContentType="{OFFICE_TYPES}.sharedStrings+xml"/></Types>'
        ),
        "_rels/.rels": (
            f'{XML_DECLARATION}<Relationships xmlns="{PACKAGE_RELATIONSHIPS}"><Relationship Id="rId1" '
            f'Type="{RELATIONSHIPS}/officeDocument" Target="xl/workbook.xml"/></Relationships>'
        ),
        "xl/workbook.xml": (
            f'{XML_DECLARATION}<workbook xmlns="{MAIN_NAMESPACE}" xmlns:r="{RELATIONSHIPS}">'
            f'<sheets><sheet name="党员" sheetId="1" r:id="rId1"/></sheets></workbook>'
        ),
        "xl/_rels/workbook.xml.rels": (
            f'{XML_DECLARATION}<Relationships xmlns="{PACKAGE_RELATIONSHIPS}">'
            f'<Relationship Id="rId1" Type="{RELATIONSHIPS}/worksheet" Target="worksheets/sheet1.xml"/>'
            f'<Relationship Id="rId2" Type="{RELATIONSHIPS}/styles" Target="styles.xml"/>'
            f'<Relationship Id="rId3" Type="{RELATIONSHIPS}/sharedStrings" Target="sharedStrings.xml"/>'
            f"</Relationships>"
        ),
        "xl/styles.xml": (
            f'{XML_DECLARATION}<styleSheet xmlns="{MAIN_NAMESPACE}">'
            f'<fonts count="1"><font><sz val="11"/><name val="等线"/></font></fonts>'
            f'<fills count="2"><fill><patternFill patternType="none"/></fill>'
            f'<fill><patternFill patternType="gray125"/></fill></fills>'
            f'<borders count="1"><border><left/><right/><top/><bottom/><diagonal/></border></borders>'
            f'<cellStyleXfs count="1"><xf numFmtId="0" fontId="0" fillId="0" borderId="0"/></cellStyleXfs>'
            # Style 1: the built-in date format 14, which Excel gives a date typed into a cell.
            f'<cellXfs count="2"><xf numFmtId="0" fontId="0" fillId="0" borderId="0" xfId="0"/>'
            f'<xf numFmtId="14" fontId="0" fillId="0" borderId="0" xfId="0" applyNumberFormat="1"/></cellXfs>'
            f'<cellStyles count="1"><cellStyle name="常规" xfId="0" builtinId="0"/></cellStyles></styleSheet>'
        ),
        "xl/sharedStrings.xml": (
            f'{XML_DECLARATION}<sst xmlns="{MAIN_NAMESPACE}" count="{len(strings)}" '
            f'uniqueCount="{len(strings)}">{shared}</sst>'
        ),
        "xl/worksheets/sheet1.xml": sheet,
    }
    with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for name, text in parts.items():
            archive.writestr(name, text.encode("utf-8"))


# --------------------------------------------------------------------------- the measurements


def empty_members_table() -> None:
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("DELETE FROM orgs_member")
        cursor.execute("VACUUM ANALYZE orgs_member")


def check_stored(expected_rows: list[tuple], label: str) -> None:
    """The members table holds exactly the expected rows (not timed; once per format)."""
    from xingji.orgs.models import Member

    stored = sorted(
        Member.objects.values_list(
            "organization_id",
            "name",
            "gender",
            "birth_year",
            "joined",
            "status",
            "leadership_position",
            "phone",
        ).iterator(chunk_size=10_000)
    )
    if stored != sorted(expected_rows):
        sys.exit(f"{label}: the members stored differ from the rows of the file")


def time_import(path: Path, user, expected: int) -> float:
    from xingji.accounts.access import visible_organizations
    from xingji.orgs.imports import import_members
    from xingji.orgs.models import Member

    empty_members_table()
    start = time.perf_counter()
    result = import_members(file=path, actor=user, user_scope=visible_organizations(user))
    elapsed = time.perf_counter() - start
    if not result.is_success:
        sys.exit("import failed: " + "; ".join(str(error) for error in result.errors[:10]))
    created = Member.objects.count()
    if (result.created, created) != (expected, expected):
        sys.exit(f"import created {result.created} members, the table holds {created}, expected {expected}")
    return elapsed


def time_parse(path: Path) -> float:
    from xingji.orgs.imports import MEMBER_COLUMNS, read_columns

    start = time.perf_counter()
    table = read_columns(path.name, path.read_bytes(), MEMBER_COLUMNS)
    rows = sum(1 for _ in table.rows)
    elapsed = time.perf_counter() - start
    assert rows > 0
    return elapsed


def stored_rows(population: list[tuple]) -> list[tuple]:
    """The population as ``orgs_member`` values, as the import stores them (not timed)."""
    from xingji.orgs.models import Gender, LeadershipPosition, MemberStatus, Organization

    ids = dict(Organization.objects.values_list("code", "pk"))
    genders = {label: value for value, label in Gender.choices}
    statuses = {label: value for value, label in MemberStatus.choices}
    positions = {label: value for value, label in LeadershipPosition.choices} | {"": LeadershipPosition.NONE.value}
    return [
        (ids[code], name, genders[gender], year, joined, statuses[status], positions[position], phone)
        for code, name, gender, year, joined, status, position, phone in population
    ]


def time_copy(rows: list[tuple]) -> float:
    from django.db import connection, transaction

    from xingji.orgs.models import Member

    empty_members_table()
    columns = "organization_id, name, gender, birth_year, joined, status, leadership_position, phone"
    start = time.perf_counter()
    with (
        transaction.atomic(),
        connection.cursor() as cursor,
        cursor.cursor.copy(f"COPY orgs_member ({columns}) FROM STDIN") as copy,
    ):
        for row in rows:
            copy.write_row(row)
    elapsed = time.perf_counter() - start
    if Member.objects.count() != len(rows):
        sys.exit("COPY did not write every row")
    return elapsed


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
    import openpyxl
    import psycopg
    import python_calamine
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("SHOW server_version")
        server_version = cursor.fetchone()[0]
    return [
        ("platform", platform.platform()),
        ("CPU", f"{cpu_model()}, {os.cpu_count()} logical cores"),
        ("Python", f"{platform.python_implementation()} {platform.python_version()}"),
        ("PostgreSQL", f"{server_version} (psycopg {psycopg.__version__}, libpq {psycopg.pq.version()})"),
        ("Django / openpyxl", f"{django.get_version()} / {openpyxl.__version__} (writing the XLSX only)"),
        ("python-calamine", getattr(python_calamine, "__version__", "installed")),
    ]


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rows", type=int, default=100_000, help="members to import (default 100000)")
    parser.add_argument("--branches", type=int, default=200, help="branches they belong to (default 200)")
    parser.add_argument("--repeat", type=int, default=3, help="timed runs of each measurement (default 3)")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--keep-files", type=Path, help="write the CSV/XLSX files here and keep them")
    arguments = parser.parse_args(argv)
    if arguments.rows < 2 * arguments.branches:
        parser.error("--rows must be at least twice --branches (each branch gets a 书记 and a 副书记)")

    database_url = os.environ.get("DATABASE_URL")
    if not database_url:
        sys.exit("set DATABASE_URL, e.g. DATABASE_URL=postgres://postgres@127.0.0.1:5432/test")
    maintenance_url, _, django_url = server_urls(database_url)

    with tempfile.TemporaryDirectory(prefix="xingji-bench-") as scratch:
        scratch_dir = Path(scratch)
        files_dir = arguments.keep_files or scratch_dir
        files_dir.mkdir(parents=True, exist_ok=True)
        create_scratch_database(maintenance_url)
        try:
            setup_django(django_url, scratch_dir)
            run(arguments, files_dir)
        finally:
            from django.db import connections

            connections.close_all()
            drop_scratch_database(maintenance_url)


def run(arguments, files_dir: Path) -> None:
    from xingji.accounts.models import Role, User
    from xingji.audit.chain import verify_chain
    from xingji.audit.models import AuditEntry
    from xingji.orgs.imports import import_organizations
    from xingji.orgs.models import Organization, OrganizationType

    count, repeat = arguments.rows, arguments.repeat
    print("machine")
    for label, value in machine():
        print(f"  {label:<18} {value}")

    root = Organization.objects.add_root(
        instance=Organization(name="市直工委", code="ROOT", org_type=OrganizationType.PARTY_COMMITTEE, category="机关")
    )
    user = User.objects.create(username="office", name="组织部", organization=root, role=Role.COMMITTEE_OFFICE)
    organizations_csv = files_dir / "organizations.csv"
    with organizations_csv.open("w", encoding="utf-8-sig", newline="") as handle:
        csv.writer(handle).writerows(organization_rows(arguments.branches))
    start = time.perf_counter()
    result = import_organizations(file=organizations_csv, actor=user, user_scope=None)
    organizations_seconds = time.perf_counter() - start
    if not result.is_success:
        sys.exit("organization import failed: " + "; ".join(map(str, result.errors[:10])))
    branch_codes = sorted(Organization.objects.filter(depth=3).values_list("code", flat=True))

    print(f"\ndata (not timed): {count:,} members in {len(branch_codes)} branches, seed {arguments.seed}")
    start = time.perf_counter()
    population = member_population(count, branch_codes, arguments.seed)
    csv_path, xlsx_path = files_dir / "members.csv", files_dir / "members.xlsx"
    write_csv(csv_path, population)
    write_xlsx(xlsx_path, population)
    copy_rows = stored_rows(population)
    print(
        f"  generated and written in {time.perf_counter() - start:.1f} s: "
        f"{csv_path.name} {csv_path.stat().st_size / 1e6:.1f} MB, "
        f"{xlsx_path.name} {xlsx_path.stat().st_size / 1e6:.1f} MB"
    )
    print(f"  organizations: {result.created} imported with import_organizations in {organizations_seconds:.2f} s")

    measurements: dict[str, list[float]] = {
        "COPY": [],
        "import CSV": [],
        "import XLSX": [],
        "parse CSV only": [],
        "parse XLSX only": [],
    }
    for run_number in range(repeat):
        # Interleaved, so that a slow spell of the machine touches every measurement alike.
        measurements["COPY"].append(time_copy(copy_rows))
        measurements["import CSV"].append(time_import(csv_path, user, count))
        if run_number == 0:
            check_stored(copy_rows, "CSV")
        measurements["import XLSX"].append(time_import(xlsx_path, user, count))
        if run_number == 0:
            check_stored(copy_rows, "XLSX")
        measurements["parse CSV only"].append(time_parse(csv_path))
        measurements["parse XLSX only"].append(time_parse(xlsx_path))

    best_copy = min(measurements["COPY"])
    print(f"\ntimes: best of {repeat} (median in brackets), {count:,} rows")
    print(f"  {'':<16} {'seconds':>16} {'rows/s':>10} {'× COPY':>7}")
    for label, times in measurements.items():
        best = min(times)
        print(
            f"  {label:<16} {best:>7.2f} ({statistics.median(times):>6.2f}) {count / best:>10,.0f} "
            f"{best / best_copy:>7.2f}"
        )
    broken = verify_chain()
    print(
        f"\naudit: {AuditEntry.objects.count()} entries after {2 * repeat} member imports and one organization "
        f"import, chain {'intact' if broken is None else f'BROKEN at {broken}'}"
    )
    print("target: import CSV within 2.5× and XLSX within 3.5× of COPY (see the '× COPY' column)")
    if arguments.keep_files:
        print(f"files kept in {files_dir}")


if __name__ == "__main__":
    main()
