"""Which marts a build may update in place, and for which jobs: cost that grows with the change,
not with the history.

A mart whose file declares `-- incremental: job_id` holds rows that depend only on the rows of
the same job in what it reads (staging views and other such marts). A build after a load then
deletes and re-inserts the rows of the jobs that changed: the jobs with a row loaded by dlt
(`_dlt_load_id`) after the load the marts were last built up to. Every other mart is a cheap
re-aggregate of those (failure_reasons, daily_message_activity) and is rebuilt whole.

`_model_builds` in the reporting dataset records, per model, a hash of its SQL (and of the
failure-reason rule, whose change rewrites every text) and the newest load id the marts cover.
A full rebuild runs when asked (`models --full`), when a hash differs or a model or its record
is missing, and on destinations where the delete+insert is not written yet. Re-applying a
job's rows is idempotent, so an older load id in the record only costs time, never rows.
"""

import hashlib
import logging
import re
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sqlglot import exp

from ..errors import ModelError
from ..source import settings
from . import reason_texts
from .model import Model

STATE_TABLE = "_model_builds"
CHANGED_TABLE = "_model_changed_jobs"
KEY = "job_id"
# where delete+insert inside one transaction is executed in CI; elsewhere every build is full
DIALECTS = ("duckdb", "postgres")
# the raw tables whose rows name a job: a row loaded into any of them changes that job
JOB_TABLES = (
    settings.JOBS_TABLE,
    settings.MESSAGES_TABLE,
    settings.DELETIONS_TABLE,
    settings.SNAPSHOTS_TABLE,
    settings.SYNC_STATE_TABLE,
    settings.REJECTED_TABLE,
)
# bumped when the way marts are updated changes, so that every warehouse rebuilds once
FORMAT_VERSION = 1
# up to this many changed jobs are written into the statements as literals
INLINED_JOBS = 1000
# stands for the changed jobs' values in compiled statements (never a job id: not a UUID)
PLACEHOLDER = "cf-bulk-sync:changed-jobs"
_DECLARED = re.compile(r"^\s*--\s*incremental:\s*(\w+)\s*$", re.MULTILINE)

log = logging.getLogger(__name__)


@dataclass
class Plan:
    """How this build updates the marts: `full`, or only the jobs changed after `since`."""

    full: bool
    reason: str
    since: str | None = None


def incremental_key(path: Path) -> str | None:
    """The key a mart file declares it is built by (`-- incremental: job_id`), or None. An
    assertion may declare it too: its offending rows are found per job, so an incremental
    build checks the changed jobs only (`models --full` checks them all)."""
    found = _DECLARED.search(path.read_text())
    if found and found.group(1) != KEY:
        raise ModelError(f"{path.name}: marts can be incremental by {KEY} only")
    return found.group(1) if found else None


def fingerprint(path: Path) -> str:
    # the rule version and family mapping reasons are derived with: a change derives every
    # text again
    text = f"{FORMAT_VERSION}\n{reason_texts.derivation()}\n{path.read_text()}"
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def check_inputs(name: str, reads: set[str], by_job: set[str]) -> None:
    """An incremental mart may read only models that hold `job_id` per row; reading a global
    mart would make its rows depend on other jobs."""
    other = reads - by_job
    if other:
        raise ModelError(
            f"{name} is declared incremental by {KEY} but reads {', '.join(sorted(other))},"
            f" which is not per job: remove `-- incremental: {KEY}` or read staging models"
        )


def placeholder() -> exp.Expression:
    """The condition `job_id` is one of the changed jobs, as statements are compiled: their
    values are filled in per build (`filled`), so a compiled statement serves every build of
    the same shape (see `sql_cache`)."""
    return exp.column(KEY).isin(exp.Literal.string(PLACEHOLDER))


def member_values(jobs: list[str], changed: str) -> str:
    """What `job_id in (...)` holds for `jobs`: their literals when few (a warehouse then skips
    the storage blocks of other jobs by their min/max), else a read of table `changed`."""
    if len(jobs) <= INLINED_JOBS:
        # no job: `in (null)` holds for no row (an empty list is not SQL)
        return ", ".join(f"'{_literal(job)}'" for job in jobs) or "null"
    return f"select {KEY} from {changed}"


