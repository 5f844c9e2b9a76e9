"""A scheduled life: `python -m benchmarks.scheduled [--jobs 100] [--messages 10000] ...`.

What a cron job every 15 minutes costs over its life, through the installed command line, one
run after another into one warehouse: a full sync, a run where nothing changed (with and
without the skip of unchanged jobs in flight), `models` after a one-job change against a full
rebuild, `--cycles` runs with time moving (jobs progress, one new job a cycle), every job
settled, and a fresh sync of the same data to compare the file with. Then a small account in
steady state (`--steady-jobs` small jobs in flight, the rest settled), `--cycles` runs.

Per run: wall time (the child's, as cron pays it), rows written, jobs whose marts were
rebuilt, requests, the DuckDB file and dlt's working folder. The targets are ratios within
this run (see docs/scheduled-cost.md); the table is Markdown, for the docs.
"""

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import duckdb

from cf_bulk_sync.simulator import DEFAULT_TOKEN, Simulator, World

SETTLED = ("COMPLETED", "FAILED", "CANCELLED")


@dataclass
class Run:
    name: str
    wall: float
    written: int
    rebuilt: str
    requests: int
    file_mb: float
    used_mb: float  # the file's blocks in use (the rest are free blocks DuckDB reuses)
    folder_kb: float
    folder_files: int
    exit_code: int


def size_of(folder: Path) -> tuple[int, int]:
    """Bytes and files under `folder`."""
    files = [p for p in folder.rglob("*") if p.is_file()]
    return sum(p.stat().st_size for p in files), len(files)


class Account:
    """One simulated account served on 127.0.0.1 and one folder the command runs in."""

    def __init__(self, sim: Simulator, folder: Path) -> None:
        self.sim, self.folder = sim, folder
        folder.mkdir(parents=True, exist_ok=True)
        self.database = folder / "cf_bulk_sync.duckdb"
        self.dlt = folder / "dlt"

    def env(self, **extra: str) -> dict[str, str]:
        return {
            **{k: v for k, v in os.environ.items() if k != "PYTHONPATH"},
            "CLOUDFLARE_API_BASE_URL": self.sim.base_url,
            "CLOUDFLARE_ACCOUNT_ID": self.sim.world.account_id,
            "CLOUDFLARE_API_TOKEN": DEFAULT_TOKEN,
            "DESTINATION__DUCKDB__CREDENTIALS": str(self.database),
            "DLT_DATA_DIR": str(self.dlt),
            # the simulator does not limit: the budget would only add waits to the times
            "SOURCES__CLOUDFLARE_EMAIL_SECURITY__REQUEST_BUDGET": "1000000",
            "RUNTIME__DLTHUB_TELEMETRY": "false",
            **extra,
        }

    def command(self, name: str, *args: str, **extra: str) -> Run:
        """Runs `cf-bulk-sync ARGS` as cron would and measures it."""
        script = Path(sys.executable).with_name("cf-bulk-sync")
        before = self.sim.counts.copy()
        began = time.monotonic()
        done = subprocess.run(
            [str(script), *args], env=self.env(**extra), cwd=self.folder,
            capture_output=True, text=True,
        )  # fmt: skip
        wall = time.monotonic() - began
        if done.returncode not in (0, 4):
            raise SystemExit(f"{name}: exit {done.returncode}\n{done.stderr[-2000:]}")
        requests = sum((self.sim.counts - before).values())
        result: dict[str, Any] = json.loads(done.stdout) if "--json" in args else {}
        rows = result.get("rows", {})
        marts = result.get("marts") or {}
        if not result:
            rebuilt = "full" if "full rebuild" in done.stdout else _changed(done.stdout)
        elif marts.get("full"):
            rebuilt = "all (full)"
        else:
            rebuilt = str(marts.get("changed_jobs", "-")) if marts else "-"
        folder_bytes, files = size_of(self.dlt)
        return Run(
            name,
            wall,
            rows.get("loaded", 0) - rows.get("unchanged", 0),
            rebuilt,
            requests,
            self.file_bytes() / 2**20,
            self.used_bytes() / 2**20,
            folder_bytes / 1024,
            files,
            done.returncode,
        )

    def file_bytes(self) -> int:
        wal = self.database.with_name(self.database.name + ".wal")
        return self.database.stat().st_size + (wal.stat().st_size if wal.exists() else 0)

    def used_bytes(self) -> int:
        with duckdb.connect(str(self.database), read_only=True) as con:
            block_size, _, used = con.execute(
                "select block_size, total_blocks, used_blocks from pragma_database_size()"
            ).fetchone() or (0, 0, 0)
        return int(block_size) * int(used)

    def run(self, name: str, **extra: str) -> Run:
        return self.command(name, "run", "--json", "--quiet", **extra)


def _changed(summary: str) -> str:
    for line in summary.splitlines():
        if "marts: incremental" in line:
            return line.split("incremental, ")[1].split(" ")[0]
    return "-"


def big_account(jobs: int, messages: int, in_flight: int, seed: int) -> World:
    world = World(
        seed=seed, jobs=jobs - in_flight, messages=(messages, messages), status="COMPLETED"
    )
    for _ in range(in_flight):
        world.add_job("PROCESSING", messages)
    return world


