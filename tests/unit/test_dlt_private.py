"""Fails loudly when a dlt upgrade removes or changes the private API that
`cf_bulk_sync.loading.dlt_private` relies on (see its docstring), on a real DuckDB pipeline."""

import inspect
from pathlib import Path

import dlt
import pytest
from dlt.common.storages.exceptions import LoadPackageNotFound

from cf_bulk_sync.loading.dlt_private import delete_loaded_package

CHECKED_AGAINST = "1.31.0"


def upgrade_broke(what: str) -> str:
    return (
        f"dlt {dlt.__version__} changed private API that cf_bulk_sync/loading/dlt_private.py"
        f" relies on (checked against dlt {CHECKED_AGAINST}): {what}. Find the new way in"
        " dlt's source, fix dlt_private.py, then update the dlt range in pyproject.toml."
    )


@pytest.fixture
def pipeline(tmp_path: Path) -> dlt.Pipeline:
    return dlt.pipeline(
        pipeline_name="probe",
        destination=dlt.destinations.duckdb(str(tmp_path / "w.duckdb")),
        dataset_name="probe",
        pipelines_dir=str(tmp_path / "dlt"),
    )


def load(pipeline: dlt.Pipeline, n: int) -> str:
    info = pipeline.run([{"id": n}], table_name="probe")
    return str(info.loads_ids[0])


def delete(pipeline: dlt.Pipeline, load_id: str) -> None:
    try:
        delete_loaded_package(pipeline, load_id)
    except (AttributeError, TypeError) as e:
        pytest.fail(upgrade_broke(f"deleting a loaded package raised {e!r}"))


def test_the_pipeline_still_has_its_load_storage_and_its_delete(pipeline: dlt.Pipeline) -> None:
    getter = getattr(pipeline, "_get_load_storage", None)
    assert callable(getter), upgrade_broke("Pipeline._get_load_storage() is gone")
    assert list(inspect.signature(getter).parameters) == [], upgrade_broke(
        f"Pipeline._get_load_storage takes {inspect.signature(getter)}, not ()"
    )
    deleter = getattr(getter(), "delete_loaded_package", None)
    assert callable(deleter), upgrade_broke("the load storage has no delete_loaded_package()")
    assert list(inspect.signature(deleter).parameters) == ["load_id"], upgrade_broke(
        f"delete_loaded_package takes {inspect.signature(deleter)}, not (load_id)"
    )


def test_deleting_a_loaded_package_of_a_real_run(pipeline: dlt.Pipeline) -> None:
    first, second, third = (load(pipeline, n) for n in range(3))
    assert sorted(pipeline.list_completed_load_packages()) == sorted([first, second, third])
    folder = Path(pipeline.get_load_package_info(second).package_path)
    assert folder.is_dir()

    delete(pipeline, second)

    assert sorted(pipeline.list_completed_load_packages()) == sorted([first, third]), upgrade_broke(
        "the package deleted is still listed, or another one went with it"
    )
    assert not folder.exists(), upgrade_broke(f"{folder} is still on disk after the delete")
    with pytest.raises(LoadPackageNotFound):
        pipeline.get_load_package_info(second)
    # the pipeline goes on as before, and the loaded data is untouched
    fourth = load(pipeline, 3)
    assert sorted(pipeline.list_completed_load_packages()) == sorted([first, third, fourth])
    with pipeline.sql_client() as client:
        assert client.execute_sql("select count(*) from probe")[0][0] == 4


def test_only_loaded_packages_can_be_deleted(pipeline: dlt.Pipeline) -> None:
    loaded = load(pipeline, 0)
    pipeline.extract([{"id": 1}], table_name="probe")
    pipeline.normalize()
    (pending,) = pipeline.list_normalized_load_packages()

    for load_id in (pending, "1700000000.123456"):
        with pytest.raises(LoadPackageNotFound):
            delete(pipeline, load_id)

    assert pipeline.list_normalized_load_packages() == [pending], upgrade_broke(
        "deleting a loaded package touched a package not yet loaded"
    )
    assert pipeline.list_completed_load_packages() == [loaded]
