"""The dlt pipeline of the sync, and one sync: finish what a crash left, extract, load."""

import gc
import logging
import re
import signal
import time
import traceback
import warnings
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

import dlt
from dlt.common.configuration.exceptions import (
    ConfigFieldMissingException,
    ConfigValueCannotBeCoercedException,
    InvalidNativeValue,
)
from dlt.common.configuration.providers.toml import TomlProviderReadException
from dlt.common.destination.exceptions import UnknownDestinationModule
from dlt.common.exceptions import SignalReceivedException
from dlt.common.pipeline import get_dlt_pipelines_dir
from dlt.destinations.exceptions import DestinationConnectionError
from dlt.pipeline.exceptions import PipelineStepFailed

from ..errors import CfBulkSyncError, ConfigurationError
from ..ops.signals import StopRequest
from ..source.secrets import RedactingFilter
from ..source.settings import MESSAGES_TABLE
from ..source.stats import SyncStats
from .credentials import PASSWORD_FIX, describe_missing, postgres_destination
from .dlt_defaults import DEFAULT_PIPELINE
from .dlt_defaults import install as install_defaults
from .drivers import require_driver
from .first_load import can_append_to, remove_repeated_rows
from .housekeeping import prune_loaded_packages
from .lake import lake_destination
from .log_lines import quiet_json_column_notice
from .schema_changes import SchemaChange, loaded_changes
from .set_aside import count_failure, is_package_fault, max_load_attempts, set_aside
from .warehouse import (
    bound_here,
    location,
    moved_from,
    quiet_stored_destination_notice,
    remember,
)
from .working_folder import damaged_state, describe_toml_error

PIPELINE_NAME = DEFAULT_PIPELINE
DATASET_NAME = "cloudflare_email_security"
# The name is a folder, a lock file and the suffix of a staging dataset: kept to what every
# file system and warehouse accepts unquoted.
_PIPELINE_NAME = re.compile(r"[A-Za-z][A-Za-z0-9_]{0,39}")


@dataclass
class SyncResult:
    """What one sync did: counters, where it loaded, and the error that stopped it, if any.
    How the run ends (status, exit code) is decided from this in `cf_bulk_sync.outcome`."""

    stats: SyncStats
    destination: str
    dataset: str
    # where it loads: a file's absolute path, a server's host and database (see warehouse)
    warehouse: str = ""
    seconds: float = 0.0
    finished_pending: bool = False
    appended_messages: bool = False
    error: str | None = None
    interrupted_by: int | None = None  # the signal that stopped it
    trace: str | None = None  # the error's traceback, redacted, for --debug
    # the destination could not be configured or reached: writing a run record there is futile
    destination_failed: bool = False
    load_ids: list[str] = field(default_factory=list)
    # pending packages that failed max_load_attempts times, moved aside (see set_aside)
    set_aside: list[str] = field(default_factory=list)
    # after a failure: a package waits in the working folder, which the next run loads first
    # (else the rows fetched were not kept and the next run fetches them again)
    pending_package: bool = False
    # columns the API's data added to its tables in this run's loads (see schema_changes)
    schema_changes: list[SchemaChange] = field(default_factory=list)

    @property
    def loaded(self) -> bool:
        """Whether this run's package reached the destination (rows counted are in it)."""
        return bool(self.load_ids)


def pipeline_name_of(given: str | None = None) -> str:
    """The pipeline's name: `given` (`--pipeline-name`), else `[cf_bulk_sync] pipeline_name`
    in dlt's configuration (`CF_BULK_SYNC__PIPELINE_NAME`), else `cf_bulk_sync`. Each name has
    its own state, lock and staging dataset in one dlt data folder: one per shard."""
    name = given
    if name is None:
        try:
            name = dlt.config.get("cf_bulk_sync.pipeline_name", str)
        except Exception:  # noqa: BLE001 - dlt's coercion error, as one line below
            name = ""
    if name is None:
        return PIPELINE_NAME
    if not _PIPELINE_NAME.fullmatch(name):
        raise ConfigurationError(
            f"pipeline name {name[:60]!r} is not usable: give --pipeline-name (or"
            " CF_BULK_SYNC__PIPELINE_NAME) a letter, then letters, digits or _ (40 at most),"
            " e.g. cf_bulk_sync_eu"
        )
    return name