def filled(statement: str, values: str) -> str:
    """`statement` with the changed jobs (`member_values`) in place of the placeholder."""
    quoted = f"'{PLACEHOLDER}'"
    if quoted not in statement:
        raise ModelError(f"a per-job statement lost its changed-jobs condition: {statement[:80]}")
    return statement.replace(quoted, values)


def filtered_inputs(
    tree: exp.Expression, by_job: set[str], member: exp.Expression
) -> exp.Expression:
    """A copy of `tree` with every model it reads narrowed to the rows where `member` holds."""
    tree = tree.copy()
    ctes = {cte.alias_or_name for cte in tree.find_all(exp.CTE)}
    for table in list(tree.find_all(exp.Table)):
        if table.name in ctes or table.name not in by_job:
            continue
        narrowed = exp.select("*").from_(exp.to_table(table.name)).where(member.copy())
        table.replace(narrowed.subquery(table.alias_or_name))
    return tree


def plan(
    client: Any,
    fingerprints: dict[str, str],
    dialect: str,
    full: bool,
    targets: dict[str, str],
    models: Iterable[Model],
) -> Plan:
    """Whether this build can update in place. `targets` are the qualified names of the
    models and of `STATE_TABLE`."""
    if full:
        return Plan(True, "asked for (--full)")
    if dialect not in DIALECTS:
        return Plan(True, f"incremental builds run on {', '.join(DIALECTS)}, not {dialect}")
    state = targets[STATE_TABLE]
    try:
        with client.execute_query(f"select model_name, sql_hash, loaded_through from {state}") as c:
            recorded = {row[0]: (row[1], row[2]) for row in c.fetchall()}
    except Exception:  # noqa: BLE001 - no record yet: the first build
        return Plan(True, "no earlier build recorded")
    for name, digest in fingerprints.items():
        if name not in recorded:
            return Plan(True, f"{name} was not built before")
        if recorded[name][0] != digest:
            return Plan(True, f"the SQL of {name} changed")
    for model in models:
        try:
            with client.execute_query(f"select 1 from {targets[model.name]} where 1 = 0"):
                pass
        except Exception:  # noqa: BLE001 - a dropped model is rebuilt, with all of history
            return Plan(True, f"{model.name} is missing")
    since = {loaded for _, loaded in recorded.values()}
    if len(since) != 1:
        return Plan(True, "the build record is inconsistent")
    return Plan(False, "incremental", since.pop())


def newest_load_id(client: Any, loads_table: str) -> str | None:
    """The newest completed load in the raw dataset: what a build now covers."""
    with client.execute_query(f"select max(load_id) from {loads_table} where status = 0") as c:
        row = c.fetchone()
    return str(row[0]) if row and row[0] is not None else None


def changed_jobs_sql(target: str, raw_tables: dict[str, str], since: str | None) -> str:
    """Creates `target` with the jobs that have a row loaded after `since` (all jobs when
    None). Load ids are `<unix seconds>.<fraction>` strings of fixed integer width, so that
    their text order is their time order."""
    where = "" if since is None else f" where _dlt_load_id > '{_literal(since)}'"
    parts = [f"select {KEY} from {table}{where}" for table in raw_tables.values()]
    union = " union ".join(parts) or f"select cast(null as varchar) as {KEY} where 1 = 0"
    return f"create table {target} as {union}"


def record_sql(state: str, fingerprints: dict[str, str], loaded_through: str | None) -> list[str]:
    """The statements that replace the build record."""
    built = _literal(loaded_through) if loaded_through else ""
    rows = ", ".join(
        f"('{_literal(name)}', '{digest}', '{built}')" for name, digest in fingerprints.items()
    )
    return [
        f"create table if not exists {state} (model_name varchar(200), sql_hash varchar(64),"
        " loaded_through varchar(64))",
        f"delete from {state}",
        f"insert into {state} (model_name, sql_hash, loaded_through) values {rows}",
    ]


def _literal(text: str) -> str:
    return text.replace("'", "''")
