"""How a run ends: its status and exit code, decided here and nowhere else.

The CLI, the demo, the run record, the summary and any orchestrator wrapper read a
`RunOutcome`; none of them works out a status or an exit code of its own.
"""

from dataclasses import dataclass, field
from enum import Enum, IntEnum
from pathlib import Path
from typing import Any

from .errors import CfBulkSyncError, RunLockedError
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
    sync: SyncResult | None = None
    build: BuildResult | None = None
    error: str | None = None
    warn_only: bool = False
    published: list[Path] = field(default_factory=list)
    record: dict[str, Any] | None = None

    @property
    def ok(self) -> bool:
        return self.exit_code == ExitCode.OK


def decide(
    sync: SyncResult | None,
    build: BuildResult | None = None,
    error: str | None = None,
    warn_only: bool = False,
) -> RunOutcome:
    """The status and exit code of a run from what its steps returned.

    An error anywhere (the sync's own, a model that cannot be built, a failed publish) fails
    the run. Otherwise jobs that could not be synced make it partial; then a failing data
    assertion (unless `warn_only`) fails it as `assertions_failed`.
    """
    error = error or (sync.error if sync is not None else None)
    if error is not None:
        status, code = RunStatus.FAILED, ExitCode.ERROR
    elif build is not None and build.failed_assertions and not warn_only:
        status, code = RunStatus.ASSERTIONS_FAILED, ExitCode.ASSERTIONS_FAILED
    elif sync is not None and sync.stats.job_errors:
        status, code = RunStatus.PARTIAL, ExitCode.PARTIAL
    else:
        status, code = RunStatus.OK, ExitCode.OK
    return RunOutcome(status, code, sync, build, error, warn_only)


def refused(error: CfBulkSyncError) -> RunOutcome:
    """A run that never started: another run holds the lock, or its input is bad."""
    if isinstance(error, RunLockedError):
        return RunOutcome(RunStatus.LOCKED, ExitCode.LOCKED, error=str(error))
    return RunOutcome(RunStatus.FAILED, ExitCode.ERROR, error=str(error))


def exit_code_of(error: BaseException) -> ExitCode:
    """The exit code of a command other than `run` that stopped with `error`."""
    return ExitCode.LOCKED if isinstance(error, RunLockedError) else ExitCode.ERROR
