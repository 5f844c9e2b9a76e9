"""What a run prints: short, stable lines a cron log can be read by, from its outcome. Shared by
`run` (cli.main) and `demo` (cli.demo), neither of which imports the other."""

import sys
from typing import TextIO

from ..models.runner import WARN, BuildResult, describe_failure
from ..outcome import ExitCode, RunOutcome
from ..safe_text import printable

LIMIT = 500  # characters of one text in the summary


def show(outcome: RunOutcome, title: str = "cf-bulk-sync run", out: TextIO | None = None) -> None:
    """Prints the outcome: the summary and the models on `out` (stdout), what failed on
    stderr."""
    out = out or sys.stdout
    if outcome.sync is None:  # refused: locked, or bad input before anything ran
        prefix = "" if outcome.exit_code == ExitCode.LOCKED else "error: "
        print(f"cf-bulk-sync: {prefix}{printable(outcome.error, LIMIT)}", file=sys.stderr)
        return
    print(format_summary(outcome, title), file=out)
    if outcome.build is not None:
        print(format_build(outcome.build, outcome.warn_only), file=out)
        blocking = [] if outcome.warn_only else outcome.build.blocking_failures
        for failure in blocking:
            print(f"cf-bulk-sync: {failure.name}: data assertion failed", file=sys.stderr)
    if outcome.error:
        print(f"cf-bulk-sync: error: {printable(outcome.error, LIMIT)}", file=sys.stderr)
    if outcome.published:
        count = len(outcome.published) - 1
        print(f"published: {outcome.published[0]} and {count} Parquet files", file=out)


def format_summary(outcome: RunOutcome, title: str = "cf-bulk-sync run") -> str:
    """The run's summary: its status on the first line, then what it saw and loaded."""
    result = outcome.sync
    label = outcome.status.value.upper().replace("_", " ")
    if result is None:  # refused before the sync started
        return f"{title}: {label}: {outcome.error}"
    stats = result.stats
    when = outcome.started_at.isoformat(timespec="seconds").replace("+00:00", "Z")
    # the whole command's time where the command line measured it (imports, models and the
    # record included), else the run's
    seconds = outcome.seconds if outcome.seconds is not None else result.seconds
    lines: list[str] = [
        f"{title}: {label} in {seconds:.1f}s at {when} (run {outcome.run_id},"
        f" destination {result.destination}, dataset {result.dataset})"
    ]
    if result.warehouse:
        lines.append(f"  warehouse: {result.warehouse}")
    if result.finished_pending:
        lines.append("  pending load package left by an earlier run: finished first")
    unchanged = f", {stats.jobs_unchanged} unchanged in flight" if stats.jobs_unchanged else ""
    lines.append(
        f"  jobs: {stats.jobs_seen} seen, {stats.jobs_synced} synced,"
        f" {stats.jobs_skipped} skipped (settled){unchanged}, {stats.jobs_deleted} marked deleted"
    )
    lines.append(
        f"  requests: {stats.requests} ({stats.retries} retries,"
        f" {stats.cursor_restarts} cursor restarts"
        + (
            f"; waited {stats.budget_waited:.0f}s for the request budget"
            if stats.budget_waited >= 1
            else ""
        )
        + ")"
    )
    by_status = ", ".join(f"{s} {n}" for s, n in sorted(stats.rows_by_status.items()))
    if result.loaded or not stats.rows:
        same = (
            f"; {stats.rows_unchanged} unchanged, not written again" if stats.rows_unchanged else ""
        )
        lines.append(f"  rows: {stats.rows}" + (f" ({by_status})" if by_status else "") + same)
    else:  # fetched, but the load did not finish: never claim rows that are not there
        kept = (
            "a pending package is loaded by the next run"
            if result.pending_package
            else "not kept: the next run fetches them again"
        )
        lines.append(f"  rows: 0 loaded ({stats.rows} fetched; {kept})")
    if stats.rows_rejected:
        lines.append(
            f"  rejected: {stats.rows_rejected} items that could not be loaded as declared,"
            " kept in bulk_job_messages_rejected"
        )
    # texts may quote the API: escaped and cut, so that no line can be forged or run long
    lines.extend(f"  warning: {printable(w, LIMIT)}" for w in outcome.warnings)
    lines.extend(
        f"  job error: {printable(job, LIMIT)}: {printable(msg, LIMIT)}"
        for job, msg in stats.job_errors.items()
    )
    if outcome.error:
        lines.append(f"  error: {printable(outcome.error, LIMIT)}")
    return "\n".join(lines)


def format_build(build: BuildResult, warn_only: bool = False) -> str:
    failed = build.failed_assertions
    lines = [
        f"models: {len(build.built)} built in dataset {build.dataset};"
        f" assertions: {len(build.assertions) - len(failed)} passed, {len(failed)} failed"
    ]
    lines.append(
        f"  marts: full rebuild ({build.reason})"
        if build.full
        else f"  marts: incremental, {build.changed_jobs} changed jobs updated"
    )
    lines.extend(
        f"  {'warning' if warn_only or f.severity == WARN else 'failed'}: {describe_failure(f)}"
        for f in failed
    )
    return "\n".join(lines)
