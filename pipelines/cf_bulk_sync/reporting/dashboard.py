"""`cf-bulk-sync dashboard`: one self-contained HTML file built from the marts.

Everything is inline (styles, SVG charts, a few lines of script to pick a job): the file opens
offline, can be mailed or published as it is, and every number in it is read from a mart.
"""

import json
from collections import defaultdict
from html import escape
from pathlib import Path
from typing import Any

import dlt
from dlt.destinations.exceptions import DatabaseUndefinedRelation

from ..models.runner import no_models_yet, qualified, reporting_dataset
from . import svg
from .reader import read_only_client

STATUSES = (
    "COMPLETED",
    "FAILED",
    "SKIPPED",
    "CANCELLED",
    "PENDING",
    "DISCOVERING",
    "PROCESSING",
    "OTHER",
)
JOB_COLUMNS = (
    "job_id",
    "action_type",
    "destination",
    "job_status",
    "is_deleted",
    "created_at",
    "count_messages",
    "count_completed",
    "count_failed",
    "count_skipped",
    "count_cancelled",
    "count_pending",
    "count_discovering",
    "count_processing",
    "count_other",
    "completion_rate",
    "failure_rate",
    "reconciliation_status",
)


def read_marts(pipeline: dlt.Pipeline, top: int = 10) -> dict[str, Any]:
    """Everything the page shows, as plain Python values (read as `reader.read_only_client`
    reads)."""
    reporting = reporting_dataset(pipeline)
    with read_only_client(pipeline) as client:

        def rows(sql: str) -> list[tuple[Any, ...]]:
            return [tuple(r) for r in client.execute_sql(sql) or []]

        def table(name: str, dataset: str | None = None) -> str:
            return qualified(client, name, dataset or reporting)

        try:
            jobs = [
                dict(zip(JOB_COLUMNS, r, strict=False))
                for r in rows(
                    f"select {', '.join('c.' + c for c in JOB_COLUMNS[:-1])},"
                    " r.reconciliation_status"
                    f" from {table('job_status_counts')} as c left join"
                    f" {table('job_reconciliation')} as r on r.job_id = c.job_id"
                    " order by c.created_at desc, c.job_id"
                )
            ]
            reasons = rows(
                f"select message_status, failure_reason, count_messages, count_jobs,"
                f" share_within_status from {table('failure_reasons')}"
                f" order by count_messages desc, failure_reason limit {int(top)}"
            )
            job_reasons = rows(
                f"select job_id, message_status, failure_reason, count_messages,"
                f" share_within_status from {table('job_failure_reasons')}"
                " order by job_id, count_messages desc, failure_reason"
            )
            daily = rows(
                f"select cast(activity_date as varchar), sum(count_created),"
                f" sum(count_processed) from {table('daily_message_activity')}"
                " group by 1 order by 1"
            )
            progress = rows(
                f"select p.job_id, cast(p.observed_at as varchar), p.processed_rate"
                f" from {table('job_progress')} as p join {table('job_status_counts')} as c"
                " on c.job_id = p.job_id where not c.is_terminal order by 1, 2"
            )
        except DatabaseUndefinedRelation:
            raise no_models_yet(pipeline) from None
        try:
            last_run = rows(
                "select status, cast(finished_at as varchar), duration_seconds, rows_loaded,"
                f" requests, retries, error from {table('sync_runs', pipeline.dataset_name)}"
                " order by finished_at desc limit 1"
            )
        except DatabaseUndefinedRelation:
            last_run = []
    return {
        "jobs": jobs,
        "reasons": reasons,
        "job_reasons": job_reasons,
        "daily": daily,
        "progress": progress,
        "last_run": last_run[0] if last_run else None,
    }


def write_dashboard(pipeline: dlt.Pipeline, out: str, top: int = 10) -> Path:
    page = render(read_marts(pipeline, top))
    path = Path(out).resolve()
    path.parent.mkdir(parents=True, exist_ok=True)
    partial = path.with_name(f".{path.name}.tmp")
    partial.write_text(page, encoding="utf-8")
    partial.replace(path)  # a browser reloading the page never sees half of it
    return path


def _counts(job: dict[str, Any]) -> dict[str, int]:
    return {s: int(job.get(f"count_{s.lower()}") or 0) for s in STATUSES}


def _pct(value: Any) -> str:
    return "" if value is None else f"{float(value) * 100:.1f}%"


