"""A run's outcome as one JSON object, for schedulers and alerting (`run --json`,
`run --summary-json FILE`). Its shape is `run_result.schema.json` beside this file, which a
test validates it against; fields are only ever added."""

import json
import os
from pathlib import Path
from typing import Any

from .outcome import RunOutcome

SCHEMA = Path(__file__).with_name("run_result.schema.json")
VERSION = 1


def run_result(outcome: RunOutcome) -> dict[str, Any]:
    result, build = outcome.sync, outcome.build
    stats = result.stats if result is not None else None
    return {
        "version": VERSION,
        "run_id": outcome.run_id,
        "started_at": _iso(outcome.started_at),
        "finished_at": _iso(outcome.finished_at) if outcome.finished_at else None,
        "seconds": round(outcome.seconds, 3) if outcome.seconds is not None else None,
        "status": outcome.status.value,
        "exit_code": int(outcome.exit_code),
        "destination": result.destination if result else None,
        "dataset": result.dataset if result else None,
        "warehouse": result.warehouse or None if result else None,
        "jobs": {
            "seen": stats.jobs_seen if stats else 0,
            "to_fetch": stats.jobs_todo if stats else 0,
            "synced": stats.jobs_synced if stats else 0,
            "skipped": stats.jobs_skipped if stats else 0,
            "unchanged": stats.jobs_unchanged if stats else 0,
            "deleted": stats.jobs_deleted if stats else 0,
            "failed": dict(stats.job_errors) if stats else {},
        },
        "rows": {
            "loaded": stats.rows if stats and result and result.loaded else 0,
            "fetched": stats.rows if stats else 0,
            "by_status": dict(stats.rows_by_status) if stats else {},
            "rejected": stats.rows_rejected if stats else 0,
            "unchanged": stats.rows_unchanged if stats else 0,
        },
        "requests": stats.requests if stats else 0,
        "retries": stats.retries if stats else 0,
        "cursor_restarts": stats.cursor_restarts if stats else 0,
        "budget_waited_seconds": round(stats.budget_waited, 3) if stats else 0,
        "warnings": outcome.warnings,
        "schema_changes": [c.as_dict() for c in result.schema_changes] if result else [],
        "assertions": [
            {"name": a.name, "severity": a.severity, "passed": a.passed, "rows": len(a.rows)}
            for a in (build.assertions if build else [])
        ],
        "models_built": len(build.built) if build else 0,
        # how the marts were updated: every job's rows, or the changed jobs' only
        "marts": (
            {"full": build.full, "reason": build.reason or None, "changed_jobs": build.changed_jobs}
            if build
            else None
        ),
        "error": outcome.error,
        "load_ids": list(result.load_ids) if result else [],
        "published": [str(p) for p in outcome.published],
    }


def write_run_result(outcome: RunOutcome, path: str) -> Path:
    """Writes the JSON object to `path` under a temporary name first: a reader never sees
    half a file."""
    target = Path(path)
    target.parent.mkdir(parents=True, exist_ok=True)
    partial = target.with_name(f".{target.name}.{os.getpid()}.tmp")
    partial.write_text(json.dumps(run_result(outcome), indent=2) + "\n")
    os.replace(partial, target)
    return target


def _iso(moment: Any) -> str:
    return str(moment.isoformat().replace("+00:00", "Z"))
