"""Dagster for real: the shipped code location's assets, materialised by our run against the
simulator, into DuckDB and Postgres, in process and with the multiprocess executor."""

import json
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import dagster as dg
import duckdb
import psycopg2
import pytest
from dagster._core.definitions.reconstruct import ReconstructableJob

from cf_bulk_sync.orchestration.dagster import RAW_TABLES, Shard, definitions
from cf_bulk_sync.simulator import DEFAULT_TOKEN, Simulator, World

from ..support.cli import environment
from ..support.postgres_server import running_postgres
from .dagster_location import JOB
from .test_accounts import settled
from .test_run_contract import fail_messages_of

pytestmark = pytest.mark.e2e

DATASET = "cloudflare_email_security"
LOCATION = Path(__file__).with_name("dagster_location.py")


@pytest.fixture
def configured(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Path:
    """The token in the environment, as a deployment sets it; the DuckDB file of the test."""
    monkeypatch.setenv("CLOUDFLARE_API_TOKEN", DEFAULT_TOKEN)
    monkeypatch.setenv("DAGSTER_DISABLE_TELEMETRY", "yes")  # nothing but loopback
    database = tmp_path / "w.duckdb"
    monkeypatch.setenv("DESTINATION__DUCKDB__CREDENTIALS", str(database))
    return database


def shard(sim: Simulator, **options: Any) -> Shard:
    args = {"base_url": sim.base_url, "backoff_factor": 0}
    return Shard(account_ids=(sim.world.account_id,), source_args=args, **options)


def materialize(*shards: Shard, ok: bool = True) -> dg.ExecuteInProcessResult:
    result = dg.materialize(list(definitions(shards).assets or []), raise_on_error=False)
    assert result.success is ok
    return result


def metadata(result: dg.ExecuteInProcessResult, key: list[str]) -> dict[str, Any]:
    event = next(
        e for e in result.get_asset_materialization_events() if e.asset_key == dg.AssetKey(key)
    )
    materialization = event.step_materialization_data.materialization
    return {k: v.value for k, v in materialization.metadata.items()}


def duckdb_rows(database: Path, sql: str) -> list[Any]:
    with duckdb.connect(str(database), read_only=True) as con:
        return con.sql(sql).fetchall()


def messages_in(rows: list[Any]) -> dict[tuple[str, str], str]:
    return {(job, message): status for job, message, status in rows}


def test_the_code_location_loads_without_a_secret() -> None:
    # a fresh interpreter with no Cloudflare variable at all, as `dagster dev -m` loads it
    code = (
        "from cf_bulk_sync.orchestration.dagster import defs\n"
        "keys = sorted(k.to_user_string() for k in defs.resolve_all_asset_keys())\n"
        "print('\\n'.join(keys))\n"
    )
    env = {k: v for k, v in environment().items() if not k.startswith("CLOUDFLARE_")}
    done = subprocess.run(
        [sys.executable, "-c", code], env=env, capture_output=True, text=True, timeout=120
    )
    assert done.returncode == 0, done.stderr
    keys = set(done.stdout.split())
    assert {f"cf_bulk_sync/{table}" for table in RAW_TABLES} <= keys
    assert {"cf_bulk_sync/job_status_counts", "cf_bulk_sync/stg_bulk_jobs"} <= keys


def test_shards_writing_one_dataset_must_share_a_pool() -> None:
    with pytest.raises(ValueError, match="give it pool='token_a'"):
        definitions(
            [
                Shard(name="a", pool="token_a", destination="postgres"),
                Shard(name="b", pool="token_b", destination="postgres"),
            ]
        )
    definitions(  # their own datasets: they may run at once
        [
            Shard(name="a", pool="token_a", destination="postgres", dataset="a"),
            Shard(name="b", pool="token_b", destination="postgres", dataset="b"),
        ]
    )


def test_materialize_into_duckdb_then_incrementally(configured: Path) -> None:
    with Simulator(World(seed=61, jobs=8, messages=(0, 40))) as sim:
        first = materialize(shard(sim))
        assert metadata(first, ["cf_bulk_sync", "bulk_job_messages"])["jobs_synced"] == 8
        second = materialize(shard(sim))
        expected = sim.world.truth_messages()
    again = metadata(second, ["cf_bulk_sync", "job_status_counts"])
    assert again["jobs_skipped"] == settled(sim.world) > 0  # settled jobs are not fetched again
    # the jobs in flight: fetched, or known unchanged since their last fetch (not fetched again)
    assert again["jobs_synced"] + again["jobs_unchanged"] == 8 - settled(sim.world)
    loaded = duckdb_rows(
        configured, f"select job_id, message_id, status from {DATASET}.bulk_job_messages"
    )
    assert messages_in(loaded) == expected
    runs = duckdb_rows(configured, f"select status, pipeline_name from {DATASET}.sync_runs")
    assert runs == [("ok", "cf_bulk_sync")] * 2  # our run: recorded each time
    marts = duckdb_rows(
        configured,
        f"select count(*) from {DATASET}_reporting.job_status_counts",
    )
    assert marts[0][0] > 0  # the models were built by the same run


def test_a_partial_run_fails_the_step_with_its_summary(
    configured: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    with Simulator(World(seed=62, jobs=6, messages=(1, 30))) as sim:
        broken = next(iter(sim.world.jobs))
        fail_messages_of(sim, monkeypatch, broken)
        result = materialize(shard(sim), ok=False)
    failure = result.get_step_failure_events()[0].step_failure_data
    assert failure.user_failure_data is not None
    description = failure.user_failure_data.description or ""
    assert description.startswith("exit code 3: cf-bulk-sync run: PARTIAL")
    assert broken in description  # the job that could not be fetched is named
    assert not result.get_asset_materialization_events()
    # what the partial run loaded stays loaded and recorded, as from the command line
    runs = duckdb_rows(configured, f"select status, exit_code from {DATASET}.sync_runs")
    assert runs == [("partial", 3)]


@pytest.fixture(scope="module")
def postgres_url() -> Iterator[str]:
    yield from running_postgres()


def postgres_rows(url: str, sql: str) -> list[Any]:
    with psycopg2.connect(url) as con, con.cursor() as cursor:
        cursor.execute(sql)
        return cursor.fetchall()


@pytest.mark.postgres
def test_materialize_into_postgres_then_incrementally(
    configured: Path, postgres_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("DESTINATION__POSTGRES__CREDENTIALS", postgres_url)
    dataset = "dagster_in_process"
    with Simulator(World(seed=63, jobs=8, messages=(0, 60))) as sim:
        materialize(shard(sim, destination="postgres", dataset=dataset))
        sim.advance(steps=2, create=1, delete=0)
        second = materialize(shard(sim, destination="postgres", dataset=dataset))
        expected = sim.world.truth_messages()
    assert metadata(second, ["cf_bulk_sync", "bulk_jobs"])["jobs_skipped"] > 0
    loaded = postgres_rows(
        postgres_url, f"select job_id, message_id, status from {dataset}.bulk_job_messages"
    )
    assert messages_in(loaded) == expected
    assert postgres_rows(postgres_url, f"select status from {dataset}.sync_runs") == [("ok",)] * 2


@pytest.mark.postgres
@pytest.mark.slow
def test_multiprocess_executor_two_accounts_one_token_into_postgres(
    tmp_path: Path, postgres_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    dataset = "dagster_multiprocess"
    monkeypatch.setenv("CLOUDFLARE_API_TOKEN", DEFAULT_TOKEN)
    monkeypatch.setenv("DESTINATION__POSTGRES__CREDENTIALS", postgres_url)
    with (
        Simulator(World(seed=64, jobs=10, messages=(20, 300))) as a,
        Simulator(World(seed=65, jobs=8, messages=(20, 300))) as b,
        dg.instance_for_test(temp_dir=str(tmp_path)) as instance,
    ):
        shards = [
            dict(name=name, account_id=sim.world.account_id, base_url=sim.base_url)
            for name, sim in (("account_a", a), ("account_b", b))
        ]
        # one token: one pool of one slot; both shards write one dataset, taking turns
        specs = [{**s, "pool": "cf_token", "dataset": dataset} for s in shards]
        monkeypatch.setenv("CF_TEST_SHARDS", json.dumps(specs))
        instance.event_log_storage.set_concurrency_slots("cf_token", 1)
        job = ReconstructableJob.for_file(str(LOCATION), JOB)
        with dg.execute_job(job, instance=instance) as result:
            assert result.success, [e.message for e in result.all_events if e.is_failure]
            steps = {e.step_key for e in result.all_events if e.is_step_success}
        assert steps == {"account_a_sync", "account_b_sync"}
        expected = {**a.world.truth_messages(), **b.world.truth_messages()}
    loaded = postgres_rows(
        postgres_url, f"select job_id, message_id, status from {dataset}.bulk_job_messages"
    )
    assert len(loaded) == len(expected) and messages_in(loaded) == expected
    runs = sorted(
        postgres_rows(
            postgres_url,
            f"select started_at, finished_at, pipeline_name, status from {dataset}.sync_runs",
        )
    )
    assert [(r[2], r[3]) for r in runs] in (
        [("account_a", "ok"), ("account_b", "ok")],
        [("account_b", "ok"), ("account_a", "ok")],
    )
    assert runs[0][1] <= runs[1][0]  # the pool's one slot: the second began after the first
