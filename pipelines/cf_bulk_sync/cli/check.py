"""`cf-bulk-sync check`: would a run start now, and if not, what to fix (what `dbt debug` is to
dbt). It prints the effective configuration, each value with its origin (secrets only as set),
then one line per check, `ok` or `FAILED` with the fix on the next line (`warn` informs, `skip`
says what could not be checked, `HELD` that a lock is taken):

- configuration: the source accepts it (accounts, credentials, options), as a run would;
- token: Cloudflare's `/user/tokens/verify`, then each account's `/accounts/{id}/tokens/verify`
  (account-owned tokens are known only there); active, disabled or expired. An API without the
  verify route (a proxy, a mirror: 404, code 7000) is a warning when the bulk list answers;
- account: one request for one job of each account's bulk list, which proves the permission
  "Cloud Email Security: Read";
- destination: connect, create and drop a table in the dataset (the dataset is dropped again
  if the check created it);
- lock: free, or held by which run since when. Testing a lock means taking it: it is taken
  without waiting and let go at once (a run starting in that instant exits 5, as it would
  for any other holder);
- last run: the newest row of `sync_runs` (a run that did not end `ok` is a warning);
- set-aside packages: load packages a run set aside after they failed every attempt, and the
  failed attempts of the pending one (`--repair` deletes the set-aside ones, when no run holds
  the lock);
- API fields: what the API's data added to its tables since the first run, from the stored
  schema (new fields, values of another type kept in variant columns; see
  loading.schema_changes): a warning, never a failure.

Exit 0 when a run would start, 1 when a check failed, 5 when the lock is the only thing held.
Requests: one verify (one more per account for an account-owned token) and one per account,
retries aside. Nothing is written but that table and, for an instant, the lock file.
"""

import sys
import uuid
from datetime import UTC, datetime
from typing import Any

import dlt
from dlt.common.pipeline import get_dlt_pipelines_dir
from dlt.destinations.exceptions import DatabaseUndefinedRelation
from dlt.destinations.job_client_impl import SqlJobClientBase

from ..errors import CfBulkSyncError, MissingDriverError, RunLockedError, WarehouseBusyError
from ..loading.lake import is_lake
from ..loading.pipeline import explain, make_pipeline, pipeline_name_of
from ..loading.schema_changes import stored_changes
from ..loading.set_aside import clear_set_aside, load_attempts, set_aside_packages
from ..loading.warehouse import describe, moved_here
from ..ops.config_report import DEFAULT, Setting, destination_settings, source_settings
from ..ops.lock import lock_for, warehouse_lock
from ..ops.run_record import RUNS_TABLE
from ..outcome import ExitCode
from .check_api import FAILED, HELD, OK, SKIP, WARN, Check, api_checks

DESTINATION_FIX = (
    "check --destination and its credentials (DESTINATION__<NAME>__CREDENTIALS or"
    " .dlt/secrets.toml; see the README's Destinations table)"
)
DRIVER_FIX = "install the package named here, then run `cf-bulk-sync check` again"
HERE = "the folder this runs in"
HELD_FIX = "nothing to do: whoever holds it lets go when done, however it ends"


