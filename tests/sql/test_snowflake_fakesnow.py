"""Snowflake's SQL executed as far as it can be here: the models compiled for Snowflake (`cf-bulk-
sync compile`, the runner's own compile), run through Snowflake's Python connector patched by
fakesnow, over the raw tables of a synced DuckDB warehouse, give DuckDB's marts row for row.

fakesnow translates Snowflake's SQL back to DuckDB's with sqlglot and runs it on DuckDB: this
proves that the compiled SQL parses as Snowflake SQL, names tables and columns as a Snowflake
warehouse folds them (upper case) and means what the DuckDB models mean where fakesnow's
translation is faithful. It does not prove Snowflake's own planner, types (NUMBER, TIMESTAMP_TZ
arithmetic), collation or functions accept and compute it alike: docs/dialects.md."""

from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from cf_bulk_sync.models.compile import compile_models
from cf_bulk_sync.models.runner import load_models, reporting_dataset

from ..support.marts import canonical, duckdb_marts, phrasing_messages, synced_duckdb
from ..support.snowflake_sql import raw_tables, run_in_fakesnow

pytestmark = [pytest.mark.slow]

MODELS = [m.name for m in load_models()]


def in_utc(rows: list[tuple[Any, ...]]) -> list[tuple[Any, ...]]:
    return [
        tuple(v.astimezone(UTC) if isinstance(v, datetime) and v.tzinfo else v for v in row)
        for row in rows
    ]


def test_marts_in_fakesnow_equal_duckdbs_row_for_row(tmp_path: Path) -> None:
    pipeline = synced_duckdb(tmp_path)
    database, reporting = tmp_path / "w.duckdb", reporting_dataset(pipeline)
    tables = raw_tables(database, pipeline.dataset_name, tmp_path)
    present = {t["name"].lower() for t in tables}
    compiled = compile_models("snowflake", pipeline.dataset_name, present=present)
    # named as dlt's Snowflake destination names them: upper case
    assert any('FROM "CLOUDFLARE_EMAIL_SECURITY"."BULK_JOBS"' in m.sql for m in compiled)
    in_snowflake = run_in_fakesnow(tables, compiled, reporting, tmp_path)
    for model, (columns, rows) in duckdb_marts(database, reporting, MODELS).items():
        got_columns, got_rows = in_snowflake[model]
        # Snowflake folds unquoted names to upper case
        assert got_columns == [c.upper() for c in columns], model
        expected = canonical(columns, rows, keep_run_time=True)
        assert canonical(columns, in_utc(got_rows), keep_run_time=True) == expected, model
        assert expected, f"{model} is empty"
    _, expected_reasons = phrasing_messages()
    columns, rows = in_snowflake["stg_bulk_job_messages"]
    message, reason = columns.index("MESSAGE_ID"), columns.index("FAILURE_REASON")
    reasons = {r[message]: r[reason] for r in rows}
    assert {m: reasons[m] for m in expected_reasons} == expected_reasons
