"""Which SQL dialect the models are written in for a destination, and the rewrites that make
one model mean the same in every dialect the runner supports.

The models are written once, in DuckDB's SQL. sqlglot translates them, but a translation can
be valid and still mean something else; the rewrites here close the gaps found by executing
and reading the translations (tests/sql/test_dialects.py, tests/sql/golden/):
- every selected column gets an explicit alias (ClickHouse names `grouped.job_id` so);
- a decimal cast rounds first, as a decimal (ClickHouse truncates; BigQuery's NUMERIC keeps 9
  places);
- a boolean selected as a value is a `BIT` 0/1 where the dialect has no boolean values
  (T-SQL), and cast to `Bool` in ClickHouse (which returns 0/1 integers otherwise);
- ClickHouse timestamps keep microseconds and UTC (`DateTime64(6, 'UTC')`);
- MySQL/MariaDB and ClickHouse have no `AT TIME ZONE`: their timestamps are already UTC (dlt
  writes them so; ClickHouse's are cast to UTC above).
- Spark and Databricks have no `AT TIME ZONE` either, and sqlglot's `FROM_UTC_TIMESTAMP(ts,
  'UTC')` changes nothing: a Spark timestamp is an instant shown in the session's time zone, so
  its date would be the session's. `TO_UTC_TIMESTAMP(ts, CURRENT_TIMEZONE())` shows it in UTC,
  whatever the session's zone (tests/sql/test_spark.py runs in a zone that is not UTC).
A dialect not in `SUPPORTED` is refused with a `ModelError`: never DuckDB SQL sent to it.
"""

from typing import Any

from sqlglot import exp

from ..errors import ModelError

# Executed in CI (duckdb, postgres, mysql, clickhouse, spark and databricks on Apache Spark,
# snowflake in fakesnow) or compiled and checked against golden SQL (the others): see
# docs/dialects.md.
SUPPORTED = (
    "duckdb",
    "postgres",
    "mysql",
    "clickhouse",
    "snowflake",
    "bigquery",
    "redshift",
    "trino",
    "athena",
    "tsql",
    "databricks",
    "spark",
)
# dlt's sqlalchemy destination may report no sqlglot dialect: its engine's name says it
_ENGINE_DIALECTS = {
    "mysql": "mysql",
    "mariadb": "mysql",
    "sqlite": "sqlite",
    "postgresql": "postgres",
    "mssql": "tsql",
    "trino": "trino",
    "duckdb": "duckdb",
}
_NO_BOOLEAN_VALUES = ("tsql",)
# timestamps stored in UTC, and no `AT TIME ZONE` to say it
_UTC_TIMESTAMPS = ("mysql", "clickhouse")
# timestamps are instants shown in the session's time zone
_SESSION_ZONE_TIMESTAMPS = ("spark", "databricks")
_BOOLEAN_EXPRESSIONS = (exp.Predicate, exp.Connector, exp.Not, exp.Boolean)


def dialect_of(client: Any) -> str:
    """The sqlglot dialect of the destination `client` (a dlt SQL client) talks to; a
    `ModelError` naming the destination when the models cannot be written in it."""
    dialect = client.capabilities.sqlglot_dialect
    if not dialect:
        engine = getattr(client, "dialect_name", None)  # the sqlalchemy destination's
        dialect = _ENGINE_DIALECTS.get(str(engine)) if engine else None
    if dialect not in SUPPORTED:
        what = f"SQL dialect {dialect}" if dialect else "no SQL dialect the models know"
        raise ModelError(
            f"the models cannot be built on this destination ({what}): they are checked only"
            f" for {', '.join(SUPPORTED)}; the loaded data is not affected"
        )
    return str(dialect)


def portable(tree: exp.Expression, dialect: str, copy: bool = True) -> exp.Expression:
    """`tree` rewritten so that its translation to `dialect` means what it means in DuckDB
    (`tree` itself, when not `copy`)."""
    tree = tree.copy() if copy else tree
    for select in list(tree.find_all(exp.Select)):
        _alias_columns(select)
        _boolean_values(select, dialect)
    for cast in list(tree.find_all(exp.Cast)):
        _round_before_decimal(cast)
        if dialect == "clickhouse":
            _clickhouse_timestamp(cast)
    if dialect in _UTC_TIMESTAMPS:
        for at_zone in list(tree.find_all(exp.AtTimeZone)):
            at_zone.replace(at_zone.this)
    if dialect in _SESSION_ZONE_TIMESTAMPS:
        for at_zone in list(tree.find_all(exp.AtTimeZone)):
            _spark_utc(at_zone)
    return tree


