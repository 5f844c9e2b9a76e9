"""The dlt source for Cloudflare Email Security bulk action jobs and its resources."""

import threading
from collections import Counter
from collections.abc import Iterator
from typing import Any

import dlt
import pyarrow as pa
from dlt.common import pendulum

from ..reasons import texts as reason_texts
from . import settings
from .arrow_pages import ArrowBatch, import_on_this_thread, to_arrow
from .catalog import JobCatalog
from .changes import RowChanges, StoredHashes
from .connect import make_client
from .errors import (
    AccountError,
    AuthenticationError,
    CloudflareAPIError,
    ConfigurationError,
    CursorRejectedError,
    NotFoundError,
    RunawayPaginationError,
    TransientAPIError,
)
from .fetched import FetchedJobs, signature
from .fetcher import PAGE, Concurrency, fetch_concurrently
from .helpers import (
    ALL_STATUSES,
    account_ids_of,
    as_list,
    expected_messages,
    flatten_params,
    interruptible_sleep,
    is_job_settled,
    is_synced,
    max_pages,
    shape_messages,
    status_texts,
    validate_choice,
    validate_job_ids,
    validate_range,
    validate_workers,
)
from .privacy import Pseudonymizer
from .rows import deletion, rejected_items, snapshot, sync_state
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
    connect_timeout: float = settings.DEFAULT_CONNECT_TIMEOUT,
    workers: int = settings.DEFAULT_WORKERS,
    refetch_unchanged_after: float = settings.DEFAULT_REFETCH_UNCHANGED,
    pseudonymize_recipients: bool = False,
    pseudonymization_key: str | None = dlt.secrets.value,
    stats: SyncStats | None = None,
    stop: threading.Event | None = None,
    stored_hashes: StoredHashes | None = None,
) -> Any:
    """Bulk action jobs and their messages, for one or more accounts.

    Loads `bulk_jobs` (merge on `job_id`), `bulk_job_messages` (merge on `job_id`,
    `message_id`), `bulk_job_deletions` (merge on `job_id`: jobs that vanished at Cloudflare),
    `bulk_job_snapshots` (merge on `job_id`, `observed_at`: jobs in progress, once per run)
    and `bulk_job_messages_rejected` (merge on `rejected_id`: items that cannot be loaded as
    declared, see `quarantine`). Jobs whose
    messages were fully synced once they were settled are skipped on later runs unless
    `full_refresh`; jobs in flight the listing shows unchanged are skipped for a while (see
    `fetched`). Rows stored as they are listed again are not written again (see `changes`).

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
        request_timeout: Seconds to wait for each read of a response before retrying.
        request_deadline: Seconds one response may take in all (connect and every read)
            before it is retried: a server dripping bytes cannot hold a run.
        connect_timeout: Seconds to wait for a connection (TCP and TLS). A connection that
            fails before the API answered once in the run is not retried: the error names
            host, port and base_url.
        workers: Jobs whose messages are fetched at once (1..32); they share the budget.
        refetch_unchanged_after: Seconds a job in flight whose status and counters are unchanged
            since its last complete fetch is not fetched again (0: every run).
        pseudonymize_recipients: Replace every e-mail address in message items by a keyed hash
            before loading (see `privacy.Pseudonymizer`).
        pseudonymization_key: The secret key of those hashes; required when pseudonymising.
        stats: Counters to fill for the run summary.
        stop: Once set (by a signal), fetching stops at the next page boundary and what was
            fetched is loaded.
        stored_hashes: The row hashes in the destination (see `changes`); None writes every
            row.
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
        connect_timeout=connect_timeout,
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
    changes = RowChanges(stored_hashes)
    refetch = validate_range("refetch_unchanged_after", refetch_unchanged_after, 0)
    return (
        bulk_jobs(catalog, changes, pseudonymizer),
        bulk_job_messages(
            catalog,
            changes,
            status,
            full_refresh,
            pseudonymizer,
            validate_workers(workers),
            stop,
            refetch,
        ),
        bulk_job_deletions(catalog),
        bulk_job_snapshots(catalog),
    )


@dlt.resource(
    name=settings.JOBS_TABLE,
    write_disposition="merge",
    primary_key="job_id",
    columns=settings.JOB_COLUMNS,
    max_table_nesting=settings.MAX_TABLE_NESTING,
)
def bulk_jobs(
    catalog: JobCatalog, changes: RowChanges, pseudonymizer: Pseudonymizer | None = None
) -> Iterator[Any]:
    """Every job of each account, all API fields, stamped with `account_id`; `action_params`
    flattened, any other object or list kept as JSON (see `settings.MAX_TABLE_NESTING`). A job
    listed as it is stored is not written again (see `changes`)."""
    for account_id in catalog.account_ids:
        rows = []
        for job in catalog.jobs(account_id):
            # a copy: the other resources read the listing's dicts as the API sent them
            row = {**job, "account_id": account_id}
            if pseudonymizer is not None:
                pseudonymizer.apply(row)  # before flattening: it reads action_params whole
            rows.append(flatten_params(row))
        rows = changes.jobs(account_id, rows)
        if rows:
            yield rows


@dlt.resource(
    name=settings.DELETIONS_TABLE,
    write_disposition="merge",
    primary_key="job_id",
    columns=settings.DELETION_COLUMNS,
)
def bulk_job_deletions(catalog: JobCatalog) -> Iterator[Any]:
    """Jobs deleted at Cloudflare, once each, with the time their absence was first seen; and a
    job marked deleted that the job list shows again, alive again (`deleted_at` null,
    `restored_at` set). Their rows stay in the other tables.

    A job missing from the account's listing is marked deleted only on the API's word for that
    job: its detail answers 404 (see `JobCatalog.is_deleted`). Resource state `known_jobs` maps
    each account's jobs to their action type, so that a run filtered by action type or job id
    only judges the jobs it could have seen; `deleted_jobs` lists those marked deleted.
    """
    state = dlt.current.resource_state()
    known: dict[str, dict[str, str | None]] = state.setdefault("known_jobs", {})
    deleted: dict[str, list[str]] = state.setdefault("deleted_jobs", {})
    now = pendulum.now("UTC")
    for account_id in catalog.account_ids:
        jobs = catalog.jobs(account_id)
        account_known = known.setdefault(account_id, {})
        account_deleted = set(deleted.get(account_id, ()))
        present = {job["job_id"] for job in jobs}
        missing = [
            job_id
            for job_id, action in account_known.items()
            if job_id not in present and catalog.covers(account_id, job_id, action)
        ]
        gone = [job_id for job_id in missing if catalog.is_deleted(account_id, job_id)]
        back = sorted(account_deleted & present)
        for job_id in gone:
            del account_known[job_id]
        account_known.update({job["job_id"]: job.get("action_type") for job in jobs})
        deleted[account_id] = sorted((account_deleted - present) | set(gone))
        if not deleted[account_id]:
            del deleted[account_id]
        if gone:
            catalog.client.stats.add("jobs_deleted", len(gone))
        found = [deletion(job_id, account_id, now) for job_id in gone]
        found += [deletion(job_id, account_id, None, restored_at=now) for job_id in back]
        for job_id in back:
            catalog.client.stats.warn(
                f"job {job_id} was marked deleted and is listed again: alive again"
            )
        if found:
            yield found


@dlt.resource(
    name=settings.MESSAGES_TABLE,
    # Not declared "deduplicated", although the client never yields a message twice: after a
    # crash dlt may run a load job again, and only the merge's own dedup step absorbs that.
    write_disposition="merge",
    primary_key=("job_id", "message_id"),
    columns=settings.MESSAGE_COLUMNS,
    max_table_nesting=settings.MAX_TABLE_NESTING,
)
def bulk_job_messages(
    catalog: JobCatalog,
    changes: RowChanges,
    status: str | None = None,
    full_refresh: bool = False,
    pseudonymizer: Pseudonymizer | None = None,
    workers: int = settings.DEFAULT_WORKERS,
    stop: threading.Event | None = None,
    refetch_unchanged_after: float = settings.DEFAULT_REFETCH_UNCHANGED,
) -> Iterator[Any]:
    """Each job's messages, cursor-paged, stamped with `job_id` and `account_id`, the rows stored
    as they are left out (see `changes`); and per job fetched whose completeness or filter
    changed, a row of `bulk_job_sync_state` (merge on `job_id`). `stop`, once set, ends the
    fetching at the next page boundary.

    Resource state `settled_jobs` maps a job to the status filters it was fully synced under
    after it had settled; such jobs are skipped. `fetched_jobs` records the last fetch of each
    job in flight (see `fetched`): one the listing shows unchanged is skipped for
    `refetch_unchanged_after` seconds. The state is saved with the load package, so a run that
    fails before loading never marks a job as done. `job_accounts` says which account each
    entry belongs to (see `JobCatalog.forget_absent`).
    """
    client = catalog.client
    stats = client.stats
    state = dlt.current.resource_state()
    settled: dict[str, list[str]] = state.setdefault("settled_jobs", {})
    accounts_of: dict[str, str] = state.setdefault("job_accounts", {})
    fetched = FetchedJobs(state.setdefault("fetched_jobs", {}), refetch_unchanged_after)
    now = pendulum.now("UTC")
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
            elif not full_refresh and fetched.is_unchanged(job, status, now.timestamp()):
                stats.add("jobs_unchanged")
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
        try:
            for page in pages:
                good, rejected, statuses = shape_messages(
                    page, account_id, job["job_id"], pseudonymizer
                )
                table = to_arrow(good) if good else None
                if table is not None:
                    yield table, statuses, 0, None
                elif good:  # for dlt's normaliser, which nests nothing (see MAX_TABLE_NESTING)
                    yield [flatten_params(row) for row in good], statuses, 0, None
                if rejected:
                    yield rejected_items(rejected), Counter(), len(rejected), rejected[0]["reason"]
        except NotFoundError as e:
            raise catalog.confirm_missing(account_id, job["job_id"], e) from None

    stats.add("jobs_todo", len(todo))
    stats.add("messages_expected", sum(expected_messages(job) for _, job in todo))
    # Tables go to dlt in batches per job: dlt's cost per item (schema checks, a file write)
    # is fixed, so a few large items load much faster than many page-sized ones.
    batches: dict[str, ArrowBatch] = {}
    complete: set[str] = set()
    # the distinct status messages of the rows handed to dlt: their reasons load with them, a
    # batch at a time (texts often hold addresses or request ids: a tenth of the messages can
    # have texts of their own, and a run's worth held at once costs ~80 MiB at 1M messages).
    # A text in two batches is merged once (merge on its hash).
    texts: set[str] = set()

    def changed(job_id: str, data: Any) -> Iterator[Any]:
        nonlocal texts
        kept = changes.messages(job_id, data)
        if kept is None:
            return
        texts |= status_texts([kept] if isinstance(kept, pa.Table) else kept)
        if len(texts) >= settings.REASON_BATCH_TEXTS:
            yield reason_texts.marked_rows(texts)
            texts = set()
        yield kept

    concurrency = Concurrency(workers)
    if todo:  # nothing to fetch (every job settled or unchanged): no pyarrow, no pandas
        import_on_this_thread()
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
                data, statuses, rejected, reason = payload
                stats.count_rows(statuses)
                if rejected:
                    stats.add("rows_rejected", rejected)
                    stats.warn(
                        f"job {job_id}: {rejected} message item(s) could not be loaded as"
                        f" declared, kept in {settings.REJECTED_TABLE} (first: {reason})"
                    )
                    yield data
                elif isinstance(data, pa.Table):
                    batch = batches.setdefault(job_id, ArrowBatch(settings.ARROW_BATCH_ROWS))
                    for table in batch.add(data):
                        yield from changed(job_id, table)
                else:
                    yield from changed(job_id, data)
                continue
            done = batches.pop(job_id, None)
            if done is not None:
                for table in done.flush():
                    yield from changed(job_id, table)
            changes.job_done(job_id)
            if payload is None:
                stats.add("jobs_synced")
                complete.add(job_id)
                if is_job_settled(job):
                    settled[job_id] = sorted(
                        set(settled.get(job_id, [])) | {status or ALL_STATUSES}
                    )
            elif isinstance(payload, NotFoundError):
                stats.warn(
                    f"job {job_id} vanished during the run (deleted at Cloudflare: its detail"
                    f" answers 404 too): {payload}"
                )
            elif isinstance(payload, TransientAPIError):
                # Stop fetching but keep what was fetched: jobs finished so far are loaded and
                # recorded, the rest is fetched by the next run.
                stats.job_failed(job_id, f"{payload}; the remaining jobs were not fetched this run")
                break
            elif isinstance(payload, AuthenticationError | AccountError):
                raise payload  # the credentials or the account: every job would fail alike
            elif isinstance(
                payload, RunawayPaginationError | CursorRejectedError | CloudflareAPIError
            ):
                # this job's listing failed for good (an odd answer, a refused cursor): the
                # others go on, and the next run fetches this one again
                stats.job_failed(job_id, str(payload))
            else:
                raise payload
        else:
            catalog.forget_absent(settled, accounts_of)
            catalog.forget_absent(fetched.record, accounts_of)
    finally:
        events.close()
    for job_id, batch in batches.items():
        for table in batch.flush():
            yield from changed(job_id, table)
    changes.close()
    stats.add("rows_unchanged", changes.unchanged_messages)
    if texts:
        yield reason_texts.marked_rows(texts)
    news = []
    for account_id, job in todo:
        job_id = job["job_id"]
        if job_id not in complete:
            # not fetched in full this run (failed, stopped, or not reached): whatever an
            # earlier run settled, the next run fetches it again
            settled.pop(job_id, None)
        if fetched.note(job, job_id in complete, status, now.timestamp()):
            news.append((account_id, job))
        if job_id in settled:
            fetched.forget(job_id)  # skipped as settled from now on
    if news:
        yield sync_state(news, complete, status, now)


@dlt.resource(
    name=settings.SNAPSHOTS_TABLE,
    # merged on its natural key, not appended: after a crash dlt may run a load job again
    write_disposition="merge",
    primary_key=("job_id", "observed_at"),
    columns=settings.SNAPSHOT_COLUMNS,
)
def bulk_job_snapshots(catalog: JobCatalog) -> Iterator[Any]:
    """A row per job in progress whenever its status or counters differ from its last row,
    and a last row when it settles, so that a job's progress can be charted over time.

    Resource state `in_progress` holds, per job seen in progress last time (a small set), the
    signature of its last row (see `fetched.signature`), and `job_accounts` the account of
    each.
    """
    state = dlt.current.resource_state()
    watching: dict[str, Any] = state.setdefault("in_progress", {})
    accounts_of: dict[str, str] = state.setdefault("job_accounts", {})
    now = pendulum.now("UTC")
    rows = []
    for account_id in catalog.account_ids:
        for job in catalog.jobs(account_id):
            job_id = job["job_id"]
            accounts_of[job_id] = account_id
            settled = is_job_settled(job)
            moved = watching.get(job_id) != signature(job)
            if (not settled and moved) or (settled and job_id in watching):
                rows.append(snapshot(job, account_id, now))
            if settled:
                watching.pop(job_id, None)
            else:
                watching[job_id] = signature(job)
    catalog.forget_absent(watching, accounts_of)
    if rows:
        yield rows
