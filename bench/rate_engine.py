"""Benchmark: the rating engine against a bare loop doing the same arithmetic.

    .venv/bin/python bench/rate_engine.py [--count N] [--seed S] [--repeat R] [--guidance-count N]

Builds N synthetic organizations (not timed), then times

* the engine: ``Engine(scheme).rate(orgs, quota_mode="enforce")`` — base,
  adjustments, clip, band, level rules, Reason and Result objects, quotas;
* a baseline: a plain loop over the same organizations doing the same
  integer/Decimal arithmetic for the anyang-2017 scheme (base by precedence,
  the same adjustments summed, clip, band lookup, the level rules as plain
  ifs), keeping (base, final, stars) per organization, without Reason or
  Result objects, then the quotas as plain sorting of tuples.

It also times both without quotas (the engine with ``quota_mode="off"``,
the bare loop alone), to show the per-organization cost on its own.

Guidance (晋位争星, ``--guidance-count N``, default the same N; 0 skips it)
is measured against the plain rating of the same organizations in the same
process: ``Engine(scheme).rate(orgs, quota_mode="off")`` and ``"enforce"``,
then ``guidance(org, scheme, engine=engine)`` for every organization (a step
for each level above its result), a fresh Engine each run, runs interleaved
with the plain ones; it prints both times and the ratio guidance / plain
rating (without quotas: the stricter of the two).

Each part runs in its own subprocess (``--part engine`` / ``--part baseline``)
so that the peak memory reported for each (``ru_maxrss``) is that part's own.
Both build the identical population from the same seed, and time their part
``--repeat`` times (a fresh Engine each time); the best time is the figure, as
with ``timeit``, since on a shared machine the slower runs measure the
neighbours. The engine part also rates the population with the baseline after
timing and reports how many organizations disagree (base, final score, or
level before quotas) — a sanity check, not an assertion. Nothing here asserts
a time: it is a benchmark.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import random
import resource
import subprocess
import sys
import time
from bisect import bisect_right
from decimal import ROUND_HALF_UP, Decimal

from xingji.rules import Engine, Organization, Result, load_scheme
from xingji.rules.guidance import guidance

SCHEME = "anyang-2017"
CRITERIA_CODES = tuple(str(code) for code in range(1, 11))
HONOURS = ("city", "province", "national")


# --------------------------------------------------------------------------- population


def _score(rng: random.Random, mean: float, spread: float, maximum: int) -> int:
    """A score in hundredths, roughly normal, clipped to [0, maximum]."""
    return min(max(round(rng.gauss(mean, spread) * 100), 0), maximum)


def _honours(rng: random.Random) -> tuple[str, ...]:
    return tuple(rng.choices(HONOURS, weights=(6, 3, 1), k=rng.choice((1, 1, 1, 2, 3))))


def _give_base(rng: random.Random, organization: Organization) -> None:
    """One of the three sources of a base score, drawn."""
    source = rng.random()
    if source < 0.4:  # explicit base score
        organization.base_score = _score(rng, 82, 9, 10000)
    elif source < 0.8:  # ten criteria, 10 points each, around the organization's level
        quality = rng.gauss(8.2, 0.8)
        organization.criteria = {code: _score(rng, quality, 0.6, 1000) for code in CRITERIA_CODES}
    else:  # self / survey / superior, weighted, around the organization's level
        quality = rng.gauss(82, 8)
        organization.components = {name: _score(rng, quality, 3, 10000) for name in ("self", "survey", "superior")}


def build_population(count: int, seed: int) -> list[Organization]:
    """A reproducible, realistic mix of organizations (scores in hundredths)."""
    rng = random.Random(seed)
    chance = rng.random
    organizations = []
    append = organizations.append
    for number in range(count):
        organization = Organization(id=f"JG-{number:07d}", name=f"第{number}党支部")
        _give_base(rng, organization)
        if chance() < 0.7:  # a survey: 40.00 %–100.00 %, most of them high
            permyriad = round(rng.triangular(4000, 10000, 9200))
            organization.satisfaction = Decimal(permyriad).scaleb(-4)
        if chance() < 0.12:
            organization.commendations = _honours(rng)
        if chance() < 0.05:
            organization.innovations = _honours(rng)
        if chance() < 0.04:
            organization.criticisms_working_committee = rng.choice((1, 1, 1, 2))
        if chance() < 0.01:
            organization.criticisms_municipal_committee = 1
        if chance() < 0.03:
            organization.leader_discipline_light = rng.choice((1, 1, 2))
        if chance() < 0.01:
            organization.leader_discipline_heavy = 1
        if chance() < 0.06:
            organization.member_violations = rng.choice((1, 1, 1, 2, 3))
        organization.absences = rng.choices((0, 1, 2, 3, 4), weights=(80, 10, 5, 3, 2))[0]
        if chance() < 0.06:  # overdue election: some excused, some over a year
            organization.election_overdue = True
            organization.election_excused = chance() < 0.3
            organization.election_overdue_days = rng.choice((0, rng.randint(1, 365), rng.randint(366, 900)))
        append(organization)
    return organizations


# --------------------------------------------------------------------------- baseline

ONE = Decimal(1)
SIXTY_PERCENT = Decimal("0.6")
FIFTY_PERCENT = Decimal("0.5")
HONOUR_POINTS = {"city": 300, "province": 500, "national": 800}
#: The minimum of each band of 五(二) above the lowest: a score's level is how many of them it reaches.
BAND_MINIMUMS = (5000, 6000, 7000, 8000, 9000)


def rate_bare(organizations: list[Organization], weights: list[tuple[str, Decimal]]) -> list[tuple]:
    """The anyang-2017 arithmetic as a plain loop: (base, final, stars) per organization."""
    out = []
    append = out.append
    for organization in organizations:
        # Base by precedence: explicit, criteria sum, weighted composite.
        if organization.base_score is not None:
            base = organization.base_score
        elif organization.criteria is not None:
            base = sum(organization.criteria.values())
        else:
            components = organization.components or {}
            total = sum(Decimal(components[name]) * weight for name, weight in weights)
            base = int(total.quantize(ONE, rounding=ROUND_HALF_UP))
        # 五(三) adjustments.
        score = base
        if organization.commendations:
            score += max(HONOUR_POINTS[level] for level in organization.commendations)
        if organization.innovations:
            score += max(HONOUR_POINTS[level] for level in organization.innovations)
        score -= (
            300 * organization.criticisms_working_committee
            + 500 * organization.criticisms_municipal_committee
            + 300 * organization.leader_discipline_light
            + 500 * organization.leader_discipline_heavy
            + 200 * organization.member_violations
            + 300 * organization.absences
        )
        satisfaction = organization.satisfaction
        if satisfaction is not None and satisfaction < SIXTY_PERCENT:
            score -= 500
        # Clip, band of 五(二).
        score = 0 if score < 0 else 10000 if score > 10000 else score
        level = bisect_right(BAND_MINIMUMS, score)
        # Level rules, year end, in the scheme's order.
        if organization.absences >= 3:  # one level down, and four stars at most
            level = min(max(level - 1, 0), 4)
        if organization.election_overdue and not organization.election_excused and level > 4:
            level = 4
        if organization.election_overdue_days > 365 and level > 3:
            level = 3
        if satisfaction is not None and satisfaction < FIFTY_PERCENT:
            level = 0
        append((base, score, level))
    return out


def quotas_bare(organizations: list[Organization], rated: list[tuple]) -> list[tuple]:
    """五(二) as plain sorting of tuples: five-star ceiling, then one-star floor."""
    count = len(rated)
    levels = [level for _, _, level in rated]

    def key(index: int) -> tuple:
        base, final, _ = rated[index]
        satisfaction = organizations[index].satisfaction
        return (-final, -base, satisfaction is None, -(satisfaction or 0), organizations[index].id)

    ceiling = count // 10
    five = [index for index, level in enumerate(levels) if level == 5]
    if len(five) > ceiling:
        for index in sorted(five, key=key)[ceiling:]:
            levels[index] = 4
    floor = -(-count // 10)
    low = sum(1 for level in levels if level <= 1)
    if low < floor:
        above = sorted((index for index, level in enumerate(levels) if level > 1), key=key)
        for index in above[len(above) - (floor - low) :]:
            levels[index] = 1
    return [(base, final, level) for (base, final, _), level in zip(rated, levels, strict=True)]


# --------------------------------------------------------------------------- parts


def peak_rss_mib() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # Linux: KiB


def run_part(part: str, count: int, seed: int, repeat: int) -> dict:
    scheme = load_scheme(SCHEME)
    organizations = build_population(count, seed)
    report = {"part": part, "count": count, "peak_rss_population_mib": peak_rss_mib()}
    times = []
    if part == "guidance":
        return run_guidance(report, scheme, organizations, repeat)
    if part == "engine":
        for _ in range(repeat):
            rating = None  # the previous run's results go before the next is timed
            started = time.perf_counter()
            rating = Engine(scheme).rate(organizations, quota_mode="enforce")
            times.append(time.perf_counter() - started)
        report["seconds"] = times
        report["peak_rss_mib"] = peak_rss_mib()
        report["levels"] = rating.by_level()
        report["quotas"] = [
            {
                "code": check.code,
                "limit": check.limit,
                "before": check.count_before,
                "after": check.count_after,
                "moved": len(check.moved),
                "ties": len(check.ties),
            }
            for check in rating.quota_checks
        ]
        # Sanity check, after timing: the baseline's figures against the engine's.
        bare = rate_bare(organizations, [(n, w) for n, w in scheme.weights.items() if w])
        report["disagreements"] = sum(
            1
            for result, (base, final, stars) in zip(rating.results, bare, strict=True)
            if (result.base_score, result.final_score, _stars_before_quotas(result)) != (base, final, stars)
        )
        bare = quotas_bare(organizations, bare)
        report["disagreements_after_quotas"] = sum(
            1 for result, (_, _, stars) in zip(rating.results, bare, strict=True) if result.stars != stars
        )
        rating = bare = None
        # For context only (the baseline has no quotas): the engine without quotas.
        report["seconds_no_quotas"] = []
        for _ in range(repeat):
            rating = None
            started = time.perf_counter()
            rating = Engine(scheme).rate(organizations, quota_mode="off")
            report["seconds_no_quotas"].append(time.perf_counter() - started)
    else:
        weights = [(name, weight) for name, weight in scheme.weights.items() if weight]
        report["seconds_no_quotas"] = []
        for _ in range(repeat):
            bare = None
            started = time.perf_counter()
            bare = rate_bare(organizations, weights)
            report["seconds_no_quotas"].append(time.perf_counter() - started)
            bare = quotas_bare(organizations, bare)
            times.append(time.perf_counter() - started)
        report["seconds"] = times
        report["peak_rss_mib"] = peak_rss_mib()
    return report


def run_guidance(report: dict, scheme, organizations: list[Organization], repeat: int) -> dict:
    """Plain rating (without and with quotas) and guidance for every organization, runs interleaved."""
    plain, enforced, guided = [], [], []
    steps = reachable = 0
    for _ in range(repeat):
        started = time.perf_counter()
        rating = Engine(scheme).rate(organizations, quota_mode="off")
        plain.append(time.perf_counter() - started)
        del rating  # each run's results go before the next is timed
        started = time.perf_counter()
        rating = Engine(scheme).rate(organizations, quota_mode="enforce")
        enforced.append(time.perf_counter() - started)
        del rating
        started = time.perf_counter()
        engine = Engine(scheme)
        found = [guidance(organization, scheme, engine=engine) for organization in organizations]
        guided.append(time.perf_counter() - started)
        steps = sum(len(each) for each in found)
        reachable = sum(step.reachable for each in found for step in each)
        del engine, found
    report.update(
        seconds_plain=plain, seconds_enforce=enforced, seconds_guidance=guided, steps=steps, reachable=reachable
    )
    report["peak_rss_mib"] = peak_rss_mib()
    return report


def _stars_before_quotas(result: Result) -> int:
    for reason in result.reasons:
        if reason.effect == "quota":
            return reason.from_level
    return result.stars


# --------------------------------------------------------------------------- report


def cpu_model() -> str:
    try:
        with open("/proc/cpuinfo", encoding="utf-8") as handle:
            for line in handle:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown"


def machine() -> dict:
    try:
        usable = len(os.sched_getaffinity(0))
    except AttributeError:
        usable = os.cpu_count()
    return {
        "platform": platform.platform(),
        "cpu": cpu_model(),
        "cores": os.cpu_count(),
        "cores_usable": usable,
        "python": f"{platform.python_implementation()} {platform.python_version()}",
    }


def spawn(part: str, count: int, seed: int, repeat: int) -> dict:
    command = [
        sys.executable,
        os.path.abspath(__file__),
        "--part",
        part,
        "--count",
        str(count),
        "--seed",
        str(seed),
        "--repeat",
        str(repeat),
    ]
    completed = subprocess.run(command, check=True, capture_output=True, text=True)
    return json.loads(completed.stdout.strip().splitlines()[-1])


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--count", type=int, default=1_000_000, help="organizations (default 1,000,000)")
    parser.add_argument("--seed", type=int, default=2017, help="population seed (default 2017)")
    parser.add_argument("--repeat", type=int, default=3, help="timed runs of each part; the best counts (default 3)")
    parser.add_argument(
        "--part",
        choices=("engine", "baseline", "guidance"),
        help="run one part in this process and print its figures as JSON",
    )
    parser.add_argument(
        "--guidance-count",
        type=int,
        default=None,
        help="organizations for the guidance measurement (default the same N; 0 skips it)",
    )
    args = parser.parse_args(argv)
    if args.part:
        print(json.dumps(run_part(args.part, args.count, args.seed, max(args.repeat, 1))))
        return

    info = machine()
    print(f"machine:   {info['platform']}")
    print(f"cpu:       {info['cpu']}, {info['cores']} cores ({info['cores_usable']} usable)")
    print(f"python:    {info['python']}")
    print(
        f"scheme:    {SCHEME}; organizations N = {args.count:,} (seed {args.seed}); best of {max(args.repeat, 1)} runs"
    )
    print(flush=True)

    repeat = max(args.repeat, 1)
    guidance_count = args.count if args.guidance_count is None else args.guidance_count
    if args.count:
        report_rating(args, repeat)
    if guidance_count:
        report_guidance(guidance_count, args.seed, repeat)


def report_guidance(count: int, seed: int, repeat: int) -> None:
    found = spawn("guidance", count, seed, repeat)
    plain, enforced, guided = (min(found[key]) for key in ("seconds_plain", "seconds_enforce", "seconds_guidance"))
    print()
    print(f"guidance (晋位争星): N = {count:,} (seed {seed}), best of {repeat} runs, interleaved")
    print(f"plain rating (rate, quota_mode=off):     {plain:8.3f} s  {count / plain:12,.0f} orgs/s")
    print(f"plain rating (rate, quota_mode=enforce): {enforced:8.3f} s  {count / enforced:12,.0f} orgs/s")
    print(
        f"guidance (every level above, each org):  {guided:8.3f} s  {count / guided:12,.0f} orgs/s   "
        f"({found['steps']:,} steps, {found['reachable']:,} reachable)"
    )
    print(f"ratio guidance / plain rating:           {guided / plain:8.2f}×  (with quotas: {guided / enforced:.2f}×)")
    print(f"peak memory (ru_maxrss), guidance process: {found['peak_rss_mib']:8.1f} MiB")


def report_rating(args: argparse.Namespace, repeat: int) -> None:
    baseline = spawn("baseline", args.count, args.seed, repeat)
    engine = spawn("engine", args.count, args.seed, repeat)

    engine_best, baseline_best = min(engine["seconds"]), min(baseline["seconds"])
    runs = {
        part: ", ".join(f"{seconds:.3f}" for seconds in report["seconds"])
        for part, report in (("engine", engine), ("baseline", baseline))
    }
    print(
        f"engine   (rate, quota_mode=enforce): {engine_best:8.3f} s  "
        f"{args.count / engine_best:12,.0f} orgs/s   (runs: {runs['engine']} s)"
    )
    print(
        f"baseline (bare loop + quotas):       {baseline_best:8.3f} s  "
        f"{args.count / baseline_best:12,.0f} orgs/s   (runs: {runs['baseline']} s)"
    )
    print(f"ratio engine/baseline time:          {engine_best / baseline_best:8.2f}×")
    engine_alone, bare_alone = min(engine["seconds_no_quotas"]), min(baseline["seconds_no_quotas"])
    print(
        f"without quotas: engine {engine_alone:.3f} s ({args.count / engine_alone:,.0f} orgs/s), "
        f"bare loop {bare_alone:.3f} s, ratio {engine_alone / bare_alone:.2f}×"
    )
    print()
    print(
        f"peak memory (ru_maxrss), engine process:   {engine['peak_rss_mib']:8.1f} MiB "
        f"(population alone {engine['peak_rss_population_mib']:.1f} MiB)"
    )
    print(
        f"peak memory (ru_maxrss), baseline process: {baseline['peak_rss_mib']:8.1f} MiB "
        f"(population alone {baseline['peak_rss_population_mib']:.1f} MiB)"
    )
    print()
    levels = ", ".join(f"{stars}★ {number:,}" for stars, number in engine["levels"].items())
    print(f"levels after quotas: {levels}")
    for quota in engine["quotas"]:
        print(
            f"quota {quota['code']}: limit {quota['limit']:,}, before {quota['before']:,}, "
            f"after {quota['after']:,}, moved {quota['moved']:,}, ties {quota['ties']}"
        )
    print(
        f"baseline disagreements with the engine: before quotas {engine['disagreements']:,}, "
        f"after quotas {engine['disagreements_after_quotas']:,}"
    )


if __name__ == "__main__":
    main()
