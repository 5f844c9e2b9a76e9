"""Dagster: the sync as assets, each shard materialised by our own run (`run_once`).

`defs` is a code location (`dagster dev -m cf_bulk_sync.orchestration.dagster`): one shard
syncing every configured account into the default warehouse. `definitions(shards)` builds one
for several shards. Per shard, one multi-asset holds the raw tables and the models (staging and
marts, with their lineage); materialising it is one `run_once`: the run lock, the first-load
path, the finishing of a package a crashed run left, the models, the run record in
`sync_runs` and the exit-code policy. Anything but exit 0 fails the step with the run's summary
(3 partial, 4 a blocking data check, 5 locked ...); what a partial run loaded stays loaded and
recorded, as from the command line.

Why one run for all accounts by default, not a partition per account: accounts behind one token
share Cloudflare's request budget (per user, across accounts) and one run shares it, the lock
and one model build; partitions would run one sync and one model build per account, each
re-reading the same warehouse. Shard only by token (or warehouse): one `Shard` each.

Nothing here reads a secret or the API while the definitions load: the source is built, and
its configuration (token included) resolved, when the asset runs.
"""

import os
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import dagster as dg

from ..cli.summary import format_summary
from ..loading.pipeline import DATASET_NAME, PIPELINE_NAME, pipeline_name_of
from ..models.runner import load_models
from ..ops.run_record import RUNS_TABLE
from ..outcome import ExitCode, RunOutcome
from ..run import RunOptions, run_once
from ..source import settings
from .settings import DEFAULT_POOL

RAW_TABLES = (
    settings.JOBS_TABLE,
    settings.MESSAGES_TABLE,
    settings.DELETIONS_TABLE,
    settings.REJECTED_TABLE,
    settings.SNAPSHOTS_TABLE,
    settings.SYNC_STATE_TABLE,
    RUNS_TABLE,
)


@dataclass(frozen=True)
class Shard:
    """One sync: its pipeline (state, lock, staging dataset) and what it loads where.

    `name` is the pipeline's name and the first part of its asset keys. `account_ids` empty:
    the configured accounts. `pool`: the Dagster concurrency pool of its API token; give the
    pool one slot (`dagster instance concurrency set cf_bulk_sync 1`). `token_env`: the
    environment variable holding this shard's token, read when the asset runs (default: the
    configured token). `source_args`: further source settings (e.g. base_url), never secrets.
    """

    name: str = PIPELINE_NAME
    account_ids: tuple[str, ...] = ()
    pool: str = DEFAULT_POOL
    destination: str | None = None
    dataset: str | None = None
    token_env: str | None = None
    models: bool = True
    warn_only: bool = False
    source_args: Mapping[str, Any] = field(default_factory=dict)

    def run_options(self) -> RunOptions:
        args: dict[str, Any] = dict(self.source_args)
        if self.account_ids:
            args["account_id"] = list(self.account_ids)
        if self.token_env:
            token = os.environ.get(self.token_env)
            if not token:
                raise dg.Failure(f"shard {self.name}: set {self.token_env} to its API token")
            args["api_token"] = token
        return RunOptions(
            destination=self.destination,
            dataset=self.dataset,
            pipeline_name=self.name,
            models=self.models,
            warn_only=self.warn_only,
            progress="log",
            source_args=args,
        )


def shard_assets(shard: Shard) -> dg.AssetsDefinition:
    """The multi-asset of one shard: its raw tables, then (unless `models=False`) the models."""
    pipeline_name_of(shard.name)  # an unusable name fails here, when the definitions load
    prefix = [shard.name]
    specs = [
        dg.AssetSpec([*prefix, table], group_name=shard.name, kinds={"dlt"}) for table in RAW_TABLES
    ]
    if shard.models:
        specs += [
            dg.AssetSpec(
                [*prefix, model.name],
                group_name=shard.name,
                kinds={"sql"},
                deps=[[*prefix, read] for read in sorted(model.reads)],
            )
            for model in load_models()
        ]

    @dg.multi_asset(name=f"{shard.name}_sync", specs=specs, pool=shard.pool)
    def sync_shard(context: dg.AssetExecutionContext) -> Iterator[dg.MaterializeResult]:
        outcome = run_once(shard.run_options())
        summary = format_summary(outcome)
        context.log.info(summary)
        if outcome.exit_code != ExitCode.OK:
            raise dg.Failure(
                description=f"exit code {int(outcome.exit_code)}: {summary}",
                metadata=_metadata(outcome),
            )
        for spec in specs:
            yield dg.MaterializeResult(asset_key=spec.key, metadata=_metadata(outcome))

    return sync_shard


def _metadata(outcome: RunOutcome) -> dict[str, Any]:
    found: dict[str, Any] = {
        "run_id": outcome.run_id,
        "status": outcome.status.value,
        "exit_code": int(outcome.exit_code),
    }
    if outcome.sync is not None:
        stats = outcome.sync.stats
        found.update(
            jobs_synced=stats.jobs_synced,
            jobs_skipped=stats.jobs_skipped,
            # in flight, and as the listing showed them at their last fetch: not fetched again
            jobs_unchanged=stats.jobs_unchanged,
            rows_loaded=sum(stats.rows_by_status.values()),
            rows_unchanged=stats.rows_unchanged,
            requests=stats.requests,
        )
    return found


def definitions(shards: Sequence[Shard] = (Shard(),)) -> dg.Definitions:
    """A code location of `shards`. Shards that write one dataset, or one DuckDB warehouse (a
    single writer), must share a pool: otherwise they would run at once and the second one
    would wait for the first, fail, or rebuild the models under it."""
    names = [s.name for s in shards]
    if len(set(names)) != len(names):
        raise ValueError(f"shard names must differ (each is a pipeline): {names}")
    writers: dict[tuple[str, str], str] = {}
    for shard in shards:
        duckdb = shard.destination in (None, "duckdb")
        target = ("duckdb", "") if duckdb else (shard.destination or "", shard.dataset or "")
        target = target if duckdb else (target[0], target[1] or DATASET_NAME)
        pool = writers.setdefault(target, shard.pool)
        if pool != shard.pool:
            where = "one DuckDB warehouse" if duckdb else f"dataset {target[1]} of {target[0]}"
            raise ValueError(
                f"shard {shard.name} writes {where} like a shard of pool {pool}: give it"
                f" pool={pool!r}, or its own dataset"
            )
    return dg.Definitions(assets=[shard_assets(shard) for shard in shards])


defs = definitions()
