"""dlt source for Cloudflare Email Security bulk action jobs and the messages of each job."""

import threading
from collections import Counter
from collections.abc import Callable, Iterator
from typing import Any

import dlt
import pyarrow as pa
from dlt.common import pendulum

from ..models import reason_texts
from . import settings
from .arrow_pages import ArrowBatch, to_arrow
from .catalog import JobCatalog
from .connect import make_client
from .errors import (
    ConfigurationError,
    CursorRejectedError,
    NotFoundError,
    RunawayPaginationError,
    StoppedBySignal,
    TransientAPIError,
)
from .fetcher import PAGE, Concurrency, fetch_concurrently
from .helpers import (
    ALL_STATUSES,
    account_ids_of,
    as_list,
    expected_messages,
    is_job_settled,
    is_synced,
    max_pages,
    shape_messages,
    status_texts,
    validate_choice,
    validate_job_ids,
    validate_workers,
)
from .privacy import Pseudonymizer
from .secrets import clean_secret
from .stats import SyncStats

__all__ = ["cloudflare_email_security", "SyncStats"]


# The section is named explicitly: dlt would otherwise take it from this module's name
# ("source"), and `sources.cloudflare_email_security.*` settings would no longer be found.
@dlt.source(name="cloudflare_email_security", section="cloudflare_email_security")
def cloudflare_email_security(
    account_id: Any | None = dlt.config.value,
    api_token: str | None = dlt.secrets.value,
    api_email: str | None = dlt.secrets.value,
    api_key: str | None = dlt.secrets.value,
    base_url: str | None = dlt.config.value,
    per_page: int = settings.DEFAULT_PER_PAGE,
    job_ids: Any | None = None,
    status: str | None = None,
    action_type: str | None = None,
    full_refresh: bool = False,
    request_budget: int = settings.DEFAULT_BUDGET_REQUESTS,
    request_budget_seconds: float = settings.DEFAULT_BUDGET_SECONDS,
    max_attempts: int = settings.DEFAULT_MAX_ATTEMPTS,
    backoff_factor: float = settings.DEFAULT_BACKOFF_FACTOR,
    max_retry_delay: float = settings.DEFAULT_MAX_RETRY_DELAY,
    request_timeout: float = settings.DEFAULT_TIMEOUT,
    request_deadline: float = settings.DEFAULT_DEADLINE,
    workers: int = settings.DEFAULT_WORKERS,
    pseudonymize_recipients: bool = False,
    pseudonymization_key: str | None = dlt.secrets.value,
    stats: SyncStats | None = None,
    stop: threading.Event | None = None,
) -> Any:
    """Bulk action jobs and their messages, for one or more accounts.

    Loads `bulk_jobs` (merge on `job_id`), `bulk_job_messages` (merge on `job_id`,
    `message_id`), `bulk_job_deletions` (merge on `job_id`: jobs that vanished at Cloudflare),
    `bulk_job_snapshots` (merge on `job_id`, `observed_at`: jobs in progress, once per run)
    and `bulk_job_messages_rejected` (merge on `rejected_id`: items that cannot be loaded as
    declared, see `quarantine`). Jobs whose
    messages were fully synced once they were settled are skipped on later runs unless
    `full_refresh`.

    Args:
        account_id: One id, a comma-separated list or a list; falls back to CLOUDFLARE_ACCOUNT_ID.
        api_token: API token with "Cloud Email Security: Read"; falls back to CLOUDFLARE_API_TOKEN.
        api_email: Legacy auth: the account e-mail, with `api_key`.
        api_key: Legacy auth: the global API key.
        base_url: API root; falls back to CLOUDFLARE_API_BASE_URL, then Cloudflare's.
        per_page: Items per request, 1..1000.
        job_ids: Sync only these jobs (UUIDs) instead of every job of the account.
        status: Sync only messages in this status.
        action_type: Sync only jobs of this action type (MOVE or RELEASE).
        full_refresh: Fetch every job's messages again, settled or not.
        request_budget: At most this many requests per `request_budget_seconds`.
        request_budget_seconds: The budget's sliding window.
        max_attempts: Attempts per request on 429, 5xx, timeouts and malformed bodies.
        backoff_factor: Multiplier of the exponential wait between attempts.
        max_retry_delay: Longest wait between two attempts, in seconds; a 429 asking for a
            longer wait stops the run instead.
        request_timeout: Seconds to wait for a response before retrying.
        request_deadline: Seconds one response may take in all (connect and every read)
            before it is retried: a server dripping bytes cannot hold a run.
        workers: Jobs whose messages are fetched at once (1..32); they share the budget.
        pseudonymize_recipients: Replace every e-mail address in message items by a keyed hash
            before loading (see `privacy.Pseudonymizer`).
        pseudonymization_key: The secret key of those hashes; required when pseudonymising.
        stats: Counters to fill for the run summary.
        stop: Once set (by a signal), fetching stops at the next page boundary and what was
            fetched is loaded.
    """
    stats = stats if stats is not None else SyncStats()
    # waits (backoff, the request budget) end early when a signal asks the run to stop
    sleep = interruptible_sleep(stop) if stop is not None else None
    accounts = account_ids_of(account_id)
    client = make_client(
        api_token,
        api_email,
        api_key,
        base_url,
        per_page=per_page,
        request_budget=request_budget,
        request_budget_seconds=request_budget_seconds,
        max_attempts=max_attempts,
        backoff_factor=backoff_factor,
        max_retry_delay=max_retry_delay,
        request_timeout=request_timeout,
        request_deadline=request_deadline,
        stats=stats,
        sleep=sleep,
    )
    catalog = JobCatalog(
        client,
        accounts,
        validate_job_ids(as_list(job_ids)),
        validate_choice("action_type", action_type, settings.ACTION_TYPES),
    )
    status = validate_choice("status", status, settings.MESSAGE_STATUSES)
    notes: list[str] = []
    raw_key, pseudonymization_key = (
        pseudonymization_key,
        clean_secret("pseudonymization_key", pseudonymization_key, notes),
    )
    stats.redactor.add(raw_key, pseudonymization_key)
    for note in notes:
        stats.warn(note)
    pseudonymizer = None
    if pseudonymize_recipients:
        if not pseudonymization_key:
            raise ConfigurationError(
                "pseudonymize_recipients needs a key: set"
                " sources.cloudflare_email_security.pseudonymization_key (a secret)"
            )
        pseudonymizer = Pseudonymizer(pseudonymization_key)
    return (
        bulk_jobs(catalog, pseudonymizer),
        bulk_job_messages(
            catalog, status, full_refresh, pseudonymizer, validate_workers(workers), stop
        ),
        bulk_job_deletions(catalog),
        bulk_job_snapshots(catalog),
    )