def render(data: dict[str, Any]) -> str:
    jobs = data["jobs"]
    totals: defaultdict[str, int] = defaultdict(int)
    for job in jobs:
        for status, value in _counts(job).items():
            totals[status] += value
    by_job_status: dict[str, int] = defaultdict(int)
    for job in jobs:
        by_job_status[job["job_status"] or "OTHER"] += 1
    total_messages = sum(int(j["count_messages"] or 0) for j in jobs)
    sections = [
        _overview(data, jobs, totals, by_job_status, total_messages),
        _jobs_table(jobs),
        _reasons(data),
        _activity(data),
    ]
    return PAGE.format(
        body="\n".join(sections), data=escape(json.dumps({"jobs": [j["job_id"] for j in jobs]}))
    )


def _overview(
    data: dict[str, Any],
    jobs: list[dict[str, Any]],
    totals: dict[str, int],
    by_job_status: dict[str, int],
    total_messages: int,
) -> str:
    run = data["last_run"]
    run_html = (
        "<p>No run recorded yet.</p>"
        if run is None
        else (
            f'<p id="last-run">Last run: <strong data-field="run-status">{escape(str(run[0]))}'
            f"</strong> at {escape(str(run[1])[:19])} UTC, {float(run[2] or 0):.1f}s,"
            f" {run[3]} rows, {run[4]} requests, {run[5]} retries"
            + (f", error: {escape(str(run[6]))}" if run[6] else "")
            + "</p>"
        )
    )
    return (
        '<section id="overview"><h2>Overview</h2>'
        f'<p class="kpis"><span>Jobs <strong id="total-jobs">{len(jobs)}</strong></span>'
        f'<span>Messages <strong id="total-messages">{total_messages}</strong></span>'
        f'<span>Failed <strong id="total-failed">{totals["FAILED"]}</strong></span></p>'
        f"{run_html}"
        '<div class="grid"><div><h3>Jobs by status</h3>'
        + svg.bars(sorted(by_job_status.items(), key=lambda kv: -kv[1]), "Jobs by status")
        + "</div><div><h3>Messages by status, all jobs</h3>"
        + svg.bars([(s, totals[s]) for s in STATUSES if totals[s]], "Messages by status")
        + "</div></div></section>"
    )


def _jobs_table(jobs: list[dict[str, Any]]) -> str:
    legend = "".join(
        f'<span class="key"><i style="background:{svg.colour(s)}"></i>{s}</span>' for s in STATUSES
    )
    rows = []
    for job in jobs:
        job_id = escape(job["job_id"])
        counts = _counts(job)
        state = "deleted" if job["is_deleted"] else (job["reconciliation_status"] or "")
        rows.append(
            f'<tr data-job="{job_id}"><td title="{job_id}">{job_id[:8]}</td>'
            f"<td>{escape(job['action_type'] or '')}</td>"
            f"<td>{escape(job['destination'] or '')}</td><td>{escape(job['job_status'] or '')}</td>"
            f'<td class="num" data-field="count_messages">{job["count_messages"]}</td>'
            f"<td>{svg.stacked(counts, 'Message statuses of job ' + job_id)}</td>"
            f'<td class="num" data-field="count_failed">{counts["FAILED"]}</td>'
            f'<td class="num">{_pct(job["completion_rate"])}</td>'
            f'<td class="num">{_pct(job["failure_rate"])}</td>'
            f'<td class="state {escape(state)}">{escape(state)}</td></tr>'
        )
    return (
        '<section id="jobs"><h2>Jobs</h2>'
        f'<p class="legend">{legend}</p>'
        "<table><thead><tr><th>job</th><th>type</th><th>destination</th><th>status</th>"
        "<th>messages</th><th>statuses</th><th>failed</th><th>completed</th>"
        "<th>failure rate</th><th>reconciliation</th></tr></thead><tbody>"
        + "".join(rows)
        + "</tbody></table></section>"
    )


def _reason_table(rows: list[tuple[Any, ...]], with_jobs: bool) -> str:
    body = "".join(
        f"<tr><td>{escape(str(r[0]))}</td><td>{escape(str(r[1]))}</td>"
        f'<td class="num" data-field="reason-count">{r[2]}</td>'
        + (f'<td class="num">{r[3]}</td>' if with_jobs else "")
        + f'<td class="num">{_pct(r[-1])}</td></tr>'
        for r in rows
    )
    head = (
        "<th>status</th><th>reason</th><th>messages</th>"
        + ("<th>jobs</th>" if with_jobs else "")
        + "<th>share of status</th>"
    )
    return f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"


