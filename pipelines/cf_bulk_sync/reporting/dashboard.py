"""`cf-bulk-sync dashboard`: one self-contained HTML file built from the marts.

The page carries its data once, as columnar JSON (one array per column, repeated texts as
indexes into one list of texts), and a small inline script (`dashboard.js`) builds every panel
from it and rebuilds them when a filter changes: a year of jobs stays a few hundred KB, and the
file opens offline, from a mail attachment or a CI artefact. Every number on the page is
computed from what is read here, and the browser test checks them against SQL on the marts.
"""

import json
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import dlt
from dlt.destinations.exceptions import DatabaseUndefinedRelation

from ..models.relations import no_models_yet, qualified, reporting_dataset
from ..safe_text import printable
from .palette import BACKGROUND, LINE, STATUS_COLOURS
from .reader import read_only_client

STATUSES = tuple(STATUS_COLOURS)
# API texts on the page (reasons, comments, destinations, errors) are cut: one reason of
# megabytes must not make the page megabytes; the full text stays in the warehouse.
TEXT_LIMIT = 300
DAY_SECONDS = 86_400

JOBS_SQL = """
select c.job_id, c.account_id, c.action_type, c.destination, c.job_status, c.is_deleted,
    substr(c.comment, 1, {limit}), c.created_at, c.started_at, c.completed_at,
    {counts}, r.reconciliation_status, c.count_rejected
from {job_status_counts} as c
left join {job_reconciliation} as r on r.job_id = c.job_id
order by c.created_at desc, c.job_id
"""
REASONS_SQL = """
select job_id, message_status, substr(failure_reason, 1, {limit}), count_messages,
    substr(reason_family, 1, {limit})
from {job_failure_reasons}
"""
# messages processed per job, UTC day and status: the failure-rate trend under any filter
# (daily_message_activity has no job, so it cannot follow a job filter; the test checks both)
DAILY_SQL = """
select job_id, cast(processed_at at time zone 'UTC' as date), message_status, count(*)
from {stg_bulk_job_messages}
where processed_at is not null
group by 1, 2, 3
"""
RUNS_SQL = """
select started_at, duration_seconds, status, rows_loaded, requests, retries, jobs_seen,
    substr(error, 1, {limit})
from {sync_runs}
order by started_at
"""


class Texts:
    """Repeated texts stored once: a value becomes its index in `values`."""

    def __init__(self) -> None:
        self.values: list[str] = []
        self._index: dict[str, int] = {}

    def __call__(self, value: Any) -> int:
        text = "" if value is None else printable(str(value), TEXT_LIMIT)
        if text not in self._index:
            self._index[text] = len(self.values)
            self.values.append(text)
        return self._index[text]


def _epoch(value: Any) -> int | None:
    """Seconds since 1970 (UTC) of a timestamp, or None."""
    if value is None:
        return None
    if isinstance(value, datetime):
        moment = value if value.tzinfo else value.replace(tzinfo=UTC)
        return int(moment.timestamp())
    return int(datetime.fromisoformat(str(value)).replace(tzinfo=UTC).timestamp())


def _day(value: Any) -> int:
    """Days since 1970 of a date."""
    day = value if isinstance(value, date) else date.fromisoformat(str(value)[:10])
    return (day - date(1970, 1, 1)).days


