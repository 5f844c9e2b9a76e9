"""`cf-bulk-sync demo`: the whole product offline, against the simulator, into a DuckDB file."""

import shutil
from pathlib import Path
from typing import Any, Dict

import dlt

from pipelines.cf_simulator import DEFAULT_TOKEN, Simulator, World
from pipelines.cloudflare_email_security_pipeline import RunResult, make_pipeline, sync
from pipelines.reporting.models import build_models
from pipelines.reporting.dashboard import write_dashboard
from pipelines.reporting.report import build_report
from pipelines.run_record import record_run
from pipelines.summary import format_build, format_summary

DEMO_STEPS = 3
DATABASE = "cf_bulk_sync.duckdb"


def demo_pipeline(root: Path) -> dlt.Pipeline:
    return make_pipeline(
        dlt.destinations.duckdb(str(root / DATABASE)), pipelines_dir=str(root / "dlt")
    )


def run_demo(folder: str, jobs: int = 24, seed: int = 7) -> int:
    """Syncs a simulated account twice, time moving in between, and shows what was loaded."""
    root = Path(folder).resolve()
    # A fresh world each time: state left by an earlier demo would describe other jobs.
    shutil.rmtree(root, ignore_errors=True)
    root.mkdir(parents=True)
    database = root / DATABASE
    with Simulator(World(seed=seed, jobs=jobs, messages=(0, 400))) as sim:
        print(f"Simulator: {len(sim.world.jobs)} jobs on {sim.base_url}\n")
        args: Dict[str, Any] = dict(
            account_id=sim.world.account_id, api_token=DEFAULT_TOKEN, base_url=sim.base_url
        )

        def run(title: str) -> RunResult:
            pipeline = demo_pipeline(root)
            result = sync(pipeline, **args)
            record_run(pipeline, result, None, result.exit_code)
            print(format_summary(result, title) + "\n")
            return result

        first = run("first run (full sync)")
        changes = sim.advance(steps=DEMO_STEPS)
        print(
            f"Time moves {DEMO_STEPS * 10} minutes: {len(set(changes['advanced']))} jobs progress,"
            f" {len(changes['created'])} new, {len(changes['deleted'])} deleted at Cloudflare\n"
        )
        second = run("second run (incremental)")
    if first.exit_code or second.exit_code:
        return max(first.exit_code, second.exit_code)
    pipeline = demo_pipeline(root)
    build = build_models(pipeline)
    print(format_build(build) + "\n")
    print(build_report(pipeline, top=8) + "\n")
    page = write_dashboard(pipeline, str(root / "dashboard.html"))
    print(f"Dashboard: {page} (open it in a browser; it works offline)")
    print(f"Data: {database} (raw tables in cloudflare_email_security, models in {build.dataset})")
    print(
        f"Try: python -c \"import duckdb; print(duckdb.connect('{database}', read_only=True)"
        f".sql('select * from {build.dataset}.job_status_counts'))\""
    )
    return 4 if build.failed_assertions else 0
