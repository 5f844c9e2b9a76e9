"""Marts compared across warehouses: the simulator's account synced into DuckDB (and,
for the executed dialects, into another warehouse too), and rows in a canonical order."""

from pathlib import Path
from typing import Any

import dlt
import duckdb

from cf_bulk_sync.loading.pipeline import sync
from cf_bulk_sync.models.runner import build_models
from cf_bulk_sync.outcome import decide
from cf_bulk_sync.simulator import DEFAULT_TOKEN, Simulator, World
from cf_bulk_sync.source import settings
from cf_bulk_sync.source.quarantine import rejected_row

from ..sql.conftest import ACCOUNT, job, message
from ..sql.test_failure_reasons import GROUPS
from .warehouse import duckdb_pipeline

# when each pipeline ran: two runs into two warehouses happen moments apart
RUN_TIME_COLUMNS = {"observed_at", "deleted_at", "synced_at"}
PHRASINGS_JOB = "f0000000-0000-4000-8000-000000000001"
# a relation's column names and rows
Relation = tuple[list[str], list[tuple[Any, ...]]]


def canonical(columns: list[str], rows: list[Any], keep_run_time: bool = False) -> list[tuple]:
    keep = [i for i, c in enumerate(columns) if keep_run_time or c not in RUN_TIME_COLUMNS]
    return sorted((tuple(r[i] for i in keep) for r in rows), key=lambda r: tuple(str(v) for v in r))


def sync_simulated(*pipelines: dlt.Pipeline) -> None:
    """The same simulated account synced twice into each pipeline, the account moving between
    the two syncs; then one more job whose failed messages carry every tested phrasing."""
    with Simulator(World(seed=7, jobs=24, messages=(0, 300))) as sim:
        args: dict[str, Any] = dict(
            account_id=sim.world.account_id,
            api_token=DEFAULT_TOKEN,
            base_url=sim.base_url,
            per_page=50,
        )
        for _step in range(2):
            for pipeline in pipelines:
                result = sync(pipeline, **args)
                assert decide(result).exit_code == 0, result.error
            sim.advance(steps=2)
    for pipeline in pipelines:
        seed_phrasings(pipeline)


def synced_duckdb(folder: Path) -> dlt.Pipeline:
    """`sync_simulated` into a DuckDB warehouse `folder/w.duckdb`, its models built there: the
    marts the other engines' are compared with."""
    pipeline = duckdb_pipeline(folder, work="dlt-dk")
    sync_simulated(pipeline)
    seed_rejected(pipeline)
    assert build_models(pipeline).blocking_failures == []
    return pipeline


def seed_rejected(pipeline: dlt.Pipeline) -> None:
    """An item of the phrasings job set aside as not loadable (so that no model is empty)."""
    item = {"message_id": "phrasing-rejected", "retry_count": "many"}
    row = rejected_row(item, ACCOUNT, PHRASINGS_JOB, "retry_count", "not an integer")
    pipeline.run(
        dlt.resource(
            [row],
            name=settings.REJECTED_TABLE,
            columns=settings.REJECTED_COLUMNS,
            primary_key="rejected_id",
            write_disposition="merge",
        )
    ).raise_on_failed_jobs()


def duckdb_marts(database: Path, reporting: str, models: list[str]) -> dict[str, Relation]:
    """Each model's columns and rows in `database` (timestamps in UTC)."""
    with duckdb.connect(str(database), read_only=True) as con:
        con.execute("set TimeZone = 'UTC'")
        out = {}
        for model in models:
            relation = con.sql(f"select * from {reporting}.{model}")
            out[model] = (relation.columns, relation.fetchall())
    return out


def phrasing_messages() -> tuple[list[dict[str, Any]], dict[str, str]]:
    """A message per tested phrasing, and the reason each must get, by message id."""
    rows, expected = [], {}
    for reason, texts in GROUPS.items():
        for text in texts:
            message_id = f"phrasing-{len(rows):02d}"
            rows.append(message(PHRASINGS_JOB, message_id, "FAILED", text))
            expected[message_id] = reason
    return rows, expected


def seed_phrasings(pipeline: dlt.Pipeline) -> None:
    rows, _ = phrasing_messages()
    pipeline.run(
        dlt.resource(
            [
                job(
                    PHRASINGS_JOB,
                    "FAILED",
                    total_messages_discovered=len(rows),
                    messages_failed=len(rows),
                )
            ],
            name=settings.JOBS_TABLE,
            columns=settings.JOB_COLUMNS,
            primary_key="job_id",
            write_disposition="merge",
        )
    ).raise_on_failed_jobs()
    pipeline.run(
        dlt.resource(
            rows,
            name=settings.MESSAGES_TABLE,
            columns=settings.MESSAGE_COLUMNS,
            primary_key=("job_id", "message_id"),
            write_disposition="merge",
        )
    ).raise_on_failed_jobs()
