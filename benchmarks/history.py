"""The models at history scale: `python -m benchmarks.history [--messages 10000000]
[--jobs 2000] [--repeat 3] [--compare-python PATH] [--json FILE]`.

1. A tiny sync against the simulator makes the warehouse exactly as the sync makes it (tables,
   columns, dlt's schema and load records); then `--messages` messages in `--jobs` settled jobs
   are written into the raw tables directly with DuckDB SQL, as one old load (no HTTP).
2. Full build (the first `models`), then a run that changes one job (a new load id in
   `_dlt_loads`, the job's row and a tenth of its messages rewritten with it, as dlt's merge
   does) and the incremental build; again for another job whose messages bring new failure
   texts, loaded with their reasons as `cf-bulk-sync run` loads them; again for a third whose
   new texts came without (loaded by another tool or an older release: the build derives them
   and loads them through dlt first); the three `--repeat` times, on other jobs each time;
   then `models --full`, `--repeat` times. Each build runs in a process of its own
   (benchmarks/history_child.py) and reports the build's seconds (assertions not included;
   timed once apart) and the process's peak RSS; the table shows medians. The marts after
   the incremental builds must equal those after the full one (a row digest), or it fails.
3. File sizes: the raw tables alone (a copy checkpointed before any model ran) and after the
   first full build.
4. `--compare-python`: the same full build by another release's interpreter (e.g. main's,
   installed in a venv of its own) on a copy of the raw-only warehouse, for "today's" numbers.
"""

import argparse
import json
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import dlt
import duckdb

from cf_bulk_sync.loading.pipeline import make_pipeline, sync
from cf_bulk_sync.models.runner import load_models, reporting_dataset
from cf_bulk_sync.simulator import DEFAULT_TOKEN, Simulator, World

from . import history_data

CHECKOUT = Path(__file__).resolve().parents[1]
RAW = "cloudflare_email_security"  # the pipeline's dataset


def build(
    python: str, db: Path, work: Path, full: bool = False, assertions: bool = False
) -> dict[str, Any]:
    """One build in a child process run by `python`; its JSON line."""
    command = [python, "-m", "benchmarks.history_child", "--db", str(db), "--work", str(work)]
    child = subprocess.run(
        [*command, *(["--full"] if full else []), *(["--assertions"] if assertions else [])],
        capture_output=True,
        text=True,
        cwd=CHECKOUT,
    )
    if child.returncode:
        raise SystemExit(f"build by {python} failed:\n{child.stderr[-3000:]}")
    return dict(json.loads(child.stdout.strip().splitlines()[-1]))


# the one-job runs: a text already in history; new texts loaded with their reasons as `run`
# loads them; new texts without (the build derives and loads them)
SCENARIOS: tuple[tuple[str, dict[str, bool]], ...] = (
    ("one_job", {"new_texts": False}),
    ("one_job_new_texts", {"new_texts": True}),
    ("one_job_texts_derived", {"new_texts": True, "texts_loaded": False}),
)


