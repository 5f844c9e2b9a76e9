"""`cf-bulk-sync`: the command line of the sync, the demo and the simulator."""

import argparse
import sys
import time
from typing import Any, List, Optional, Tuple

from pipelines.cloudflare_email_security.settings import ACTION_TYPES, MESSAGE_STATUSES

DESCRIPTION = """\
Sync Cloudflare Email Security bulk action jobs and the messages of each job into a warehouse
(DuckDB by default, or any dlt destination), incrementally: jobs that had settled when they
were last synced are not fetched again.

Configuration comes from dlt (.dlt/config.toml, .dlt/secrets.toml, environment variables under
SOURCES__CLOUDFLARE_EMAIL_SECURITY__*) or from Cloudflare's usual variables CLOUDFLARE_API_TOKEN,
CLOUDFLARE_ACCOUNT_ID and CLOUDFLARE_API_BASE_URL; options given here win.
"""

EXIT_CODES = """\
exit codes: 0 success; 1 error (nothing half-marked: the next run picks up where it stopped);
2 bad command line; 3 loaded, but some jobs could not be synced (named in the summary);
4 loaded and modelled, but a data assertion failed (named, with its first offending rows);
5 another run of the same pipeline holds the lock (this run changed nothing)
"""


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="cf-bulk-sync",
        description=DESCRIPTION,
        epilog=EXIT_CODES,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--debug", action="store_true", help="show tracebacks of errors")
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    run = commands.add_parser(
        "run",
        help="sync jobs and messages into the destination",
        description="Sync jobs and their messages, then print a run summary.",
        epilog=EXIT_CODES,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    run.add_argument("--account-id", action="append", metavar="ID",
                     help="account to sync (32 hex characters); repeat for several"
                     " [CLOUDFLARE_ACCOUNT_ID]")
    run.add_argument("--job-id", action="append", metavar="UUID",
                     help="sync only this job; repeat for several")
    run.add_argument("--status", choices=MESSAGE_STATUSES, help="sync only messages in STATUS")
    run.add_argument("--action-type", choices=ACTION_TYPES, help="sync only jobs of this type")
    _destination_options(run)
    run.add_argument("--full-refresh", action="store_true",
                     help="fetch every job's messages again, settled or not")
    run.add_argument("--progress", choices=("log", "none"), default="none",
                     help="log dlt's progress while running (default none)")
    run.add_argument("--no-models", action="store_true",
                     help="do not build the SQL models after loading")
    run.add_argument("--warn-only", action="store_true",
                     help="report failing data assertions as warnings (exit 0, not 4)")
    run.add_argument("--publish", metavar="DIR",
                     help="after a good run, write a read-only copy for BI tools to DIR: a"
                     " snapshot DuckDB file and Parquet files of the marts (DuckDB only)")

    models = commands.add_parser(
        "models",
        help="build the SQL models and run the data assertions",
        description="Rebuild every model of sql/ in the dataset <dataset>_reporting of the"
        " destination, then run sql/assertions.",
        epilog=EXIT_CODES,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    _destination_options(models)
    models.add_argument("--warn-only", action="store_true",
                        help="report failing data assertions as warnings (exit 0, not 4)")

    report = commands.add_parser(
        "report",
        help="print status counts per job and the top failure reasons",
        description="Read the marts and print the messages per job and status, and the most"
        " frequent failure reasons. Run after `run` or `models`.",
    )
    _destination_options(report)
    report.add_argument("--job-id", action="append", metavar="UUID",
                        help="only this job; repeat for several")
    report.add_argument("--top", type=int, default=10, help="failure reasons to show")

    dashboard = commands.add_parser(
        "dashboard",
        help="write a self-contained HTML dashboard of the marts",
        description="Write one HTML file (charts inline, works offline) of the jobs, their"
        " statuses, failure reasons, daily activity and the last run. Run after `run`.",
    )
    _destination_options(dashboard)
    dashboard.add_argument("--out", default="cf_bulk_sync_dashboard.html",
                           help="file to write (default cf_bulk_sync_dashboard.html)")
    dashboard.add_argument("--top", type=int, default=10, help="failure reasons to list")

    demo = commands.add_parser(
        "demo",
        help="run the sync offline against the built-in simulator",
        description="Start the Cloudflare API simulator on 127.0.0.1, sync it into a local"
        " DuckDB file, let time move, sync again incrementally and show the results."
        " Needs no account and no network.",
    )
    demo.add_argument("--dir", default="cf_bulk_sync_demo",
                      help="folder for the demo's DuckDB file and dlt state (recreated)")
    demo.add_argument("--jobs", type=int, default=24, help="jobs in the simulated account")
    demo.add_argument("--seed", type=int, default=7, help="seed of the simulated data")

    sim = commands.add_parser(
        "simulate",
        help="serve the Cloudflare API simulator until interrupted",
        description="Serve a simulated account on 127.0.0.1 for trying the sync by hand.",
    )
    sim.add_argument("--port", type=int, default=8787, help="port (0 picks a free one)")
    sim.add_argument("--jobs", type=int, default=24, help="jobs in the simulated account")
    sim.add_argument("--min-messages", type=int, default=0, help="fewest messages per job")
    sim.add_argument("--max-messages", type=int, default=300, help="most messages per job")
    sim.add_argument("--seed", type=int, default=7, help="seed of the simulated data")
    sim.add_argument("--fault-rate", type=float, default=0.0,
                     help="share of requests (0..1) answered with a fault")
    sim.add_argument("--latency", type=float, default=0.0, help="added seconds per request")
    return parser


def _destination_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--destination", metavar="NAME",
                        help="dlt destination (default duckdb: ./cf_bulk_sync.duckdb)")
    parser.add_argument("--dataset", metavar="NAME",
                        help="dataset (schema) of the raw tables (default"
                        " cloudflare_email_security); models go to <dataset>_reporting")


def main(argv: Optional[List[str]] = None) -> int:
    from pipelines.cloudflare_email_security_pipeline import disable_telemetry

    disable_telemetry()
    args = build_parser().parse_args(argv)
    from pipelines.run_lock import RunLockedError

    try:
        if args.command == "run":
            return _run(args)
        if args.command == "models":
            return _models(args)
        if args.command == "report":
            return _report(args)
        if args.command == "dashboard":
            return _dashboard(args)
        if args.command == "demo":
            from pipelines.demo import run_demo

            return run_demo(args.dir, jobs=args.jobs, seed=args.seed)
        return _simulate(args)
    except RunLockedError as e:
        print(f"cf-bulk-sync: {e}", file=sys.stderr)
        return 5
    except Exception as e:  # noqa: BLE001 - one clear line unless --debug
        if args.debug:
            raise
        from pipelines.cloudflare_email_security_pipeline import explain

        print(f"cf-bulk-sync: error: {explain(e)}", file=sys.stderr)
        return 1


def _run(args: argparse.Namespace) -> int:
    from pipelines.cloudflare_email_security.errors import ConfigurationError
    from pipelines.cloudflare_email_security_pipeline import make_pipeline, sync
    from pipelines.run_lock import lock_for
    from pipelines.run_record import record_run
    from pipelines.summary import format_summary

    pipeline = make_pipeline(args.destination, args.dataset, progress=args.progress)
    if args.publish and pipeline.destination.destination_name != "duckdb":
        raise ConfigurationError(
            "--publish copies a DuckDB warehouse; point BI tools at"
            f" {pipeline.destination.destination_name} directly"
        )
    with lock_for(pipeline.pipelines_dir, pipeline.pipeline_name):
        result = sync(
            pipeline,
            full_refresh=args.full_refresh,
            account_id=args.account_id,
            job_ids=args.job_id,
            status=args.status,
            action_type=args.action_type,
        )
        print(format_summary(result))
        build, code = None, result.exit_code
        if not result.error and not args.no_models:
            build, code = _build(pipeline, args.warn_only, result)
        if result.error:
            print(f"cf-bulk-sync: error: {result.error}", file=sys.stderr)
            code = 1
        record_run(pipeline, result, build, code)
        if args.publish and code in (0, 3, 4):
            from pipelines.publish import publish

            written = publish(pipeline, args.publish)
            print(f"published: {', '.join(str(p) for p in written[:1])} and"
                  f" {len(written) - 1} Parquet files")
        return code


def _models(args: argparse.Namespace) -> int:
    from pipelines.cloudflare_email_security_pipeline import make_pipeline
    from pipelines.run_lock import lock_for

    pipeline = make_pipeline(args.destination, args.dataset)
    with lock_for(pipeline.pipelines_dir, pipeline.pipeline_name):
        build, code = _build(pipeline, args.warn_only)
        return code


def _build(pipeline: Any, warn_only: bool, result: Any = None) -> Tuple[Any, int]:
    """Builds the models and prints what happened; 4 when an assertion fails (unless warned).
    A model that cannot be built is recorded on the run's result when there is one."""
    from pipelines.cloudflare_email_security.errors import CloudflareSyncError
    from pipelines.reporting.models import build_models
    from pipelines.summary import format_build

    try:
        build = build_models(pipeline)
    except CloudflareSyncError as e:
        if result is None:
            raise
        result.error = f"models: {e}"
        return None, 1
    print(format_build(build, warn_only))
    if build.failed_assertions and not warn_only:
        for failure in build.failed_assertions:
            print(f"cf-bulk-sync: {failure.name}: data assertion failed", file=sys.stderr)
        return build, 4
    return build, 0


def _dashboard(args: argparse.Namespace) -> int:
    from pipelines.cloudflare_email_security_pipeline import make_pipeline
    from pipelines.reporting.dashboard import write_dashboard

    path = write_dashboard(make_pipeline(args.destination, args.dataset), args.out, args.top)
    print(f"dashboard: {path}")
    return 0


def _report(args: argparse.Namespace) -> int:
    from pipelines.cloudflare_email_security_pipeline import make_pipeline
    from pipelines.reporting.report import build_report

    print(build_report(make_pipeline(args.destination, args.dataset), args.job_id, args.top))
    return 0


def _simulate(args: argparse.Namespace) -> int:
    from pipelines.cf_simulator import DEFAULT_TOKEN, Faults, Simulator, World

    world = World(seed=args.seed, jobs=args.jobs, messages=(args.min_messages, args.max_messages))
    sim = Simulator(world, port=args.port, faults=Faults(rate=args.fault_rate, seed=args.seed),
                    latency=args.latency).start()
    print(f"Simulator serving {len(world.jobs)} jobs on {sim.base_url}")
    print(f"  export CLOUDFLARE_API_BASE_URL={sim.base_url}")
    print(f"  export CLOUDFLARE_ACCOUNT_ID={world.account_id}")
    print(f"  export CLOUDFLARE_API_TOKEN={DEFAULT_TOKEN}")
    print(f"  time moves with: curl -X POST http://127.0.0.1:{sim.port}/__admin/advance")
    print("Ctrl-C stops it.", flush=True)
    try:
        while True:
            time.sleep(3600)
    except KeyboardInterrupt:
        sim.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
