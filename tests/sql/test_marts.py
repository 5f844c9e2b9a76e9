"""Each mart on a small hand-made dataset, against rows written by hand (given / expect)."""

from decimal import Decimal as D
from pathlib import Path

import pytest

from cf_bulk_sync.models.runner import ModelError, build_models, load_models

from .conftest import Warehouse, job, message

DAY2 = "2026-11-02T23:30:00Z"


@pytest.fixture
def seeded(warehouse: Warehouse) -> Warehouse:
    warehouse.seed(
        "bulk_jobs",
        [
            # settled, every counter matching what is loaded
            job(
                "j1",
                "COMPLETED",
                total_messages_discovered=5,
                messages_successful=2,
                messages_failed=2,
                messages_skipped=1,
            ),
            # in progress: the API counted more than we loaded (it moved between the two reads)
            job(
                "j2",
                "PROCESSING",
                action="RELEASE",
                total_messages_discovered=5,
                messages_pending=3,
                messages_successful=1,
                messages_failed=1,
            ),
            # settled, but one failed message is missing from the warehouse
            job(
                "j3", "FAILED", destination="Inbox", total_messages_discovered=3, messages_failed=3
            ),
            # settled, no messages, since deleted at Cloudflare
            job("j4", "COMPLETED"),
        ],
    )
    warehouse.seed(
        "bulk_job_messages",
        [
            message("j1", "m1", "COMPLETED"),
            message("j1", "m2", "COMPLETED"),
            message("j1", "m3", "FAILED", "Mailbox a@example.com not found", retry_count=3),
            message("j1", "m4", "FAILED", "Mailbox b@example.org not found", retry_count=1),
            message("j1", "m5", "SKIPPED", "Message already in destination folder"),
            message("j2", "n1", "PENDING", created=DAY2, processed=None, action="RELEASE"),
            message("j2", "n2", "PROCESSING", created=DAY2, processed=None, action="RELEASE"),
            message(
                "j2",
                "n3",
                "COMPLETED",
                created=DAY2,
                processed="2026-11-03T00:30:00Z",
                action="RELEASE",
            ),
            message(
                "j2",
                "n4",
                "FAILED",
                "Graph API error 503: Service Unavailable",
                retry_count=1,
                created=DAY2,
                processed="2026-11-03T01:00:00Z",
                retry_after="2026-11-03T02:00:00Z",
                action="RELEASE",
            ),
            message("j3", "p1", "FAILED", "Graph API error 500", processed="2026-11-01T08:40:00Z"),
            message("j3", "p2", "FAILED", "Mailbox c@example.net not found"),
        ],
    )
    warehouse.seed(
        "bulk_job_deletions",
        [{"job_id": "j4", "account_id": "x", "deleted_at": "2026-11-04T00:00:00Z"}],
    )
    warehouse.seed(
        "bulk_job_snapshots",
        [
            {
                "job_id": "j2",
                "account_id": "x",
                "observed_at": f"2026-11-03T0{h}:00:00Z",
                "status": "PROCESSING",
                "total_messages_discovered": total,
                "messages_pending": pending,
                "messages_successful": total - pending,
                "messages_failed": 0,
                "messages_skipped": 0,
                "messages_cancelled": 0,
            }
            for h, total, pending in ((1, 2, 2), (2, 4, 3), (3, 4, 2))
        ],
    )
    return warehouse