def create_table_sql(target: str, select: exp.Expression, dialect: str) -> str:
    """The statement that creates table `target` (qualified, quoted) from `select`: T-SQL's
    `SELECT ... INTO`; ClickHouse's needs an engine."""
    create = exp.Create(
        this=exp.to_table(target, dialect=dialect),
        kind="TABLE",
        expression=select,
    )
    if dialect == "clickhouse":
        create.set(
            "properties",
            exp.Properties(
                expressions=[
                    exp.EngineProperty(this=exp.var("MergeTree")),
                    exp.Order(expressions=[exp.Ordered(this=exp.Anonymous(this="tuple"))]),
                ]
            ),
        )
    return create.sql(dialect=dialect)


def _alias_columns(select: exp.Select) -> None:
    for i, projection in enumerate(select.expressions):
        if isinstance(projection, exp.Column) and not isinstance(projection.this, exp.Star):
            select.expressions[i] = exp.alias_(projection, projection.name)
            select.expressions[i].parent = select


def _boolean_values(select: exp.Select, dialect: str) -> None:
    if dialect not in _NO_BOOLEAN_VALUES and dialect != "clickhouse":
        return
    for projection in select.expressions:
        if not isinstance(projection, exp.Alias):
            continue
        value = projection.this.unnest()
        if not isinstance(value, _BOOLEAN_EXPRESSIONS):
            continue
        if dialect == "clickhouse":
            rewritten: exp.Expression = exp.cast(value.copy(), "BOOLEAN")
        else:  # a 0/1 BIT, documented in sql/README.md
            rewritten = exp.cast(
                exp.Case(ifs=[exp.If(this=value.copy(), true=exp.Literal.number(1))]).else_(
                    exp.Literal.number(0)
                ),
                exp.DataType.build("BIT", dialect="tsql"),
            )
        projection.set("this", rewritten)


def _round_before_decimal(cast: exp.Cast) -> None:
    to = cast.to
    if to.this != exp.DataType.Type.DECIMAL or len(to.expressions) != 2:
        return
    inner = cast.this
    if isinstance(inner, exp.Round):
        return
    # rounded as a decimal: Postgres has no round(double, int), and ClickHouse rounds a float's
    # ties to even; 9 places is BigQuery NUMERIC's most, far finer than the 4 kept
    exact = exp.cast(inner.copy(), exp.DataType.build("DECIMAL(38, 9)"))
    scale = to.expressions[1].this
    cast.set("this", exp.Round(this=exact, decimals=exp.Literal.number(scale.this)))


def _spark_utc(at_zone: exp.AtTimeZone) -> None:
    zone = at_zone.args.get("zone")
    if not (isinstance(zone, exp.Literal) and zone.name.upper() == "UTC"):
        raise ModelError(f"{at_zone.sql()}: only AT TIME ZONE 'UTC' is translated to Spark")
    in_utc = exp.Anonymous(
        this="TO_UTC_TIMESTAMP",
        expressions=[at_zone.this.copy(), exp.Anonymous(this="CURRENT_TIMEZONE")],
    )
    at_zone.replace(in_utc)


def _clickhouse_timestamp(cast: exp.Cast) -> None:
    if cast.to.this == exp.DataType.Type.TIMESTAMPTZ:
        cast.set("to", exp.DataType.build("Nullable(DateTime64(6, 'UTC'))", dialect="clickhouse"))


def create_view_sql(target: str, select: exp.Expression, dialect: str) -> str:
    """The statement that creates view `target` (qualified, quoted) from `select`: staging
    models are views, so that no raw row is copied."""
    create = exp.Create(this=exp.to_table(target, dialect=dialect), kind="VIEW", expression=select)
    return create.sql(dialect=dialect)
