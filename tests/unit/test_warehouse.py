"""Where the warehouse is: today's folder and configuration, never the first run's folder; a
line when the last sync loaded another one; descriptions that never hold a password."""

import os
from pathlib import Path
from types import SimpleNamespace

import pytest

from cf_bulk_sync.loading.pipeline import make_pipeline
from cf_bulk_sync.loading.warehouse import (
    INITIAL_CWD,
    describe,
    location,
    location_of,
    moved_from,
    no_warehouse,
    remember,
)

PASSWORD = "s3cret-pw-4471"


@pytest.fixture
def folders(tmp_path: Path) -> tuple[Path, Path]:
    first, second = tmp_path / "a", tmp_path / "b"
    first.mkdir()
    second.mkdir()
    return first, second


def test_the_duckdb_file_is_in_the_folder_the_command_runs_in(
    folders: tuple[Path, Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    first, second = folders
    monkeypatch.chdir(first)
    pipeline = make_pipeline()
    assert location(pipeline) == str(first / "cf_bulk_sync.duckdb")
    pipeline.set_local_state_val("first_run", False)  # as after a run: dlt keeps folder a
    assert pipeline.get_local_state_val(INITIAL_CWD) == str(first)
    monkeypatch.chdir(second)
    assert location(make_pipeline()) == str(second / "cf_bulk_sync.duckdb")
    assert location(make_pipeline(pipeline_name="shard_eu")) == str(second / "shard_eu.duckdb")


@pytest.mark.parametrize(
    ("configured", "expected"),
    [
        pytest.param("sub/w.duckdb", "b/sub/w.duckdb", id="relative-to-today"),
        pytest.param("/{tmp}/elsewhere.duckdb", "elsewhere.duckdb", id="absolute-as-is"),
    ],
)
def test_configured_credentials(
    configured: str,
    expected: str,
    folders: tuple[Path, Path],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    first, second = folders
    value = configured.replace("/{tmp}", str(tmp_path))
    monkeypatch.setenv("DESTINATION__DUCKDB__CREDENTIALS", value)
    monkeypatch.chdir(first)
    make_pipeline().set_local_state_val("first_run", False)
    monkeypatch.chdir(second)
    assert location(make_pipeline()) == str(tmp_path / expected)


def test_a_server_is_named_by_host_and_database_never_its_password(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    url = f"postgresql://loader:{PASSWORD}@db.internal:5433/warehouse"
    monkeypatch.setenv("DESTINATION__POSTGRES__CREDENTIALS", url)
    pipeline = make_pipeline("postgres")
    assert describe(pipeline) == "postgres at db.internal:5433, database warehouse"


def test_a_bucket_url_loses_its_user_and_password() -> None:
    config = SimpleNamespace(credentials=None, bucket_url=f"sftp://me:{PASSWORD}@files:22/data")
    assert location_of("filesystem", config) == "sftp://files:22/data"


def test_unresolvable_credentials_name_the_destination() -> None:
    pipeline = make_pipeline("sqlalchemy")  # no credentials at all (the run says what is missing)
    assert location(pipeline) is None and describe(pipeline) == "sqlalchemy"


def test_a_run_into_another_warehouse_says_where_the_last_one_was(
    folders: tuple[Path, Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    first, second = folders
    monkeypatch.chdir(first)
    pipeline = make_pipeline()
    today = str(first / "cf_bulk_sync.duckdb")
    assert moved_from(pipeline, today) is None  # never loaded
    remember(pipeline, today)
    assert moved_from(make_pipeline(), today) is None  # the same one
    monkeypatch.chdir(second)
    moved = moved_from(make_pipeline(), str(second / "cf_bulk_sync.duckdb"))
    assert moved == (
        f"this pipeline (cf_bulk_sync) last loaded {today}; a run here loads"
        f" {second}/cf_bulk_sync.duckdb (from the configuration and the folder it runs in);"
        f" the old one is not touched: to go on loading it, run from {first} or set"
        f" DESTINATION__DUCKDB__CREDENTIALS={today}; for two warehouses, give each its own"
        " --pipeline-name"
    )
    missing = no_warehouse(make_pipeline(), str(second / "cf_bulk_sync.duckdb"))
    assert missing.startswith(f"no warehouse at {second}/cf_bulk_sync.duckdb (this pipeline")
    assert f"last loaded {today}" in missing


def test_a_pipeline_an_earlier_version_ran_is_judged_by_its_first_folder(
    folders: tuple[Path, Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    first, second = folders
    monkeypatch.chdir(first)
    make_pipeline().set_local_state_val("first_run", False)  # loaded, but nothing remembered
    monkeypatch.chdir(second)
    pipeline = make_pipeline()
    moved = moved_from(pipeline, str(location(pipeline)))
    assert moved is not None and f"last loaded {first}/cf_bulk_sync.duckdb;" in moved
    # an absolute path in the credentials never depended on the folder
    monkeypatch.setenv("DESTINATION__DUCKDB__CREDENTIALS", str(second / "w.duckdb"))
    pipeline = make_pipeline()
    assert moved_from(pipeline, str(location(pipeline))) is None


def test_remember_points_dlt_at_todays_folder(
    folders: tuple[Path, Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    first, second = folders
    monkeypatch.chdir(first)
    make_pipeline().set_local_state_val("first_run", False)
    monkeypatch.chdir(second)
    pipeline = make_pipeline()
    remember(pipeline, str(location(pipeline)))
    assert pipeline.get_local_state_val(INITIAL_CWD) == os.getcwd() == str(second)
