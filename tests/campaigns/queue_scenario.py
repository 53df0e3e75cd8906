"""The other side of tests/campaigns/test_task_queue.py: what its subprocesses do, in a scratch database.

Run as ``python -m tests.campaigns.queue_scenario COMMAND …`` from the
repository, with the production settings (``xingji.settings``) and the
scratch database's ``XINGJI_DATA_DIR`` or ``DATABASE_URL``; each command
prints one JSON object on its last line of standard output.

* ``setup --branches N`` — a tree, an office user, an opened enforce-mode
  campaign with every evaluation evaluated (varied scores), and the 全面评定
  requested: its task waits in the database queue;
* ``paused-worker --after K --marker FILE`` — ``xingji worker --batch`` whose
  run stops for good after saving its K-th chunk, once FILE says so (the test
  then kills it with SIGKILL);
* ``enqueue-probes N --log FILE`` / ``enqueue-run RUN`` — tasks to race for;
  ``task-rows`` — the probes' rows of the queue;
* ``check RUN`` — what the run left: states, audit entries, the engine's
  results on the same facts, the audit chain, the queue's rows.

``probe`` is the task the two-worker test races for.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from collections import Counter
from decimal import Decimal
from pathlib import Path
from typing import Any

import django
from django_tasks import task

#: How long a probe waits for the other worker to start a probe of its own (it never needs that long).
PROBE_WAIT_SECONDS = 60


def main(argv: list[str]) -> int:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "xingji.settings")
    django.setup()
    parser = argparse.ArgumentParser(prog="queue_scenario")
    commands = parser.add_subparsers(dest="command", required=True)
    setup_parser = commands.add_parser("setup")
    setup_parser.add_argument("--branches", type=int, default=24)
    paused = commands.add_parser("paused-worker")
    paused.add_argument("--after", type=int, required=True)
    paused.add_argument("--marker", type=Path, required=True)
    probes = commands.add_parser("enqueue-probes")
    probes.add_argument("count", type=int)
    probes.add_argument("--log", type=Path, required=True)
    enqueue_run = commands.add_parser("enqueue-run")
    enqueue_run.add_argument("run", type=int)
    commands.add_parser("task-rows")
    check_parser = commands.add_parser("check")
    check_parser.add_argument("run", type=int)
    args = parser.parse_args(argv)

    if args.command == "setup":
        answer = setup(args.branches)
    elif args.command == "paused-worker":
        answer = paused_worker(args.after, args.marker)
    elif args.command == "enqueue-probes":
        answer = enqueue_probes(args.count, args.log)
    elif args.command == "enqueue-run":
        from xingji.campaigns.tasks import enqueue_rating_run

        enqueue_rating_run(args.run)
        answer = {"run": args.run}
    elif args.command == "task-rows":
        answer = task_rows()
    else:
        answer = check(args.run)
    sys.stdout.write(json.dumps(answer, ensure_ascii=False) + "\n")
    return 0


def setup(branches: int) -> dict[str, Any]:
    from tests.campaigns.steps import force_evaluated
    from tests.factories import OrganizationFactory, UserFactory
    from xingji.accounts.models import Role
    from xingji.campaigns import services
    from xingji.orgs.models import Organization, OrganizationType

    root = OrganizationFactory(name="市直工委", code="ROOT", org_type=OrganizationType.PARTY_COMMITTEE)
    committees = []
    for number in range(3):
        parent = Organization.objects.get(pk=root.pk)
        committees.append(
            OrganizationFactory(
                name=f"第{number + 1}局机关党委",
                code=f"C{number + 1}",
                org_type=OrganizationType.PARTY_COMMITTEE,
                parent=parent,
            )
        )
    for number in range(branches):
        parent = Organization.objects.get(pk=committees[number % 3].pk)
        OrganizationFactory(name=f"第{number + 1}支部", code=f"B{number + 1:03d}", parent=parent)
    office = UserFactory(
        username="office", organization=Organization.objects.get(pk=root.pk), role=Role.COMMITTEE_OFFICE
    )
    campaign = services.campaign_create(
        root=Organization.objects.get(pk=root.pk), year=2025, kind="mid_year", quota_mode="enforce", actor=office
    )
    campaign = services.campaign_open(campaign=campaign, actor=office)
    for index, evaluation in enumerate(campaign.evaluations.order_by("pk")):
        # Scores from 5.0 to 9.9, some equal: quotas move some, and ties appear at a cut line.
        force_evaluated(evaluation, score=Decimal(50 + (index * 37) % 50) / 10)
    run = services.campaign_rate(campaign=campaign, actor=office)
    return {"run": run.pk, "evaluations": campaign.evaluations.count()}


def paused_worker(after: int, marker: Path) -> dict[str, Any]:
    """``xingji worker --batch``, whose run hangs after saving its ``after``-th chunk (to be killed there)."""
    from django.core.management import call_command

    from xingji.campaigns import tasks

    save_chunk = tasks._save_chunk
    saved = 0

    def save_then_hang(*args: Any, **kwargs: Any) -> None:
        nonlocal saved
        save_chunk(*args, **kwargs)
        saved += 1
        if saved == after:
            marker.write_text(str(os.getpid()), encoding="utf-8")
            while True:  # until SIGKILL
                time.sleep(1)

    tasks._save_chunk = save_then_hang  # type: ignore[assignment]
    call_command("worker", "--batch", "--interval", "0.1")
    return {"saved": saved}


@task()
def probe(number: int, log: str) -> int:
    """Note (pid, number) in ``log``; the first probe of a worker waits until another worker has noted one."""
    pid = os.getpid()
    with open(log, "a", encoding="utf-8") as file:
        file.write(f"{pid} {number}\n")
    deadline = time.monotonic() + PROBE_WAIT_SECONDS
    while time.monotonic() < deadline:
        pids = {line.split()[0] for line in Path(log).read_text(encoding="utf-8").splitlines()}
        if len(pids) > 1:
            break
        time.sleep(0.02)
    return number


def enqueue_probes(count: int, log: Path) -> dict[str, Any]:
    # By its importable name: this module runs as __main__ here, the workers import it.
    from tests.campaigns.queue_scenario import probe

    return {"tasks": [probe.enqueue(number, str(log)).id for number in range(count)]}


def task_rows() -> dict[str, Any]:
    from django_tasks_db.models import DBTaskResult

    return {
        "rows": [
            {"id": str(row.id), "status": row.status, "worker_ids": row.worker_ids, "return_value": row.return_value}
            for row in DBTaskResult.objects.filter(task_path="tests.campaigns.queue_scenario.probe")
        ]
    }


def check(run_id: int) -> dict[str, Any]:
    from django_tasks_db.models import DBTaskResult

    from xingji.audit.chain import verify_chain
    from xingji.audit.models import AuditEntry
    from xingji.campaigns import scoring
    from xingji.campaigns.models import CriterionScore, RatingRun, ScorePart
    from xingji.orgs.models import Organization
    from xingji.rules.explain import result_to_dict

    run = RatingRun.objects.select_related("campaign").get(pk=run_id)
    campaign = run.campaign
    evaluations = list(campaign.evaluations.select_related("organization").order_by("organization__path"))
    ids = {str(evaluation.pk) for evaluation in evaluations}

    rated = Counter(
        entry.object_id
        for entry in AuditEntry.objects.filter(action="evaluation.rated")
        if entry.after.get("rating_run_id") == run.pk
    )
    # The engine's input read afresh, as an uninterrupted run reads it, and its results.
    facts = scoring.facts_by_code(
        campaign, Organization.objects.filter(pk__in=[e.organization_id for e in evaluations]).order_by("path")
    )
    scores: dict[int, dict[str, Decimal]] = {}
    for evaluation_id, code, score in CriterionScore.objects.filter(
        evaluation__campaign=campaign, part=ScorePart.SUPERIOR
    ).values_list("evaluation_id", "criterion_code", "score"):
        scores.setdefault(evaluation_id, {})[code] = score
    inputs = [
        (e.organization.name, scoring.engine_input(campaign, e, facts[e.organization.code], scores.get(e.pk, {})))
        for e in evaluations
    ]
    rating = scoring.engine(campaign).rate(scoring.parse_inputs(campaign, inputs), quota_mode=campaign.quota_mode)
    expected = {result.id: result_to_dict(result, campaign.scheme) for result in rating.results}
    wrong = []
    for evaluation, (_, data) in zip(evaluations, inputs, strict=True):
        result = expected[evaluation.organization.code]
        stored = (str(evaluation.final_score), evaluation.level, evaluation.band_level, evaluation.reasons)
        if stored != (result["final_score"], result["stars"], result["band_stars"], result["reasons"]):
            wrong.append(evaluation.organization.code)
        elif evaluation.facts != json.loads(json.dumps(data, default=str)):
            wrong.append(f"{evaluation.organization.code} facts")
    broken = verify_chain()
    tasks = DBTaskResult.objects.filter(task_path="xingji.campaigns.tasks.rating_run_task")
    return {
        "state": run.state,
        "error": run.error,
        "percent": run.percent,
        "evaluations": len(evaluations),
        "states": sorted({evaluation.state for evaluation in evaluations}),
        "of_this_run": sum(1 for evaluation in evaluations if evaluation.rating_run_id == run.pk),
        "rated_once": sorted(rated) == sorted(ids) and set(rated.values()) == {1},
        "rated_counts": sorted(Counter(rated.values()).items()),
        "wrong": wrong,
        "ties": run.ties.count(),
        "expected_ties": sum(len(check.ties) for check in rating.quota_checks),
        "actions": Counter(
            AuditEntry.objects.filter(action__startswith="rating_run.").values_list("action", flat=True)
        ),
        "chain_broken": None if broken is None else str(broken),
        "task_rows": sorted((row.status, row.exception_class_path) for row in tasks),
    }


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
