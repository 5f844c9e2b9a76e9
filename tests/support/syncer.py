"""The real pipeline against the simulator, into a DuckDB file of the test's own."""

from pathlib import Path
from typing import Any

import dlt

from cf_bulk_sync.loading.pipeline import SyncResult, sync
from cf_bulk_sync.simulator import DEFAULT_TOKEN, Faults, Simulator, World

from .warehouse import duckdb_pipeline, query


def small_world() -> World:
    """The account most tests sync: 12 jobs of up to 60 messages, the same on every run."""
    return World(seed=11, jobs=12, messages=(0, 60))


def faulty(rate: float, seed: int = 3, **kwargs: Any) -> Faults:
    return Faults(rate=rate, seed=seed, **kwargs)


class Syncer:
    """Runs the real pipeline against a simulator into `folder/warehouse.duckdb`."""

    def __init__(self, sim: Simulator, folder: Path) -> None:
        self.sim = sim
        self.folder = folder
        self.database = folder / "warehouse.duckdb"

    def pipeline(self) -> dlt.Pipeline:
        return duckdb_pipeline(self.folder, name="warehouse")

    def run(self, full_refresh: bool = False, **overrides: Any) -> SyncResult:
        args: dict[str, Any] = dict(
            account_id=self.sim.world.account_id,
            api_token=DEFAULT_TOKEN,
            base_url=self.sim.base_url,
            backoff_factor=0,
        )
        args.update(overrides)
        self.sim.reset_counts()
        return sync(self.pipeline(), full_refresh=full_refresh, **args)

    def query(self, sql: str) -> list:
        return query(self.database, sql)

    def messages(self, where: str | None = None) -> dict[Any, str]:
        if not self.query(
            "select 1 from information_schema.tables where table_name = 'bulk_job_messages'"
        ):
            return {}  # nothing loaded yet
        rows = self.query(
            "select job_id, message_id, status from cloudflare_email_security.bulk_job_messages"
            + (f" where {where}" if where else "")
        )
        return {(job_id, message_id): status for job_id, message_id, status in rows}
