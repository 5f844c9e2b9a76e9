"""Items set aside as not loadable are accounted for, not alarmed: a settled job short of exactly
its rejected items reconciles with a warning naming them; an item loaded later no longer
counts; a shortfall that rejected items do not explain still fails."""

from typing import Any

from cf_bulk_sync.source.quarantine import rejected_row

from .conftest import ACCOUNT, Warehouse, job, message


def rejected(job_id: str, item: Any, field: str, reason: str) -> dict[str, Any]:
    return rejected_row(item, ACCOUNT, job_id, field, reason)


def seed(warehouse: Warehouse, rejected_rows: list[dict[str, Any]]) -> None:
    counted = dict(total_messages_discovered=3, messages_successful=2, messages_failed=1)
    warehouse.seed(
        "bulk_jobs",
        [job("j1", **counted), job("j2", **counted), job("j3", **counted)],
    )
    warehouse.seed(
        "bulk_job_messages",
        [
            message("j1", "m1", "COMPLETED"),
            message("j1", "m2", "COMPLETED"),
            message("j2", "m1", "COMPLETED"),
            message("j2", "m2", "COMPLETED"),
            message("j2", "m3", "FAILED", "Mailbox not found"),
            # j3 loaded one message too many of a status and one short of another
            message("j3", "m1", "COMPLETED"),
            message("j3", "m2", "COMPLETED"),
            message("j3", "m3", "COMPLETED"),
        ],
    )
    warehouse.seed("bulk_job_messages_rejected", rejected_rows)


def test_a_job_short_of_its_rejected_items_reconciles_with_a_warning(
    warehouse: Warehouse,
) -> None:
    poison = {"message_id": "m3", "status": "FAILED", "retry_count": 10**30}
    seed(
        warehouse,
        [
            rejected("j1", poison, "retry_count", "number 1e+30 out of the 64-bit integer range"),
            # the same message rejected in another shape counts once
            rejected("j1", {**poison, "note": "again"}, "retry_count", "out of range"),
            # j2 loaded m3 since: its rejection no longer counts
            rejected("j2", poison, "retry_count", "out of range"),
            rejected("j3", {"status": "FAILED"}, "message_id", "missing key"),
        ],
    )
    result = warehouse.build()
    assert warehouse.mart(
        "job_reconciliation", "job_id, diff_total, count_rejected, reconciliation_status"
    ) == [
        ("j1", -1, 1, "explained_by_rejected"),
        ("j2", 0, 0, "consistent"),
        ("j3", 0, 1, "inconsistent"),
    ]
    assert warehouse.mart("job_status_counts", "job_id, count_messages, count_rejected") == [
        ("j1", 2, 1),
        ("j2", 3, 0),
        ("j3", 3, 1),
    ]
    failed = {a.name: (a.severity, a.rows) for a in result.failed_assertions}
    assert [row[0] for row in failed["settled_jobs__reconcile"][1]] == ["j3"]
    severity, rows = failed["settled_jobs__rejected_items"]
    assert severity == "warn"
    assert [(r[0], r[1], r[2]) for r in rows] == [("j1", "m3", "retry_count")]
    assert set(failed) == {"settled_jobs__reconcile", "settled_jobs__rejected_items"}


def test_without_rejected_items_nothing_is_explained(warehouse: Warehouse) -> None:
    seed(warehouse, [rejected("j9", {"message_id": "x"}, "retry_count", "out of range")])
    warehouse.build()
    assert warehouse.mart("job_reconciliation", "job_id, reconciliation_status") == [
        ("j1", "inconsistent"),
        ("j2", "consistent"),
        ("j3", "inconsistent"),
    ]


def test_a_rejected_table_from_before_message_id_was_declared_still_builds(
    warehouse: Warehouse,
) -> None:
    import dlt

    from cf_bulk_sync.source import settings

    older = {k: v for k, v in settings.REJECTED_COLUMNS.items() if k != "message_id"}
    row = rejected("j1", {"message_id": "m3"}, "retry_count", "out of range")
    del row["message_id"]
    seed(warehouse, [])
    resource = dlt.resource(
        [row],
        name="bulk_job_messages_rejected",
        columns=older,
        primary_key="rejected_id",
        write_disposition="merge",
    )
    warehouse.pipeline.run(resource).raise_on_failed_jobs()
    columns = warehouse.query(
        "select column_name from information_schema.columns"
        " where table_name = 'bulk_job_messages_rejected'"
    )
    assert ("message_id",) not in columns
    warehouse.build()
    assert warehouse.mart("job_reconciliation", "job_id, count_rejected, reconciliation_status")[
        0
    ] == ("j1", 1, "explained_by_rejected")