@dlt.resource(
    name=settings.JOBS_TABLE,
    write_disposition="merge",
    primary_key="job_id",
    columns=settings.JOB_COLUMNS,
)
def bulk_jobs(catalog: JobCatalog, pseudonymizer: Pseudonymizer | None = None) -> Iterator[Any]:
    """Every job of each account, all API fields, stamped with `account_id`."""
    for account_id in catalog.account_ids:
        jobs = catalog.jobs(account_id)
        for job in jobs:
            job["account_id"] = account_id
            if pseudonymizer is not None:
                pseudonymizer.apply(job)
        if jobs:
            yield jobs


@dlt.resource(
    name=settings.DELETIONS_TABLE,
    write_disposition="merge",
    primary_key="job_id",
    columns=settings.DELETION_COLUMNS,
)
def bulk_job_deletions(catalog: JobCatalog) -> Iterator[Any]:
    """Jobs that vanished from the account's listing (deleted at Cloudflare), once each, with
    the time their absence was first seen. Their rows stay in the other tables.

    Resource state `known_jobs` maps each account's jobs to their action type, so that a run
    filtered by action type or job id only judges the jobs it could have seen.
    """
    known: dict[str, dict[str, str | None]] = dlt.current.resource_state().setdefault(
        "known_jobs", {}
    )
    now = pendulum.now("UTC")
    for account_id in catalog.account_ids:
        jobs = catalog.jobs(account_id)
        account_known = known.setdefault(account_id, {})
        present = {job["job_id"] for job in jobs}
        gone = [
            job_id
            for job_id, action in account_known.items()
            if job_id not in present and catalog.covers(account_id, job_id, action)
        ]
        for job_id in gone:
            del account_known[job_id]
        account_known.update({job["job_id"]: job.get("action_type") for job in jobs})
        if gone:
            catalog.client.stats.add("jobs_deleted", len(gone))
            yield [{"job_id": j, "account_id": account_id, "deleted_at": now} for j in gone]


