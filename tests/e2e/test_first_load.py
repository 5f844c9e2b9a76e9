"""The first load appends; the repair that keeps that safe after a crash, on a real warehouse."""

from typing import Any

import dlt
import pytest

from cf_bulk_sync.loading.first_load import can_append_to, remove_repeated_rows

from ..support.syncer import Syncer

pytestmark = pytest.mark.e2e

TABLE = "bulk_job_messages"


def copy_rows_twice(pipeline: dlt.Pipeline, where: str) -> int:
    """What a load job run a second time does: the same rows, `_dlt_id` and all, again."""
    with pipeline.sql_client() as client:
        name = client.make_qualified_table_name(TABLE)
        client.execute_sql(f"INSERT INTO {name} SELECT * FROM {name} WHERE {where}")
        return int(client.execute_sql(f"SELECT COUNT(*) FROM {name} WHERE {where}")[0][0]) // 2


def all_rows(pipeline: dlt.Pipeline) -> list[Any]:
    with pipeline.sql_client() as client:
        name = client.make_qualified_table_name(TABLE)
        return sorted(client.execute_sql(f"SELECT * FROM {name}"), key=str)


def check_repair(pipeline: dlt.Pipeline, load_id: str) -> None:
    before = all_rows(pipeline)
    copies = copy_rows_twice(pipeline, "status = 'FAILED'")
    assert copies > 0 and len(all_rows(pipeline)) == len(before) + copies
    assert remove_repeated_rows(pipeline, TABLE, ["some-other-load"]) == 0  # out of scope
    assert remove_repeated_rows(pipeline, TABLE, [load_id]) == copies
    assert all_rows(pipeline) == before
    assert remove_repeated_rows(pipeline, TABLE, [load_id]) == 0


def test_repeated_rows_of_a_load_are_removed_on_duckdb(syncer: Syncer) -> None:
    pipeline = syncer.pipeline()
    assert can_append_to(pipeline, TABLE)  # nothing loaded yet, not even the table
    result = syncer.run()
    assert result.appended_messages and not can_append_to(pipeline, TABLE)
    check_repair(pipeline, result.load_ids[0])


def test_other_destinations_always_merge(tmp_path: Any) -> None:
    pipeline = dlt.pipeline(
        "cf_fs",
        destination=dlt.destinations.filesystem(str(tmp_path)),
        pipelines_dir=str(tmp_path / "dlt"),
    )
    assert not can_append_to(pipeline, TABLE)
    assert remove_repeated_rows(pipeline, TABLE, ["1"]) == 0
