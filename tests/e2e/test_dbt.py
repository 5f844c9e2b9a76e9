"""The generated dbt package, built by dbt itself on a synced warehouse (dbt-duckdb and
dbt-postgres): `dbt build` passes, and every mart equals the built-in runner's row for row."""

import re
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import dlt
import duckdb
import psycopg2
import pytest

from cf_bulk_sync.loading.pipeline import make_pipeline
from cf_bulk_sync.models.runner import build_models, load_models, reporting_dataset

from ..support.cli import cli, environment
from ..support.dbt import dbt, dbt_project
from ..support.marts import canonical, seed_rejected, sync_simulated
from ..support.postgres_server import running_postgres
from ..support.warehouse import duckdb_pipeline

pytestmark = [pytest.mark.e2e, pytest.mark.slow]

MODELS = [m.name for m in load_models()]
ASSERTIONS = len(list(Path(load_models()[0].path).parents[1].glob("assertions/*.sql")))
DBT_SCHEMA = "dbt_marts"


@pytest.fixture(scope="module")
def postgres_url() -> Iterator[str]:
    yield from running_postgres()


def package(folder: Path) -> Path:
    """The package as a user writes it: the installed command."""
    written = cli("dbt-package", str(folder / "pkg"), env=environment(), cwd=folder)
    assert written.returncode == 0, written.stdout + written.stderr
    assert written.stdout.startswith("dbt package: "), written.stdout
    return folder / "pkg"


def build_with_dbt(folder: Path, raw_schema: str, target: dict[str, Any]) -> str:
    project = dbt_project(folder / "project", package(folder), raw_schema, target)
    deps = dbt(project, "deps")
    assert deps.returncode == 0, deps.stdout + deps.stderr
    built = dbt(project, "build")
    assert built.returncode == 0, built.stdout + built.stderr
    models, tests = len(MODELS), ASSERTIONS
    assert f"Done. PASS={models + tests} WARN=0 ERROR=0 SKIP=0" in built.stdout, built.stdout
    assert re.search(rf"Finished running {models} table models, {tests} data tests", built.stdout)
    return built.stdout


def test_dbt_build_on_duckdb_gives_the_runners_marts(tmp_path: Path) -> None:
    pipeline = duckdb_pipeline(tmp_path, work="dlt-dk")
    sync_simulated(pipeline)
    seed_rejected(pipeline)  # so that no model is empty
    assert build_models(pipeline).blocking_failures == []
    database = tmp_path / "w.duckdb"
    target = {"type": "duckdb", "path": str(database), "schema": DBT_SCHEMA, "threads": 1}
    build_with_dbt(tmp_path, pipeline.dataset_name, target)
    with duckdb.connect(str(database), read_only=True) as con:
        for model in MODELS:
            ours = con.sql(f"select * from {reporting_dataset(pipeline)}.{model}")
            theirs = con.sql(f"select * from {DBT_SCHEMA}.{model}")
            assert theirs.columns == ours.columns, model
            expected = canonical(ours.columns, ours.fetchall(), keep_run_time=True)
            assert canonical(theirs.columns, theirs.fetchall(), keep_run_time=True) == expected
            assert expected, f"{model} is empty"


@pytest.mark.postgres
def test_dbt_build_on_postgres_gives_the_runners_marts(postgres_url: str, tmp_path: Path) -> None:
    dataset = f"cf_{uuid.uuid4().hex[:8]}"
    pipeline = make_pipeline(
        dlt.destinations.postgres(credentials=postgres_url),
        dataset=dataset,
        pipelines_dir=str(tmp_path / "dlt-pg"),
    )
    sync_simulated(pipeline)
    seed_rejected(pipeline)  # so that no model is empty
    assert build_models(pipeline).blocking_failures == []
    port = int(postgres_url.rsplit(":", 1)[1].split("/")[0])
    target = {
        "type": "postgres",
        "host": "127.0.0.1",
        "port": port,
        "user": "postgres",
        "password": "unused",
        "dbname": "postgres",
        "schema": DBT_SCHEMA,
        "threads": 1,
    }
    build_with_dbt(tmp_path, dataset, target)
    with psycopg2.connect(postgres_url.replace(":unused@", "@")) as con, con.cursor() as cur:
        for model in MODELS:
            rows = {}
            for schema in (reporting_dataset(pipeline), DBT_SCHEMA):
                cur.execute(f'select * from "{schema}"."{model}"')
                columns = [d[0] for d in cur.description]
                rows[schema] = (columns, canonical(columns, cur.fetchall(), keep_run_time=True))
            assert rows[DBT_SCHEMA] == rows[reporting_dataset(pipeline)], model
            assert rows[DBT_SCHEMA][1], f"{model} is empty"


def test_dbt_build_passes_before_the_optional_tables_have_data(tmp_path: Path) -> None:
    from ..sql.conftest import Warehouse, job

    warehouse = Warehouse(tmp_path)
    warehouse.seed("bulk_jobs", [job("j1")])  # no messages, deletions, snapshots, reasons yet
    target = {"type": "duckdb", "path": str(warehouse.database), "schema": DBT_SCHEMA}
    build_with_dbt(tmp_path, warehouse.pipeline.dataset_name, target)
    assert warehouse.query(
        f"select job_id, count_messages from {DBT_SCHEMA}.job_status_counts"
    ) == [("j1", 0)]
    assert warehouse.query(f"select count(*) from {DBT_SCHEMA}.job_progress") == [(0,)]
