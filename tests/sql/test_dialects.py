"""The models in the dialects checked without an engine: the compiled SQL is the checked-in
golden SQL, and none of the traps that made translations wrong is in it. (DuckDB, Postgres,
MariaDB, ClickHouse, Spark/Databricks and Snowflake are executed: tests/e2e/test_postgres.py,
test_mariadb.py, test_clickhouse.py, tests/sql/test_spark.py, test_snowflake_fakesnow.py.)"""

from types import SimpleNamespace

import pytest
import sqlglot
from sqlglot import exp

from cf_bulk_sync.models.dialects import dialect_of
from cf_bulk_sync.models.runner import ModelError

from .golden_sql import DIALECTS, GOLDEN, compiled, pretty

EVERY = (*DIALECTS, "duckdb", "postgres", "mysql", "clickhouse", "databricks", "spark")
CASES = [
    pytest.param(dialect, name, sql, id=f"{dialect}-{name}")
    for dialect in EVERY
    for name, sql in compiled(dialect).items()
]


@pytest.mark.parametrize("dialect", DIALECTS)
def test_compiled_sql_is_the_golden_sql(dialect: str) -> None:
    got = {name: pretty(sql, dialect) for name, sql in compiled(dialect).items()}
    golden = {p.stem: p.read_text() for p in (GOLDEN / dialect).glob("*.sql")}
    assert got.keys() == golden.keys()
    for name in got:
        assert got[name] == golden[name], (
            f"{dialect}/{name}.sql differs: review, then `python -m tests.sql.golden_sql`"
        )


@pytest.mark.parametrize("dialect,name,sql", CASES)
def test_no_regular_expression_is_left(dialect: str, name: str, sql: str) -> None:
    # flags, back-references and whole-string matching differ per dialect (issue 14)
    assert "REGEXP" not in sql.upper() and "RLIKE" not in sql.upper()


@pytest.mark.parametrize("dialect,name,sql", CASES)
def test_decimals_are_rounded_before_the_cast(dialect: str, name: str, sql: str) -> None:
    # ClickHouse truncates, BigQuery's NUMERIC keeps 9 places: only a rounded value is equal
    for cast in sqlglot.parse_one(sql, read=dialect).find_all(exp.Cast):
        if cast.to.is_type(exp.DataType.Type.DECIMAL, exp.DataType.Type.BIGDECIMAL):
            if isinstance(cast.parent, exp.Round):
                continue  # the exact value that is rounded
            assert isinstance(cast.this, exp.Round), cast.sql(dialect)
            assert cast.this.args["decimals"].name == "4", cast.sql(dialect)


@pytest.mark.parametrize("dialect,name,sql", CASES)
def test_every_selected_column_has_its_own_name(dialect: str, name: str, sql: str) -> None:
    # ClickHouse would name `grouped.job_id` so (a `table.*` keeps the names: it is executed)
    for select in sqlglot.parse_one(sql, read=dialect).find_all(exp.Select):
        for projection in select.expressions:
            star = isinstance(projection, exp.Star) or isinstance(projection.this, exp.Star)
            assert star or isinstance(projection, exp.Alias), projection.sql(dialect)


@pytest.mark.parametrize("dialect,name,sql", [c for c in CASES if c.values[0] == "tsql"])
def test_no_boolean_is_selected_as_a_value_in_tsql(dialect: str, name: str, sql: str) -> None:
    for select in sqlglot.parse_one(sql, read=dialect).find_all(exp.Select):
        for projection in select.expressions:
            value = projection.unalias().unnest()
            assert not isinstance(value, exp.Predicate | exp.Connector | exp.Not), value.sql(
                dialect
            )
    assert "CREATE TABLE" not in sql  # T-SQL creates a table from a query with SELECT INTO


@pytest.mark.parametrize("dialect", ["databricks", "spark"])
def test_spark_takes_dates_in_utc_whatever_the_sessions_zone(dialect: str) -> None:
    # sqlglot's FROM_UTC_TIMESTAMP(ts, 'UTC') is a no-op: the date would be the session's
    sql = compiled(dialect)["job_daily_activity"]
    assert "FROM_UTC_TIMESTAMP" not in sql
    assert "TO_UTC_TIMESTAMP(created_at, CURRENT_TIMEZONE())" in sql


def test_clickhouse_keeps_microseconds_in_utc() -> None:
    sql = compiled("clickhouse")["stg_bulk_jobs"]
    assert "DateTime64(6, 'UTC')" in sql and "AS Nullable(DateTime)" not in sql


def client(sqlglot_dialect: str | None, engine: str | None = None) -> SimpleNamespace:
    found = SimpleNamespace(capabilities=SimpleNamespace(sqlglot_dialect=sqlglot_dialect))
    if engine:
        found.dialect_name = engine
    return found


@pytest.mark.parametrize(
    "found,dialect",
    [
        pytest.param(client("duckdb"), "duckdb", id="duckdb"),
        pytest.param(client("postgres"), "postgres", id="postgres"),
        pytest.param(client("bigquery"), "bigquery", id="bigquery"),
        pytest.param(client("databricks"), "databricks", id="databricks"),
        pytest.param(client(None, "mysql"), "mysql", id="sqlalchemy-mysql"),
        pytest.param(client(None, "mariadb"), "mysql", id="sqlalchemy-mariadb"),
    ],
)
def test_the_dialect_of_a_destination(found: SimpleNamespace, dialect: str) -> None:
    assert dialect_of(found) == dialect


@pytest.mark.parametrize(
    "found,named",
    [
        pytest.param(client(None), "no SQL dialect the models know", id="none"),
        pytest.param(client(None, "sqlite"), "SQL dialect sqlite", id="sqlalchemy-sqlite"),
        pytest.param(client(None, "informix"), "no SQL dialect the models know", id="unknown"),
        pytest.param(client("dremio"), "SQL dialect dremio", id="unchecked"),
    ],
)
def test_a_dialect_the_models_are_not_checked_in_is_refused(
    found: SimpleNamespace, named: str
) -> None:
    with pytest.raises(ModelError, match=f"cannot be built on this destination \\({named}\\)"):
        dialect_of(found)