def scheduled_life(args: argparse.Namespace, work: Path) -> list[Run]:
    runs: list[Run] = []
    world = big_account(args.jobs, args.messages, args.in_flight, args.seed)
    with Simulator(world) as sim:
        account = Account(sim, work / "life")
        sim.reset_counts()
        runs.append(account.run("full sync (first run)"))
        runs.append(account.run("nothing changed"))
        runs.append(
            account.run(
                "nothing changed, every job in flight fetched",
                SOURCES__CLOUDFLARE_EMAIL_SECURITY__REFETCH_UNCHANGED_AFTER="0",
            )
        )
        # one job's counters move (a move among in-flight statuses alone is not a change
        # the listing shows: see docs/scheduled-cost.md)
        changed = next(j for j, job in world.jobs.items() if job.status not in SETTLED)
        counters = world.jobs[changed].counters()
        while world.jobs[changed].counters() == counters:
            world.progress_job(changed)
        runs.append(account.command("one job changed: run --no-models", "run", "--no-models"))
        runs.append(account.command("  then models (incremental)", "models"))
        runs.append(account.command("  models --full, for comparison", "models", "--full"))
        for cycle in range(1, args.cycles + 1):
            world.advance(create=1, delete=0)
            runs.append(account.run(f"cycle {cycle}: time moved, a new job"))
        steps = 0
        while any(job.status not in SETTLED for job in world.jobs.values()) and steps < 200:
            world.advance(create=0, delete=0)
            steps += 1
        runs.append(account.run(f"every job settles ({steps} steps later)"))
        runs.append(account.run("every job settled, nothing to fetch"))
        fresh = Account(sim, work / "fresh")
        runs.append(fresh.run("a fresh sync of the same data"))
    return runs


def steady_state(args: argparse.Namespace, work: Path) -> list[Run]:
    world = World(seed=args.seed, jobs=args.steady_settled, messages=(50, 1500), status="COMPLETED")
    small = max(args.steady_rows // max(args.steady_jobs, 1), 1)
    for _ in range(args.steady_jobs):
        world.add_job("PROCESSING", small)
    runs: list[Run] = []
    with Simulator(world) as sim:
        account = Account(sim, work / "steady")
        runs.append(account.run("steady: first run"))
        for cycle in range(1, args.cycles + 1):
            for job_id, job in list(world.jobs.items()):
                if job.status not in SETTLED:
                    world.progress_job(job_id)
            runs.append(account.run(f"steady cycle {cycle}"))
    return runs


def table(runs: list[Run]) -> str:
    lines = [
        "| run | wall s | rows written | marts rebuilt (jobs) | requests | file MB (in use)"
        " | dlt folder KB (files) |",
        "|---|---:|---:|---:|---:|---:|---:|",
    ]
    for r in runs:
        lines.append(
            f"| {r.name} | {r.wall:.2f} | {r.written:,} | {r.rebuilt} | {r.requests:,} |"
            f" {r.file_mb:.1f} ({r.used_mb:.1f}) | {r.folder_kb:,.0f} ({r.folder_files}) |"
        )
    return "\n".join(lines)


def ratios(life: list[Run], steady: list[Run]) -> str:
    by = {r.name: r for r in life}
    full = life[0]
    settled = by["every job settled, nothing to fetch"]
    incremental = by["  then models (incremental)"]
    rebuild = by["  models --full, for comparison"]
    fresh = by["a fresh sync of the same data"]
    before_fresh = life[-2]
    steady_walls = [r.wall for r in steady[1:]]
    out = [
        f"nothing changed / full sync: {by['nothing changed'].wall / full.wall:.2f}x"
        f" ({by['nothing changed'].written} rows written, {by['nothing changed'].requests}"
        " requests)",
        f"models after a one-job change / models --full: {incremental.wall / rebuild.wall:.2f}x",
        f"every job settled: {settled.wall:.2f} s wall",
        f"file after the life / a fresh sync of the same data: "
        f"{before_fresh.file_mb / fresh.file_mb:.2f}x"
        f" (blocks in use: {before_fresh.used_mb / fresh.used_mb:.2f}x)",
    ]
    if steady_walls:
        out.append(
            f"steady state: median {statistics.median(steady_walls):.2f} s wall"
            f" over {len(steady_walls)} runs"
        )
    return "\n".join(out)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.scheduled")
    parser.add_argument("--jobs", type=int, default=100)
    parser.add_argument("--messages", type=int, default=10_000, help="per job")
    parser.add_argument("--in-flight", type=int, default=30)
    parser.add_argument("--cycles", type=int, default=10)
    parser.add_argument("--steady-settled", type=int, default=126)
    parser.add_argument("--steady-jobs", type=int, default=5)
    parser.add_argument("--steady-rows", type=int, default=5_000)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--json", help="also write the runs as JSON to this file")
    parser.add_argument("--keep", help="make the warehouses in this folder and keep them")
    args = parser.parse_args(argv)
    work = Path(args.keep or tempfile.mkdtemp(prefix="cf-bulk-sync-scheduled-"))
    try:
        life = scheduled_life(args, work)
        steady = steady_state(args, work) if args.steady_jobs else []
    finally:
        if not args.keep:
            shutil.rmtree(work, ignore_errors=True)
    print(table(life + steady))
    print()
    print(ratios(life, steady))
    if args.json:
        Path(args.json).write_text(json.dumps([r.__dict__ for r in life + steady], indent=1))


if __name__ == "__main__":
    main()
