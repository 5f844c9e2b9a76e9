"""No wedge: a pending load package that keeps failing is set aside, not retried forever.

dlt finishes a pending package before anything new is extracted. A package that can never load
(a value the destination refuses) would thus stop every later run, whatever the API serves. So
each failure to load a pending package is counted (`load_attempts.json` in dlt's working
folder); once a package has failed `max_load_attempts` times (`[cf_bulk_sync]`, default 3) it is
aborted with dlt's `Pipeline.abort_packages` and moved to `set_aside/<load id>` in the working
folder, kept for inspection until `cf-bulk-sync check --repair` deletes it.

Nothing is lost: dlt saves the local state when it extracts, but each package carries a snapshot
of the state before it (`.restore`), and the abort puts that snapshot back. In the destination
the package's state row only counts once its load is recorded complete in `_dlt_loads`, which an
aborted package never is. So the jobs the package had marked settled are fetched again from the
API by the same run, which goes on to extract afresh (tested).
"""

import json
import shutil
from pathlib import Path
from typing import Any

import dlt
from dlt.common.destination.exceptions import (
    DestinationTerminalException,
    DestinationTransientException,
)
from dlt.common.exceptions import SignalReceivedException
from dlt.common.storages.exceptions import LoadPackageNotFound
from dlt.destinations.exceptions import DestinationConnectionError
from dlt.load.exceptions import LoadClientJobException
from dlt.normalize.exceptions import NormalizeJobFailed
from dlt.pipeline.exceptions import PipelineStepFailed

from ..errors import ConfigurationError
from .dlt_private import delete_loaded_package

ATTEMPTS_FILE = "load_attempts.json"
SET_ASIDE_FOLDER = "set_aside"
DEFAULT_MAX_LOAD_ATTEMPTS = 3


def max_load_attempts() -> int:
    """`[cf_bulk_sync] max_load_attempts` (also `CF_BULK_SYNC__MAX_LOAD_ATTEMPTS`), 1 or more."""
    try:
        value = dlt.config.get("cf_bulk_sync.max_load_attempts", int)
    except Exception:  # noqa: BLE001 - dlt's coercion error, as one line
        value = 0
    if value is None:
        return DEFAULT_MAX_LOAD_ATTEMPTS
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise ConfigurationError(
            "Invalid cf_bulk_sync.max_load_attempts: it must be a whole number of at least 1"
            " (CF_BULK_SYNC__MAX_LOAD_ATTEMPTS or [cf_bulk_sync] in .dlt/config.toml)"
        )
    return value


def is_package_fault(chain: list[BaseException]) -> bool:
    """Whether a failure (the exception and its causes) lies with the package: one of its jobs
    failed to normalise or to load, or the destination refused its data for good while the
    package was loaded (a constraint, a type its table cannot take, a table it cannot change).
    An unreachable destination, a transient error, a signal or a full disk are not the
    package's fault and spend no attempt."""
    if any(
        isinstance(
            e,
            DestinationConnectionError
            | DestinationTransientException
            | SignalReceivedException
            | OSError,
        )
        for e in chain
    ):
        return False
    if any(isinstance(e, LoadClientJobException | NormalizeJobFailed) for e in chain):
        return True
    steps = {e.step for e in chain if isinstance(e, PipelineStepFailed)}
    return bool(steps & {"normalize", "load"}) and any(
        isinstance(e, DestinationTerminalException) for e in chain
    )


def pending_packages(pipeline: dlt.Pipeline) -> list[str]:
    """Load ids of the packages not yet loaded, normalised or only extracted, oldest first."""
    return sorted(
        {*pipeline.list_normalized_load_packages(), *pipeline.list_extracted_load_packages()}
    )


def load_attempts(working_dir: str | Path) -> dict[str, int]:
    """Failed load attempts per pending package, as counted so far."""
    try:
        data = json.loads((Path(working_dir) / ATTEMPTS_FILE).read_text())
    except (OSError, ValueError):
        return {}
    return {str(k): int(v) for k, v in data.items()} if isinstance(data, dict) else {}


def count_failure(pipeline: dlt.Pipeline) -> int:
    """Counts one more failed attempt for every pending package; returns the highest count."""
    pending = pending_packages(pipeline)
    attempts = load_attempts(pipeline.working_dir)
    counted = {load_id: attempts.get(load_id, 0) + 1 for load_id in pending}
    _write_attempts(pipeline.working_dir, counted)
    return max(counted.values(), default=0)


def set_aside(pipeline: dlt.Pipeline) -> list[Path]:
    """Aborts every pending package (restoring the local state from before the oldest) and
    keeps each in `set_aside/<load id>`; returns those folders."""
    folder = Path(pipeline.working_dir) / SET_ASIDE_FOLDER
    folder.mkdir(parents=True, exist_ok=True)
    kept = []
    for load_id in pending_packages(pipeline):
        # extracted packages are deleted by the abort: copied first; the normalised one is
        # moved to the loaded packages by it, and from there to here below
        path = Path(pipeline.get_load_package_info(load_id).package_path)
        if load_id in pipeline.list_extracted_load_packages():
            shutil.copytree(path, folder / load_id, dirs_exist_ok=True)
        kept.append(folder / load_id)
    plan = pipeline.abort_packages()
    aborted = plan["package_to_abort"] if plan is not None else None
    if aborted:
        load_id = aborted["load_id"]
        try:
            path = Path(pipeline.get_load_package_info(load_id).package_path)
            shutil.copytree(path, folder / load_id, dirs_exist_ok=True)
            delete_loaded_package(pipeline, load_id)
        except LoadPackageNotFound:
            pass
    _write_attempts(pipeline.working_dir, {})
    return kept


def set_aside_packages(working_dir: str | Path) -> list[Path]:
    """The packages kept in `set_aside/`, oldest first."""
    folder = Path(working_dir) / SET_ASIDE_FOLDER
    return sorted(p for p in folder.iterdir() if p.is_dir()) if folder.is_dir() else []


def clear_set_aside(working_dir: str | Path) -> list[Path]:
    """Deletes the set-aside packages (their rows were fetched again); returns what it deleted."""
    gone = set_aside_packages(working_dir)
    for path in gone:
        shutil.rmtree(path)
    return gone


def _write_attempts(working_dir: str | Path, attempts: dict[str, Any]) -> None:
    path = Path(working_dir) / ATTEMPTS_FILE
    if not attempts:
        path.unlink(missing_ok=True)
        return
    temporary = path.with_suffix(".tmp")
    temporary.write_text(json.dumps(attempts))
    temporary.replace(path)
