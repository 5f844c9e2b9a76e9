"""The models' Snowflake SQL executed in fakesnow (Snowflake's connector patched to run on
DuckDB, in a venv of its own: tests/support/tools.py), over the raw tables of a DuckDB
warehouse copied through Parquet into tables typed as dlt's Snowflake destination types them."""

import json
import os
import pickle
import subprocess
from pathlib import Path
from typing import Any

import duckdb

from cf_bulk_sync.models.compile import CompiledModel
from cf_bulk_sync.models.runner import RAW_TABLES

from .tools import fakesnow_python

RUNNER = Path(__file__).with_name("fakesnow_runner.py")
# DuckDB's type -> the type dlt's Snowflake destination gives the column (JSON is VARIANT there;
# the models read no JSON column, so it is kept as text here)
SNOWFLAKE_TYPES = {
    "VARCHAR": "VARCHAR",
    "JSON": "VARCHAR",
    "BIGINT": "NUMBER(19,0)",
    "BOOLEAN": "BOOLEAN",
    "DOUBLE": "FLOAT",
    "TIMESTAMP WITH TIME ZONE": "TIMESTAMP_TZ",
}


def raw_tables(database: Path, raw_dataset: str, folder: Path) -> list[dict[str, Any]]:
    """Every raw table the models read in the DuckDB file `database`, written to a Parquet file
    in `folder`, with its columns' Snowflake types; names upper-cased, as dlt folds them for
    Snowflake."""
    with duckdb.connect(str(database), read_only=True) as con:
        con.execute("set TimeZone = 'UTC'")
        columns = con.execute(
            "select table_name, column_name, data_type from information_schema.columns"
            " where table_schema = ? order by table_name, ordinal_position",
            [raw_dataset],
        ).fetchall()
        by_table: dict[str, list[tuple[str, str]]] = {}
        for table, column, data_type in columns:
            by_table.setdefault(table, []).append((column, data_type))
        tables = []
        for table in sorted(by_table.keys() & RAW_TABLES.keys()):
            parquet = folder / f"{table}.parquet"
            select = ", ".join(
                f'cast("{c}" as varchar) as "{c.upper()}"'
                if t == "JSON"
                else f'"{c}" as "{c.upper()}"'
                for c, t in by_table[table]
            )
            con.execute(f"copy (select {select} from {raw_dataset}.{table}) to '{parquet}'")
            tables.append(
                dict(
                    schema=raw_dataset.upper(),
                    name=table.upper(),
                    columns=[(c.upper(), SNOWFLAKE_TYPES[t]) for c, t in by_table[table]],
                    parquet=str(parquet),
                )
            )
    return tables


def run_in_fakesnow(
    tables: list[dict[str, Any]],
    models: list[CompiledModel],
    reporting: str,
    folder: Path,
) -> dict[str, tuple[list[str], list[tuple[Any, ...]]]]:
    """Builds `models` in fakesnow over `tables`; each model's (columns, rows), by model name."""
    schemas = sorted({t["schema"] for t in tables} | {reporting.upper()})
    job = dict(
        schemas=schemas,
        tables=tables,
        statements=[m.sql for m in models],
        read={m.name: f'"{reporting.upper()}"."{m.name.upper()}"' for m in models},
    )
    job_file, result_file = folder / "fakesnow-job.json", folder / "fakesnow-result.pickle"
    job_file.write_text(json.dumps(job))
    done = subprocess.run(
        [str(fakesnow_python()), str(RUNNER), str(job_file), str(result_file)],
        capture_output=True,
        text=True,
        timeout=600,
        # fakesnow's venv imports only its own packages
        env={k: v for k, v in os.environ.items() if k != "PYTHONPATH"},
    )
    if done.returncode:
        raise AssertionError(f"fakesnow failed: {done.stderr[-3000:]}")
    result: dict[str, tuple[list[str], list[tuple[Any, ...]]]] = pickle.loads(
        result_file.read_bytes()
    )
    return result
