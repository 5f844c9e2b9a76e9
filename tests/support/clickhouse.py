"""The models in ClickHouse's SQL, executed in chdb (ClickHouse's engine in-process) over the
raw tables of a DuckDB warehouse, copied through Parquet: compiled exactly as the runner
compiles them for a ClickHouse destination."""

from pathlib import Path
from typing import Any

import duckdb
from chdb import session

from cf_bulk_sync.models.dialects import create_table_sql
from cf_bulk_sync.models.runner import RAW_TABLES, compile_query, load_models

DIALECT = "clickhouse"
REPORTING = "reporting"


class ChdbWarehouse:
    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self.session = session.Session(str(folder / "chdb"))
        # ClickHouse fills the unmatched side of a LEFT JOIN with defaults, not NULLs
        self.session.query("SET join_use_nulls = 1")

    def copy_raw(self, database: Path, raw_dataset: str) -> set[str]:
        """Copies every raw table the models read from `database`; the names of those found."""
        present = set()
        self.session.query("CREATE DATABASE IF NOT EXISTS raw")
        with duckdb.connect(str(database), read_only=True) as con:
            tables = {
                r[0]
                for r in con.execute(
                    "select table_name from information_schema.tables where table_schema = ?",
                    [raw_dataset],
                ).fetchall()
            }
            for table in sorted(tables & RAW_TABLES.keys()):
                parquet = self.folder / f"{table}.parquet"
                con.execute(f"copy {raw_dataset}.{table} to '{parquet}' (format parquet)")
                self.session.query(
                    f"CREATE TABLE raw.{table} ENGINE = MergeTree ORDER BY tuple()"
                    f" AS SELECT * FROM file('{parquet}', Parquet)"
                )
                present.add(table)
        return present

    def build(self, present: set[str]) -> list[str]:
        self.session.query(f"CREATE DATABASE IF NOT EXISTS {REPORTING}")
        models = load_models()
        names = {m.name for m in models}
        for model in models:
            select = compile_query(
                model.tree,
                model.name,
                names,
                present,
                lambda table, dataset: f"{dataset or 'raw'}.{table}",
                REPORTING,
                DIALECT,
            )
            target = f"{REPORTING}.{model.name}"
            self.session.query(f"DROP TABLE IF EXISTS {target}")
            self.session.query(create_table_sql(target, select, DIALECT))
        return [m.name for m in models]

    def rows(self, model: str) -> tuple[list[str], list[tuple[Any, ...]]]:
        table = self.session.query(f"SELECT * FROM {REPORTING}.{model}", "ArrowTable")
        return table.column_names, [tuple(r.values()) for r in table.to_pylist()]

    def close(self) -> None:
        self.session.close()
