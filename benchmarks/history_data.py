"""History synthesised in DuckDB for `benchmarks.history`: rows shaped like the sync's (the
columns are read from the warehouse the sync made), written without HTTP.

Message ids, recipients and e-mail ids are hashes, so they compress like real ids do; one
message in twenty failed (a thousand distinct texts, as addresses vary) and one in twenty was
skipped, the rest completed. Every row carries one old load id, recorded in `_dlt_loads`.
"""

import time
import uuid
from typing import Any

from cf_bulk_sync.reasons import names
from cf_bulk_sync.reasons import texts as reason_texts

HISTORY_LOAD_ID = "1700000000.000001"

# per raw column: a DuckDB expression over `i` (message number) and `j` (job number)
_JOB = "printf('%08x-0000-4000-8000-%012x', j, j)"
_STATUS = "case when i % 20 = 0 then 'FAILED' when i % 20 = 1 then 'SKIPPED' else 'COMPLETED' end"
_CREATED = "timestamptz '2026-01-01 00:00:00+00' + to_seconds(j * 3600 + i % 3600)"
_MESSAGE_COLUMNS = {
    "job_id": _JOB,
    "message_id": "md5(cast(i as varchar))",
    "account_id": "'0123456789abcdef0123456789abcdef'",
    "action_type": "case when j % 3 = 0 then 'RELEASE' else 'MOVE' end",
    "action_params__type": "case when j % 3 = 0 then 'RELEASE' else 'MOVE' end",
    "action_params__destination": "case when j % 3 = 0 then null else 'JunkEmail' end",
    "action_params__client_recipient": "'user' || (i % 50000) || '@example.com'",
    "status": _STATUS,
    "status_message": "case when i % 20 = 0 then '550 5.1.1 <user' || (i % 1000)"
    " || '@example.com>: Recipient address rejected' when i % 20 = 1 then"
    " 'Message already in destination' end",
    "retry_count": "case when i % 20 = 0 then i % 3 else 0 end",
    "created_at": _CREATED,
    "processed_at": f"{_CREATED} + interval 5 minute",
    "postfix_id": "upper(substr(md5('p' || i), 1, 10))",
    "email_message_id": "'<' || substr(md5('e' || i), 1, 16) || '@example.com>'",
    "_dlt_id": "substr(md5('d' || i), 1, 14)",
    "_dlt_load_id": f"'{HISTORY_LOAD_ID}'",
}
_JOB_COLUMNS = {
    "job_id": _JOB,
    "account_id": "'0123456789abcdef0123456789abcdef'",
    "action_type": "case when j % 3 = 0 then 'RELEASE' else 'MOVE' end",
    "action_params__type": "case when j % 3 = 0 then 'RELEASE' else 'MOVE' end",
    "action_params__destination": "case when j % 3 = 0 then null else 'JunkEmail' end",
    "comment": "'synthesised job ' || j",
    "created_at": "timestamptz '2026-01-01 00:00:00+00' + to_seconds(j * 3600)",
    "started_at": "timestamptz '2026-01-01 00:00:00+00' + to_seconds(j * 3600)",
    "completed_at": "timestamptz '2026-01-01 00:00:00+00' + to_seconds(j * 3600 + 3600)",
    "status": "'COMPLETED'",
    "total_messages_discovered": "n",
    "messages_pending": "0",
    "messages_successful": "n - n_failed - n_skipped",
    "messages_failed": "n_failed",
    "messages_skipped": "n_skipped",
    "messages_cancelled": "0",
    "_dlt_id": "substr(md5('job' || j), 1, 14)",
    "_dlt_load_id": f"'{HISTORY_LOAD_ID}'",
}


def _columns(con: Any, dataset: str, table: str) -> list[str]:
    return [
        row[0]
        for row in con.execute(
            "select column_name from information_schema.columns where table_schema = ?"
            " and table_name = ? order by ordinal_position",
            [dataset, table],
        ).fetchall()
    ]


def _select(con: Any, dataset: str, table: str, exprs: dict[str, str]) -> tuple[str, str]:
    columns = _columns(con, dataset, table)
    names = ", ".join(f'"{c}"' for c in columns)
    values = ", ".join(f'{exprs.get(c, "null")} as "{c}"' for c in columns)
    return names, values


