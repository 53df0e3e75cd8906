"""Benchmark: 全面评定 (the campaign-wide rating run) at province scale, against the raw SQL bound (issue 13.1).

    .venv/bin/python bench/rate_campaign.py [--sizes 10000,100000] [--chunk 500]
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/test .venv/bin/python bench/rate_campaign.py --sizes 100000

SQLite by default (a scratch file in a temporary directory, removed at the
end); with ``DATABASE_URL`` (PostgreSQL, a role allowed to create databases;
its database part is not used) a scratch database ``bench_rate_campaign`` is
created, migrated, and dropped at the end, whatever happens.

Not timed, for each size: the tree of ``bench/pages.py``'s ``generate``
(straight into the tables: committees, general branches, branches, members,
elections); evidence records (an absence for one organization in seven, a
commendation for one in eleven, confirmed); an enforce-mode campaign created
and opened by the services (one evaluation per organization); every
evaluation put straight into 已考评 with a survey and the superior's score for
each criterion of the scheme (one ``INSERT … SELECT``, the scores varied by
organization so that the quotas move some and tie others); a queued
``RatingRun``.

Timed: ``rating_run_execute`` — the real path a worker takes: the facts and
scores collected chunk by chunk, the engine, the results and the audit
entries (``evaluation.rated``, ``evaluation.quota_moved``) written chunk by
chunk, ties recorded. Printed: its time by phase and its number of SQL
statements. Checked afterwards (not timed): every evaluation rated by the
run, one ``evaluation.rated`` entry each, and the audit chain verifies.

The raw SQL bound, in the same run, on the same rows: one ``UPDATE … FROM``
writing the same columns of every evaluation (the values the run stored,
read back by the statement itself), and one ``INSERT … SELECT`` of as many
audit rows as the run wrote, as large (copies, with new sequence numbers and
hashes): what the database must do at least, with no Python and no hashing.
The ratio of the two is the figure of the issue's goal (≤ 5×). Nothing here
asserts a time.
"""

from __future__ import annotations

import argparse
import cProfile
import os
import pstats
import shutil
import sys
import tempfile
import time
from collections.abc import Callable
from datetime import date
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import pages  # noqa: E402 - bench/pages.py: the scratch database and the tree

pages.SCRATCH_DATABASE = "bench_rate_campaign"

YEAR = 2025


# --------------------------------------------------------------------------- the campaign, not timed


def build(size: int) -> dict:
    """The tree, records, an opened campaign with every evaluation ready to rate, and a queued run."""
    from django.db import connection, transaction

    from xingji.campaigns import services
    from xingji.campaigns.models import (
        CriterionScore,
        Evaluation,
        EvaluationState,
        RatingRun,
        RunPhase,
        RunState,
        ScorePart,
    )
    from xingji.orgs.models import Organization
    from xingji.records.models import Absence, AbsenceKind, Commendation, RecordStatus

    data = pages.generate(size)
    office = data["users"]["office"]
    ids = list(Organization.objects.order_by("pk").values_list("pk", flat=True))
    records: list = []
    for index, pk in enumerate(ids):
        if index % 7 == 3:
            records.append(
                Absence(
                    organization_id=pk,
                    date=date(YEAR, 4, 1),
                    status=RecordStatus.CONFIRMED,
                    kind=AbsenceKind.MEETING,
                    description="市直工委季度工作会议",
                )
            )
    Absence.objects.bulk_create(records, batch_size=5000)
    commendations = [
        Commendation(
            organization_id=pk,
            date=date(YEAR, 5, 20),
            status=RecordStatus.CONFIRMED,
            title="先进基层党组织",
            issuer="中共安阳市委",
            document_number=f"安发〔{YEAR}〕{index}号",
        )
        for index, pk in enumerate(ids)
        if index % 11 == 5
    ]
    Commendation.objects.bulk_create(commendations, batch_size=5000)
    root = Organization.objects.get(pk=data["root"])
    campaign = services.campaign_create(root=root, year=YEAR, kind="mid_year", quota_mode="enforce", actor=office)
    campaign = services.campaign_open(campaign=campaign, actor=office)
    criteria = campaign.scheme.criteria_for("机关")
    with transaction.atomic():
        Evaluation.objects.filter(campaign=campaign).update(
            state=EvaluationState.EVALUATED,
            survey_member_count=10,
            survey_participant_count=10,
            survey_satisfaction="0.9200",
            claimed_level=4,
        )
        # The superior's score of each criterion: 60 % to 100 % of its maximum, varied by evaluation.
        quote = connection.ops.quote_name
        values = ", ".join(["(%s, %s, %s)"] * len(criteria))
        params: list = []
        for number, criterion in enumerate(criteria):
            params += [number, criterion.code, criterion.max_cents]
        with connection.cursor() as cursor:
            cursor.execute(
                f"WITH c (n, code, max_cents) AS (VALUES {values}) "
                f"INSERT INTO {quote(CriterionScore._meta.db_table)} "
                f"(evaluation_id, part, criterion_code, score, comment) "
                f"SELECT e.id, %s, c.code, "
                f"((c.max_cents * (60 + (e.id * 7 + c.n * 13) %% 41)) / 100) / 100.0, '' "
                f"FROM {quote(Evaluation._meta.db_table)} e CROSS JOIN c WHERE e.campaign_id = %s",
                [*params, ScorePart.SUPERIOR, campaign.pk],
            )
        run = RatingRun.objects.create(
            campaign=campaign, state=RunState.QUEUED, phase=RunPhase.WAITING, requested_by=office
        )
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")
    return {
        "count": data["count"],
        "members": data["members"],
        "records": len(records) + len(commendations),
        "criteria": len(criteria),
        "campaign": campaign,
        "run": run,
    }


