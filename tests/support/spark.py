"""Apache Spark in local mode (pyspark from PyPI, a Java runtime from Debian): the raw tables of a
DuckDB warehouse copied in through Parquet, and the models' Spark/Databricks SQL run on them as
`cf-bulk-sync compile` writes it."""

import shutil
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import duckdb
from pyspark.sql import SparkSession

from cf_bulk_sync.models.compile import CompiledModel
from cf_bulk_sync.models.runner import RAW_TABLES

# not UTC, and on the other side of midnight from it for most of the day: a date taken in the
# session's zone instead of UTC shows in the daily marts
SESSION_ZONE = "America/Los_Angeles"


def spark_session(folder: Path) -> SparkSession:
    """One small local session: one core, one shuffle partition, no UI; tables in `folder`."""
    java = shutil.which("java")
    if not java:
        raise RuntimeError(
            "no `java` on PATH: Spark needs a Java 17+ runtime (.ci/run installs it)"
        )
    spark = (
        SparkSession.builder.master("local[1]")
        .appName("cf-bulk-sync-tests")
        .config("spark.sql.shuffle.partitions", "1")
        .config("spark.default.parallelism", "1")
        .config("spark.ui.enabled", "false")
        .config("spark.ui.showConsoleProgress", "false")
        .config("spark.sql.session.timeZone", SESSION_ZONE)
        .config("spark.sql.warehouse.dir", str(folder / "spark-warehouse"))
        # no Hive metastore (Derby files, seconds to start): the catalog lives in the session
        .config("spark.sql.catalogImplementation", "in-memory")
        .config("spark.driver.memory", "1g")
        .getOrCreate()
    )
    spark.sparkContext.setLogLevel("OFF")
    return spark


def copy_raw(spark: SparkSession, database: Path, raw_dataset: str, folder: Path) -> set[str]:
    """Copies every raw table the models read from the DuckDB file `database` into the Spark
    database of the same name, through Parquet files in `folder` (JSON columns as strings, as
    dlt's Databricks destination stores them); the names of those found. (Parquet, not
    `createDataFrame`: it keeps the rows out of Python and is several times faster.)"""
    spark.sql(f"CREATE DATABASE IF NOT EXISTS {raw_dataset}")
    present = set()
    with duckdb.connect(str(database), read_only=True) as con:
        columns = con.execute(
            "select table_name, column_name, data_type from information_schema.columns"
            " where table_schema = ? order by table_name, ordinal_position",
            [raw_dataset],
        ).fetchall()
        tables: dict[str, list[str]] = {}
        for table, column, data_type in columns:
            text = f'cast("{column}" as varchar)' if data_type == "JSON" else f'"{column}"'
            tables.setdefault(table, []).append(f'{text} as "{column}"')
        for table in sorted(tables.keys() & RAW_TABLES.keys()):
            parquet = folder / f"{table}.parquet"
            select = f"select {', '.join(tables[table])} from {raw_dataset}.{table}"
            con.execute(f"copy ({select}) to '{parquet}' (format parquet)")
            spark.sql(f"DROP TABLE IF EXISTS {raw_dataset}.{table}")
            spark.sql(f"CREATE TABLE {raw_dataset}.{table} USING parquet LOCATION '{parquet}'")
            present.add(table)
    return present


def build(spark: SparkSession, models: list[CompiledModel], reporting: str) -> list[str]:
    """Runs each compiled model's statement in order, as a full build does; their names."""
    spark.sql(f"CREATE DATABASE IF NOT EXISTS {reporting}")
    for model in models:
        spark.sql(f"DROP {model.kind.upper()} IF EXISTS {reporting}.{model.name}")
        spark.sql(model.sql)
    return [m.name for m in models]


def rows(spark: SparkSession, relation: str) -> tuple[list[str], list[tuple[Any, ...]]]:
    """A relation's columns and rows, timestamps as instants in UTC (Arrow keeps the zone)."""
    table = spark.sql(f"SELECT * FROM {relation}").toArrow()
    return table.column_names, [tuple(_utc(v) for v in r.values()) for r in table.to_pylist()]


def _utc(value: Any) -> Any:
    if isinstance(value, datetime) and value.tzinfo is not None:
        return value.astimezone(UTC)
    return value