def make_pipeline(
    destination: Any = None,
    dataset: str | None = None,
    pipelines_dir: str | None = None,
    pipeline_name: str | None = None,
) -> dlt.Pipeline:
    """The pipeline, by default into DuckDB (`<pipeline name>.duckdb` in the folder the command
    runs in, or wherever `DESTINATION__DUCKDB__CREDENTIALS` points, a relative path from that
    folder: see `warehouse`), with the project's dlt defaults.
    `postgres` by name resolves its credentials at once: a missing one is a
    `ConfigurationError` here, before any run starts. Unnamed, the pipeline is the configured
    one (see `pipeline_name_of`)."""
    quiet_json_column_notice(logging.getLogger("dlt"))
    quiet_stored_destination_notice(logging.getLogger("dlt"))
    # dlt's sqlalchemy merge (MySQL, MariaDB ...) warns on every merge about its own use of
    # SQLAlchemy: nothing a user can act on, and it is not one line
    warnings.filterwarnings(
        "ignore",
        message="implicitly coercing SELECT object to scalar subquery",
        module=r"dlt\.destinations\.impl\.sqlalchemy",
    )
    install_defaults()
    pipeline_name = pipeline_name_of(pipeline_name)
    options: dict[str, Any] = dict(
        pipeline_name=pipeline_name, dataset_name=dataset or DATASET_NAME
    )
    if pipelines_dir is not None:
        options["pipelines_dir"] = pipelines_dir
    try:
        if destination == "postgres":  # accepts a URL without a password (see credentials)
            options["destination"] = postgres_destination(pipeline_name)
        elif destination == "filesystem":  # Delta tables, so that merges merge (see lake)
            options["destination"] = bound_here(lake_destination())
        else:  # a DuckDB file in today's folder, never the first run's (see warehouse)
            options["destination"] = bound_here(destination)
        pipeline = dlt.pipeline(**options)
    except ValueError as e:  # dlt read a state.json it cannot decode
        damaged = damaged_state(pipelines_dir or get_dlt_pipelines_dir(), pipeline_name)
        if damaged is None:
            raise
        raise ConfigurationError(damaged) from e
    except UnknownDestinationModule:
        raise ConfigurationError(
            f"Unknown destination {destination!r}: use duckdb (default), postgres, motherduck,"
            " bigquery, snowflake, filesystem or another dlt destination name"
        ) from None
    require_driver(pipeline)  # a missing psycopg2 ... names its extra before anything starts
    return pipeline


def sync(
    pipeline: dlt.Pipeline,
    full_refresh: bool = False,
    stop: StopRequest | None = None,
    stats: SyncStats | None = None,
    **source_args: Any,
) -> SyncResult:
    """Loads pending packages left by an earlier run, then extracts and loads a new one.

    `source_args` override the source's configuration (account_id, job_ids, status ...);
    arguments left out are resolved by dlt from `.dlt/*.toml` and the environment. `stop`
    ends the fetching at the next page boundary once a signal set it; what was fetched is
    loaded. Never raises for a failure of the sync itself: it is described in
    `SyncResult.error` (or `interrupted_by`, for a signal dlt received while loading).
    """
    stats = stats if stats is not None else SyncStats()
    where = location(pipeline)
    name = pipeline.destination.destination_name
    result = SyncResult(stats, name, pipeline.dataset_name, warehouse=where or name)
    started = time.monotonic()
    dlt_log = logging.getLogger("dlt")
    redacting = RedactingFilter(stats.redactor)
    dlt_log.addFilter(redacting)
    try:
        with fewer_collections():
            _sync(pipeline, result, where, full_refresh, stop, source_args)
    except (Exception, KeyboardInterrupt) as e:  # noqa: BLE001 - every failure: one clear line
        signum = received_signal(e)
        if signum is None and stop is not None:
            signum = stop.signum  # a failure after a signal (a wait cut short) is the signal's
        if signum is None:
            result.error = stats.redactor(explain(e))
            result.trace = stats.redactor("".join(traceback.format_exception(e)))
            result.destination_failed = any(
                isinstance(item, (DestinationConnectionError, ConfigFieldMissingException))
                for item in causes(e)
            )
        else:  # dlt stopped normalising or loading on a signal: the package stays pending
            result.interrupted_by = signum
    finally:
        dlt_log.removeFilter(redacting)
    if stop is not None and stop.signum is not None and result.error is None:
        result.interrupted_by = stop.signum
    if not result.loaded and (result.error or result.interrupted_by):
        result.pending_package = has_pending_package(pipeline)
    result.seconds = time.monotonic() - started
    return result