def test_job_status_counts(seeded: Warehouse) -> None:
    seeded.build()
    assert seeded.mart(
        "job_status_counts",
        "job_id, action_type, destination, job_status, is_deleted, count_messages,"
        " count_pending, count_discovering, count_processing, count_completed, count_failed,"
        " count_cancelled, count_skipped, count_other, count_retried, count_awaiting_retry,"
        " total_retries, max_retry_count, processed_rate, completion_rate, failure_rate",
    ) == [
        (
            "j1",
            "MOVE",
            "JunkEmail",
            "COMPLETED",
            False,
            5,
            0,
            0,
            0,
            2,
            2,
            0,
            1,
            0,
            2,
            0,
            4,
            3,
            D("1.0000"),
            D("0.4000"),
            D("0.4000"),
        ),
        (
            "j2",
            "RELEASE",
            None,
            "PROCESSING",
            False,
            4,
            1,
            0,
            1,
            1,
            1,
            0,
            0,
            0,
            1,
            1,
            1,
            1,
            D("0.5000"),
            D("0.2500"),
            D("0.2500"),
        ),
        (
            "j3",
            "MOVE",
            "Inbox",
            "FAILED",
            False,
            2,
            0,
            0,
            0,
            0,
            2,
            0,
            0,
            0,
            0,
            0,
            0,
            0,
            D("1.0000"),
            D("0.0000"),
            D("1.0000"),
        ),
        (
            "j4",
            "MOVE",
            "JunkEmail",
            "COMPLETED",
            True,
            0,
            0,
            0,
            0,
            0,
            0,
            0,
            0,
            0,
            0,
            0,
            0,
            None,
            None,
            None,
            None,
        ),
    ]


def test_job_failure_reasons(seeded: Warehouse) -> None:
    seeded.build()
    assert seeded.mart(
        "job_failure_reasons",
        "job_id, message_status, failure_reason, count_messages, share_within_status,"
        " count_retrying, example_message_id, example_status_message",
        order="1, 2, 3",
    ) == [
        (
            "j1",
            "FAILED",
            "Mailbox not found",
            2,
            D("1.0000"),
            0,
            "m3",
            "Mailbox a@example.com not found",
        ),
        (
            "j1",
            "SKIPPED",
            "Message already in destination folder",
            1,
            D("1.0000"),
            0,
            "m5",
            "Message already in destination folder",
        ),
        (
            "j2",
            "FAILED",
            "Graph API error",
            1,
            D("1.0000"),
            1,
            "n4",
            "Graph API error 503: Service Unavailable",
        ),
        ("j3", "FAILED", "Graph API error", 1, D("0.5000"), 0, "p1", "Graph API error 500"),
        (
            "j3",
            "FAILED",
            "Mailbox not found",
            1,
            D("0.5000"),
            0,
            "p2",
            "Mailbox c@example.net not found",
        ),
    ]


def test_failure_reasons(seeded: Warehouse) -> None:
    seeded.build()
    assert seeded.mart(
        "failure_reasons",
        "message_status, failure_reason, reason_family, count_messages, count_jobs,"
        " share_within_status,"
        " count_retrying, cast(first_seen_at as varchar), cast(last_seen_at as varchar)",
        order="1, 2",
    ) == [
        (
            "FAILED",
            "Graph API error",
            "provider error",
            2,
            2,
            D("0.4000"),
            1,
            "2026-11-01 08:40:00+00",
            "2026-11-03 01:00:00+00",
        ),
        (
            "FAILED",
            "Mailbox not found",
            "not found",
            3,
            2,
            D("0.6000"),
            0,
            "2026-11-01 08:30:00+00",
            "2026-11-01 08:30:00+00",
        ),
        (
            "SKIPPED",
            "Message already in destination folder",
            "already done or duplicate",
            1,
            1,
            D("1.0000"),
            0,
            "2026-11-01 08:30:00+00",
            "2026-11-01 08:30:00+00",
        ),
    ]


def test_job_reconciliation_catches_the_inconsistent_job(seeded: Warehouse) -> None:
    result = seeded.build()
    assert seeded.mart(
        "job_reconciliation",
        "job_id, api_count_discovered, loaded_count_messages, diff_total, diff_successful,"
        " diff_failed, diff_skipped, diff_cancelled, diff_pending, is_consistent,"
        " reconciliation_status",
    ) == [
        ("j1", 5, 5, 0, 0, 0, 0, 0, 0, True, "consistent"),
        ("j2", 5, 4, -1, 0, 0, 0, 0, -1, False, "in_progress"),
        ("j3", 3, 2, -1, 0, -1, 0, 0, 0, False, "inconsistent"),
        ("j4", 0, 0, 0, 0, 0, 0, 0, 0, True, "consistent"),
    ]
    failed = {a.name: a.rows for a in result.failed_assertions}
    assert list(failed) == ["settled_jobs__reconcile"]
    assert [row[0] for row in failed["settled_jobs__reconcile"]] == ["j3"]