@dlt.resource(
    name=settings.MESSAGES_TABLE,
    # Not declared "deduplicated", although the client never yields a message twice: after a
    # crash dlt may run a load job again, and only the merge's own dedup step absorbs that.
    write_disposition="merge",
    primary_key=("job_id", "message_id"),
    columns=settings.MESSAGE_COLUMNS,
)
def bulk_job_messages(
    catalog: JobCatalog,
    status: str | None = None,
    full_refresh: bool = False,
    pseudonymizer: Pseudonymizer | None = None,
    workers: int = settings.DEFAULT_WORKERS,
    stop: threading.Event | None = None,
) -> Iterator[Any]:
    """Each job's messages, cursor-paged, stamped with `job_id` and `account_id`; and per job
    fetched, a row of `bulk_job_sync_state` (merge on `job_id`) saying whether its messages
    are complete. `stop`, once set, ends the fetching at the next page boundary.

    Resource state `settled_jobs` maps a job to the status filters it was fully synced under
    after it had settled; such jobs are skipped. The state is saved with the load package, so a
    run that fails before loading never marks a job as done. `job_accounts` says which account
    each entry belongs to (see `forget_absent`).
    """
    client = catalog.client
    stats = client.stats
    state = dlt.current.resource_state()
    settled: dict[str, list[str]] = state.setdefault("settled_jobs", {})
    accounts_of: dict[str, str] = state.setdefault("job_accounts", {})
    todo = []
    seen = set()
    for account_id in catalog.account_ids:
        for job in catalog.jobs(account_id):
            if job["job_id"] in seen:
                # a listing that repeats a job: fetched once, so a run never holds a message
                # twice (the first load of an empty table appends, see first_load)
                continue
            seen.add(job["job_id"])
            accounts_of[job["job_id"]] = account_id
            if not full_refresh and is_synced(settled.get(job["job_id"], ()), status):
                stats.add("jobs_skipped")
            else:
                todo.append((account_id, job))

    def fetch(task: tuple[str, dict[str, Any]]) -> Iterator[Any]:
        # Runs on a worker thread: the HTTP calls, and turning pages into Arrow tables. One
        # item per page, so that the number of workers at once adapts page by page. Rows are
        # counted by the consumer below, when handed to dlt: a page fetched but dropped (the
        # run stopped) must not be claimed as loaded.
        account_id, job = task
        pages = client.iter_messages(
            account_id,
            job["job_id"],
            status,
            lambda served: max_pages(job, served),
            on_restart=lambda: f"with at most {concurrency.reduce()} worker(s) from now on",
        )
        for page in pages:
            good, rejected, statuses = shape_messages(
                page, account_id, job["job_id"], pseudonymizer
            )
            texts = status_texts(good)
            table = to_arrow(good) if good else None
            if table is not None:
                yield table, statuses, 0, None, texts
            elif good:
                yield good, statuses, 0, None, texts
            if rejected:
                yield _rejected(rejected), Counter(), len(rejected), rejected[0]["reason"], set()

    stats.add("jobs_todo", len(todo))
    stats.add("messages_expected", sum(expected_messages(job) for _, job in todo))
    # Tables go to dlt in batches per job: dlt's cost per item (schema checks, a file write)
    # is fixed, so a few large items load much faster than many page-sized ones.
    batches: dict[str, ArrowBatch] = {}
    complete: set[str] = set()
    # the distinct status messages of the pages handed to dlt: their reasons load with them, a
    # batch at a time (texts often hold addresses or request ids: a tenth of the messages can
    # have texts of their own, and a run's worth held at once costs ~80 MiB at 1M messages).
    # A text in two batches is merged once (merge on its hash).
    texts: set[str] = set()
    concurrency = Concurrency(workers)
    events = fetch_concurrently(todo, fetch, concurrency)
    try:
        for kind, (_, job), payload in events:
            job_id = job["job_id"]
            if stop is not None and stop.is_set():
                # A signal: stop at this page boundary and load what was fetched; unfinished
                # jobs are neither marked settled nor complete, and the next run fetches them.
                stats.warn("stopped by a signal: the remaining jobs were not fetched this run")
                break
            if kind == PAGE:
                data, statuses, rejected, reason, page_texts = payload
                stats.count_rows(statuses)
                texts |= page_texts
                if len(texts) >= settings.REASON_BATCH_TEXTS:
                    yield reason_texts.marked_rows(texts)
                    texts = set()
                if rejected:
                    stats.add("rows_rejected", rejected)
                    stats.warn(
                        f"job {job_id}: {rejected} message item(s) could not be loaded as"
                        f" declared, kept in {settings.REJECTED_TABLE} (first: {reason})"
                    )
                if isinstance(data, pa.Table):
                    batch = batches.setdefault(job_id, ArrowBatch(settings.ARROW_BATCH_ROWS))
                    yield from batch.add(data)
                else:
                    yield data
                continue
            done = batches.pop(job_id, None)
            if done is not None:
                yield from done.flush()
            if payload is None:
                stats.add("jobs_synced")
                complete.add(job_id)
                if is_job_settled(job):
                    settled[job_id] = sorted(
                        set(settled.get(job_id, [])) | {status or ALL_STATUSES}
                    )
            elif isinstance(payload, NotFoundError):
                stats.warn(
                    f"job {job_id} vanished during the run (deleted at Cloudflare): {payload}"
                )
            elif isinstance(payload, (RunawayPaginationError, CursorRejectedError)):
                stats.job_failed(job_id, str(payload))
            elif isinstance(payload, TransientAPIError):
                # Stop fetching but keep what was fetched: jobs finished so far are loaded and
                # recorded, the rest is fetched by the next run.
                stats.job_failed(job_id, f"{payload}; the remaining jobs were not fetched this run")
                break
            else:
                raise payload
        else:
            forget_absent(catalog, settled, accounts_of)
    finally:
        events.close()
    for batch in batches.values():
        yield from batch.flush()
    if texts:
        yield reason_texts.marked_rows(texts)
    for _, job in todo:
        if job["job_id"] not in complete:
            # not fetched in full this run (failed, stopped, or not reached): whatever an
            # earlier run settled, the next run fetches it again
            settled.pop(job["job_id"], None)
    if todo:
        yield _sync_state(todo, complete, status)