def has_pending_package(pipeline: dlt.Pipeline) -> bool:
    """Whether a load package waits in the working folder (False when that cannot be read)."""
    try:
        return bool(pipeline.has_pending_data)
    except Exception:  # noqa: BLE001 - a damaged folder: its own error says so
        return False


def received_signal(error: BaseException) -> int | None:
    """The signal behind `error`, when dlt stopped a step because it received one."""
    for seen in causes(error):
        if isinstance(seen, SignalReceivedException):
            return int(seen.signal_code)
        if isinstance(seen, KeyboardInterrupt):  # Python's own Ctrl-C, no handler of ours
            return int(signal.SIGINT)
    return None


def causes(error: BaseException) -> list[BaseException]:
    """`error` and the chain of exceptions behind it, outermost first."""
    seen: BaseException | None = error
    chain: list[BaseException] = []
    while seen is not None and seen not in chain:
        chain.append(seen)
        seen = seen.__cause__ or seen.__context__
    return chain


@contextmanager
def fewer_collections() -> Iterator[None]:
    """Python's cycle collector, tuned for a run that turns hundreds of thousands of parsed
    items into tables: with its defaults it ran every 700 new objects and rescanned every
    object alive (dlt's and pyarrow's included), about a fifth of a 200k-message sync. The
    objects that exist before the run are set aside, collections come less often, and the
    defaults return afterwards."""
    threshold = gc.get_threshold()
    gc.freeze()
    gc.set_threshold(50_000, 20, 100)
    try:
        yield
    finally:
        gc.set_threshold(*threshold)
        gc.unfreeze()