# --------------------------------------------------------------------------- the run, timed


class Counter:
    """Counts the SQL statements (``connection.execute_wrapper``), without keeping their text."""

    def __init__(self) -> None:
        self.count = 0
        self.seconds: dict[str, float] = {}

    def __call__(self, execute: Callable, sql: str, params, many: bool, context: dict):
        self.count += 1
        started = time.perf_counter()
        try:
            return execute(sql, params, many, context)
        finally:
            shape = " ".join(sql.split()[:8])[:90]
            self.seconds[shape] = self.seconds.get(shape, 0.0) + time.perf_counter() - started


def rate(run_id: int, *, profile: bool = False) -> dict:
    from django.db import connection

    from xingji.campaigns.tasks import rating_run_execute

    phases: dict[str, float] = {}
    last = {"phase": None, "at": time.perf_counter()}

    def on_progress(run) -> None:
        now = time.perf_counter()
        if run.phase != last["phase"]:
            if last["phase"] is not None:
                phases[last["phase"]] = phases.get(last["phase"], 0.0) + now - last["at"]
            last["phase"], last["at"] = run.phase, now

    counter = Counter()
    profiler = cProfile.Profile() if profile else None
    started = time.perf_counter()
    with connection.execute_wrapper(counter):
        if profiler is not None:
            profiler.enable()
        run = rating_run_execute(run_id, on_progress=on_progress)
        if profiler is not None:
            profiler.disable()
    seconds = time.perf_counter() - started
    if profiler is not None:
        for shape, spent in sorted(counter.seconds.items(), key=lambda item: -item[1])[:12]:
            print(f"{spent:8.3f} s  {shape}")
        callees = os.environ.get("BENCH_CALLEES")
        if callees:
            pstats.Stats(profiler).sort_stats("cumulative").print_callees(callees)
        pstats.Stats(profiler).sort_stats(os.environ.get("BENCH_SORT", "cumulative")).print_stats(70)
    assert run is not None
    return {"seconds": seconds, "queries": counter.count, "phases": phases, "run": run}


def check(data: dict, audit_start: int) -> tuple[int, int]:
    """(evaluations rated by the run, audit rows it wrote); exits if the results or the chain are wrong."""
    from xingji.audit.chain import verify_chain
    from xingji.audit.models import AuditEntry
    from xingji.campaigns.models import EvaluationState, RunState

    run = data["run"]
    if run.state != RunState.DONE:
        sys.exit(f"the run did not finish: {run.state} {run.error}")
    rated = data["campaign"].evaluations.filter(state=EvaluationState.RATED, rating_run=run).count()
    written = AuditEntry.objects.filter(sequence__gt=audit_start)
    entries = written.filter(action="evaluation.rated").count()
    if rated != data["count"] - 1 or entries != rated:  # every organization but the root is evaluated
        sys.exit(f"rated {rated} of {data['count'] - 1}, {entries} evaluation.rated entries")
    broken = verify_chain()
    if broken is not None:
        sys.exit(f"the audit chain is broken: {broken}")
    return rated, written.count()


# --------------------------------------------------------------------------- the SQL bound, timed


