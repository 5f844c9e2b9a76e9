"""The marts' columns are a contract with dashboards: names and types change only on purpose."""

from .conftest import REPORTING, Warehouse, job, message

CONTRACT = {
    "job_status_counts": [
        "job_id",
        "account_id",
        "action_type",
        "destination",
        "job_status",
        "is_terminal",
        "is_deleted",
        "comment",
        "created_at",
        "started_at",
        "completed_at",
        "deleted_at",
        "count_messages",
        "count_pending",
        "count_discovering",
        "count_processing",
        "count_completed",
        "count_failed",
        "count_cancelled",
        "count_skipped",
        "count_other",
        "count_retried",
        "count_awaiting_retry",
        "total_retries",
        "max_retry_count",
        "first_message_created_at",
        "last_processed_at",
        "processed_rate",
        "completion_rate",
        "failure_rate",
    ],
    "job_failure_reasons": [
        "job_id",
        "account_id",
        "action_type",
        "destination",
        "job_status",
        "message_status",
        "failure_reason",
        "count_messages",
        "share_within_status",
        "count_retrying",
        "first_seen_at",
        "last_seen_at",
        "example_status_message",
        "example_message_id",
    ],
    "failure_reasons": [
        "message_status",
        "failure_reason",
        "count_messages",
        "count_jobs",
        "share_within_status",
        "count_retrying",
        "first_seen_at",
        "last_seen_at",
        "example_status_message",
    ],
    "job_reconciliation": [
        "job_id",
        "account_id",
        "job_status",
        "is_terminal",
        "is_deleted",
        "is_fully_synced",
        "api_count_discovered",
        "loaded_count_messages",
        "diff_total",
        "api_count_successful",
        "loaded_count_completed",
        "diff_successful",
        "api_count_failed",
        "loaded_count_failed",
        "diff_failed",
        "api_count_skipped",
        "loaded_count_skipped",
        "diff_skipped",
        "api_count_cancelled",
        "loaded_count_cancelled",
        "diff_cancelled",
        "api_count_pending",
        "loaded_count_pending",
        "diff_pending",
        "is_consistent",
        "reconciliation_status",
    ],
    "daily_message_activity": [
        "activity_date",
        "action_type",
        "destination",
        "message_status",
        "count_created",
        "count_processed",
    ],
    "job_progress": [
        "job_id",
        "account_id",
        "action_type",
        "destination",
        "observed_at",
        "job_status",
        "count_discovered",
        "count_pending",
        "count_successful",
        "count_failed",
        "count_skipped",
        "count_cancelled",
        "count_processed",
        "processed_rate",
        "count_processed_since_previous",
    ],
}


def expected_type(column: str) -> str:
    if column.endswith("_at"):
        return "TIMESTAMP WITH TIME ZONE"
    if column.endswith("_rate") or column.startswith("share_"):
        return "DECIMAL(9,4)"
    if column.startswith(("is_",)):
        return "BOOLEAN"
    if column.startswith(("count_", "api_count_", "loaded_count_", "diff_", "total_", "max_")):
        return "BIGINT"
    if column.endswith("_date"):
        return "DATE"
    return "VARCHAR"


def test_mart_columns_and_types_are_the_documented_contract(warehouse: Warehouse) -> None:
    warehouse.seed("bulk_jobs", [job("j1", total_messages_discovered=1, messages_successful=1)])
    warehouse.seed("bulk_job_messages", [message("j1", "m1", "COMPLETED")])
    warehouse.build()
    for mart, columns in CONTRACT.items():
        described = warehouse.query(f"describe {REPORTING}.{mart}")
        assert [c[0] for c in described] == columns, mart
        assert {c[0]: c[1] for c in described} == {c: expected_type(c) for c in columns}, mart
