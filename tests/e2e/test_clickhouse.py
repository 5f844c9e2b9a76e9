"""ClickHouse's dialect executed: the models compiled for ClickHouse, run in chdb over the raw
tables of a synced DuckDB warehouse, give DuckDB's marts row for row."""

from pathlib import Path

import duckdb
import pytest

from cf_bulk_sync.models.runner import build_models, load_models, reporting_dataset

from ..support.clickhouse import ChdbWarehouse
from ..support.marts import canonical, phrasing_messages, seed_rejected, sync_simulated
from ..support.warehouse import duckdb_pipeline

pytestmark = [pytest.mark.e2e, pytest.mark.slow]

MODELS = [m.name for m in load_models()]


def test_marts_in_clickhouse_equal_duckdbs_row_for_row(tmp_path: Path) -> None:
    pipeline = duckdb_pipeline(tmp_path, work="dlt-dk")
    sync_simulated(pipeline)
    seed_rejected(pipeline)  # so that no model is empty
    assert build_models(pipeline).blocking_failures == []
    chdb = ChdbWarehouse(tmp_path)
    try:
        present = chdb.copy_raw(tmp_path / "w.duckdb", pipeline.dataset_name)
        assert chdb.build(present) == MODELS
        with duckdb.connect(str(tmp_path / "w.duckdb"), read_only=True) as con:
            con.execute("set TimeZone = 'UTC'")
            for model in MODELS:
                relation = con.sql(f"select * from {reporting_dataset(pipeline)}.{model}")
                in_duckdb = canonical(relation.columns, relation.fetchall(), keep_run_time=True)
                columns, rows = chdb.rows(model)
                assert columns == relation.columns, model
                assert canonical(columns, rows, keep_run_time=True) == in_duckdb, model
                assert in_duckdb, f"{model} is empty"
        _, expected = phrasing_messages()
        columns, rows = chdb.rows("stg_bulk_job_messages")
        reasons = {r[columns.index("message_id")]: r[columns.index("failure_reason")] for r in rows}
        assert {m: reasons[m] for m in expected} == expected
    finally:
        chdb.close()
