from pathlib import Path

import dlt

from cf_bulk_sync.loading.housekeeping import prune_loaded_packages
from cf_bulk_sync.loading.pipeline import make_pipeline


def test_only_the_newest_loaded_packages_are_kept(tmp_path: Path) -> None:
    pipeline = make_pipeline(
        dlt.destinations.duckdb(str(tmp_path / "w.duckdb")), pipelines_dir=str(tmp_path / "dlt")
    )
    load_ids = [pipeline.run([{"id": n}], table_name="probe").loads_ids[0] for n in range(4)]
    loaded = Path(pipeline.working_dir) / "load" / "loaded"
    assert sorted(p.name for p in loaded.iterdir()) == sorted(load_ids)
    assert prune_loaded_packages(pipeline, keep=2) == load_ids[:2]
    assert sorted(p.name for p in loaded.iterdir()) == sorted(load_ids[2:])
    assert prune_loaded_packages(pipeline, keep=2) == []
    with pipeline.sql_client() as client:  # the data itself is untouched
        assert client.execute_sql("select count(*) from probe")[0][0] == 4
