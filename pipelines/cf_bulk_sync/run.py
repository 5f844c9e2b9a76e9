"""One run: lock, sync, models, record, publish, and one outcome (see `outcome.decide`).

`run_once` is what `cf-bulk-sync run`, the demo and orchestrator wrappers call. It returns a
`RunOutcome` for every way a run can end, and prints nothing but its progress (on stderr):
the caller shows the outcome.
"""

import time
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from typing import Any

import dlt

from .errors import CfBulkSyncError, ConfigurationError, ModelError
from .loading.pipeline import SyncResult, make_pipeline, sync
from .models.runner import BuildResult, build_models
from .ops.lock import lock_for, warehouse_lock
from .ops.progress import DEFAULT_INTERVAL, RunProgress
from .ops.run_record import record_run
from .ops.signals import stop_on_signals
from .outcome import ExitCode, RunOutcome, decide, refused
from .source.stats import SyncStats

# Outcomes after which a BI snapshot is still worth publishing: the data loaded.
PUBLISHED_AFTER = (ExitCode.OK, ExitCode.PARTIAL, ExitCode.ASSERTIONS_FAILED)


@dataclass
class RunOptions:
    """What one run does. `source_args` go to the dlt source (account_id, job_ids, status,
    action_type, api_token, base_url ...); left out, dlt resolves them from its config."""

    destination: Any = None
    dataset: str | None = None
    pipelines_dir: str | None = None
    pipeline_name: str | None = None  # None: the configured one (loading.pipeline_name_of)
    full_refresh: bool = False
    models: bool = True
    warn_only: bool = False
    publish: str | None = None
    progress: str = "none"  # auto, bar, log or none (see ops.progress)
    progress_interval: float = DEFAULT_INTERVAL
    source_args: dict[str, Any] = field(default_factory=dict)


def pipeline_for(options: RunOptions) -> dlt.Pipeline:
    return make_pipeline(
        options.destination,
        options.dataset,
        pipelines_dir=options.pipelines_dir,
        pipeline_name=options.pipeline_name,
    )


def run_once(options: RunOptions) -> RunOutcome:
    """Runs the sync under the pipeline's lock (and, into DuckDB, the writer's side of the
    warehouse lock: readers finish first, see ops.lock), then the models, records the run in
    `sync_runs` and publishes a BI snapshot when asked to. SIGINT and SIGTERM stop it at the
    next page boundary (see ops.signals)."""
    started, began = datetime.now(UTC), time.monotonic()
    outcome = _run_once(options, started)
    outcome.seconds = time.monotonic() - began
    return outcome


def _run_once(options: RunOptions, started: datetime) -> RunOutcome:
    try:
        pipeline = pipeline_for(options)
        if options.publish and pipeline.destination.destination_name != "duckdb":
            raise ConfigurationError(
                "--publish copies a DuckDB warehouse; point BI tools at"
                f" {pipeline.destination.destination_name} directly"
            )
        with (
            lock_for(pipeline.pipelines_dir, pipeline.pipeline_name),
            warehouse_lock(pipeline, writer=True),  # readers of a DuckDB file finish first
        ):
            return _locked_run(pipeline, options, started)
    except CfBulkSyncError as e:  # raised before the sync started: bad input, or locked
        return replace(refused(e), started_at=started, finished_at=datetime.now(UTC))


def _locked_run(pipeline: dlt.Pipeline, options: RunOptions, started: datetime) -> RunOutcome:
    stats = SyncStats()
    with (
        stop_on_signals() as stop,
        RunProgress(stats, options.progress, options.progress_interval),
    ):
        result = sync(
            pipeline,
            full_refresh=options.full_refresh,
            stop=stop,
            stats=stats,
            **options.source_args,
        )
    build, error = _models(pipeline, result, options)
    outcome = decide(result, build, error, options.warn_only)
    outcome.started_at, outcome.finished_at = started, datetime.now(UTC)
    outcome.record = record_run(pipeline, outcome)
    if options.publish and outcome.exit_code in PUBLISHED_AFTER:
        try:
            from .ops.publish import publish  # DuckDB's own client: for --publish only

            outcome.published = publish(pipeline, options.publish)
        except (CfBulkSyncError, OSError) as e:
            # the run itself is recorded as it went; the snapshot is what failed
            failed = decide(result, build, f"publish: {e}", options.warn_only)
            outcome = replace(
                failed,
                run_id=outcome.run_id,
                record=outcome.record,
                started_at=outcome.started_at,
                finished_at=outcome.finished_at,
            )
    return outcome


def _models(
    pipeline: dlt.Pipeline, result: SyncResult, options: RunOptions
) -> tuple[BuildResult | None, str | None]:
    """Builds the models after a sync that loaded and was not stopped by a signal."""
    if not options.models or result.error is not None or result.interrupted_by is not None:
        return None, None
    try:
        return build_models(pipeline), None
    except ModelError as e:
        return None, f"models: {e}"
