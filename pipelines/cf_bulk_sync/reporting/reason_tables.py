"""The failure-reason rows `report` lays out: FAILED messages by family, the top reasons of each
final status, and the reasons no family rule matched ("other"), of all jobs or some."""

from dataclasses import dataclass, field
from typing import Any

from ..reasons.names import OTHER

# the statuses a reason is derived for: FAILED are failures, the other two are not
STATUSES = ("FAILED", "SKIPPED", "CANCELLED")


@dataclass
class Selection:
    """Which rows of `job_failure_reasons` (`table`) a report reads: some jobs, one family.
    `cut` is how many characters of an API text to fetch."""

    table: str
    cut: int
    job_ids: list[str] = field(default_factory=list)
    family: str | None = None

    def where(self, *conditions: str) -> tuple[str, list[Any]]:
        parts, params = list(conditions), []
        if self.job_ids:
            parts.append(f"job_id in ({', '.join(['%s'] * len(self.job_ids))})")
            params += self.job_ids
        if self.family is not None:
            parts.append("reason_family = %s")
            params.append(self.family)
        return ("where " + " and ".join(parts)) if parts else "", params


def families(client: Any, selection: Selection) -> list[tuple]:
    """(family, messages, share of FAILED in %, reasons, jobs) of the FAILED messages."""
    where, params = selection.where("message_status = 'FAILED'")
    rows = client.execute_sql(
        f"""
        select reason_family, sum(count_messages), count(distinct failure_reason),
            count(distinct job_id)
        from {selection.table}
        {where}
        group by reason_family
        order by 2 desc, reason_family
        """,
        *params,
    )
    rows = [(r[0], int(r[1]), int(r[2]), int(r[3])) for r in rows or []]
    total = sum(r[1] for r in rows)
    return [(f, n, round(100.0 * n / total, 1), k, j) for f, n, k, j in rows]


def top_reasons(client: Any, selection: Selection, status: str, top: int) -> list[tuple]:
    """(reason, family, messages, jobs, last seen) of the `top` most frequent reasons."""
    where, params = selection.where(f"message_status = '{status}'")
    rows = client.execute_sql(
        f"""
        select substr(failure_reason, 1, {selection.cut}), reason_family, sum(count_messages),
            count(distinct job_id), max(last_seen_at)
        from {selection.table}
        {where}
        group by failure_reason, reason_family
        order by 3 desc, failure_reason
        limit {int(top)}
        """,
        *params,
    )
    return [(r[0], r[1], int(r[2]), int(r[3]), str(r[4])[:16] if r[4] else "") for r in rows or []]


def other_reasons(client: Any, selection: Selection, top: int) -> list[tuple]:
    """(status, reason, messages, an example text) of the reasons in family `other`: what a
    rule of your own could give a family."""
    where, params = Selection(selection.table, selection.cut, selection.job_ids, OTHER).where()
    rows = client.execute_sql(
        f"""
        select message_status, substr(failure_reason, 1, {selection.cut}), sum(count_messages),
            substr(min(example_status_message), 1, {selection.cut})
        from {selection.table}
        {where}
        group by message_status, failure_reason
        order by 3 desc, failure_reason
        limit {int(top)}
        """,
        *params,
    )
    return [(r[0], r[1], int(r[2]), r[3]) for r in rows or []]


def known_families(client: Any, table: str) -> set[str]:
    rows = client.execute_sql(f"select distinct reason_family from {table}")
    return {str(r[0]) for r in rows or [] if r[0] is not None}
