from pathlib import Path

import dlt
import pytest

from cf_bulk_sync.loading.pipeline import make_pipeline


def duckdb_memory_limit(tmp_path: Path) -> str:
    pipeline = make_pipeline(
        dlt.destinations.duckdb(str(tmp_path / "w.duckdb")), pipelines_dir=str(tmp_path / "dlt")
    )
    pipeline.run([{"id": 1}], table_name="probe")
    with pipeline.sql_client() as client:
        return str(client.execute_sql("select current_setting('memory_limit')")[0][0])


def test_duckdb_is_capped_by_default(tmp_path: Path) -> None:
    assert duckdb_memory_limit(tmp_path) == "122.0 MiB"  # DuckDB's reading of 128MB


def test_a_users_setting_wins_over_the_default(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("DESTINATION__DUCKDB__CREDENTIALS__GLOBAL_CONFIG", '{"memory_limit": "1GB"}')
    assert duckdb_memory_limit(tmp_path) == "953.6 MiB"


def test_loaded_files_do_not_pile_up_in_the_working_folder(tmp_path: Path) -> None:
    pipeline = make_pipeline(
        dlt.destinations.duckdb(str(tmp_path / "w.duckdb")), pipelines_dir=str(tmp_path / "dlt")
    )
    for _ in range(2):
        pipeline.run([{"id": 1}], table_name="probe")
    loaded = Path(pipeline.working_dir) / "load" / "loaded"
    assert len(list(loaded.iterdir())) == 2  # the packages, with their state and schema
    assert list(loaded.glob("*/completed_jobs/*")) == []
    with pipeline.sql_client() as client:
        assert client.execute_sql("select count(*) from probe")[0][0] == 2
