"""The benchmark: `python -m benchmarks [--jobs 20] [--messages 10000] [--latency 0]`.

Starts the simulator on 127.0.0.1 with every job settled and exactly `--messages` messages per
job, then runs each variant (see variants.py) `--repeat` times, alternating A B C A B C, each in
a fresh child process with a fresh DuckDB file. A variant's time counts only after its warehouse
was checked to hold exactly the simulator's messages (count, keys, statuses). Prints median wall
time (from the child's start, library imports included, as a scheduled run pays them) and, of
it, the imports; rows per second, peak RSS, the ratio to the hand-written loader, the requests
the simulator served and the most requests seen in any budget window.

With `--rate-limit N` the simulator answers 429 beyond N requests in any sliding window of
`--budget-seconds`, as Cloudflare does, and the table adds the 429s and the share of the
budget the run used (see `share_of_budget`). The backfill at the rate limit:

    python -m benchmarks --variants ours --repeat 1 --jobs 30 --messages 2000 --per-page 200 \
        --latency 0.15 --rate-limit 60 --budget 60 --budget-seconds 15
"""

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
from collections import Counter
from pathlib import Path
from typing import Any

import duckdb

from cf_bulk_sync.simulator import DEFAULT_TOKEN, Simulator, World

from .variants import TABLES, VARIANTS

DEFAULT_VARIANTS = "handwritten,ours,ours-rerun,rest_api-parquet,rest_api-defaults"


def verify(variant: str, database: Path, truth: Counter) -> None:
    table, job_column = TABLES[variant.split("-")[0]]
    with duckdb.connect(str(database), read_only=True) as con:
        total, keys = con.sql(
            f"select count(*), count(distinct ({job_column}, message_id)) from {table}"
        ).fetchall()[0]
        statuses = Counter(
            dict(con.sql(f"select status, count(*) from {table} group by 1").fetchall())
        )
    expected = sum(truth.values())
    if (total, keys, statuses) != (expected, expected, truth):
        raise SystemExit(f"{variant}: loaded {total} rows ({keys} keys), expected {expected}")