def median_run(runs: list[dict[str, Any]]) -> dict[str, Any]:
    """The run of median seconds (the upper one of an even count), with every run's seconds
    and the highest peak RSS of them."""
    middle = dict(sorted(runs, key=lambda r: r["seconds"])[len(runs) // 2])
    middle["all_seconds"] = [r["seconds"] for r in runs]
    middle["peak_rss_mib"] = max(r["peak_rss_mib"] for r in runs)
    return middle


def file_mib(db: Path) -> float:
    with duckdb.connect(str(db)) as con:
        con.execute("checkpoint")
    return round(db.stat().st_size / 2**20, 1)


def marts_digest(db: Path, dataset: str) -> dict[str, tuple]:
    """Per mart: its row count and an order-free digest of every row."""
    marts = [m.name for m in load_models() if not m.is_view]
    with duckdb.connect(str(db), read_only=True) as con:
        return {
            m: tuple(
                con.sql(
                    f'select count(*), sum(hash(t)::hugeint) from "{dataset}"."{m}" t'
                ).fetchall()[0]
            )
            for m in marts
        }


def prepare(folder: Path, messages: int, jobs: int) -> tuple[Path, Path, str]:
    """The synthesised warehouse; its file, dlt folder and reporting dataset."""
    db, work = folder / "history.duckdb", folder / "dlt"
    pipeline = make_pipeline(dlt.destinations.duckdb(str(db)), pipelines_dir=str(work))
    with Simulator(World(seed=3, jobs=1, messages=(5, 5), status="COMPLETED")) as sim:
        result = sync(
            pipeline,
            account_id=sim.world.account_id,
            api_token=DEFAULT_TOKEN,
            base_url=sim.base_url,
        )
        if result.error:
            raise SystemExit(f"the schema-making sync failed: {result.error}")
    started = time.perf_counter()
    with duckdb.connect(str(db)) as con:
        history_data.synthesise(con, pipeline.dataset_name, messages, jobs)
    print(f"  synthesised {messages} messages in {jobs} jobs: {time.perf_counter() - started:.1f}s")
    return db, work, reporting_dataset(pipeline)


def run(args: argparse.Namespace, folder: Path) -> dict[str, Any]:
    db, work, reporting = prepare(folder, args.messages, args.jobs)
    out: dict[str, Any] = {"messages": args.messages, "jobs": args.jobs}
    raw_db, raw_work = folder / "raw.duckdb", folder / "raw-dlt"
    out["raw_mib"] = file_mib(db)
    shutil.copy(db, raw_db)
    shutil.copytree(work, raw_work)
    out["first_full"] = build(sys.executable, db, work)
    out["after_models_mib"] = file_mib(db)
    runs: dict[str, list[dict[str, Any]]] = {name: [] for name, _ in SCENARIOS}
    for round_ in range(args.repeat):  # each round changes other jobs
        for i, (name, options) in enumerate(SCENARIOS):
            with duckdb.connect(str(db)) as con:
                which = round_ * len(SCENARIOS) + i
                changed = history_data.change_one_job(con, RAW, which, **options)
            out.setdefault("changed_messages", changed)
            runs[name].append(build(sys.executable, db, work))
    for name, measured in runs.items():
        out[name] = median_run(measured)
    # the first one-job build after the first full one compiles its per-job statements
    out["first_incremental_seconds"] = runs["one_job"][0]["seconds"]
    incremental = marts_digest(db, reporting)
    fulls = [build(sys.executable, db, work, full=True) for _ in range(args.repeat - 1)]
    fulls.append(build(sys.executable, db, work, full=True, assertions=True))
    out["full"] = median_run(fulls)
    out["full"]["with_assertions_seconds"] = fulls[-1]["with_assertions_seconds"]
    out["marts_identical"] = incremental == marts_digest(db, reporting)
    if not out["marts_identical"]:
        raise SystemExit("the marts after the one-job build differ from a full rebuild")
    if args.compare_python:
        out["compared_full"] = build(args.compare_python, raw_db, raw_work)
        out["compared_after_models_mib"] = file_mib(raw_db)
    return out


def print_table(out: dict[str, Any]) -> None:
    full = out["full"]["seconds"]
    print(f"\n{out['messages']} messages in {out['jobs']} jobs (median seconds of each build)")
    print(f"{'build':<34} {'seconds':>8} {'peak MiB':>9} {'x full':>7}  every run")
    rows = [
        ("first build (full, this branch)", out["first_full"]),
        ("one job changed (incremental)", out["one_job"]),
        ("... new failure texts (run)", out["one_job_new_texts"]),
        ("... new texts the build derives", out["one_job_texts_derived"]),
        ("models --full (this branch)", out["full"]),
    ]
    if "compared_full" in out:
        rows.append(("full build (--compare-python)", out["compared_full"]))
    for label, measured in rows:
        every = " ".join(f"{x:.3f}" for x in measured.get("all_seconds", [measured["seconds"]]))
        print(
            f"{label:<34} {measured['seconds']:>8.3f} {measured['peak_rss_mib']:>9.0f}"
            f" {measured['seconds'] / full:>7.3f}  {every}"
        )
    print(
        "the first one-job build compiled its per-job statements (kept for later builds):"
        f" {out['first_incremental_seconds']:.3f} s"
    )
    print(
        "a build with nothing new, with the assertions `models` and `run` add:"
        f" {out['full']['with_assertions_seconds']:.3f} s"
    )
    print(f"marts after the one-job builds equal a full rebuild: {out['marts_identical']}")
    raw = out["raw_mib"]
    print(f"file: raw tables alone {raw} MiB; after models {out['after_models_mib']} MiB", end="")
    print(f" ({out['after_models_mib'] / raw:.2f}x)", end="")
    if "compared_after_models_mib" in out:
        compared = out["compared_after_models_mib"]
        print(f"; --compare-python after models {compared} MiB ({compared / raw:.2f}x)", end="")
    print()


def main() -> None:
    parser = argparse.ArgumentParser(
        prog="python -m benchmarks.history",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--messages", type=int, default=10_000_000)
    parser.add_argument("--jobs", type=int, default=2000)
    parser.add_argument(
        "--compare-python",
        metavar="PATH",
        help="another release's interpreter (with cf_bulk_sync installed) for a full build",
    )
    parser.add_argument(
        "--repeat",
        type=int,
        default=3,
        help="runs of each one-job build and of the full rebuild; medians are reported",
    )
    parser.add_argument("--dir", help="work folder (default: a new temporary one, removed)")
    parser.add_argument("--json", metavar="FILE", help="also write the measurements here")
    args = parser.parse_args()
    if args.messages < args.jobs:
        parser.error("--messages must be at least --jobs")
    if not 1 <= args.repeat <= (args.jobs // 2) // len(SCENARIOS):
        parser.error("--repeat must be from 1 to a sixth of --jobs (each run changes a job)")
    with tempfile.TemporaryDirectory(prefix="bench-history-", dir=args.dir) as folder:
        out = run(args, Path(folder))
    print_table(out)
    if args.json:
        Path(args.json).write_text(json.dumps(out, indent=2))


if __name__ == "__main__":
    main()