def interruptible_sleep(stop: threading.Event) -> Callable[[float], None]:
    """A sleep that a signal cuts short: the waiting call then stops with `StoppedBySignal`
    instead of sending another request."""

    def sleep(seconds: float) -> None:
        if stop.wait(seconds):
            raise StoppedBySignal("stopped by a signal while waiting to retry")

    return sleep


def forget_absent(
    catalog: JobCatalog, entries: dict[str, Any], accounts_of: dict[str, str]
) -> None:
    """Drops the entries of jobs that this run's full listing of their own account no longer
    shows (deleted at Cloudflare). Entries of accounts this run did not list are kept: a run of
    one account must not make every other account's jobs be fetched again. An entry whose
    account is unknown (state from before accounts were recorded) is kept until its job is
    seen again."""
    if not catalog.is_full_listing:
        return
    listed = set(catalog.account_ids)
    present = {job["job_id"] for a in catalog.account_ids for job in catalog.jobs(a)}
    for job_id in [j for j in entries if j not in present and accounts_of.get(j) in listed]:
        del entries[job_id]
    for job_id in [j for j in accounts_of if j not in entries and j not in present]:
        del accounts_of[job_id]


def _sync_state(
    todo: list[tuple[str, dict[str, Any]]], complete: set[str], status: str | None
) -> Any:
    """One row per job this run set out to fetch: whether all its messages were loaded, and
    under which status filter. A job that failed or was not reached is marked incomplete, so
    its older rows are not held against the job's new counters (see job_reconciliation)."""
    now = pendulum.now("UTC")
    rows = [
        {
            "job_id": job["job_id"],
            "account_id": account_id,
            "messages_complete": job["job_id"] in complete,
            "status_filter": status,
            "synced_at": now,
        }
        for account_id, job in todo
    ]
    return dlt.mark.with_hints(
        rows,
        dlt.mark.make_hints(
            table_name=settings.SYNC_STATE_TABLE,
            write_disposition="merge",
            primary_key="job_id",
            columns=settings.SYNC_STATE_COLUMNS,
        ),
        create_table_variant=True,
    )


@dlt.resource(
    name=settings.SNAPSHOTS_TABLE,
    # merged on its natural key, not appended: after a crash dlt may run a load job again
    write_disposition="merge",
    primary_key=("job_id", "observed_at"),
    columns=settings.SNAPSHOT_COLUMNS,
)
def bulk_job_snapshots(catalog: JobCatalog) -> Iterator[Any]:
    """One row per job in progress per run, with its status and counters as observed, and a
    last row when it settles, so that a job's progress can be charted over time.

    Resource state `in_progress` holds the jobs seen in progress last time (a small set), and
    `job_accounts` the account of each.
    """
    state = dlt.current.resource_state()
    watching: dict[str, int] = state.setdefault("in_progress", {})
    accounts_of: dict[str, str] = state.setdefault("job_accounts", {})
    now = pendulum.now("UTC")
    rows = []
    for account_id in catalog.account_ids:
        for job in catalog.jobs(account_id):
            job_id = job["job_id"]
            accounts_of[job_id] = account_id
            settled = is_job_settled(job)
            if not settled or job_id in watching:
                rows.append(
                    {
                        "job_id": job_id,
                        "account_id": account_id,
                        "observed_at": now,
                        "status": job.get("status"),
                        **{name: job.get(name) for name in settings.JOB_COUNTERS},
                    }
                )
            if settled:
                watching.pop(job_id, None)
            else:
                watching[job_id] = 1
    forget_absent(catalog, watching, accounts_of)
    if rows:
        yield rows


def _rejected(rows: list[dict[str, Any]]) -> Any:
    return dlt.mark.with_hints(
        rows,
        dlt.mark.make_hints(
            table_name=settings.REJECTED_TABLE,
            # merged, not appended, so a load job run again after a crash adds nothing
            write_disposition="merge",
            primary_key="rejected_id",
            columns=settings.REJECTED_COLUMNS,
        ),
        # A variant: without it the hints would become the resource's own for later rows.
        create_table_variant=True,
    )
