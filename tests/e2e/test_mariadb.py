"""MariaDB through dlt's `sqlalchemy` destination: a MariaDB server on 127.0.0.1, the sync,
the models and the assertions, with the same marts as DuckDB for the same data. And a
destination whose dialect the models are not checked in: the sync loads, `models` refuses."""

import uuid
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import dlt
import duckdb
import pytest

from cf_bulk_sync.loading.pipeline import make_pipeline
from cf_bulk_sync.models.runner import build_models, load_models, reporting_dataset

from ..support.checkout import ASSERTIONS, MODELS
from ..support.cli import cli, cli_env
from ..support.mariadb_server import running_mariadb
from ..support.marts import canonical, phrasing_messages, sync_simulated
from ..support.warehouse import duckdb_pipeline

pytestmark = [pytest.mark.e2e, pytest.mark.mariadb]

MARTS = [m.name for m in load_models()]


@pytest.fixture(scope="module")
def mariadb_url() -> Iterator[str]:
    yield from running_mariadb()


def mariadb_pipeline(url: str, folder: Path, dataset: str) -> dlt.Pipeline:
    return make_pipeline(
        dlt.destinations.sqlalchemy(credentials=url),
        dataset=dataset,
        pipelines_dir=str(folder / "dlt-maria"),
    )


def comparable(value: Any) -> Any:
    """MariaDB has no boolean type (TINYINT 0/1) and no time zones (DATETIME in UTC)."""
    if isinstance(value, bool):
        return int(value)
    if isinstance(value, datetime) and value.tzinfo is not None:
        return value.astimezone(UTC).replace(tzinfo=None)
    return value


def rows_of(columns: list[str], rows: list[Any]) -> list[tuple]:
    return canonical(columns, [tuple(comparable(v) for v in row) for row in rows])


def read_mariadb(pipeline: dlt.Pipeline, model: str) -> tuple[list[str], list[tuple]]:
    with pipeline.sql_client() as client:
        table = ".".join(
            client.make_qualified_table_name_path(model, dataset_name=reporting_dataset(pipeline))
        )
        with client.execute_query(f"select * from {table}") as cursor:
            return list(cursor.columns_schema), list(cursor.fetchall())


@pytest.mark.slow
def test_marts_hold_the_same_rows_on_mariadb_and_duckdb(mariadb_url: str, tmp_path: Path) -> None:
    dataset = f"cf_{uuid.uuid4().hex[:8]}"
    maria = mariadb_pipeline(mariadb_url, tmp_path, dataset)
    dk = duckdb_pipeline(tmp_path, work="dlt-dk", dataset=dataset)
    sync_simulated(maria, dk)
    maria_build, dk_build = build_models(maria), build_models(dk)
    assert maria_build.built == dk_build.built == MARTS
    assert maria_build.failed_assertions == [] and len(maria_build.assertions) == ASSERTIONS
    with duckdb.connect(str(tmp_path / "w.duckdb"), read_only=True) as con:
        for model in MARTS:
            relation = con.sql(f"select * from {reporting_dataset(dk)}.{model}")
            columns, rows = read_mariadb(maria, model)
            assert columns == relation.columns, model
            in_duckdb = rows_of(relation.columns, relation.fetchall())
            assert rows_of(columns, rows) == in_duckdb, model
            # no item set aside in this world (the ClickHouse and dbt tests seed one)
            assert in_duckdb or model == "stg_bulk_job_messages_rejected", f"{model} is empty"
    _, expected = phrasing_messages()
    columns, rows = read_mariadb(maria, "stg_bulk_job_messages")
    reasons = {r[columns.index("message_id")]: r[columns.index("failure_reason")] for r in rows}
    assert {m: reasons[m] for m in expected} == expected


@pytest.mark.slow
def test_the_command_line_syncs_into_mariadb(mariadb_url: str, tmp_path: Path) -> None:
    from cf_bulk_sync.simulator import Simulator

    from ..support.syncer import small_world

    dataset = f"cf_{uuid.uuid4().hex[:8]}"
    with Simulator(small_world()) as simulator:
        env = cli_env(simulator, tmp_path, DESTINATION__SQLALCHEMY__CREDENTIALS=mariadb_url)
        run = cli("run", "--destination", "sqlalchemy", "--dataset", dataset, env=env, cwd=tmp_path)
    assert run.returncode == 0, run.stdout + run.stderr
    built = (
        f"models: {MODELS} built in dataset {dataset}_reporting; assertions: {ASSERTIONS} passed"
    )
    assert built in run.stdout, run.stdout
    assert run.stderr == "", run.stderr


def test_a_destination_without_a_checked_dialect_loads_but_gets_no_models(
    tmp_path: Path,
) -> None:
    from cf_bulk_sync.simulator import Simulator

    from ..support.syncer import small_world

    url = f"sqlite:///{tmp_path / 'w.sqlite'}"
    with Simulator(small_world()) as simulator:
        env = cli_env(simulator, tmp_path, DESTINATION__SQLALCHEMY__CREDENTIALS=url)
        run = cli("run", "--destination", "sqlalchemy", "--quiet", env=env, cwd=tmp_path)
        models = cli("models", "--destination", "sqlalchemy", env=env, cwd=tmp_path)
    refusal = "the models cannot be built on this destination (SQL dialect sqlite)"
    assert run.returncode != 0 and refusal in run.stderr, run.stdout + run.stderr
    assert "Traceback" not in run.stderr + models.stderr
    assert models.returncode != 0 and refusal in models.stderr, models.stdout + models.stderr
    assert models.stderr.count("\n") == 1, models.stderr
    sqlite = make_pipeline(
        dlt.destinations.sqlalchemy(credentials=url), pipelines_dir=str(tmp_path / "dlt-read")
    )
    with sqlite.sql_client() as client:
        table = client.make_qualified_table_name("bulk_job_messages")
        loaded = client.execute_sql(f"select count(*) from {table}")[0][0]
    assert loaded == len(simulator.world.truth_messages())