def _sync(
    pipeline: dlt.Pipeline,
    result: SyncResult,
    where: str | None,
    full_refresh: bool,
    stop: StopRequest | None,
    source_args: dict[str, Any],
) -> None:
    stats = result.stats
    if where is not None and (moved := moved_from(pipeline, where)) is not None:
        stats.warn(moved)
    limit = max_load_attempts()
    if pipeline.has_pending_data:
        # A package left by a crashed run goes in first. pipeline.run() would load it and
        # then return without extracting; finishing it here keeps this run a full sync.
        try:
            pipeline.normalize()
            pending = pipeline.load()
        except Exception as e:
            if not is_package_fault(causes(e)):
                raise
            failed = count_failure(pipeline)
            if failed < limit:
                stats.warn(
                    f"the pending load package failed to load (attempt {failed} of {limit}):"
                    f" after {limit} it is set aside and its rows fetched again"
                )
                raise
            # it failed every time: set aside, so that it no longer stops every run (see
            # set_aside); its rows come again from the API below
            result.set_aside = [str(p) for p in set_aside(pipeline)]
            stats.warn(
                f"a pending load package failed to load {limit} times ({explain(e)}): set"
                f" aside in {', '.join(result.set_aside)}; its rows are fetched again;"
                " `cf-bulk-sync check --repair` deletes it"
            )
        else:
            result.finished_pending = True
            note_schema_changes(result, pending.load_packages)
            repeated = remove_repeated_rows(pipeline, MESSAGES_TABLE, pending.loads_ids)
            if repeated:
                stats.warn(
                    f"removed {repeated} copies of message rows that the crashed run's"
                    " load job had written twice"
                )
    # the source is imported here, by the sync alone: the reading commands make pipelines too
    from ..source.resources import cloudflare_email_security
    from .stored_rows import DestinationHashes

    args: dict[str, Any] = {k: v for k, v in source_args.items() if v not in (None, [], ())}
    hashes = DestinationHashes(pipeline)  # rows stored as they are listed are not written again
    source = cloudflare_email_security(
        stats=stats,
        full_refresh=full_refresh,
        stop=stop.event if stop else None,
        stored_hashes=hashes,
        **args,
    )
    if can_append_to(pipeline, MESSAGES_TABLE):
        # see first_load: nothing to merge with, so skip the staging copy and its dedup
        source.resources[MESSAGES_TABLE].apply_hints(write_disposition="append")
        result.appended_messages = True
    try:
        info = pipeline.run(source)
    except PipelineStepFailed as e:
        if is_package_fault(causes(e)):  # the package stays pending: one attempt spent
            failed = count_failure(pipeline)
            stats.warn(
                f"the load package failed to load (attempt {failed} of {limit}): the next run"
                " tries it again first"
            )
        raise
    finally:
        hashes.close()
    result.load_ids = list(info.loads_ids)
    note_schema_changes(result, info.load_packages)
    if where is not None:
        remember(pipeline, where)  # the next run compares its warehouse with this one
    try:
        prune_loaded_packages(pipeline)
    except OSError as e:  # the data is loaded; a folder that cannot be tidied is only noted
        stats.warn(f"could not delete old load packages from dlt's working folder: {e}")


def note_schema_changes(result: SyncResult, packages: list[Any]) -> None:
    """Names, once, each column the loaded packages added to the API's tables (a warning: the
    data loaded as it came, and a user may want to read the new field)."""
    for change in loaded_changes(packages):
        if change not in result.schema_changes:
            result.schema_changes.append(change)
            result.stats.warn(f"schema: {change.describe()}")


def explain(error: BaseException) -> str:
    """The one line a user needs: our own error if one is in the chain, else the root cause."""
    chain = causes(error)
    for item in chain:
        if isinstance(item, CfBulkSyncError):
            return str(item)
        if isinstance(item, TomlProviderReadException):  # which file, which line
            return describe_toml_error(item)
        if isinstance(item, ConfigFieldMissingException):  # dlt's many lines, made one
            return describe_missing(item)
        if isinstance(item, InvalidNativeValue):  # dlt's message repeats the value
            where = ".".join(item.embedded_sections) or "value"
            return (
                f"The configured {where} cannot be read as {item.spec.__name__} (not shown: it"
                " may hold a secret): correct it (DESTINATION__<NAME>__CREDENTIALS or"
                " .dlt/secrets.toml for a destination)"
            )
        if isinstance(item, ConfigValueCannotBeCoercedException):  # not its value: a secret?
            return (
                f"The configured {item.field_name} is not a valid"
                f" {getattr(item.hint, '__name__', item.hint)}: correct it where it is set"
                " (`cf-bulk-sync check` shows where)"
            )
    # The deepest error, but not the end of an iteration an error was raised while handling
    # (a worker's exception in a generator has one as context: "StopIteration: " says nothing)
    root = next(
        (item for item in reversed(chain) if not isinstance(item, StopIteration)), chain[-1]
    )
    # Database drivers add pointers and hints on further lines; a log line needs the first.
    text = (str(root).strip().splitlines() or [""])[0]
    if "no password supplied" in text:  # libpq: the server asks for one and none was found
        text += f"; {PASSWORD_FIX}"
    if isinstance(error, PipelineStepFailed):
        return f"{error.step} step failed: {type(root).__name__}: {text}"
    return f"{type(root).__name__}: {text}"