def test_daily_message_activity(seeded: Warehouse) -> None:
    seeded.build()
    assert seeded.mart(
        "daily_message_activity",
        "cast(activity_date as varchar), action_type, destination, message_status,"
        " count_created, count_processed",
        order="1, 2, 3, 4",
    ) == [
        ("2026-11-01", "MOVE", "JunkEmail", "COMPLETED", 2, 2),
        ("2026-11-01", "MOVE", "JunkEmail", "FAILED", 4, 4),
        ("2026-11-01", "MOVE", "JunkEmail", "SKIPPED", 1, 1),
        ("2026-11-02", "RELEASE", "(none)", "COMPLETED", 1, 0),
        ("2026-11-02", "RELEASE", "(none)", "FAILED", 1, 0),
        ("2026-11-02", "RELEASE", "(none)", "PENDING", 1, 0),
        ("2026-11-02", "RELEASE", "(none)", "PROCESSING", 1, 0),
        ("2026-11-03", "RELEASE", "(none)", "COMPLETED", 0, 1),
        ("2026-11-03", "RELEASE", "(none)", "FAILED", 0, 1),
    ]


def test_job_progress(seeded: Warehouse) -> None:
    seeded.build()
    assert seeded.mart(
        "job_progress",
        "job_id, cast(observed_at as varchar), action_type, count_discovered, count_pending,"
        " count_processed, processed_rate, count_processed_since_previous",
        order="2",
    ) == [
        ("j2", "2026-11-03 01:00:00+00", "RELEASE", 2, 2, 0, D("0.0000"), 0),
        ("j2", "2026-11-03 02:00:00+00", "RELEASE", 4, 3, 1, D("0.2500"), 1),
        ("j2", "2026-11-03 03:00:00+00", "RELEASE", 4, 2, 2, D("0.5000"), 1),
    ]


def test_unknown_statuses_stay_visible_and_fail_the_accepted_values_check(
    warehouse: Warehouse,
) -> None:
    warehouse.seed("bulk_jobs", [job("j1", total_messages_discovered=2, messages_successful=1)])
    warehouse.seed(
        "bulk_job_messages", [message("j1", "m1", "completed "), message("j1", "m2", "QUARANTINED")]
    )
    result = warehouse.build()
    assert warehouse.mart("job_status_counts", "count_completed, count_other") == [(1, 1)]
    failed = {a.name: a.rows for a in result.failed_assertions}
    assert failed["accepted_message_statuses"] == [("QUARANTINED", 1)]


def test_models_build_before_optional_tables_have_data(warehouse: Warehouse) -> None:
    warehouse.seed("bulk_jobs", [job("j1")])
    result = warehouse.build()
    assert len(result.built) == len(load_models())
    assert result.failed_assertions == []
    assert warehouse.mart("job_status_counts", "job_id, count_messages, is_deleted") == [
        ("j1", 0, False)
    ]
    assert warehouse.mart("job_progress", "count(*)") == [(0,)]


def test_models_are_built_after_what_they_read() -> None:
    order = [m.name for m in load_models()]
    for model in load_models():
        for upstream in model.reads & set(order):
            assert order.index(upstream) < order.index(model.name)


def test_a_model_reading_an_unknown_table_is_named(tmp_path: Path, warehouse: Warehouse) -> None:
    for folder in ("staging", "marts", "assertions"):
        (tmp_path / "sql" / folder).mkdir(parents=True)
    (tmp_path / "sql" / "marts" / "broken.sql").write_text("select * from no_such_table")
    with pytest.raises(ModelError, match="broken.sql reads unknown tables: no_such_table"):
        build_models(warehouse.pipeline, sql_dir=tmp_path / "sql")


def test_a_cycle_between_models_is_refused(tmp_path: Path) -> None:
    for folder in ("staging", "marts"):
        (tmp_path / "sql" / folder).mkdir(parents=True)
    (tmp_path / "sql" / "marts" / "a.sql").write_text("select * from b")
    (tmp_path / "sql" / "marts" / "b.sql").write_text("select * from a")
    with pytest.raises(ModelError, match="cycle"):
        load_models(tmp_path / "sql")