def read_marts(pipeline: dlt.Pipeline) -> dict[str, Any]:
    """Everything the page shows, as columns (read as `reader.read_only_client` reads)."""
    reporting = reporting_dataset(pipeline)
    texts = Texts()
    with read_only_client(pipeline) as client:

        def rows(sql: str, **tables: str | None) -> list[tuple[Any, ...]]:
            names = {k: qualified(client, k, v) for k, v in tables.items()}
            counts = ", ".join(f"c.count_{s.lower()}" for s in STATUSES)
            query = sql.format(limit=TEXT_LIMIT, counts=counts, **names)
            return [tuple(r) for r in client.execute_sql(query) or []]

        try:
            jobs = rows(JOBS_SQL, job_status_counts=reporting, job_reconciliation=reporting)
            reasons = rows(REASONS_SQL, job_failure_reasons=reporting)
            daily = rows(DAILY_SQL, stg_bulk_job_messages=reporting)
        except DatabaseUndefinedRelation:
            raise no_models_yet(pipeline) from None
        try:
            runs = rows(RUNS_SQL, sync_runs=pipeline.dataset_name)
        except DatabaseUndefinedRelation:
            runs = []
    index = {row[0]: n for n, row in enumerate(jobs)}
    n_counts = len(STATUSES)
    return {
        "statuses": list(STATUSES),
        "colours": {**STATUS_COLOURS, "line": LINE, "background": BACKGROUND},
        "asOf": max([_epoch(r[0]) or 0 for r in runs] or [int(datetime.now(UTC).timestamp())]),
        "jobs": {
            "id": [j[0] for j in jobs],
            "account": [texts(j[1]) for j in jobs],
            "type": [texts(j[2]) for j in jobs],
            "dest": [texts(j[3]) for j in jobs],
            "status": [texts(j[4]) for j in jobs],
            "deleted": [int(bool(j[5])) for j in jobs],
            "comment": [texts(j[6]) for j in jobs],
            "created": [_epoch(j[7]) for j in jobs],
            "started": [_epoch(j[8]) for j in jobs],
            "completed": [_epoch(j[9]) for j in jobs],
            "counts": [[int(j[10 + s] or 0) for j in jobs] for s in range(n_counts)],
            "recon": [texts(j[10 + n_counts]) for j in jobs],
            # items set aside as not loadable (see bulk_job_messages_rejected)
            "rejected": [int(j[11 + n_counts] or 0) for j in jobs],
        },
        "reasons": {
            "job": [index[r[0]] for r in reasons if r[0] in index],
            "status": [texts(r[1]) for r in reasons if r[0] in index],
            "reason": [texts(r[2]) for r in reasons if r[0] in index],
            "count": [int(r[3]) for r in reasons if r[0] in index],
            "family": [texts(r[4]) for r in reasons if r[0] in index],
        },
        "daily": {
            "job": [index[d[0]] for d in daily if d[0] in index],
            "day": [_day(d[1]) for d in daily if d[0] in index],
            "status": [texts(d[2]) for d in daily if d[0] in index],
            "count": [int(d[3]) for d in daily if d[0] in index],
        },
        "runs": {
            "started": [_epoch(r[0]) for r in runs],
            "duration": [round(float(r[1] or 0), 1) for r in runs],
            "status": [texts(r[2]) for r in runs],
            "rows": [int(r[3] or 0) for r in runs],
            "requests": [int(r[4] or 0) for r in runs],
            "retries": [int(r[5] or 0) for r in runs],
            "jobs": [int(r[6] or 0) for r in runs],
            "error": [texts(r[7]) for r in runs],
        },
        "texts": texts.values,
    }


def render(data: dict[str, Any]) -> str:
    """The page: the template with its style, its script and the data inlined."""
    here = Path(__file__).parent  # the page's files ship beside this module
    page = (here / "dashboard.html").read_text(encoding="utf-8")
    # JSON in a <script> element: "<" escaped, so no text can close the element early
    payload = json.dumps(data, separators=(",", ":"), ensure_ascii=False).replace("<", "\\u003c")
    return (
        page.replace("/*STYLE*/", (here / "dashboard.css").read_text(encoding="utf-8"))
        .replace("/*SCRIPT*/", (here / "dashboard.js").read_text(encoding="utf-8"))
        .replace("/*DATA*/", payload)
    )


def write_dashboard(pipeline: dlt.Pipeline, out: str, top: int = 10) -> Path:
    """Writes the page to `out` (whole or not at all); `top` is how many reasons it lists."""
    data = read_marts(pipeline)
    data["top"] = int(top)
    page = render(data)
    path = Path(out).resolve()
    path.parent.mkdir(parents=True, exist_ok=True)
    partial = path.with_name(f".{path.name}.tmp")
    partial.write_text(page, encoding="utf-8")
    partial.replace(path)  # a browser reloading the page never sees half of it
    return path
