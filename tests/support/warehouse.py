"""DuckDB warehouses of a test's own: the project's pipeline into one, and read-only queries."""

from pathlib import Path
from typing import Any

import dlt
import duckdb

from cf_bulk_sync.loading.pipeline import make_pipeline


def duckdb_pipeline(
    folder: Path, name: str = "w", work: str = "dlt", **options: Any
) -> dlt.Pipeline:
    """The project's pipeline into `folder/<name>.duckdb`, its dlt working folder in
    `folder/<work>`; `options` go to `make_pipeline` (e.g. `dataset`)."""
    return make_pipeline(
        dlt.destinations.duckdb(str(folder / f"{name}.duckdb")),
        pipelines_dir=str(folder / work),
        **options,
    )


def query(database: Path, sql: str) -> list[Any]:
    """The rows of `sql` on `database`, opened read-only, with timestamps in UTC (they print the
    same on every machine)."""
    with duckdb.connect(str(database), read_only=True) as con:
        con.execute("set TimeZone = 'UTC'")
        return con.sql(sql).fetchall()


def columns_containing(database: Path, text: str) -> list[tuple[str, str, str]]:
    """Every (schema, table, column) of text or JSON type whose values contain `text`: DuckDB
    compresses strings on disk, so a search of the file's bytes alone would miss them."""
    with duckdb.connect(str(database), read_only=True) as con:
        columns = con.sql(
            "select table_schema, table_name, column_name from information_schema.columns"
            " where data_type in ('VARCHAR', 'JSON')"
        ).fetchall()
        return [
            (schema, table, column)
            for schema, table, column in columns
            if con.execute(
                f'select count(*) from "{schema}"."{table}" where cast("{column}" as varchar)'
                " like ?",
                [f"%{text}%"],
            ).fetchall()[0][0]
        ]
