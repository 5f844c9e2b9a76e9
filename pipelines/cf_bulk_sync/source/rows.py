"""The rows the source writes beside the API's own: each job's sync state, items set aside,
deletions and progress snapshots. Rows for a table other than the yielding resource's carry
their table's hints as a variant (see `dlt.mark.with_hints`)."""

from typing import Any

import dlt

from . import settings


def sync_state(
    jobs: list[tuple[str, dict[str, Any]]], complete: set[str], status: str | None, now: Any
) -> Any:
    """A row of `bulk_job_sync_state` per job of `jobs` (account, job): whether all its messages
    were loaded, and under which status filter. A job that failed or was not reached is marked
    incomplete, so its older rows are not held against the job's new counters (see
    job_reconciliation)."""
    rows = [
        {
            "job_id": job["job_id"],
            "account_id": account_id,
            "messages_complete": job["job_id"] in complete,
            "status_filter": status,
            "synced_at": now,
        }
        for account_id, job in jobs
    ]
    return _variant(rows, settings.SYNC_STATE_TABLE, "job_id", settings.SYNC_STATE_COLUMNS)


def rejected_items(rows: list[dict[str, Any]]) -> Any:
    """Rows of `bulk_job_messages_rejected` (see quarantine), merged on their key: a load job
    run again after a crash adds nothing."""
    return _variant(rows, settings.REJECTED_TABLE, "rejected_id", settings.REJECTED_COLUMNS)


def deletion(
    job_id: str, account_id: str, deleted_at: Any, restored_at: Any = None
) -> dict[str, Any]:
    """A row of `bulk_job_deletions`: deleted when `deleted_at` is set, alive again when not."""
    return {
        "job_id": job_id,
        "account_id": account_id,
        "deleted_at": deleted_at,
        "restored_at": restored_at,
    }


def snapshot(job: dict[str, Any], account_id: str, now: Any) -> dict[str, Any]:
    """A row of `bulk_job_snapshots`: the job's status and counters as listed `now`."""
    return {
        "job_id": job["job_id"],
        "account_id": account_id,
        "observed_at": now,
        "status": job.get("status"),
        **{name: job.get(name) for name in settings.JOB_COUNTERS},
    }


def _variant(rows: list[dict[str, Any]], table: str, key: str, columns: Any) -> Any:
    return dlt.mark.with_hints(
        rows,
        dlt.mark.make_hints(
            table_name=table, write_disposition="merge", primary_key=key, columns=columns
        ),
        # a variant: without it the hints would become the yielding resource's own
        create_table_variant=True,
    )