def share_of_budget(times: list[float], budget: int, seconds: float) -> float:
    """The requests that arrived in the run's whole windows over the most the limit lets
    arrive in them: k windows of `seconds` from the first request (k its length in windows,
    rounded down) allow `budget` x k. The last, partial window is left out: a run ends when
    its work does, not when a window does, and counting that window's empty rest (or the
    whole budget the first window starts with) would make the share depend on where the work
    happened to end."""
    if not times:
        return 0.0
    windows = int((times[-1] - times[0]) // seconds)
    if windows == 0:
        return len(times) / budget
    end = times[0] + windows * seconds
    return sum(1 for t in times if t < end) / (budget * windows)


def run_variant(variant: str, sim: Simulator, args: argparse.Namespace) -> dict[str, Any]:
    with tempfile.TemporaryDirectory(prefix=f"bench-{variant}-") as folder:
        database = Path(folder) / "warehouse.duckdb"
        sim.reset_counts()
        child = subprocess.run(
            [
                sys.executable,
                "-m",
                "benchmarks.variants",
                variant,
                "--base-url",
                sim.base_url,
                "--account",
                sim.world.account_id,
                "--token",
                DEFAULT_TOKEN,
                "--db",
                str(database),
                "--work",
                folder,
                "--per-page",
                str(args.per_page),
                "--budget",
                str(args.budget),
                "--budget-seconds",
                str(args.budget_seconds),
            ],
            capture_output=True,
            text=True,
            # the token's request budget is kept under dlt's data dir: one of its own per run,
            # as if each ran alone on its host (and not on the budget of the run before)
            env={**os.environ, "DLT_DATA_DIR": str(Path(folder) / "dlt")},
        )
        if child.returncode:
            raise SystemExit(f"{variant} failed:\n{child.stderr[-3000:]}")
        measured = json.loads(child.stdout.strip().splitlines()[-1])
        verify(variant, database, args.truth)
        served = sum(v for k, v in sim.counts.items() if k != "rate_limited")
        measured.update(
            served=served,
            busiest=sim.busiest_window(args.budget_seconds),
            rate_limited=sim.counts["rate_limited"],
            share=share_of_budget(list(sim.request_times), args.budget, args.budget_seconds),
            span=sim.request_times[-1] - sim.request_times[0] if sim.request_times else 0.0,
        )
        return measured


def main() -> None:
    parser = argparse.ArgumentParser(
        prog="python -m benchmarks",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--jobs", type=int, default=20)
    parser.add_argument("--messages", type=int, default=10000, help="messages per job")
    parser.add_argument("--latency", type=float, default=0.0, help="seconds added per request")
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--per-page", type=int, default=1000)
    parser.add_argument(
        "--variants",
        default=DEFAULT_VARIANTS,
        help=f"comma-separated, from: {', '.join(sorted(VARIANTS))}",
    )
    parser.add_argument("--budget", type=int, default=1200, help="our request budget")
    parser.add_argument("--budget-seconds", type=float, default=300.0)
    parser.add_argument(
        "--rate-limit",
        type=int,
        metavar="N",
        help="the simulator answers 429 beyond N requests per --budget-seconds (sliding)",
    )
    parser.add_argument("--json", metavar="FILE", help="also write the raw measurements here")
    args = parser.parse_args()
    variants = [v.strip() for v in args.variants.split(",") if v.strip()]
    unknown = set(variants) - set(VARIANTS)
    if unknown:
        parser.error(f"unknown variants: {', '.join(sorted(unknown))}")

    world = World(
        seed=1, jobs=args.jobs, messages=(args.messages, args.messages), status="COMPLETED"
    )
    for job in world.jobs.values():
        job.message_bytes()  # rendered once, up front: the simulator must not be the bottleneck
    args.truth = Counter(world.truth_messages().values())
    rows = sum(args.truth.values())
    results: dict[str, list[dict[str, Any]]] = {v: [] for v in variants}
    limit = (args.rate_limit, args.budget_seconds) if args.rate_limit else None
    with Simulator(world, latency=args.latency, rate_limit=limit) as sim:
        print(
            f"{args.jobs} jobs x {args.messages} messages = {rows} rows, per_page"
            f" {args.per_page}, latency {args.latency * 1000:.0f} ms, {args.repeat} rounds,"
            f" budget {args.budget} per {args.budget_seconds:g} s, rate limit"
            f" {args.rate_limit or 'none'}",
            flush=True,
        )
        for round_number in range(args.repeat):
            for variant in variants:
                measured = run_variant(variant, sim, args)
                results[variant].append(measured)
                print(
                    f"  round {round_number + 1} {variant}: {measured['seconds']:.2f}s,"
                    f" {measured['rss_mib']:.0f} MiB",
                    flush=True,
                )
    print_table(results, rows, args)
    if args.json:
        Path(args.json).write_text(json.dumps(results, indent=2))


def print_table(
    results: dict[str, list[dict[str, Any]]], rows: int, args: argparse.Namespace
) -> None:
    base = (
        statistics.median(r["seconds"] for r in results["handwritten"])
        if "handwritten" in results
        else None
    )
    print(
        f"\n{'variant':<18} {'median s':>9} {'imports':>8} {'rows/s':>10} {'peak MiB':>9}"
        f" {'x hand':>7} {'requests':>9}"
        f" {'busiest ' + format(args.budget_seconds, 'g') + 's':>13} {'429s':>5}"
        f" {'of budget':>9}"
    )
    for variant, runs in results.items():
        median = statistics.median(r["seconds"] for r in runs)
        imports = statistics.median(r["imports"] for r in runs)
        ratio = f"{median / base:.2f}" if base else "-"
        print(
            f"{variant:<18} {median:>9.2f} {imports:>8.2f} {rows / median:>10.0f}"
            f" {max(r['rss_mib'] for r in runs):>9.0f} {ratio:>7}"
            f" {requests_of(runs[-1]):>9} {max(r['busiest'] for r in runs):>13}"
            f" {sum(r['rate_limited'] for r in runs):>5}"
            f" {statistics.median(r['share'] for r in runs):>9.1%}"
        )


def requests_of(run: dict[str, Any]) -> int:
    """The variant's own count where it keeps one (a rerun's server log also holds the full
    sync before it), else what the simulator served."""
    return run["requests"] if run["requests"] >= 0 else run["served"]


if __name__ == "__main__":
    main()
