"""Seeds raw tables through dlt itself, so they are shaped exactly like the sync's output."""

from collections.abc import Iterable
from pathlib import Path
from typing import Any

import dlt
import pytest

from cf_bulk_sync.models.runner import BuildResult, build_models
from cf_bulk_sync.source import settings

from ..support.warehouse import duckdb_pipeline, query

ACCOUNT = "0123456789abcdef0123456789abcdef"
REPORTING = "cloudflare_email_security_reporting"


def job(
    job_id: str,
    status: str = "COMPLETED",
    action: str = "MOVE",
    destination: str = "JunkEmail",
    **counters: int,
) -> dict[str, Any]:
    params = {"type": action, "destination": destination} if action == "MOVE" else {"type": action}
    row = {
        "job_id": job_id,
        "account_id": ACCOUNT,
        "action_type": action,
        "action_params": params,
        "status": status,
        "comment": f"comment {job_id}",
        "created_at": "2026-11-01T08:00:00Z",
        "started_at": "2026-11-01T08:01:00Z",
        "completed_at": "2026-11-01T09:00:00Z"
        if status in ("COMPLETED", "FAILED", "CANCELLED")
        else None,
    }
    for name in settings.JOB_COUNTERS:
        row[name] = counters.get(name, 0)
    return row


def message(
    job_id: str,
    message_id: str,
    status: str,
    text: Any = None,
    retry_count: int = 0,
    created: str = "2026-11-01T08:10:00Z",
    processed: Any = "2026-11-01T08:30:00Z",
    retry_after: Any = None,
    action: str = "MOVE",
) -> dict[str, Any]:
    params = {"client_recipient": f"{message_id}@example.com", "type": action}
    if action == "MOVE":
        params["destination"] = "JunkEmail"
    return {
        "job_id": job_id,
        "account_id": ACCOUNT,
        "message_id": message_id,
        "action_type": action,
        "action_params": params,
        "status": status,
        "status_message": text,
        "retry_count": retry_count,
        "created_at": created,
        "processed_at": processed,
        "retry_after": retry_after,
        "postfix_id": "P1",
    }


class Warehouse:
    def __init__(self, folder: Path) -> None:
        self.database = folder / "models.duckdb"
        self.pipeline = duckdb_pipeline(folder, name="models")

    def seed(self, table: str, rows: Iterable[dict[str, Any]]) -> None:
        hints = {
            settings.JOBS_TABLE: dict(
                columns=settings.JOB_COLUMNS, primary_key="job_id", write_disposition="merge"
            ),
            settings.MESSAGES_TABLE: dict(
                columns=settings.MESSAGE_COLUMNS,
                primary_key=("job_id", "message_id"),
                write_disposition="merge",
            ),
            settings.DELETIONS_TABLE: dict(
                columns=settings.DELETION_COLUMNS, primary_key="job_id", write_disposition="merge"
            ),
            settings.SNAPSHOTS_TABLE: dict(
                columns=settings.SNAPSHOT_COLUMNS,
                primary_key=("job_id", "observed_at"),
                write_disposition="merge",
            ),
            settings.REJECTED_TABLE: dict(
                columns=settings.REJECTED_COLUMNS,
                primary_key="rejected_id",
                write_disposition="merge",
            ),
        }[table]
        resource = dlt.resource(list(rows), name=table, **hints)
        self.pipeline.run(resource).raise_on_failed_jobs()

    def build(self) -> BuildResult:
        return build_models(self.pipeline)

    def query(self, sql: str) -> list[tuple]:
        return query(self.database, sql)

    def mart(self, name: str, columns: str, order: str = "1") -> list[tuple]:
        return self.query(f"select {columns} from {REPORTING}.{name} order by {order}")


@pytest.fixture
def warehouse(tmp_path: Path) -> Warehouse:
    return Warehouse(tmp_path)
