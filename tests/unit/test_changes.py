"""Rows listed again as they are stored are left out; a changed row, a new one, or one stored
without a hash is kept."""

import pyarrow as pa

from cf_bulk_sync.source.changes import ROW_HASH, RowChanges, dict_hash, stored_table


class Stored:
    def __init__(self, messages: dict[str, pa.Table], jobs: dict[str, int | None]) -> None:
        self._messages, self._jobs = messages, jobs
        self.asked: list[str] = []

    def messages(self, job_id: str) -> pa.Table:
        self.asked.append(job_id)
        return self._messages.get(job_id, stored_table([], []))

    def jobs(self, account_id: str) -> dict[str, int | None]:
        return self._jobs


def page(statuses: dict[str, str]) -> pa.Table:
    return pa.table(
        {
            "message_id": list(statuses),
            "status": list(statuses.values()),
            "job_id": ["j1"] * len(statuses),
            "_dlt_id": [f"row-{n}" for n in range(len(statuses))],
        }
    )


def test_a_tables_hash_is_its_content_not_dlts_row_id() -> None:
    changes = RowChanges(None)
    first = changes.hashed(page({"m1": "PENDING", "m2": "FAILED"}))
    again = changes.hashed(page({"m1": "PENDING", "m2": "FAILED"}).drop_columns(["_dlt_id"]))
    moved = changes.hashed(page({"m1": "COMPLETED", "m2": "FAILED"}))
    hashes = first.column(ROW_HASH).to_pylist()
    assert hashes == again.column(ROW_HASH).to_pylist()
    assert moved.column(ROW_HASH).to_pylist() == [moved.column(ROW_HASH)[0].as_py(), hashes[1]]
    assert moved.column(ROW_HASH)[0].as_py() != hashes[0]
    assert all(0 <= h < 2**63 for h in hashes)


def test_only_changed_and_new_messages_are_kept() -> None:
    changes = RowChanges(None)
    before = changes.hashed(page({"m1": "PENDING", "m2": "FAILED", "m3": "PENDING"}))
    stored = stored_table(
        ["m1", "m2", "m3"],
        [*before.column(ROW_HASH).to_pylist()[:2], None],  # m3: no hash yet
    )
    changes = RowChanges(Stored({"j1": stored}, {}))
    now = page({"m1": "PENDING", "m2": "COMPLETED", "m3": "PENDING", "m4": "PENDING"})
    kept = changes.messages("j1", now)
    assert kept.column("message_id").to_pylist() == ["m2", "m3", "m4"]
    assert changes.unchanged_messages == 1
    assert changes.messages("j1", page({"m1": "PENDING"})) is None  # all unchanged: nothing
    assert changes.unchanged_messages == 2


def test_dict_rows_and_jobs_are_compared_by_their_json() -> None:
    row = {"message_id": "m1", "status": "FAILED", "labels": ["a"], "_dlt_id": "x"}
    assert dict_hash(row) == dict_hash({**row, "_dlt_id": "y"})
    assert dict_hash(row) != dict_hash({**row, "labels": ["b"]})
    stored = Stored(
        {"j1": stored_table(["m1"], [dict_hash(row)])}, {"a": dict_hash({"job_id": "a"})}
    )
    changes = RowChanges(stored)
    assert changes.messages("j1", [dict(row)]) is None
    kept = changes.messages("j1", [{**row, "status": "COMPLETED"}])
    assert [r["status"] for r in kept] == ["COMPLETED"] and ROW_HASH in kept[0]
    jobs = changes.jobs("acc", [{"job_id": "a"}, {"job_id": "b"}, {"job_id": "a", "x": 1}])
    assert [j["job_id"] for j in jobs] == ["b", "a"] and changes.unchanged_jobs == 1


def test_without_stored_hashes_every_row_is_kept_with_its_hash() -> None:
    changes = RowChanges(None)
    kept = changes.messages("j1", page({"m1": "PENDING"}))
    assert kept.num_rows == 1 and kept.column(ROW_HASH).null_count == 0
    assert changes.jobs("acc", [{"job_id": "a"}])[0][ROW_HASH] == dict_hash({"job_id": "a"})
