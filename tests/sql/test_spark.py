"""Spark SQL and Databricks executed on Apache Spark in local mode, over the raw tables of a
synced DuckDB warehouse: the Spark SQL `cf-bulk-sync compile` writes, and the runner itself
building the models and running the assertions in Databricks SQL through the methods of dlt's
SQL client (what `models --destination databricks` does, dlt's connection aside), give DuckDB's
marts row for row. The session's time zone is not UTC, as a Databricks cluster's may not be."""

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from pyspark.sql import SparkSession

from cf_bulk_sync.models.compile import compile_models
from cf_bulk_sync.models.runner import (
    build_models,
    describe_failure,
    load_models,
    reporting_dataset,
)
from cf_bulk_sync.models.sql_files import assertion_files, sql_root

from ..support import spark as spark_support
from ..support.marts import canonical, duckdb_marts, phrasing_messages, synced_duckdb

pytestmark = [pytest.mark.slow]

MODELS = [m.name for m in load_models()]


class Synced:
    def __init__(self, database: Path, raw: str, reporting: str, present: set[str]) -> None:
        self.database, self.raw, self.reporting, self.present = database, raw, reporting, present


@pytest.fixture(scope="module")
def spark(tmp_path_factory: pytest.TempPathFactory) -> Iterator[SparkSession]:
    session = spark_support.spark_session(tmp_path_factory.mktemp("spark"))
    try:
        yield session
    finally:
        session.stop()


@pytest.fixture(scope="module")
def synced(tmp_path_factory: pytest.TempPathFactory, spark: SparkSession) -> Synced:
    """The simulated account synced into DuckDB, its models built there, its raw tables copied
    into Spark."""
    folder = tmp_path_factory.mktemp("duckdb")
    pipeline = synced_duckdb(folder)
    database = folder / "w.duckdb"
    present = spark_support.copy_raw(spark, database, pipeline.dataset_name, folder)
    return Synced(database, pipeline.dataset_name, reporting_dataset(pipeline), present)


def comparable(rows: list[tuple[Any, ...]]) -> list[tuple[Any, ...]]:
    # no mart has a float column today; one would be compared to 9 places
    return [tuple(round(v, 9) if isinstance(v, float) else v for v in row) for row in rows]


def assert_marts_equal_duckdbs(spark: SparkSession, synced: Synced) -> None:
    for model, (columns, rows) in duckdb_marts(synced.database, synced.reporting, MODELS).items():
        in_duckdb = canonical(columns, rows, keep_run_time=True)
        got_columns, got_rows = spark_support.rows(spark, f"{synced.reporting}.{model}")
        assert got_columns == columns, model
        in_spark = canonical(got_columns, got_rows, keep_run_time=True)
        assert comparable(in_spark) == comparable(in_duckdb), model
        assert in_duckdb, f"{model} is empty"
    _, expected = phrasing_messages()
    columns, rows = spark_support.rows(spark, f"{synced.reporting}.stg_bulk_job_messages")
    reasons = {r[columns.index("message_id")]: r[columns.index("failure_reason")] for r in rows}
    assert {m: reasons[m] for m in expected} == expected


def test_compiled_spark_sql_gives_duckdbs_marts(spark: SparkSession, synced: Synced) -> None:
    compiled = compile_models("spark", synced.raw, present=synced.present)
    assert spark_support.build(spark, compiled, synced.reporting) == MODELS
    assert_marts_equal_duckdbs(spark, synced)


def test_the_runner_builds_and_checks_databricks_sql_on_spark(
    spark: SparkSession, synced: Synced, tmp_path: Path
) -> None:
    # what `models --destination databricks` runs, through dlt's SQL client's methods
    pipeline = spark_support.SparkPipeline(spark, synced.raw, tmp_path)
    result = build_models(pipeline)
    assert result.built == MODELS
    assert (result.full, result.reason) == (
        True,
        "incremental builds run on duckdb, postgres, not databricks",
    )
    assert [a.name for a in result.assertions] == [p.stem for p in assertion_files(sql_root())]
    assert result.blocking_failures == [], [describe_failure(a) for a in result.blocking_failures]
    # names in three parts, catalog first, as dlt's Databricks client makes them
    created = f"CREATE TABLE `{spark_support.CATALOG}`.`{synced.reporting}`.`job_status_counts`"
    assert any(sql.startswith(created) for sql in pipeline.sql.executed)
    assert_marts_equal_duckdbs(spark, synced)
    record = spark_support.rows(spark, f"{synced.reporting}._model_builds")[1]
    assert sorted(r[0] for r in record) == sorted(MODELS)
