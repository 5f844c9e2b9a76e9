"""The lake: `--destination filesystem` with Delta tables, on a local folder and on an
S3-compatible server (moto's, on 127.0.0.1). Scheduled runs through the command line, the
simulator's time moving between them: every run exits 0, the marts (Delta tables beside the
raw ones) equal those a DuckDB warehouse builds from the same account, incremental builds equal
a full one, `report` reads them, and Spark reads a mart."""

import re
import socket
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import dlt
import pytest
import requests
from deltalake import DeltaTable

from cf_bulk_sync.errors import ModelError
from cf_bulk_sync.loading.pipeline import make_pipeline
from cf_bulk_sync.models.runner import build_models, load_models
from cf_bulk_sync.simulator import Simulator, World
from cf_bulk_sync.source import settings

from ..support.cli import cli, cli_env
from ..support.marts import canonical
from ..support.warehouse import query

# slow: every command is a process of its own (a run takes about 5 s on an idle machine)
pytestmark = [pytest.mark.e2e]

MARTS = [m.name for m in load_models() if not m.is_view]
DATASET = "cloudflare_email_security"
REPORTING = f"{DATASET}_reporting"
RUNS = 3


def lake_marts(url: str, options: dict[str, str] | None = None) -> dict[str, list[tuple]]:
    """Every mart's rows from its Delta table, in the canonical order (run times left out)."""
    out = {}
    for mart in MARTS:
        table = DeltaTable(f"{url}/{REPORTING}/{mart}", storage_options=options).to_pyarrow_table()
        rows = [tuple(r.values()) for r in table.to_pylist()]
        out[mart] = canonical(table.column_names, rows)
    return out


def duckdb_marts(database: Path) -> dict[str, list[tuple]]:
    out = {}
    for mart in MARTS:
        columns = [r[0] for r in query(database, f"describe {REPORTING}.{mart}")]
        out[mart] = canonical(columns, query(database, f"select * from {REPORTING}.{mart}"))
    return out


@dataclass
class Series:
    lake: str  # the lake's bucket_url
    lake_env: dict[str, str]
    duckdb: Path
    duckdb_env: dict[str, str]
    folder: Path
    outputs: list[str]  # the lake's `run` output, per run


@pytest.fixture(scope="module")
def series(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Series]:
    """Three scheduled runs into a local lake and into DuckDB, the account moving (progress,
    new jobs, deletions) between them."""
    folder = tmp_path_factory.mktemp("lake")
    lake = (folder / "bucket").as_uri()
    outputs = []
    with Simulator(World(seed=11, jobs=8, messages=(0, 100))) as sim:
        (folder / "l").mkdir()
        (folder / "d").mkdir()
        lake_env = cli_env(sim, folder / "l", DESTINATION__FILESYSTEM__BUCKET_URL=lake)
        duckdb_env = cli_env(sim, folder / "d")
        for _ in range(RUNS):
            ran = cli("run", "--destination", "filesystem", env=lake_env, cwd=folder)
            assert ran.returncode == 0, ran.stdout + ran.stderr
            outputs.append(ran.stdout)
            ran = cli("run", env=duckdb_env, cwd=folder)
            assert ran.returncode == 0, ran.stdout + ran.stderr
            sim.advance(steps=2, create=1, delete=1)
        yield Series(lake, lake_env, folder / "d" / "w.duckdb", duckdb_env, folder, outputs)


@pytest.mark.slow
def test_scheduled_runs_into_a_lake_build_the_marts_duckdb_builds(series: Series) -> None:
    assert "marts: full rebuild (no earlier build recorded)" in series.outputs[0]
    for output in series.outputs[1:]:
        assert "marts: incremental," in output, output
    # the change check reads the lake's row hashes: messages fetched again as stored are skipped
    assert re.search(r"; [1-9]\d* unchanged, not written again", series.outputs[-1])
    lake = lake_marts(series.lake)
    assert lake == duckdb_marts(series.duckdb)
    assert all(lake[m] for m in MARTS if m != "job_progress"), "a mart is empty"
    # the raw tables are Delta tables too, merged: one row per job, as in DuckDB
    jobs = DeltaTable(f"{series.lake}/{DATASET}/{settings.JOBS_TABLE}").to_pyarrow_table()
    count = query(series.duckdb, f"select count(*) from {DATASET}.{settings.JOBS_TABLE}")
    assert jobs.num_rows == count[0][0] == len(set(jobs.column("job_id").to_pylist()))


@pytest.mark.slow
def test_incremental_lake_marts_equal_a_full_rebuild(series: Series) -> None:
    incremental = lake_marts(series.lake)
    full = cli(
        "models", "--full", "--destination", "filesystem", env=series.lake_env, cwd=series.folder
    )
    assert full.returncode == 0, full.stderr
    assert "marts: full rebuild (asked for (--full))" in full.stdout
    assert lake_marts(series.lake) == incremental


