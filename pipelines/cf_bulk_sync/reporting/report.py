"""`cf-bulk-sync report`: status counts per job, FAILED messages by reason family and the top
reasons of each final status (FAILED; SKIPPED and CANCELLED apart, not failures), as text
tables; or, with `unknown_reasons`, the reasons no family rule matched."""

from collections.abc import Sequence
from typing import Any

import dlt
from dlt.destinations.exceptions import DatabaseUndefinedRelation

from ..errors import ConfigurationError
from ..models.relations import no_models_yet, qualified, reporting_dataset
from ..reasons.names import FAMILIES
from ..safe_text import printable
from . import reason_tables
from .reader import read_only_client

# API texts (reasons, destinations, statuses) are shown cut to this many characters: one reason
# of 4 MB once made a 25-row report 109 MB. They are cut in SQL too, not to fetch megabytes.
TEXT_LIMIT = 100

JOB_COLUMNS = (
    ("job", "job_id"),
    ("type", "action_type"),
    ("destination", "destination"),
    ("status", "job_status"),
    ("total", "count_messages"),
    ("completed", "count_completed"),
    ("failed", "count_failed"),
    ("skipped", "count_skipped"),
    ("cancelled", "count_cancelled"),
    ("in flight", "in_flight"),
    # items set aside as not loadable as declared (bulk_job_messages_rejected): they make up
    # the difference the check reports as explained_by_rejected
    ("rejected", "count_rejected"),
    ("done %", "processed_pct"),
    ("fail % of processed", "failure_pct"),
    ("check", "reconciliation_status"),
)


def render_table(headers: Sequence[str], rows: Sequence[Sequence[Any]]) -> str:
    """A plain table: numbers right-aligned, text left-aligned, one space-padded line a row.
    Texts come from the API: control characters are escaped (no forged lines, no terminal
    escapes) and long ones cut, by `printable`."""
    cells = [[("" if v is None else printable(str(v), TEXT_LIMIT)) for v in row] for row in rows]
    widths = [max([len(h)] + [len(r[i]) for r in cells]) for i, h in enumerate(headers)]
    numeric = [
        all(isinstance(row[i], (int, float)) or row[i] is None for row in rows) and bool(rows)
        for i in range(len(headers))
    ]

    def line(values: Sequence[str]) -> str:
        return "  ".join(
            v.rjust(w) if num else v.ljust(w)
            for v, w, num in zip(values, widths, numeric, strict=False)
        ).rstrip()

    return "\n".join([line(headers), line(["-" * w for w in widths])] + [line(r) for r in cells])


def build_report(
    pipeline: dlt.Pipeline,
    job_ids: list[str] | None = None,
    top: int = 10,
    family: str | None = None,
    unknown_reasons: bool = False,
) -> str:
    """Reads the marts (as `reader.read_only_client` reads) and lays them out for a terminal or
    a cron log. `job_ids` may be full ids or unique prefixes of them (the table shows the
    first 8 characters); `family` keeps the reasons of one family; `unknown_reasons` lists
    the reasons in family "other" instead, with an example text each."""
    try:
        return _build_report(pipeline, job_ids, top, family, unknown_reasons)
    except DatabaseUndefinedRelation:
        raise no_models_yet(pipeline) from None


