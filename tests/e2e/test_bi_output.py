"""What BI tools and dashboards read: the run record, the published copy, stable columns."""

import json
import os
import subprocess
from pathlib import Path

import duckdb
import pytest

from cf_bulk_sync.simulator import Simulator

from ..support.checkout import MODELS
from ..support.cli import cli, cli_env
from ..support.tools import NEWEST_DUCKDB_1, OLD_DUCKDB, duckdb_python
from ..support.warehouse import query

pytestmark = pytest.mark.e2e


@pytest.fixture
def env(simulator: Simulator, tmp_path: Path) -> dict[str, str]:
    return cli_env(simulator, tmp_path)


def test_every_run_leaves_a_record_good_or_failed(
    env: dict[str, str], tmp_path: Path, simulator: Simulator
) -> None:
    assert cli("run", env=env, cwd=tmp_path).returncode == 0
    bad = cli("run", env={**env, "CLOUDFLARE_API_TOKEN": "wrong-token-77"}, cwd=tmp_path)
    assert bad.returncode == 1
    records = query(
        tmp_path / "w.duckdb",
        "select status, exit_code, jobs_seen, rows_loaded, requests, models_built,"
        " error, rows_by_status, started_at <= finished_at from"
        " cloudflare_email_security.sync_runs order by finished_at",
    )
    assert len(records) == 2
    good, failed = records
    messages = sum(len(j.messages) for j in simulator.world.jobs.values())
    assert good[:6] == (
        "ok",
        0,
        len(simulator.world.jobs),
        messages,
        1 + len(simulator.world.jobs),
        MODELS,
    )
    assert good[6] is None and sum(json.loads(good[7]).values()) == messages and good[8]
    assert failed[:2] == ("failed", 1) and failed[3] == 0
    assert failed[6].startswith("Authentication failed (HTTP 403, code 10000")
    assert "wrong-token-77" not in str(records)


def test_publish_writes_whole_files_and_readers_keep_theirs(
    env: dict[str, str], tmp_path: Path
) -> None:
    first = cli("run", "--publish", "bi", env=env, cwd=tmp_path)
    assert first.returncode == 0, first.stderr
    snapshot = tmp_path / "bi" / "cf_bulk_sync.duckdb"
    marts = {
        "job_status_counts",
        "job_failure_reasons",
        "failure_reasons",
        "job_reconciliation",
        "daily_message_activity",
        "job_daily_activity",
        "job_progress",
    }
    assert {p.stem for p in (tmp_path / "bi" / "parquet").glob("*.parquet")} == marts
    assert not [p for p in (tmp_path / "bi").rglob("*") if p.name.endswith(".tmp")]
    for mart in marts:
        expected = query(
            tmp_path / "w.duckdb",
            f"select count(*) from cloudflare_email_security_reporting.{mart}",
        )
        assert (
            query(snapshot, f"select count(*) from cloudflare_email_security_reporting.{mart}")
            == expected
        )
        assert (
            duckdb.sql(f"select count(*) from '{tmp_path}/bi/parquet/{mart}.parquet'").fetchall()
            == expected
        )
    assert query(
        snapshot, "select count(*) from cloudflare_email_security.bulk_job_messages"
    ) == query(
        tmp_path / "w.duckdb", "select count(*) from cloudflare_email_security.bulk_job_messages"
    )
    # a BI tool holding the old snapshot open keeps reading it while a new one is published
    reader = duckdb.connect(str(snapshot), read_only=True)
    try:
        before = reader.sql("select count(*) from cloudflare_email_security.sync_runs").fetchall()
        assert cli("run", "--publish", "bi", env=env, cwd=tmp_path).returncode == 0
        assert (
            reader.sql("select count(*) from cloudflare_email_security.sync_runs").fetchall()
            == before
        )
    finally:
        reader.close()
    assert query(snapshot, "select count(*) from cloudflare_email_security.sync_runs") == [(2,)]


# Run by another DuckDB: opens the snapshot read-only, reads every row of every table and
# prints its version and each table's row count.
READ_EVERY_TABLE = """
import json, sys, duckdb
con = duckdb.connect(sys.argv[1], read_only=True)
tables = con.execute("select table_schema, table_name from information_schema.tables").fetchall()
counts = {f"{s}.{t}": len(con.execute(f'select * from "{s}"."{t}"').fetchall()) for s, t in tables}
print(json.dumps({"version": duckdb.__version__, "counts": counts}))
"""


@pytest.mark.slow
@pytest.mark.parametrize(
    "requirement",
    [pytest.param(OLD_DUCKDB, id="duckdb-1.1.3"), pytest.param(NEWEST_DUCKDB_1, id="newest-1.x")],
)
def test_the_snapshot_opens_in_the_duckdb_bi_drivers_bundle(
    env: dict[str, str], tmp_path: Path, requirement: str
) -> None:
    assert cli("run", "--publish", "bi", env=env, cwd=tmp_path).returncode == 0
    python = duckdb_python(requirement)
    read = subprocess.run(
        [str(python), "-c", READ_EVERY_TABLE, str(tmp_path / "bi" / "cf_bulk_sync.duckdb")],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert read.returncode == 0, read.stderr
    seen = json.loads(read.stdout)
    assert seen["version"].startswith("1.") and seen["version"] != duckdb.__version__
    if requirement == OLD_DUCKDB:
        assert seen["version"] == "1.1.3"
    warehouse = tmp_path / "w.duckdb"
    tables = query(
        warehouse,
        "select table_schema, table_name from information_schema.tables"
        " where table_schema in ('cloudflare_email_security',"
        " 'cloudflare_email_security_reporting') and table_name not like '\\_dlt%' escape '\\'",
    )
    expected = {
        f"{s}.{t}": query(warehouse, f'select count(*) from "{s}"."{t}"')[0][0] for s, t in tables
    }
    marts = {p.stem for p in (tmp_path / "bi" / "parquet").glob("*.parquet")}
    assert {f"cloudflare_email_security_reporting.{m}" for m in marts} <= set(seen["counts"])
    assert seen["counts"] == expected


def test_publish_refuses_a_warehouse_that_is_not_duckdb(
    env: dict[str, str], tmp_path: Path
) -> None:
    result = cli(
        "run",
        "--destination",
        "postgres",
        "--publish",
        "bi",
        env={**env, "DESTINATION__POSTGRES__CREDENTIALS": "postgresql://u:p@127.0.0.1:1/x"},
        cwd=tmp_path,
    )
    assert result.returncode == 1
    assert "--publish copies a DuckDB warehouse" in result.stderr


def test_a_killed_publishs_temporary_files_are_removed_by_the_next(
    simulator: Simulator, tmp_path: Path
) -> None:
    env = cli_env(simulator, tmp_path)
    dead = _dead_pid()
    (tmp_path / "bi" / "parquet").mkdir(parents=True)
    left = [
        tmp_path / "bi" / f".cf_bulk_sync.duckdb.{dead}.tmp",
        tmp_path / "bi" / "parquet" / f".job_status_counts.{dead}.tmp",
    ]
    for path in left:
        path.write_bytes(b"half a file")
    alive = tmp_path / "bi" / f".cf_bulk_sync.duckdb.{os.getpid()}.tmp"  # a publish running
    alive.write_bytes(b"being written")
    result = cli("run", "--publish", "bi", env=env, cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert [p for p in left if p.exists()] == []
    assert alive.exists()


def _dead_pid() -> int:
    """The pid of a process that has ended."""
    process = subprocess.Popen(["true"])
    process.wait()
    return process.pid
