"""`cf-bulk-sync demo`: the whole product offline, against the simulator, into a DuckDB file.

Each run is an ordinary `run_once`, as `cf-bulk-sync run` makes it; only the configuration
(the simulator's account, token and address, a folder of the demo's own) differs.
"""

import shutil
from pathlib import Path

import dlt

from ..errors import ConfigurationError
from ..outcome import ExitCode, RunOutcome
from ..reporting.dashboard import write_dashboard
from ..reporting.report import build_report
from ..run import RunOptions, pipeline_for, run_once
from ..simulator import DEFAULT_TOKEN, Simulator, World
from .summary import show

DEMO_STEPS = 3
DATABASE = "cf_bulk_sync.duckdb"
# Written into the folder the demo creates; only a folder holding it is ever deleted.
MARKER = ".cf-bulk-sync-demo"


def prepare_folder(root: Path) -> None:
    """A fresh, empty folder for the demo: state left by an earlier demo would describe other
    jobs, so a folder the demo made is emptied; any other non-empty folder is refused."""
    if root.exists() and any(root.iterdir()):
        if not (root / MARKER).is_file():
            raise ConfigurationError(
                f"{root} exists and was not made by `cf-bulk-sync demo`: not touching it;"
                " pass --dir with a new or empty folder"
            )
        shutil.rmtree(root)
    root.mkdir(parents=True, exist_ok=True)
    (root / MARKER).write_text("made by cf-bulk-sync demo; deleted by the next demo run\n")


def run_demo(folder: str, jobs: int = 24, seed: int = 7) -> int:
    """Syncs a simulated account twice, time moving in between, and shows what was loaded."""
    root = Path(folder).resolve()
    prepare_folder(root)
    database = root / DATABASE
    with Simulator(World(seed=seed, jobs=jobs, messages=(0, 400))) as sim:
        print(f"Simulator: {len(sim.world.jobs)} jobs on {sim.base_url}\n")
        options = RunOptions(
            destination=dlt.destinations.duckdb(str(database)),
            pipelines_dir=str(root / "dlt"),
            source_args=dict(
                account_id=sim.world.account_id, api_token=DEFAULT_TOKEN, base_url=sim.base_url
            ),
        )

        def run(title: str, models: bool) -> RunOutcome:
            options.models = models
            outcome = run_once(options)
            show(outcome, title)
            print()
            return outcome

        first = run("first run (full sync)", models=False)
        if first.exit_code != ExitCode.OK:
            return int(first.exit_code)
        changes = sim.advance(steps=DEMO_STEPS)
        print(
            f"Time moves {DEMO_STEPS * 10} minutes: {len(set(changes['advanced']))} jobs progress,"
            f" {len(changes['created'])} new, {len(changes['deleted'])} deleted at Cloudflare\n"
        )
        second = run("second run (incremental)", models=True)
    if second.build is None:
        return int(second.exit_code)
    pipeline = pipeline_for(options)
    print(build_report(pipeline, top=8) + "\n")
    page = write_dashboard(pipeline, str(root / "dashboard.html"))
    print(f"Dashboard: {page} (open it in a browser; it works offline)")
    dataset = second.build.dataset
    print(f"Data: {database} (raw tables in cloudflare_email_security, models in {dataset})")
    print(
        f"Try: python -c \"import duckdb; print(duckdb.connect('{database}', read_only=True)"
        f".sql('select * from {dataset}.job_status_counts'))\""
    )
    return int(second.exit_code)
