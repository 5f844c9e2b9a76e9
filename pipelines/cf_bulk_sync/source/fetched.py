"""Requests in proportion to change: which jobs in flight a run fetches again.

The job list already carries each job's status and counters (`total_messages_discovered`,
`messages_pending`, `messages_successful`, `messages_failed`, `messages_skipped`,
`messages_cancelled`). A job in flight whose status and counters are what they were at its last
complete fetch is not fetched again until `refetch_unchanged_after` seconds have passed since
then (`settings.DEFAULT_REFETCH_UNCHANGED`; 0 fetches every job in flight on every run). A job
that settles changes status, so it is always fetched in full once, and settled marts stay exact.
What can lag behind meanwhile is what the counters do not show: moves among PENDING, DISCOVERING
and PROCESSING (all counted as pending), and a failed message's retry_after and text.

The record is resource state (`fetched_jobs`: job id -> [signature, fetched at (epoch seconds),
complete, status filter]), saved with the load package like the list of settled jobs: a run
that fails before loading leaves it as it was. It also tells when a job's row of
`bulk_job_sync_state` would say something new, so that an unchanged one is not written again.
"""

from typing import Any

from .helpers import status_of
from .settings import JOB_COUNTERS


def signature(job: dict[str, Any]) -> str:
    """What the job list says of a job's progress: its status and counters."""
    return "|".join([str(status_of(job))] + [str(job.get(name)) for name in JOB_COUNTERS])


class FetchedJobs:
    """The jobs in flight fetched by earlier runs, over the resource state's dict `record`."""

    def __init__(self, record: dict[str, list[Any]], refetch_after: float) -> None:
        self.record = record
        self.refetch_after = refetch_after

    def is_unchanged(self, job: dict[str, Any], status_filter: str | None, now: float) -> bool:
        """Whether the job was fetched completely, under the same filter, less than
        `refetch_after` seconds ago, and the listing shows it as it was then."""
        entry = self.record.get(job["job_id"])
        if not entry or self.refetch_after <= 0:
            return False
        sig, fetched_at, complete, filtered = entry
        return (
            bool(complete)
            and filtered == status_filter
            and sig == signature(job)
            and now - float(fetched_at) < self.refetch_after
        )

    def note(
        self, job: dict[str, Any], complete: bool, status_filter: str | None, now: float
    ) -> bool:
        """Records a fetch of the job; True when its sync-state row says something new (its
        completeness or filter differ from the last fetch's, or it is new here)."""
        before = self.record.get(job["job_id"])
        self.record[job["job_id"]] = [signature(job), now, complete, status_filter]
        return before is None or (bool(before[2]), before[3]) != (complete, status_filter)

    def forget(self, job_id: str) -> None:
        """A settled job (it is in the settled record now) or one no longer listed."""
        self.record.pop(job_id, None)
