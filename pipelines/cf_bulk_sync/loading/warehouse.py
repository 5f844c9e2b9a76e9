"""Where the warehouse is: resolved on every run from the configuration and the folder the
command runs in, and named in one line that never holds a password.

dlt resolves a DuckDB file (and a local `filesystem` bucket) against `_local.initial_cwd` of the
pipeline's state: the folder the pipeline's *first* run started in. dlt's working folder is one
per pipeline name, so a run in `/tmp/b` after one in `/tmp/a` loaded `/tmp/a/cf_bulk_sync.duckdb`
(and failed once `/tmp/a` was gone). Here the destination's relative locations are bound to the
folder the command runs in (dlt's run context, the current directory unless dlt is told
otherwise); an absolute path in the credentials stays as it is.

The location a run loaded is kept in the pipeline's local state (never synced to the
warehouse), so that a run, `models` and `check` can say in one line when today's warehouse is
another one than the last run's, and what to do.
"""

import logging
import os
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import dlt
from dlt.common.destination import Destination
from dlt.common.storages.configuration import WithLocalFiles

# key in the pipeline's local state (`_local` in state.json): where its last sync loaded
LAST_WAREHOUSE = "cf_bulk_sync_warehouse"
# dlt's own key for the folder relative locations were resolved against
INITIAL_CWD = "initial_cwd"


class StoredDestinationNotice(logging.Filter):
    """Drops dlt's warning that the destination in the pipeline's state "differs from
    destination ... in pipeline and will be ignored": `moved_from` says the same with the
    locations and what to do."""

    NOTICE = "in state differs from destination"

    def filter(self, record: logging.LogRecord) -> bool:
        return self.NOTICE not in str(record.msg)


def quiet_stored_destination_notice(logger: logging.Logger) -> None:
    if not any(isinstance(f, StoredDestinationNotice) for f in logger.filters):
        logger.addFilter(StoredDestinationNotice())


def here() -> str:
    """The folder relative locations are resolved against: dlt's run context (the current
    directory, unless dlt's project settings say otherwise)."""
    return os.path.abspath(dlt.current.run_context().local_dir)


def bound_here(destination: Any) -> Any:
    """`destination` (None for duckdb, a name or a factory) as a factory whose local files
    (a DuckDB file, a local bucket) resolve against `here()`, not against the folder of the
    pipeline's first run. Raises dlt's `UnknownDestinationModule` for an unknown name."""
    factory = Destination.from_reference(destination or "duckdb")
    if factory is None:  # not reached: a reference is always given
        return destination
    if issubclass(factory.spec, WithLocalFiles) and not factory.config_params.get("local_dir"):
        factory.config_params["local_dir"] = here()
    return factory


def describe(pipeline: dlt.Pipeline) -> str:
    """The warehouse in one line: a file's absolute path; host, port and database of a
    server; the destination's name when its configuration cannot be read. Never a password."""
    return location(pipeline) or pipeline.destination.destination_name


def location(pipeline: dlt.Pipeline) -> str | None:
    """The warehouse as `describe` names it; None when its configuration cannot be resolved
    (missing credentials: the run's own error names them)."""
    try:
        config = pipeline.destination_client().config
    except Exception:  # noqa: BLE001 - any destination's configuration error
        return None
    return location_of(pipeline.destination.destination_name, config)


def location_of(name: str, config: Any) -> str:
    """The location in a resolved destination configuration (see `describe`)."""
    credentials = getattr(config, "credentials", None)
    database = getattr(credentials, "database", None)
    host = getattr(credentials, "host", None)
    if host:
        port = getattr(credentials, "port", None)
        server = f"{host}:{port}" if port else str(host)
        return f"{name} at {server}" + (f", database {database}" if database else "")
    bucket = getattr(config, "bucket_url", None)
    if isinstance(bucket, str) and bucket:
        return _without_userinfo(bucket)
    if isinstance(config, WithLocalFiles) and isinstance(database, str):
        # a file (absolute once resolved), or dlt's marker of an in-memory/external database
        return database if database.startswith(":") else os.path.abspath(database)
    if database:
        return f"{name}, database {database}"
    project = getattr(credentials, "project_id", None)
    return f"{name}, project {project}" if project else name


def moved_from(pipeline: dlt.Pipeline, today: str) -> str | None:
    """One line when the pipeline's last sync loaded another warehouse than `today`'s, with
    what to do; None when it is the same one, or the pipeline never loaded."""
    before = last_warehouse(pipeline, today)
    if before is None or before == today:
        return None
    if os.path.isabs(before):
        keep = (
            f"to go on loading it, run from {os.path.dirname(before)} or set"
            f" DESTINATION__DUCKDB__CREDENTIALS={before}"
        )
    else:
        keep = "to go on loading it, configure that destination again"
    return (
        f"this pipeline ({pipeline.pipeline_name}) last loaded {before}; a run here loads"
        f" {today} (from the configuration and the folder it runs in); the old one is not"
        f" touched: {keep}; for two warehouses, give each its own --pipeline-name"
    )


def moved_here(pipeline: dlt.Pipeline) -> str | None:
    """`moved_from` for the warehouse a command started here uses (None when its
    configuration cannot be resolved: the command's own error says why)."""
    today = location(pipeline)
    return moved_from(pipeline, today) if today is not None else None


def no_warehouse(pipeline: dlt.Pipeline, database: str) -> str:
    """The line for a DuckDB file that a reading command (report, dashboard, models) does not
    find where today's configuration and folder put it."""
    before = last_warehouse(pipeline, database)
    elsewhere = (
        f" (this pipeline last loaded {before}; to read that one, run from its folder or set"
        f" DESTINATION__DUCKDB__CREDENTIALS={before})"
        if before is not None and before != database and os.path.isabs(before)
        else ""
    )
    return f"no warehouse at {database}{elsewhere}: run `cf-bulk-sync run` first"


def last_warehouse(pipeline: dlt.Pipeline, today: str) -> str | None:
    """Where the pipeline's last sync loaded: as recorded by `remember`, else (a pipeline that
    earlier versions ran) what dlt resolves against the folder of the pipeline's first run."""
    try:
        return str(pipeline.get_local_state_val(LAST_WAREHOUSE))
    except KeyError:
        pass
    params = pipeline.destination.config_params
    if pipeline.first_run or not params.get("local_dir"):
        return None
    try:
        first = str(pipeline.get_local_state_val(INITIAL_CWD))
    except KeyError:
        return None
    current = params["local_dir"]
    # the same configuration, resolved by dlt as before this module: relative to `first`
    params["local_dir"] = first
    try:
        return location(pipeline)
    finally:
        params["local_dir"] = current


def remember(pipeline: dlt.Pipeline, today: str) -> None:
    """Records `today`'s warehouse as the one the pipeline loads, and the folder relative
    locations were resolved against (dlt's own tools, `dlt pipeline ... show`, then find the
    same file)."""
    pipeline.set_local_state_val(LAST_WAREHOUSE, today)
    pipeline.set_local_state_val(INITIAL_CWD, here())


def _without_userinfo(url: str) -> str:
    """A bucket URL without `user:password@` (sftp, for one, may carry them)."""
    parts = urlsplit(url)
    if not parts.netloc or "@" not in parts.netloc:
        return url
    return urlunsplit(parts._replace(netloc=parts.netloc.rsplit("@", 1)[1]))