@pytest.mark.slow
def test_report_reads_the_marts_from_the_lake(series: Series) -> None:
    args = ("report", "--top", "5")
    lake = cli(*args, "--destination", "filesystem", env=series.lake_env, cwd=series.folder)
    assert lake.returncode == 0, lake.stderr
    duck = cli(*args, env=series.duckdb_env, cwd=series.folder)
    assert duck.returncode == 0, duck.stderr
    assert "Messages per job and status" in lake.stdout
    assert lake.stdout == duck.stdout
    page = series.folder / "lake.html"
    shown = cli(
        "dashboard", "--destination", "filesystem", "--out", str(page),
        env=series.lake_env, cwd=series.folder,
    )  # fmt: skip
    assert shown.returncode == 0, shown.stderr
    assert page.stat().st_size > 10_000


@pytest.mark.slow
def test_check_reads_the_last_run_from_the_lake(series: Series) -> None:
    checked = cli("check", "--destination", "filesystem", env=series.lake_env, cwd=series.folder)
    assert checked.returncode == 0, checked.stdout + checked.stderr
    assert re.search(r"ok +last run: \S+, status ok, exit code 0", checked.stdout), checked.stdout


@pytest.mark.slow
def test_spark_reads_a_mart_of_the_lake(series: Series) -> None:
    """Without delta-spark (its jars come from Maven, which cannot be reached here): Spark reads
    the Parquet files of the Delta table's current version, as `deltalake` lists them."""
    from pyspark.sql import SparkSession

    table = DeltaTable(f"{series.lake}/{REPORTING}/job_status_counts")
    spark = (
        SparkSession.builder.master("local[1]")
        .config("spark.ui.enabled", "false")
        .config("spark.sql.session.timeZone", "UTC")
        .getOrCreate()
    )
    try:
        frame = spark.read.parquet(*table.file_uris())
        rows = [r.asDict() for r in frame.collect()]
    finally:
        spark.stop()
    expected = table.to_pyarrow_table().to_pylist()
    key = "job_id"
    assert len(rows) == len(expected) > 0
    assert sorted(r[key] for r in rows) == sorted(r[key] for r in expected)
    by_job = {r[key]: r for r in expected}
    for row in rows:
        counts = {c: v for c, v in row.items() if c.startswith("count_")}
        assert counts and counts == {c: by_job[row[key]][c] for c in counts}


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture
def s3_server() -> Iterator[str]:
    """moto's S3 server on 127.0.0.1, with a bucket: its endpoint."""
    from moto.server import ThreadedMotoServer

    port = free_port()
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=port, verbose=False)
    server.start()
    try:
        endpoint = f"http://127.0.0.1:{port}"
        assert requests.put(f"{endpoint}/lake", timeout=10).status_code == 200
        yield endpoint
    finally:
        server.stop()


@pytest.mark.slow
def test_a_run_into_an_s3_compatible_lake_builds_readable_marts(
    s3_server: str, simulator: Simulator, tmp_path: Path
) -> None:
    secret = "fake-secret-key-0123456789"
    keys = dict(
        DESTINATION__FILESYSTEM__BUCKET_URL="s3://lake/cf",
        DESTINATION__FILESYSTEM__CREDENTIALS__AWS_ACCESS_KEY_ID="fake-key-id",
        DESTINATION__FILESYSTEM__CREDENTIALS__AWS_SECRET_ACCESS_KEY=secret,
        DESTINATION__FILESYSTEM__CREDENTIALS__ENDPOINT_URL=s3_server,
        DESTINATION__FILESYSTEM__CREDENTIALS__REGION_NAME="us-east-1",
    )
    env = cli_env(simulator, tmp_path, **keys)
    ran = cli("run", "--destination", "filesystem", env=env, cwd=tmp_path)
    assert ran.returncode == 0, ran.stdout + ran.stderr
    assert "models: 12 built" in ran.stdout
    report = cli("report", "--destination", "filesystem", env=env, cwd=tmp_path)
    assert report.returncode == 0, report.stderr
    for shown in (ran, report):
        assert secret not in shown.stdout + shown.stderr
    options = dict(
        aws_access_key_id="fake-key-id",
        aws_secret_access_key=secret,
        endpoint_url=s3_server,
        region="us-east-1",
        aws_allow_http="true",
    )
    marts = lake_marts("s3://lake/cf", options)
    statuses = marts["job_status_counts"]
    assert len(statuses) == len(simulator.world.jobs)
    for job_id in simulator.world.jobs:
        assert job_id[:8] in report.stdout


def test_models_on_plain_files_are_refused_in_one_line(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """dlt's filesystem destination without a table format writes JSONL, which cannot be
    merged: the models say so and how to fix it (not `'NoneType' object has no attribute`)."""
    bucket = (tmp_path / "plain").as_uri()
    plain = make_pipeline(dlt.destinations.filesystem(bucket_url=bucket))
    with pytest.raises(ModelError, match="plain files.*table_format delta"):
        build_models(plain)
    # a lake holding plain files from before: the tables are named
    plain.run(
        dlt.resource([{"job_id": "j1"}], name=settings.JOBS_TABLE, primary_key="job_id")
    ).raise_on_failed_jobs()
    monkeypatch.setenv("DESTINATION__FILESYSTEM__BUCKET_URL", bucket)
    lake = make_pipeline("filesystem", pipelines_dir=str(tmp_path / "other"))
    with pytest.raises(ModelError, match=f"{settings.JOBS_TABLE} in the lake are not Delta"):
        build_models(lake)
