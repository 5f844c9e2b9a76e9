"""Runs of one token from several processes on one host: `python -m benchmarks.processes`.

Starts the simulator with a real sliding-window rate limit (`--limit` requests per `--seconds`)
and runs `cf-bulk-sync run` (the console script beside this interpreter, or `--executable`) as
one process, as three at once and as three in a row. Each run has a warehouse and a dlt
pipelines folder of its own; all share one dlt data dir (where the token's request budget is
kept) and are given the limit as their request budget. Prints, per setup: exit codes, whether
every warehouse holds exactly the simulator's messages, requests, 429s, the busiest window and
the time taken.
"""

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import duckdb

from cf_bulk_sync.simulator import DEFAULT_TOKEN, Simulator, World

SETUPS = ("one", "concurrent", "consecutive")


def world() -> World:
    """Settled jobs of 20-40 messages: at 10 per page, about 30 requests a run, so that one run
    fits the budget of 30 and three runs need about three windows."""
    return World(seed=15, jobs=8, messages=(20, 40), status="COMPLETED")


def environment(sim: Simulator, folder: Path, run: int, limit: int, seconds: float) -> dict:
    return {
        **{k: v for k, v in os.environ.items() if k != "PYTHONPATH"},
        "CLOUDFLARE_API_BASE_URL": sim.base_url,
        "CLOUDFLARE_ACCOUNT_ID": sim.world.account_id,
        "CLOUDFLARE_API_TOKEN": DEFAULT_TOKEN,
        "RUNTIME__DLTHUB_TELEMETRY": "false",
        # one host: one dlt data dir, where the budget is kept; one pipeline folder and one
        # warehouse per run (DuckDB takes one writer; a shard of its own each, as with
        # `--pipeline-name`)
        "DLT_DATA_DIR": str(folder / "dlt"),
        "PIPELINES_DIR": str(folder / f"pipelines-{run}"),
        "DESTINATION__DUCKDB__CREDENTIALS": str(folder / f"w{run}.duckdb"),
        "SOURCES__CLOUDFLARE_EMAIL_SECURITY__PER_PAGE": "10",
        "SOURCES__CLOUDFLARE_EMAIL_SECURITY__REQUEST_BUDGET": str(limit),
        "SOURCES__CLOUDFLARE_EMAIL_SECURITY__REQUEST_BUDGET_SECONDS": str(seconds),
        "SOURCES__CLOUDFLARE_EMAIL_SECURITY__BACKOFF_FACTOR": "0",
    }


def exact(database: Path, truth: int) -> bool:
    with duckdb.connect(str(database), read_only=True) as con:
        total, keys = con.sql(
            "select count(*), count(distinct (job_id, message_id))"
            " from cloudflare_email_security.bulk_job_messages"
        ).fetchall()[0]
    return bool(total == keys == truth)


def run_setup(
    setup: str, sim: Simulator, executable: Path, folder: Path, limit: int, seconds: float
) -> dict[str, Any]:
    """Runs `setup` against `sim` (its counts reset first) in `folder`; what it measured."""
    runs = 1 if setup == "one" else 3
    sim.reset_counts()
    started = time.monotonic()

    def start(run: int) -> subprocess.Popen:
        return subprocess.Popen(
            [str(executable), "run", "--quiet"],
            env=environment(sim, folder, run, limit, seconds),
            cwd=folder,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
        )

    outputs: list[str] = []
    codes: list[int | None] = []
    # at once: all started before any is waited for; in a row: each started after the last
    children = [start(run) for run in range(runs)] if setup == "concurrent" else []
    for run in range(runs):
        child = children[run] if children else start(run)
        outputs.append(child.communicate(timeout=600)[0])
        codes.append(child.returncode)
    truth = len(sim.world.truth_messages())
    return {
        "setup": setup,
        "codes": codes,
        "exact": all(exact(folder / f"w{run}.duckdb", truth) for run in range(runs)),
        "requests": sum(v for k, v in sim.counts.items() if k != "rate_limited"),
        "rate_limited": sim.counts["rate_limited"],
        "busiest": sim.busiest_window(seconds),
        "seconds": time.monotonic() - started,
        "output": outputs,
    }


def main() -> None:
    parser = argparse.ArgumentParser(
        prog="python -m benchmarks.processes",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--limit", type=int, default=30, help="requests per window")
    parser.add_argument("--seconds", type=float, default=10.0, help="the window")
    parser.add_argument("--setups", default=",".join(SETUPS))
    parser.add_argument(
        "--executable",
        type=Path,
        default=Path(sys.executable).parent / "cf-bulk-sync",
        help="the cf-bulk-sync to run (e.g. an older install's, to compare)",
    )
    parser.add_argument("--json", metavar="FILE", help="also write the measurements here")
    args = parser.parse_args()
    results = []
    with Simulator(world(), rate_limit=(args.limit, args.seconds)) as sim:
        print(f"simulator limit {args.limit} per {args.seconds:g} s; {args.executable}")
        print(
            f"{'setup':<12} {'codes':<10} {'exact':<6} {'requests':>8} {'429s':>5}"
            f" {'busiest':>8} {'seconds':>8}"
        )
        for setup in args.setups.split(","):
            with tempfile.TemporaryDirectory(prefix=f"processes-{setup}-") as folder:
                r = run_setup(setup, sim, args.executable, Path(folder), args.limit, args.seconds)
            results.append(r)
            print(
                f"{setup:<12} {','.join(map(str, r['codes'])):<10} {str(r['exact']):<6}"
                f" {r['requests']:>8} {r['rate_limited']:>5} {r['busiest']:>8}"
                f" {r['seconds']:>8.1f}",
                flush=True,
            )
    if args.json:
        Path(args.json).write_text(json.dumps(results, indent=2))


if __name__ == "__main__":
    main()
