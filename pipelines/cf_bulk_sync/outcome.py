"""How a run ends: its status and exit code, decided here and nowhere else.

The CLI, the demo, the run record, the summary and any orchestrator wrapper read a
`RunOutcome`; none of them works out a status or an exit code of its own.
"""

import signal
import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime
from enum import Enum, IntEnum
from pathlib import Path
from typing import TYPE_CHECKING, Any

from .errors import CfBulkSyncError, MissingDriverError, RunLockedError

if TYPE_CHECKING:  # every command reads the exit codes: importing them must not load dlt
    from .loading.pipeline import SyncResult
    from .models.runner import BuildResult


class ExitCode(IntEnum):
    """The exit codes of `cf-bulk-sync`, for schedulers to act on (the README's table)."""

    OK = 0
    ERROR = 1
    USAGE = 2
    PARTIAL = 3
    ASSERTIONS_FAILED = 4
    LOCKED = 5
    INTERRUPTED = 130  # SIGINT (Ctrl-C)
    TERMINATED = 143  # SIGTERM (a scheduler's timeout)


SIGNAL_EXIT: dict[int, ExitCode] = {
    signal.SIGINT.value: ExitCode.INTERRUPTED,
    signal.SIGTERM.value: ExitCode.TERMINATED,
}


class RunStatus(str, Enum):
    """How a run ended, as `sync_runs.status` records it."""

    OK = "ok"
    PARTIAL = "partial"
    ASSERTIONS_FAILED = "assertions_failed"
    FAILED = "failed"
    INTERRUPTED = "interrupted"
    LOCKED = "locked"  # another run held the lock: this one changed nothing


@dataclass
class RunOutcome:
    """What one run did and how it ended. Built by `decide`, never by hand elsewhere."""

    status: RunStatus
    exit_code: ExitCode
    sync: "SyncResult | None" = None
    build: "BuildResult | None" = None
    error: str | None = None
    warn_only: bool = False
    published: list[Path] = field(default_factory=list)
    record: dict[str, Any] | None = None
    run_id: str = field(default_factory=lambda: str(uuid.uuid4()))
    started_at: datetime = field(default_factory=lambda: datetime.now(UTC))
    finished_at: datetime | None = None
    # the whole run's seconds (lock, sync, models, record); the command line's own, imports
    # included, when it ran it (see cli.main)
    seconds: float | None = None

    @property
    def warnings(self) -> list[str]:
        """What the run reports without failing: the sync's warnings and failing checks of
        severity `warn` (every failing check, with `warn_only`)."""
        found = list(self.sync.stats.warnings) if self.sync is not None else []
        if self.build is not None:
            from .models.runner import describe_failure

            checks = self.build.failed_assertions if self.warn_only else self.build.warnings
            found.extend(describe_failure(a) for a in checks)
        return found


def decide(
    sync: "SyncResult | None",
    build: "BuildResult | None" = None,
    error: str | None = None,
    warn_only: bool = False,
) -> RunOutcome:
    """The status and exit code of a run from what its steps returned, first match wins:

    1. an error anywhere (the sync's own, a model that cannot be built, a failed publish):
       failed, 1;
    2. a signal stopped the run: interrupted, 130 (SIGINT) or 143 (SIGTERM);
    3. jobs that could not be synced, or a pending load package set aside after failing
       every attempt (its rows were fetched again, but it needs a look): partial, 3 (their
       rows are not judged by the checks, so a partial run is never blamed on the data);
    4. a failing data check of severity `error` (unless `warn_only`): assertions_failed, 4;
    5. otherwise ok, 0; failing `warn` checks are reported as warnings.
    """
    error = error or (sync.error if sync is not None else None)
    if error is not None:
        status, code = RunStatus.FAILED, ExitCode.ERROR
    elif sync is not None and sync.interrupted_by is not None:
        status, code = (
            RunStatus.INTERRUPTED,
            SIGNAL_EXIT.get(sync.interrupted_by, ExitCode.TERMINATED),
        )
    elif sync is not None and (sync.stats.job_errors or sync.set_aside):
        status, code = RunStatus.PARTIAL, ExitCode.PARTIAL
    elif build is not None and build.blocking_failures and not warn_only:
        status, code = RunStatus.ASSERTIONS_FAILED, ExitCode.ASSERTIONS_FAILED
    else:
        status, code = RunStatus.OK, ExitCode.OK
    return RunOutcome(status, code, sync, build, error, warn_only)


def refused(error: CfBulkSyncError) -> RunOutcome:
    """A run that never started: another run holds the lock, or its input is bad."""
    if isinstance(error, RunLockedError):
        return RunOutcome(RunStatus.LOCKED, ExitCode.LOCKED, error=str(error))
    return RunOutcome(RunStatus.FAILED, exit_code_of(error), error=str(error))


def exit_code_of(error: BaseException) -> ExitCode:
    """The exit code of a command that stopped with `error` before it started its work (and
    of any command other than `run`): 5 locked, 2 a driver to install, else 1."""
    if isinstance(error, RunLockedError):
        return ExitCode.LOCKED
    if isinstance(error, MissingDriverError):
        return ExitCode.USAGE
    return ExitCode.ERROR
