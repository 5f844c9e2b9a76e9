"""The run summary printed after each run: short, stable lines a cron log can be read by."""

from typing import List

from pipelines.cloudflare_email_security_pipeline import RunResult
from pipelines.reporting.models import BuildResult, describe_failure


def format_summary(result: RunResult, title: str = "cf-bulk-sync run") -> str:
    stats = result.stats
    outcome = "FAILED" if result.error else "PARTIAL" if stats.job_errors else "OK"
    lines: List[str] = [
        f"{title}: {outcome} in {result.seconds:.1f}s"
        f" (destination {result.destination}, dataset {result.dataset})"
    ]
    if result.finished_pending:
        lines.append("  pending load package left by an earlier run: finished first")
    lines.append(
        f"  jobs: {stats.jobs_seen} seen, {stats.jobs_synced} synced,"
        f" {stats.jobs_skipped} skipped (settled), {stats.jobs_deleted} marked deleted"
    )
    lines.append(
        f"  requests: {stats.requests} ({stats.retries} retries,"
        f" {stats.cursor_restarts} cursor restarts)"
    )
    by_status = ", ".join(f"{s} {n}" for s, n in sorted(stats.rows_by_status.items()))
    lines.append(f"  rows: {stats.rows}" + (f" ({by_status})" if by_status else ""))
    if stats.rows_rejected:
        lines.append(
            f"  rejected: {stats.rows_rejected} items without a key, kept in"
            " bulk_job_messages_rejected"
        )
    lines.extend(f"  warning: {w}" for w in stats.warnings)
    lines.extend(f"  job error: {job}: {msg}" for job, msg in stats.job_errors.items())
    if result.error:
        lines.append(f"  error: {result.error}")
    return "\n".join(lines)


def format_build(build: BuildResult, warn_only: bool = False) -> str:
    failed = build.failed_assertions
    lines = [
        f"models: {len(build.built)} built in dataset {build.dataset};"
        f" assertions: {len(build.assertions) - len(failed)} passed, {len(failed)} failed"
    ]
    label = "warning" if warn_only else "failed"
    lines.extend(f"  {label}: {describe_failure(f)}" for f in failed)
    return "\n".join(lines)