def sql_bound(data: dict, audit_start: int) -> tuple[float, float]:
    """(seconds of the results' UPDATE, seconds of the audit rows' INSERT): the same writes in raw SQL."""
    from django.db import connection, transaction

    from xingji.audit.models import AuditEntry
    from xingji.campaigns.models import Evaluation

    quote = connection.ops.quote_name
    evaluations = quote(Evaluation._meta.db_table)
    audit = quote(AuditEntry._meta.db_table)
    columns = ["base_score", "final_score", "band_level", "level", "reasons", "explanation", "facts", "state"]
    assignments = ", ".join(f"{quote(column)} = s.{quote(column)}" for column in columns)
    latest = AuditEntry.objects.order_by("-sequence").values_list("sequence", flat=True).first() or 0
    offset = latest - audit_start
    random_hash = (
        "md5(random()::text) || md5(random()::text)"
        if connection.vendor == "postgresql"
        else "lower(hex(randomblob(32)))"
    )
    started = time.perf_counter()
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(
            f"UPDATE {evaluations} SET {assignments}, version = s.version + 1, rating_run_id = s.rating_run_id "
            f"FROM (SELECT id, {', '.join(quote(column) for column in columns)}, version, rating_run_id "
            f"FROM {evaluations} WHERE campaign_id = %s) s WHERE {evaluations}.id = s.id",
            [data["campaign"].pk],
        )
    updated = time.perf_counter()
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {audit} (sequence, created_at, actor_id, actor_name, action, object_type, object_id, "
            f"object_repr, before, after, previous_hash, hash) "
            f"SELECT sequence + %s, created_at, actor_id, actor_name, action, object_type, object_id, object_repr, "
            f"before, after, {random_hash}, {random_hash} FROM {audit} WHERE sequence > %s AND sequence <= %s",
            [offset, audit_start, latest],
        )
    inserted = time.perf_counter()
    return updated - started, inserted - updated


# --------------------------------------------------------------------------- main


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--sizes", default="10000,100000", help="organization counts, comma-separated")
    parser.add_argument("--profile", action="store_true", help="print the run's profile (slower)")
    parser.add_argument("--chunk", type=int, default=None, help="XINGJI_RATING_RUN_CHUNK_SIZE (default: the app's)")
    parser.add_argument(
        "--database-name",
        default=pages.SCRATCH_DATABASE,
        help="the scratch PostgreSQL database (created and dropped; default: %(default)s)",
    )
    args = parser.parse_args()
    if not args.database_name.isidentifier():
        parser.error("--database-name: letters, digits and underscores only")
    pages.SCRATCH_DATABASE = args.database_name
    sizes = [int(size) for size in args.sizes.split(",")]
    workdir = Path(tempfile.mkdtemp(prefix="xingji-bench-rate-"))
    maintenance = pages.setup_django(workdir)
    try:
        from django.conf import settings

        from xingji.audit.models import AuditEntry
        from xingji.campaigns.tasks import _chunk_size

        if args.chunk:
            settings.XINGJI_RATING_RUN_CHUNK_SIZE = args.chunk
        print(pages.machine())
        print(f"chunk size {_chunk_size()}")
        rows = []
        for size in sizes:
            pages.reset_database()
            started = time.perf_counter()
            data = build(size)
            print(
                f"\n{data['count']:,} organizations, {data['members']:,} members, {data['records']:,} records, "
                f"{data['criteria']} criteria each (generated in {time.perf_counter() - started:.1f} s)"
            )
            audit_start = AuditEntry.objects.order_by("-sequence").values_list("sequence", flat=True).first() or 0
            measured = rate(data["run"].pk, profile=args.profile)
            data["run"] = measured["run"]
            rated, written = check(data, audit_start)
            update, insert = sql_bound(data, audit_start)
            bound = update + insert
            ratio = measured["seconds"] / bound
            phases = ", ".join(f"{phase} {seconds:.2f} s" for phase, seconds in measured["phases"].items())
            print(f"全面评定 (rating_run_execute): {measured['seconds']:.2f} s, {measured['queries']:,} SQL statements")
            print(f"  phases: {phases}")
            print(f"  {rated:,} evaluations rated, {written:,} audit rows, the audit chain verifies")
            print(f"raw SQL bound: {bound:.2f} s (UPDATE … FROM {update:.2f} s + INSERT … SELECT {insert:.2f} s)")
            print(f"ratio: {ratio:.1f}× the bound")
            rows.append((data["count"], measured["seconds"], measured["queries"], bound, ratio))
        print(f"\n{'organizations':>14}{'run s':>10}{'statements':>12}{'bound s':>10}{'ratio':>8}")
        for count, seconds, queries, bound, ratio in rows:
            print(f"{count:>14,}{seconds:>10.2f}{queries:>12,}{bound:>10.2f}{ratio:>7.1f}×")
    finally:
        pages.drop_scratch(maintenance)
        shutil.rmtree(workdir, ignore_errors=True)


if __name__ == "__main__":
    main()
