"""`outcome.decide`: the one place a run's status and exit code come from."""

import pytest

from cf_bulk_sync.errors import ConfigurationError, ModelError, RunLockedError
from cf_bulk_sync.loading.pipeline import SyncResult
from cf_bulk_sync.models.runner import AssertionResult, BuildResult
from cf_bulk_sync.outcome import ExitCode, RunStatus, decide, exit_code_of, refused
from cf_bulk_sync.source import SyncStats


def synced(job_errors: int = 0, error: str | None = None) -> SyncResult:
    stats = SyncStats()
    for n in range(job_errors):
        stats.job_failed(f"job-{n}", "HTTP 503 persisted after 5 attempts")
    return SyncResult(stats, "duckdb", "cloudflare_email_security", error=error)


def built(failed: int = 0) -> BuildResult:
    build = BuildResult("cloudflare_email_security_reporting", built=["job_status_counts"])
    build.assertions.append(AssertionResult("job_status_counts__key", ["job_id"], []))
    for n in range(failed):
        build.assertions.append(AssertionResult(f"check_{n}", ["job_id"], [("j1",)]))
    return build


@pytest.mark.parametrize(
    "sync,build,error,warn_only,status,code",
    [
        pytest.param(synced(), built(), None, False, RunStatus.OK, 0, id="ok"),
        pytest.param(synced(), None, None, False, RunStatus.OK, 0, id="ok-no-models"),
        pytest.param(synced(2), None, None, False, RunStatus.PARTIAL, 3, id="partial-no-models"),
        pytest.param(
            synced(1), built(), None, False, RunStatus.PARTIAL, 3, id="partial-models-pass"
        ),
        pytest.param(
            synced(), built(1), None, False, RunStatus.ASSERTIONS_FAILED, 4, id="assertion-failed"
        ),
        pytest.param(synced(), built(1), None, True, RunStatus.OK, 0, id="warn-only"),
        pytest.param(
            synced(error="Authentication failed"),
            None,
            None,
            False,
            RunStatus.FAILED,
            1,
            id="sync-error",
        ),
        pytest.param(
            synced(),
            None,
            "models: building x.sql failed",
            False,
            RunStatus.FAILED,
            1,
            id="model-error",
        ),
    ],
)
def test_decide(
    sync: SyncResult,
    build: BuildResult | None,
    error: str | None,
    warn_only: bool,
    status: RunStatus,
    code: int,
) -> None:
    outcome = decide(sync, build, error, warn_only)
    assert (outcome.status, outcome.exit_code) == (status, code)
    assert outcome.error == (error or sync.error)
    assert outcome.sync is sync and outcome.build is build


def test_a_refused_run_is_locked_or_failed() -> None:
    locked = refused(RunLockedError("another run holds the lock"))
    assert (locked.status, locked.exit_code, locked.sync) == (RunStatus.LOCKED, 5, None)
    bad = refused(ConfigurationError("Invalid account id 'x'"))
    assert (bad.status, bad.exit_code, bad.error) == (RunStatus.FAILED, 1, "Invalid account id 'x'")


def test_commands_other_than_run_map_errors_to_exit_codes() -> None:
    assert exit_code_of(RunLockedError("held")) == ExitCode.LOCKED == 5
    assert exit_code_of(ModelError("no SQL models found")) == ExitCode.ERROR == 1
    assert exit_code_of(ValueError("anything else")) == ExitCode.ERROR
