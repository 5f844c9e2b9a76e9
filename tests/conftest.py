"""Shared isolation: every test gets its own dlt folder, working directory and environment."""

import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import dlt
import pytest

from cf_bulk_sync.loading.pipeline import SyncResult, make_pipeline, sync
from cf_bulk_sync.simulator import DEFAULT_TOKEN, Faults, Simulator, World

ACCOUNT = "0123456789abcdef0123456789abcdef"
TOKEN = "test-token-3f9a1c"


@pytest.fixture(autouse=True)
def isolated(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    for name in list(os.environ):
        if name.startswith(("CLOUDFLARE_", "SOURCES__", "DESTINATION__")):
            monkeypatch.delenv(name)
    monkeypatch.setenv("RUNTIME__DLTHUB_TELEMETRY", "false")
    monkeypatch.setenv("DLT_DATA_DIR", str(tmp_path / "dlt_data"))
    monkeypatch.chdir(tmp_path)
    yield tmp_path


@pytest.fixture
def world() -> World:
    return World(seed=11, jobs=12, messages=(0, 60))


@pytest.fixture
def simulator(world: World) -> Iterator[Simulator]:
    with Simulator(world) as sim:
        yield sim


class Syncer:
    """Runs the real pipeline against a simulator into a DuckDB file of the test."""

    def __init__(self, sim: Simulator, folder: Path) -> None:
        self.sim = sim
        self.folder = folder
        self.database = folder / "warehouse.duckdb"

    def pipeline(self) -> dlt.Pipeline:
        return make_pipeline(
            dlt.destinations.duckdb(str(self.database)), pipelines_dir=str(self.folder / "dlt")
        )

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
        import duckdb

        with duckdb.connect(str(self.database), read_only=True) as con:
            return con.sql(sql).fetchall()

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


@pytest.fixture
def syncer(simulator: Simulator, tmp_path: Path) -> Syncer:
    return Syncer(simulator, tmp_path)


def faulty(rate: float, seed: int = 3, **kwargs: Any) -> Faults:
    return Faults(rate=rate, seed=seed, **kwargs)