def _build_report(
    pipeline: dlt.Pipeline,
    job_ids: list[str] | None,
    top: int,
    family: str | None,
    unknown_reasons: bool,
) -> str:
    dataset = reporting_dataset(pipeline)
    with read_only_client(pipeline) as client:

        def table(name: str) -> str:
            return qualified(client, name, dataset)

        if job_ids:
            job_ids = resolve_job_ids(client, table("job_status_counts"), job_ids)
        selection = reason_tables.Selection(
            table("job_failure_reasons"), TEXT_LIMIT + 1, list(job_ids or []), family
        )
        of_jobs = " of the selected jobs" if job_ids else ""
        if unknown_reasons:
            rows = reason_tables.other_reasons(client, selection, top)
            return "\n".join(
                [
                    f"Reasons in family other{of_jobs} (no family rule matched them; add one in"
                    " [cf_bulk_sync.reason_families], see docs/failure-reasons.md)",
                    render_table(["status", "reason", "messages", "example text"], rows),
                ]
            )
        if family is not None:
            check_family(client, selection.table, family)

        job_filter = ""
        params: list[Any] = []
        if job_ids:
            job_filter = f"where c.job_id in ({', '.join(['%s'] * len(job_ids))})"
            params = list(job_ids)
        settled = "c.count_completed + c.count_failed + c.count_skipped + c.count_cancelled"
        jobs = client.execute_sql(
            f"""
            select substr(c.job_id, 1, 8), substr(c.action_type, 1, {TEXT_LIMIT + 1}),
                substr(coalesce(c.destination, ''), 1, {TEXT_LIMIT + 1}),
                substr(c.job_status, 1, {TEXT_LIMIT + 1}), c.count_messages, c.count_completed,
                c.count_failed, c.count_skipped, c.count_cancelled,
                c.count_pending + c.count_discovering + c.count_processing,
                c.count_rejected,
                round(100 * c.processed_rate, 1),
                -- of the messages processed, as the dashboard shows it: in-flight messages
                -- would dilute a running job's rate; none processed is no rate at all
                case when {settled} > 0 then round(100.0 * c.count_failed / ({settled}), 1) end,
                case when c.is_deleted then 'deleted' else r.reconciliation_status end
            from {table("job_status_counts")} as c
            left join {table("job_reconciliation")} as r on r.job_id = c.job_id
            {job_filter}
            order by c.created_at, c.job_id
            """,
            *params,
        )
        by_family = reason_tables.families(client, selection)
        statuses = {
            status: reason_tables.top_reasons(client, selection, status, top)
            for status in reason_tables.STATUSES
        }
    jobs = jobs or []  # execute_sql gives None for no result set
    of_family = f" in family {family}" if family is not None else ""
    reason_headers = ["reason", "family", "messages", "jobs", "last seen"]
    parts = [
        f"Messages per job and status ({len(jobs)} jobs)",
        render_table([h for h, _ in JOB_COLUMNS], [_numbers(r) for r in jobs]),
        "",
        f"FAILED messages by reason family{of_jobs}{of_family}",
        render_table(["family", "messages", "% of FAILED", "reasons", "jobs"], by_family),
        "",
        f"Top FAILED reasons{of_jobs}{of_family}",
        render_table(reason_headers, statuses["FAILED"]),
    ]
    for status in ("SKIPPED", "CANCELLED"):
        parts += [
            "",
            f"{status} reasons{of_jobs}{of_family} (not failures: shown apart)",
            render_table(reason_headers, statuses[status]),
        ]
    return "\n".join(parts)


def check_family(client: Any, table: str, family: str) -> None:
    """`family` is a shipped one or one in the marts; else a `ConfigurationError` naming them."""
    known = set(FAMILIES) | reason_tables.known_families(client, table)
    if family not in known:
        raise ConfigurationError(
            f"no reason family {family!r}: use one of {', '.join(sorted(known))}"
        )


def resolve_job_ids(client: Any, table: str, given: Sequence[str]) -> list[str]:
    """The full job id of each of `given` (full ids or unique prefixes), in `table`'s `job_id`;
    a prefix that matches no job or several is a `ConfigurationError` naming it."""
    resolved: list[str] = []
    for prefix in given:
        wanted = prefix.strip().lower()
        matches: list[str] = []
        if wanted:
            rows = client.execute_sql(
                f"select distinct job_id from {table}"
                f" where lower(substr(job_id, 1, {len(wanted)})) = %s order by job_id",
                wanted,
            )
            matches = [str(r[0]) for r in rows or []]
        if not matches:
            raise ConfigurationError(
                f"no job {prefix!r} in the marts: `cf-bulk-sync report` lists the jobs (the first"
                " 8 characters of an id are enough)"
            )
        exact = [m for m in matches if m.lower() == wanted]
        if len(matches) > 1 and not exact:
            shown = ", ".join(m[: len(wanted) + 4] + "..." for m in matches[:3])
            more = f" and {len(matches) - 3} more" if len(matches) > 3 else ""
            raise ConfigurationError(
                f"{prefix!r} matches {len(matches)} jobs ({shown}{more}): give more of the id"
            )
        found = (exact or matches)[0]
        if found not in resolved:
            resolved.append(found)
    return resolved


def _numbers(row: Sequence[Any]) -> list[Any]:
    return [
        float(v) if hasattr(v, "as_integer_ratio") and not isinstance(v, int) else v for v in row
    ]
