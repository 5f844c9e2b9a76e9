"""The jobs one run works on: listed once per account and shared by every resource."""

import threading
from typing import Any

from dlt.common import logger

from .client import CloudflareClient
from .errors import CursorRejectedError, NotFoundError
from .helpers import is_uuid, printable
from .quarantine import problem
from .settings import JOB_INTEGERS


class JobCatalog:
    """Lists each account's jobs on first use (the list endpoint, or one call per explicit id)
    and keeps them, so that jobs and messages are read from one listing per run."""

    def __init__(
        self,
        client: CloudflareClient,
        account_ids: list[str],
        job_ids: list[str] | None = None,
        action_type: str | None = None,
    ) -> None:
        self.client = client
        self.account_ids = account_ids
        self.job_ids = job_ids or []
        self.action_type = action_type
        self._jobs: dict[str, list[dict[str, Any]]] = {}
        self._missing: dict[str, set[str]] = {}
        self._lock = threading.Lock()

    def jobs(self, account_id: str) -> list[dict[str, Any]]:
        with self._lock:
            if account_id not in self._jobs:
                self._jobs[account_id] = self._list(account_id)
                self.client.stats.add("jobs_seen", len(self._jobs[account_id]))
            return self._jobs[account_id]

    def _list(self, account_id: str) -> list[dict[str, Any]]:
        if not self.job_ids:
            return self._listing(account_id)
        missing = self._missing.setdefault(account_id, set())
        found = []
        for job_id in self.job_ids:
            try:
                found.append(self.client.get_job(account_id, job_id))
            except NotFoundError:
                missing.add(job_id)
                self.client.stats.warn(f"job {job_id} not found in account {account_id}")
        return found

    def _listing(self, account_id: str) -> list[dict[str, Any]]:
        """The account's whole job list. An expired or rejected cursor restarts it from the
        first page once (the only safe recovery, as for a job's messages); a second expiry
        fails the run with the cursor error."""
        restarted = False
        while True:
            jobs: list[dict[str, Any]] = []
            try:
                for page in self.client.iter_jobs(account_id, self.action_type):
                    jobs.extend(page)
            except CursorRejectedError as e:
                if restarted:
                    raise
                restarted = True
                self.client.stats.add("cursor_restarts")
                logger.warning(f"job list of account {account_id}: {e}; restarting it")
                continue
            return self._keyed(account_id, jobs)

    def _keyed(self, account_id: str, page: list[Any]) -> list[dict[str, Any]]:
        """The page's jobs whose id is a UUID. Anything else is set aside, named in a warning
        and never requested: an id goes into URL paths and table keys."""
        good = []
        for job in page:
            job_id = job.get("job_id") if isinstance(job, dict) else None
            if not is_uuid(job_id):
                self.client.stats.warn(
                    f"job list of account {account_id}: an item with job_id"
                    f" {printable(job_id, 60)} is not a UUID: set aside, never requested"
                )
            elif (found := problem(job, "job_id", JOB_INTEGERS)) is not None:
                # it would fail the load package, on every run (see quarantine)
                self.client.stats.warn(
                    f"job list of account {account_id}: job {job_id} cannot be loaded as"
                    f" declared ({found[0]}: {printable(found[1], 120)}): set aside this run"
                )
            else:
                good.append(job)
        return good

    def covers(self, account_id: str, job_id: str, action_type: str | None) -> bool:
        """Whether this run's listing would have shown the job if it still existed, i.e. whether
        its absence means it was deleted."""
        if self.job_ids:
            return job_id in self._missing.get(account_id, set())
        return self.action_type is None or self.action_type == action_type

    @property
    def is_full_listing(self) -> bool:
        return not self.job_ids and self.action_type is None