def run_check(
    destination: str | None,
    dataset: str | None,
    account_ids: list[str] | None,
    pipeline_name: str | None = None,
    repair: bool = False,
) -> int:
    """Prints the configuration and the checks; returns the exit code. `repair` deletes the
    load packages set aside (see loading.set_aside)."""
    explicit: dict[str, Any] = {"account_id": account_ids} if account_ids else {}
    settings: list[Setting] = []
    checks: list[Check] = []
    try:
        values, shown = source_settings(explicit)
        settings += shown
        checks += api_checks(values, explicit)
    except Exception as e:  # noqa: BLE001 - dlt's configuration errors, as one line
        checks.append(Check("configuration", FAILED, explain(e), "correct the value named here"))
    pipeline = None
    try:
        pipeline = make_pipeline(destination, dataset, pipeline_name=pipeline_name)
        settings += destination_settings(pipeline, destination is not None, dataset is not None)
        settings.append(warehouse_setting(pipeline, settings))
    except MissingDriverError as e:
        checks.append(Check(f"destination {destination}", FAILED, str(e), DRIVER_FIX))
    except Exception as e:  # noqa: BLE001 - unknown destination, missing credentials
        name = f"destination {destination or 'duckdb'}"
        checks.append(Check(name, FAILED, explain(e), DESTINATION_FIX))
    # where the run's lock is, with or without a usable destination (dlt's own default folder)
    folder = pipeline.pipelines_dir if pipeline is not None else get_dlt_pipelines_dir()
    lock = lock_check(
        folder, pipeline.pipeline_name if pipeline else pipeline_name_of(pipeline_name)
    )
    if pipeline is not None:
        checks += warehouse_checks(pipeline)
        duckdb_in_use = lock.state == HELD and pipeline.destination.destination_name == "duckdb"
        if duckdb_in_use:  # the run holding the lock may have the file open: leave it alone
            why = "not checked while a run holds the lock (it may have the DuckDB file open)"
            checks += [Check("destination duckdb", SKIP, why), Check("last run", SKIP, why)]
        else:
            checks += destination_checks(pipeline)
    checks.append(lock)
    if pipeline is not None:
        checks.append(packages_check(pipeline.working_dir, repair and lock.state == OK))
        checks.append(schema_check(pipeline))
    print("cf-bulk-sync check")
    print("configuration:")
    for setting in settings:
        print(f"  {setting}")
    print("checks:")
    for check in checks:
        print("\n".join(check.lines()))
    return verdict(checks)


def verdict(checks: list[Check]) -> int:
    """The last line and the exit code: 1 if a check failed, else 5 if the lock is held."""
    failed = [c.name for c in checks if c.state == FAILED]
    held = next((c for c in checks if c.state == HELD), None)
    if failed:
        print(f"cf-bulk-sync check: a run would fail: {', '.join(failed)}")
        print(f"cf-bulk-sync: error: check failed: {', '.join(failed)}", file=sys.stderr)
        return int(ExitCode.ERROR)
    if held is not None:
        print(f"cf-bulk-sync check: a run started now would exit 5 ({held.name} in use)")
        print(f"cf-bulk-sync: {held.detail}", file=sys.stderr)
        return int(ExitCode.LOCKED)
    print("cf-bulk-sync check: ok: a run would start")
    return int(ExitCode.OK)


def warehouse_setting(pipeline: dlt.Pipeline, shown: list[Setting]) -> Setting:
    """Where a run started here would load (a file's absolute path; a server's host and
    database): from the credentials' origin, else (DuckDB's default file) this folder."""
    origin = next((s.origin for s in shown if s.key == "credentials"), DEFAULT)
    return Setting("warehouse", describe(pipeline), HERE if origin == DEFAULT else origin)


def warehouse_checks(pipeline: dlt.Pipeline) -> list[Check]:
    """A warning when the pipeline's last sync loaded another warehouse than a run started here
    would (another folder, other credentials): nothing when it is the same one."""
    moved = moved_here(pipeline)
    return [] if moved is None else [Check("warehouse", WARN, moved)]


def destination_checks(pipeline: dlt.Pipeline) -> list[Check]:
    """The destination and the last run, as a writer of the warehouse: into DuckDB, readers
    (`report`, `dashboard`) finish first and new ones wait, as for a run (see ops.lock)."""
    name = f"destination {pipeline.destination.destination_name}"
    skipped = Check("last run", SKIP, "not checked: the destination failed")
    try:
        with warehouse_lock(pipeline, writer=True):
            written = destination_check(pipeline)
            return [written, last_run_check(pipeline) if written.state == OK else skipped]
    except WarehouseBusyError as e:  # a run would stop the same way, with exit 5
        return [Check(name, HELD, str(e), HELD_FIX), skipped]
    except CfBulkSyncError as e:
        return [Check(name, FAILED, str(e), DESTINATION_FIX), skipped]


def destination_check(pipeline: dlt.Pipeline) -> Check:
    """Connects and, on a SQL destination, creates and drops a table in the dataset."""
    name = f"destination {pipeline.destination.destination_name}"
    try:
        if not isinstance(pipeline.destination_client(), SqlJobClientBase):
            with pipeline.destination_client() as client:
                client.initialize_storage()
            return Check(name, OK, f"reachable; storage ready for {pipeline.dataset_name}")
        with pipeline.sql_client() as sql:
            created = not sql.has_dataset()
            if created:
                sql.create_dataset()
            try:
                table = sql.make_qualified_table_name(f"_cf_bulk_sync_check_{uuid.uuid4().hex[:8]}")
                sql.execute_sql(f"create table {table} (id bigint)")
                sql.execute_sql(f"drop table {table}")
            finally:
                if created:
                    sql.drop_dataset()
    except Exception as e:  # noqa: BLE001 - any driver's error, as one line
        return Check(name, FAILED, explain(e), DESTINATION_FIX)
    where = describe(pipeline)
    return Check(
        name, OK, f"connected to {where}; created and dropped a table in {pipeline.dataset_name}"
    )


