"""Counters of one sync run, filled by the client and the resources, read by the run summary."""

import threading
from collections import Counter
from dataclasses import dataclass, field

from .secrets import Redactor


@dataclass
class SyncStats:
    """What one run saw and did. Thread-safe: parallel workers share one instance."""

    jobs_seen: int = 0
    jobs_todo: int = 0
    messages_expected: int = 0
    jobs_synced: int = 0
    jobs_skipped: int = 0
    # jobs in flight the listing shows as they were at their last complete fetch (see fetched)
    jobs_unchanged: int = 0
    jobs_deleted: int = 0
    requests: int = 0
    retries: int = 0
    cursor_restarts: int = 0
    rows_rejected: int = 0
    # rows fetched again as they are stored: not written again (see changes)
    rows_unchanged: int = 0
    rows_by_status: Counter = field(default_factory=Counter)
    # the request budget (see budget): seconds waited for it, and while a wait lasts, when
    # it ends (time.monotonic) and why, for the progress line
    budget_waited: float = 0.0
    budget_wait_until: float = 0.0
    budget_wait_reason: str = ""
    job_errors: dict[str, str] = field(default_factory=dict)
    warnings: list[str] = field(default_factory=list)
    # every text kept here is redacted: it reaches the terminal, sync_runs and the dashboard
    redactor: Redactor = field(default_factory=Redactor, repr=False, compare=False)
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False, compare=False)

    def add(self, name: str, amount: int = 1) -> None:
        with self._lock:
            setattr(self, name, getattr(self, name) + amount)

    def count_rows(self, statuses: Counter) -> None:
        with self._lock:
            self.rows_by_status.update(statuses)

    def job_failed(self, job_id: str, message: str) -> None:
        with self._lock:
            self.job_errors[job_id] = self.redactor(message)

    def waiting_for_budget(self, seconds: float, reason: str, now: float) -> None:
        with self._lock:
            self.budget_waited += seconds
            self.budget_wait_until = now + seconds
            self.budget_wait_reason = reason

    def warn(self, message: str) -> None:
        with self._lock:
            self.warnings.append(self.redactor(message))

    @property
    def rows(self) -> int:
        return sum(self.rows_by_status.values())
