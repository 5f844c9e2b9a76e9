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