def _sql_client(pipeline: dlt.Pipeline) -> Any:
    """The destination's SQL client; a lake's Delta tables laid out in DuckDB (see models.lake:
    dlt's own client over a lake needs DuckDB's delta extension, downloaded on first use)."""
    if not is_lake(pipeline):
        return pipeline.sql_client()
    from ..models.lake import open_reader  # deltalake is an extra: imported for a lake only

    return open_reader(pipeline)


def last_run_check(pipeline: dlt.Pipeline) -> Check:
    """The newest row of `sync_runs`: when, how it ended, its exit code."""
    try:
        with _sql_client(pipeline) as sql:
            table = sql.make_qualified_table_name(RUNS_TABLE)
            rows = sql.execute_sql(
                f"select run_id, finished_at, status, exit_code, error from {table}"
                " order by finished_at desc limit 1"
            )
    except DatabaseUndefinedRelation:
        rows = []
    except Exception as e:  # noqa: BLE001 - a destination without SQL, or its error
        return Check("last run", WARN, f"could not be read: {explain(e)}")
    if not rows:
        return Check("last run", OK, "no run yet")
    run_id, finished, status, exit_code, error = rows[0]
    when = _utc(finished)
    detail = f"{when}, status {status}, exit code {exit_code} (run {run_id})"
    if status != "ok":
        return Check("last run", WARN, detail + (f": {error}" if error else ""))
    return Check("last run", OK, detail)


def packages_check(working_dir: str, repair: bool) -> Check:
    """Load packages set aside after failing every attempt (see loading.set_aside), and how
    often the pending one has failed so far; `repair` deletes the set-aside ones."""
    name = "set-aside packages"
    pending = load_attempts(working_dir)
    tried = "; ".join(f"pending {k} failed {v} time(s)" for k, v in sorted(pending.items()))
    kept = set_aside_packages(working_dir)
    if kept and repair:
        gone = clear_set_aside(working_dir)
        return Check(name, OK, f"repaired: deleted {len(gone)} ({', '.join(map(str, gone))})")
    if kept:
        return Check(
            name,
            WARN,
            f"{len(kept)} kept for inspection ({', '.join(map(str, kept))}); their rows were"
            " fetched again" + (f"; {tried}" if tried else ""),
            "inspect them, then `cf-bulk-sync check --repair` deletes them",
        )
    return Check(name, WARN if tried else OK, tried or "none")


def schema_check(pipeline: dlt.Pipeline) -> Check:
    """The columns the API's data added since the first run (see loading.schema_changes)."""
    name = "API fields"
    try:
        changes = stored_changes(pipeline)
    except Exception as e:  # noqa: BLE001 - a damaged schema file: its own error says so
        return Check(name, WARN, f"the stored schema could not be read: {explain(e)}")
    if not changes:
        return Check(name, OK, "only the declared fields so far")
    return Check(
        name,
        WARN,
        f"{len(changes)} change(s) since the first run, all loaded: "
        + "; ".join(change.describe() for change in changes),
    )


def lock_check(pipelines_dir: str, pipeline_name: str) -> Check:
    """Takes the run lock without waiting and lets it go at once (see the module's note)."""
    lock = lock_for(pipelines_dir, pipeline_name)
    try:
        with lock:
            pass
    except RunLockedError:
        holder = lock.path.read_text().strip() or "an unknown time"
        return Check(
            "lock",
            HELD,
            f"another run holds the lock since {holder} ({lock.path}): a run started now would"
            " exit 5",
            HELD_FIX,
        )
    except OSError as e:
        return Check("lock", FAILED, f"cannot use {lock.path}: {e}", "make that folder writable")
    return Check("lock", OK, f"free ({lock.path})")


def _utc(value: Any) -> str:
    if isinstance(value, datetime):
        if value.tzinfo is None:
            value = value.replace(tzinfo=UTC)
        return value.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    return str(value)
