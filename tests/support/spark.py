"""Apache Spark in local mode (pyspark from PyPI, a Java runtime from Debian): the raw tables of a
DuckDB warehouse copied in through Parquet, and the models' Spark/Databricks SQL run on them as
`cf-bulk-sync compile` writes it."""

import re
import shutil
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import duckdb
from pyspark.sql import SparkSession

from cf_bulk_sync.models.compile import CompiledModel
from cf_bulk_sync.models.runner import RAW_TABLES

# not UTC, and on the other side of midnight from it for most of the day: a date taken in the
# session's zone instead of UTC shows in the daily marts
SESSION_ZONE = "America/Los_Angeles"
# Spark's built-in catalog (Databricks': Unity Catalog's, named in dlt's credentials)
CATALOG = "spark_catalog"


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
        # short-lived and small: the JVM's quick compiler only, and one GC thread (about twice
        # as fast here as the defaults, which optimise for long runs)
        .config("spark.driver.extraJavaOptions", "-XX:TieredStopAtLevel=1 -XX:+UseSerialGC")
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
        # and dlt's record of loads, which the runner reads (what a build covers)
        for table in sorted(tables.keys() & {*RAW_TABLES, "_dlt_loads"}):
            # Spark skips files whose names start with `_`
            parquet = folder / f"raw-{table}.parquet"
            select = f"select {', '.join(tables[table])} from {raw_dataset}.{table}"
            con.execute(f"copy ({select}) to '{parquet}' (format parquet)")
            spark.sql(f"DROP TABLE IF EXISTS {raw_dataset}.{table}")
            spark.sql(f"CREATE TABLE {raw_dataset}.{table} USING parquet LOCATION '{parquet}'")
            present.add(table)
    return present - {"_dlt_loads"}


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


class SparkSqlClient:
    """What the runner uses of a dlt SQL client (dlt's Databricks client has the same methods),
    over a local Spark session: `build_models` runs its Databricks SQL here as it would through
    `--destination databricks`. Databricks has no transactions (dlt's client yields without
    one); neither has this.

    One difference, said where it is made: Spark without Delta Lake (its jars come from Maven,
    out of reach here) cannot DELETE from a table, so the build record's whole-table
    `delete from t` runs as `TRUNCATE TABLE t`; a Databricks table is Delta and takes it."""

    capabilities = type("Capabilities", (), {"sqlglot_dialect": "databricks"})()

    def __init__(self, spark: SparkSession, dataset: str) -> None:
        self.spark, self.dataset_name = spark, dataset
        self.executed: list[str] = []

    def make_qualified_table_name_path(
        self, table: str | None, dataset_name: str | None = None
    ) -> list[str]:
        # catalog first, as dlt's Databricks client names tables (its `credentials.catalog`)
        path = [CATALOG, dataset_name or self.dataset_name, *([table] if table else [])]
        return [f"`{part}`" for part in path]

    def make_qualified_table_name(self, table: str) -> str:
        return ".".join(self.make_qualified_table_name_path(table))

    def execute_sql(self, sql: str) -> None:
        self.executed.append(sql)
        whole_table = re.fullmatch(r"\s*delete\s+from\s+(\S+)\s*", sql, re.IGNORECASE)
        self.spark.sql(f"TRUNCATE TABLE {whole_table.group(1)}" if whole_table else sql)

    @contextmanager
    def execute_query(self, sql: str) -> Iterator["_Cursor"]:
        self.executed.append(sql)
        yield _Cursor(self.spark.sql(sql))

    @contextmanager
    def begin_transaction(self) -> Iterator["SparkSqlClient"]:
        yield self

    @contextmanager
    def with_alternative_dataset_name(self, dataset: str) -> Iterator["SparkSqlClient"]:
        default, self.dataset_name = self.dataset_name, dataset
        try:
            yield self
        finally:
            self.dataset_name = default

    def has_dataset(self) -> bool:
        return bool(self.spark.catalog.databaseExists(self.dataset_name))

    def create_dataset(self) -> None:
        self.spark.sql(f"CREATE DATABASE `{self.dataset_name}`")


class _Cursor:
    def __init__(self, frame: Any) -> None:
        self.columns_schema = {name: {"name": name} for name in frame.columns}
        self._rows = [tuple(row) for row in frame.collect()]

    def fetchall(self) -> list[tuple[Any, ...]]:
        return self._rows

    def fetchone(self) -> tuple[Any, ...] | None:
        return self._rows[0] if self._rows else None


class SparkPipeline:
    """What `build_models` uses of a dlt pipeline, over `SparkSqlClient`: the raw dataset, a
    working folder (the runner keeps its compiled statements there) and a destination client."""

    def __init__(self, spark: SparkSession, dataset: str, working_dir: Path) -> None:
        self.dataset_name, self.working_dir = dataset, str(working_dir)
        self.sql = SparkSqlClient(spark, dataset)
        # what the runner asks of the destination (is it a lake?): dlt's Databricks one
        self.destination = SimpleNamespace(
            destination_type="dlt.destinations.databricks", destination_name="databricks"
        )

    @contextmanager
    def destination_client(self) -> Iterator["SparkPipeline"]:
        yield self

    @property
    def sql_client(self) -> SparkSqlClient:  # the job client's
        return self.sql

    def get_storage_tables(self, names: Any) -> Iterator[tuple[str, dict[str, Any]]]:
        for name in names:
            if self.sql.spark.catalog.tableExists(f"{self.dataset_name}.{name}"):
                columns = self.sql.spark.catalog.listColumns(f"{self.dataset_name}.{name}")
                yield name, {c.name: {"name": c.name} for c in columns}
            else:
                yield name, {}