def synthesise(con: Any, dataset: str, messages: int, jobs: int) -> None:
    """`messages` messages spread evenly over `jobs` settled jobs, written as one old load."""
    names, values = _select(con, dataset, "bulk_job_messages", _MESSAGE_COLUMNS)
    con.execute(
        f'insert into "{dataset}".bulk_job_messages ({names})'
        f" select {values} from (select i, i * {jobs} // {messages} as j"
        f" from range({messages}) t(i))"
    )
    names, values = _select(con, dataset, "bulk_jobs", _JOB_COLUMNS)
    con.execute(
        f'insert into "{dataset}".bulk_jobs ({names}) select {values} from ('
        "select j, count(*) as n, count(*) filter (where i % 20 = 0) as n_failed,"
        " count(*) filter (where i % 20 = 1) as n_skipped"
        f" from (select i, i * {jobs} // {messages} as j from range({messages}) t(i))"
        " group by j)"
    )
    _record_load(con, dataset, HISTORY_LOAD_ID)


def change_one_job(
    con: Any, dataset: str, which: int, new_texts: bool, texts_loaded: bool = True
) -> int:
    """What a run that changed one job leaves: a new load id in `_dlt_loads`, the job's row and
    a tenth of its messages rewritten under it (dlt's merge deletes and inserts them so); the
    messages fail with a text already in history or, with `new_texts`, with new ones. New texts
    come with their reasons in the same load, as `cf-bulk-sync run` loads them; not
    `texts_loaded`: without (messages loaded by another tool or an older release), so that the
    build derives and loads them first. `which` picks the job (0 = the middle one). Returns the
    messages changed."""
    load_id = f"{time.time():.7f}"
    text = (
        f"'Mailbox full: user' || (retry_count + 1) || '.{which}@example.com'"
        if new_texts
        else "'550 5.1.1 <user0@example.com>: Recipient address rejected'"
    )
    # among the jobs not changed yet (a changed job leaves the history load)
    unchanged = f'select count(*) from "{dataset}".bulk_jobs where _dlt_load_id = ?'
    job = con.execute(
        f'select job_id from "{dataset}".bulk_jobs where _dlt_load_id = ?'
        f" order by job_id limit 1 offset (({unchanged}) // 2 + ?) % ({unchanged})",
        [HISTORY_LOAD_ID, HISTORY_LOAD_ID, which, HISTORY_LOAD_ID],
    ).fetchall()[0][0]
    changed = con.execute(
        f"update \"{dataset}\".bulk_job_messages set status = 'FAILED', status_message = {text},"
        " retry_count = retry_count + 1, _dlt_load_id = ?"
        " where job_id = ? and hash(message_id) % 10 = 0",
        [load_id, job],
    ).fetchall()[0][0]
    con.execute(
        f'update "{dataset}".bulk_jobs set messages_failed = messages_failed + ?,'
        " messages_successful = messages_successful - ?, _dlt_load_id = ? where job_id = ?",
        [changed, changed, load_id, job],
    )
    if new_texts and texts_loaded:
        _load_reasons(con, dataset, load_id)
    _record_load(con, dataset, load_id)
    return int(changed)


def _load_reasons(con: Any, dataset: str, load_id: str) -> None:
    """The reasons of the texts of load `load_id`'s messages, as the sync loads them with it."""
    texts = con.execute(
        f'select distinct status_message from "{dataset}".bulk_job_messages'
        " where _dlt_load_id = ? and status_message is not null",
        [load_id],
    ).fetchall()
    rows = reason_texts.reason_rows([text for (text,) in texts])
    columns = list(names.COLUMNS)
    con.executemany(
        f'insert into "{dataset}".{names.TABLE} ({", ".join(columns)}, _dlt_load_id, _dlt_id)'
        f" values ({', '.join(['?'] * (len(columns) + 2))})",
        [[r[c] for c in columns] + [load_id, uuid.uuid4().hex[:14]] for r in rows],
    )


def _record_load(con: Any, dataset: str, load_id: str) -> None:
    con.execute(
        f'insert into "{dataset}"._dlt_loads (load_id, schema_name, status, inserted_at)'
        " values (?, 'cloudflare_email_security', 0, now())",
        [load_id],
    )
