"""`cf-bulk-sync`: one function per command. Every command's exit code comes from
`cf_bulk_sync.outcome`; `run` and `demo` print a `RunOutcome` that `run_once` returned, with
`summary.show`. Nothing heavy is imported before a command runs: `--help` stays fast."""

import argparse
import sys
import time
from typing import TYPE_CHECKING

from ..outcome import ExitCode, exit_code_of
from .parser import build_parser

if TYPE_CHECKING:  # dlt loads only when a command runs: --help and --version stay fast
    import dlt


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    if not args.debug:
        from ..loading.log_lines import one_line_logs

        one_line_logs()
    try:
        return int(COMMANDS[args.command](args))
    except Exception as e:  # noqa: BLE001 - one clear line unless --debug
        if args.debug:
            raise
        from ..loading.pipeline import explain

        code = exit_code_of(e)
        prefix = "" if code == ExitCode.LOCKED else "error: "
        print(f"cf-bulk-sync: {prefix}{explain(e)}", file=sys.stderr)
        return int(code)


def _run(args: argparse.Namespace) -> int:
    from ..run import RunOptions, run_once

    outcome = run_once(
        RunOptions(
            destination=args.destination,
            dataset=args.dataset,
            pipeline_name=args.pipeline_name,
            full_refresh=args.full_refresh,
            models=not args.no_models,
            warn_only=args.warn_only,
            publish=args.publish,
            progress="none" if args.quiet else args.progress,
            progress_interval=args.progress_seconds,
            source_args=dict(
                account_id=args.account_id,
                job_ids=args.job_id,
                status=args.status,
                action_type=args.action_type,
            ),
        )
    )
    from .. import STARTED

    outcome.seconds = time.monotonic() - STARTED  # the whole command: imports included
    if args.debug and outcome.sync is not None and outcome.sync.trace:
        print(outcome.sync.trace, file=sys.stderr, end="")
    if args.summary_json:
        from ..run_result import write_run_result

        write_run_result(outcome, args.summary_json)
    from .summary import show

    if args.json:
        import json

        from ..run_result import run_result

        show(outcome, out=sys.stderr)
        print(json.dumps(run_result(outcome)))
    else:
        show(outcome)
    return int(outcome.exit_code)


def _models(args: argparse.Namespace) -> int:
    from ..errors import ConfigurationError
    from ..loading.pipeline import make_pipeline
    from ..loading.warehouse import no_warehouse
    from ..models.runner import build_models
    from ..ops.lock import lock_for, warehouse_file, warehouse_lock
    from ..outcome import decide
    from .summary import format_build

    pipeline = make_pipeline(args.destination, args.dataset, pipeline_name=args.pipeline_name)
    database = warehouse_file(pipeline)
    if database is not None and not database.is_file():  # models build on what a run loaded
        raise ConfigurationError(no_warehouse(pipeline, str(database)))
    note_moved(pipeline)
    with (
        lock_for(pipeline.pipelines_dir, pipeline.pipeline_name),
        warehouse_lock(pipeline, writer=True),
    ):
        build = build_models(pipeline, full=args.full)
    outcome = decide(None, build, warn_only=args.warn_only)
    print(format_build(build, args.warn_only))
    if not args.warn_only:
        for failure in build.blocking_failures:
            print(f"cf-bulk-sync: {failure.name}: data assertion failed", file=sys.stderr)
    return int(outcome.exit_code)


def _dashboard(args: argparse.Namespace) -> int:
    from ..reporting.dashboard import write_dashboard
    from ..reporting.reader import reader_pipeline

    with reader_pipeline(args.destination, args.dataset, args.pipeline_name) as pipeline:
        note_moved(pipeline)
        path = write_dashboard(pipeline, args.out, args.top)
    print(f"dashboard: {path}")
    return ExitCode.OK


def _report(args: argparse.Namespace) -> int:
    from ..reporting.reader import reader_pipeline
    from ..reporting.report import build_report

    with reader_pipeline(args.destination, args.dataset, args.pipeline_name) as pipeline:
        note_moved(pipeline)
        text = build_report(pipeline, args.job_id, args.top, args.family, args.unknown_reasons)
    print(text)
    return ExitCode.OK


def note_moved(pipeline: "dlt.Pipeline") -> None:
    """One line on stderr when the pipeline last loaded another warehouse than the one this
    command uses (see loading.warehouse): it still uses today's."""
    from ..loading.warehouse import moved_here

    moved = moved_here(pipeline)
    if moved is not None:
        print(f"cf-bulk-sync: warning: {moved}", file=sys.stderr)


def _check(args: argparse.Namespace) -> int:
    from .check import run_check

    return run_check(
        args.destination, args.dataset, args.account_id, args.pipeline_name, repair=args.repair
    )


def _demo(args: argparse.Namespace) -> int:
    from .demo import run_demo

    return run_demo(args.dir, jobs=args.jobs, seed=args.seed)


def _simulate(args: argparse.Namespace) -> int:
    from ..simulator import DEFAULT_TOKEN, Faults, Simulator, World

    world = World(seed=args.seed, jobs=args.jobs, messages=(args.min_messages, args.max_messages))
    sim = Simulator(
        world,
        port=args.port,
        faults=Faults(rate=args.fault_rate, seed=args.seed),
        latency=args.latency,
        drift=set(args.drift),
    ).start()
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
    return ExitCode.OK


def _dbt_package(args: argparse.Namespace) -> int:
    from pathlib import Path

    from ..models.dbt_package import write_dbt_package

    written = write_dbt_package(Path(args.dir))
    print(f"dbt package: {len(written)} files in {args.dir}")
    return ExitCode.OK


def _compile(args: argparse.Namespace) -> int:
    from .compile import run_compile

    return run_compile(args.dialect, args.out, args.dataset, args.absent)


COMMANDS = {
    "run": _run,
    "models": _models,
    "report": _report,
    "dashboard": _dashboard,
    "check": _check,
    "demo": _demo,
    "simulate": _simulate,
    "dbt-package": _dbt_package,
    "compile": _compile,
}