def _reasons(data: dict[str, Any]) -> str:
    per_job: dict[str, list[tuple[Any, ...]]] = defaultdict(list)
    for job_id, status, reason, count, share in data["job_reasons"]:
        per_job[job_id].append((status, reason, count, share))
    # open on the job with the most failures: the one a reader most likely came for
    worst = max(data["jobs"], key=lambda j: int(j["count_failed"] or 0), default=None)
    options = "".join(
        f'<option value="{escape(j["job_id"])}"'
        f"{' selected' if j is worst else ''}>{escape(j['job_id'][:8])}"
        f" {escape(j['job_status'] or '')} ({j['count_messages']})</option>"
        for j in data["jobs"]
    )
    panels = "".join(
        f'<div class="job-reasons" data-job="{escape(j["job_id"])}" hidden>'
        + (
            _reason_table(per_job[j["job_id"]], False)
            if per_job[j["job_id"]]
            else "<p>No failed, skipped or cancelled messages.</p>"
        )
        + "</div>"
        for j in data["jobs"]
    )
    return (
        '<section id="reasons"><div class="grid"><div><h2>Top failure reasons</h2>'
        f'<div id="top-reasons">{_reason_table(data["reasons"], True)}</div></div>'
        '<div><h2>Failure reasons of one job</h2><label for="job-select">Job </label>'
        f'<select id="job-select">{options}</select>{panels}</div></div></section>'
    )


def _activity(data: dict[str, Any]) -> str:
    daily = {
        "created": [(d, float(c)) for d, c, _ in data["daily"]],
        "processed": [(d, float(p)) for d, _, p in data["daily"]],
    }
    progress: dict[str, list[tuple[str, float]]] = defaultdict(list)
    for job_id, observed, rate in data["progress"]:
        progress[job_id[:8]].append((observed[:19], float(rate or 0)))
    progress_html = (
        svg.lines(dict(progress), "Share processed of jobs in progress", y_max=1.0)
        if progress
        else "<p>No job in progress.</p>"
    )
    return (
        '<section id="activity"><h2>Daily activity</h2>'
        + (
            svg.lines(daily, "Messages created and processed per day")
            if data["daily"]
            else "<p>No messages yet.</p>"
        )
        + "<h2>Progress of jobs in progress</h2>"
        + progress_html
        + "</section>"
    )


PAGE = """<!doctype html>
<html lang="en"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Cloudflare Email Security bulk actions</title>
<style>
body {{ font: 14px/1.4 system-ui, sans-serif; margin: 24px auto; max-width: 1280px;
  color: #1a1a1a; padding: 0 16px; }}
h1 {{ font-size: 22px; }} h2 {{ font-size: 18px; margin-top: 28px; }} h3 {{ font-size: 15px; }}
.grid {{ display: grid; grid-template-columns: repeat(auto-fit, minmax(520px, 1fr)); gap: 24px; }}
.kpis span {{ margin-right: 28px; }} .kpis strong {{ font-size: 20px; }}
table {{ border-collapse: collapse; width: 100%; }}
th, td {{ text-align: left; padding: 4px 8px; border-bottom: 1px solid #ddd; }}
td.num, th.num {{ text-align: right; font-variant-numeric: tabular-nums; }}
svg text {{ font-size: 12px; fill: #1a1a1a; }} svg .value {{ fill: #444; }}
.legend .key {{ margin-right: 12px; white-space: nowrap; }}
.legend i {{ display: inline-block; width: 12px; height: 12px; margin-right: 4px;
  vertical-align: -1px; }}
.state.inconsistent {{ color: #B00020; font-weight: bold; }}
select {{ font: inherit; margin-bottom: 8px; }}
</style></head><body>
<h1>Cloudflare Email Security bulk actions</h1>
{body}
<script type="application/json" id="dashboard-data">{data}</script>
<script>
(function () {{
  var select = document.getElementById("job-select");
  function show() {{
    document.querySelectorAll(".job-reasons").forEach(function (panel) {{
      panel.hidden = panel.getAttribute("data-job") !== select.value;
    }});
  }}
  if (select) {{ select.addEventListener("change", show); show(); }}
  document.querySelectorAll("#jobs tr[data-job]").forEach(function (row) {{
    row.addEventListener("click", function () {{
      select.value = row.getAttribute("data-job"); show();
      document.getElementById("reasons").scrollIntoView();
    }});
  }});
  document.body.setAttribute("data-ready", "yes");
}})();
</script>
</body></html>
"""
