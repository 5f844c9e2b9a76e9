"""The jobs one run works on: listed once per account and shared by every resource."""

import threading
from typing import Any

from dlt.common import logger

from ..safe_text import printable
from .client import CloudflareClient
from .errors import CfBulkSyncError, CursorRejectedError, JobNotServedError, NotFoundError
from .helpers import is_job_id
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
        """The page's jobs whose id is safe in a URL path and as a key (see
        `helpers.is_job_id`). Any other item fails as a job of its own, by name, and is never
        requested: the run is partial, not OK with a job missing."""
        good = []
        for job in page:
            job_id = job.get("job_id") if isinstance(job, dict) else None
            if not is_job_id(job_id):
                self.client.stats.job_failed(
                    f"{printable(job_id, 60)!r} (account {account_id})",
                    "the job list holds a job whose job_id is not an id (letters, digits, - and"
                    " _ at most): never requested; it fails until the API lists it with one",
                )
            elif (found := problem(job, "job_id", JOB_INTEGERS)) is not None:
                # it would fail the load package, on every run (see quarantine)
                self.client.stats.job_failed(
                    str(job_id),
                    f"the job list holds this job in a shape that cannot be loaded as declared"
                    f" ({found[0]}: {printable(found[1], 120)}): not synced this run",
                )
            else:
                good.append(job)
        return good

    def is_deleted(self, account_id: str, job_id: str) -> bool:
        """Whether the API says the job no longer exists: its own detail answers 404. Only
        then is a job marked deleted; any other answer (it is still there, the request failed)
        leaves it alive, with a warning."""
        try:
            self.client.get_job(account_id, job_id)
        except NotFoundError:
            return True
        except CfBulkSyncError as e:
            self.client.stats.warn(
                f"job {job_id} is missing from the job list, and asking for it failed ({e}):"
                " not marked deleted; asked again next run"
            )
            return False
        self.client.stats.warn(
            f"job {job_id} is missing from the job list but its detail answers: not marked deleted"
        )
        return False

    def covers(self, account_id: str, job_id: str, action_type: str | None) -> bool:
        """Whether this run's listing would have shown the job if it still existed, i.e. whether
        its absence means it was deleted."""
        if self.job_ids:
            return job_id in self._missing.get(account_id, set())
        return self.action_type is None or self.action_type == action_type

    def confirm_missing(
        self, account_id: str, job_id: str, error: NotFoundError
    ) -> CfBulkSyncError:
        """What a 404 on a listed job's messages means, asked of the job itself: deleted
        (`error`, when its detail answers 404 too), else a failure of this job alone (a 404 that
        passes, a proxy's): it is not marked deleted, and its messages are fetched again next
        run."""
        try:
            self.client.get_job(account_id, job_id)
        except NotFoundError:
            return error
        except CfBulkSyncError as e:
            return JobNotServedError(
                f"messages of job {job_id} answered 404 ({error}) and asking for the job failed"
                f" ({e}): not marked deleted; fetched again next run"
            )
        return JobNotServedError(
            f"messages of job {job_id} answered 404 ({error}) but the job's detail answers: it"
            " is not deleted; its messages are fetched again next run"
        )

    def forget_absent(self, entries: dict[str, Any], accounts_of: dict[str, str]) -> None:
        """Drops the `entries` (resource state keyed by job) of jobs that this run's full
        listing of their own account no longer shows (deleted at Cloudflare). Entries of
        accounts this run did not list are kept: a run of one account must not make every
        other account's jobs be fetched again. An entry whose account is unknown (state from
        before accounts were recorded) is kept until its job is seen again."""
        if not self.is_full_listing:
            return
        listed = set(self.account_ids)
        present = {job["job_id"] for a in self.account_ids for job in self.jobs(a)}
        for job_id in [j for j in entries if j not in present and accounts_of.get(j) in listed]:
            del entries[job_id]
        for job_id in [j for j in accounts_of if j not in entries and j not in present]:
            del accounts_of[job_id]

    @property
    def is_full_listing(self) -> bool:
        return not self.job_ids and self.action_type is None
