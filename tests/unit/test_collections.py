import gc
from pathlib import Path

from cf_bulk_sync.loading.pipeline import fewer_collections, sync

from ..support.warehouse import duckdb_pipeline


def test_collections_are_rarer_during_a_run_and_as_before_after_it() -> None:
    before = gc.get_threshold()
    with fewer_collections():
        assert gc.get_threshold()[0] > 10 * before[0]
        assert gc.get_freeze_count() > 0  # what existed before the run is not rescanned
    assert gc.get_threshold() == before and gc.get_freeze_count() == 0


def test_a_failed_run_restores_them_too(tmp_path: Path) -> None:
    before = gc.get_threshold()
    pipeline = duckdb_pipeline(tmp_path)
    result = sync(pipeline, account_id="not-an-account", api_token="t")
    assert result.error and "account" in result.error.lower()
    assert gc.get_threshold() == before and gc.get_freeze_count() == 0
