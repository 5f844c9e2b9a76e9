"""The lake laid out in DuckDB (models.lake), on Delta tables written here: a table whose
columns grew between versions, one without files, dlt's load records, and a lake without
marts yet."""

import gzip
import json
from pathlib import Path

import duckdb
import pyarrow as pa
import pytest
from deltalake import write_deltalake

from cf_bulk_sync.errors import ModelError
from cf_bulk_sync.loading.pipeline import make_pipeline
from cf_bulk_sync.models.lake import Lake
from cf_bulk_sync.reporting.report import build_report


@pytest.fixture
def lake(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Lake:
    monkeypatch.setenv("DESTINATION__FILESYSTEM__BUCKET_URL", (tmp_path / "bucket").as_uri())
    return Lake(make_pipeline("filesystem", pipelines_dir=str(tmp_path / "dlt")))


def test_a_view_of_a_delta_table_has_every_version_s_columns(lake: Lake, tmp_path: Path) -> None:
    url = (tmp_path / "t").as_uri()
    write_deltalake(url, pa.table({"job_id": ["a", "b"]}))
    write_deltalake(url, pa.table({"job_id": ["c"], "n": [3]}), mode="append", schema_mode="merge")
    with duckdb.connect() as conn:
        lake.create(conn, "view", "t", url)
        rows = conn.execute("select job_id, n from t where job_id in ('a', 'c') order by 1")
        assert rows.fetchall() == [("a", None), ("c", 3)]


def test_a_delta_table_without_files_is_an_empty_table_of_its_columns(
    lake: Lake, tmp_path: Path
) -> None:
    url = (tmp_path / "empty").as_uri()
    # delta-rs writes no file for no rows
    write_deltalake(
        url, pa.table({"job_id": pa.array([], pa.string()), "n": pa.array([], pa.int64())})
    )
    with duckdb.connect() as conn:
        lake.create(conn, "table", "e", url)
        assert conn.execute("select count(*) from e").fetchone() == (0,)
        assert [c[0] for c in conn.execute("describe e").fetchall()] == ["job_id", "n"]


def test_load_records_are_read_plain_or_gzipped(lake: Lake, tmp_path: Path) -> None:
    folder = tmp_path / "bucket" / "cloudflare_email_security" / "_dlt_loads"
    folder.mkdir(parents=True)
    record = {"load_id": "1.5", "schema_name": "s", "status": 0, "inserted_at": "x"}
    (folder / "s__1.5.jsonl").write_text(json.dumps(record) + "\n")
    (folder / "s__2.5.jsonl.gz").write_bytes(
        gzip.compress(json.dumps({**record, "load_id": "2.5"}).encode())
    )
    loads = lake.load_rows()
    assert sorted(loads.column("load_id").to_pylist()) == ["1.5", "2.5"]
    assert loads.column("status").to_pylist() == [0, 0]


def test_a_lake_without_marts_says_run_first(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("DESTINATION__FILESYSTEM__BUCKET_URL", (tmp_path / "bucket").as_uri())
    pipeline = make_pipeline("filesystem", pipelines_dir=str(tmp_path / "dlt"))
    with pytest.raises(ModelError, match="No models in cloudflare_email_security_reporting yet"):
        build_report(pipeline)
    # a reader creates nothing
    assert not (tmp_path / "bucket" / "cloudflare_email_security_reporting").exists()
