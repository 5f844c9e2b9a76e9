"""Write only what changed: rows the API serves again as they are stored are not loaded again.

The API has no "updated since": every run fetches the messages of the jobs in flight, and lists
every job. Each row gets a hash of its content (`ROW_HASH`, stored with it); before rows go to
dlt, those whose key and hash are stored already are dropped. An unchanged row then keeps its
`_dlt_load_id`, so the incremental model build leaves its job alone, and the warehouse file is
not rewritten by merges that change nothing.

The stored hashes are read from the destination once per job (messages) and once per account
(jobs), through a `StoredHashes` the loading side provides; without one (a destination without
SQL, a first load into an empty table) every row is written, as before. A row stored before
hashes existed has none and is written once more. Arrow tables are hashed in an in-process
DuckDB (MD5 of the row's values as text), dict rows by MD5 of their sorted JSON: a row that
moves from one path to the other is written once more, never lost.
"""

import hashlib
from collections.abc import Iterable
from typing import Any, Protocol

import duckdb
import orjson
import pyarrow as pa
import pyarrow.compute as pc

ROW_HASH = "_cf_row_hash"
# what a row's hash is not made of: dlt's bookkeeping, and the hash itself
_NOT_HASHED = frozenset({"_dlt_id", "_dlt_load_id", ROW_HASH})
_HASHES = pa.schema([("key", pa.string()), (ROW_HASH, pa.int64())])


class StoredHashes(Protocol):
    """The hashes of rows already in the destination."""

    def messages(self, job_id: str) -> pa.Table:
        """`message_id`, `ROW_HASH` of the job's stored messages (empty when none)."""
        ...

    def jobs(self, account_id: str) -> dict[str, int | None]:
        """The account's stored jobs: job_id -> row hash."""
        ...


def dict_hash(row: dict[str, Any]) -> int:
    """A dict row's hash: 63 bits of the MD5 of its sorted JSON."""
    content = {k: v for k, v in row.items() if k not in _NOT_HASHED}
    text = orjson.dumps(content, option=orjson.OPT_SORT_KEYS | orjson.OPT_NON_STR_KEYS, default=str)
    return int.from_bytes(hashlib.md5(text).digest()[:8], "big") >> 1


class RowChanges:
    """Hashes the rows of a run and keeps those that changed (see the module's note)."""

    def __init__(self, stored: StoredHashes | None) -> None:
        self.stored = stored
        # rows listed again as they are stored, left out
        self.unchanged_messages = 0
        self.unchanged_jobs = 0
        self._con: duckdb.DuckDBPyConnection | None = None
        self._jobs_stored: dict[str, pa.Table] = {}

    # --- messages ------------------------------------------------------------------------
    def messages(self, job_id: str, data: Any) -> Any:
        """`data` (one Arrow table or a list of dict rows of one job) with hashes, without the
        rows stored as they are; None when nothing is left."""
        if isinstance(data, pa.Table):
            table = self.hashed(data)
            stored = self._stored_messages(job_id)
            if stored is not None and stored.num_rows:
                keep = _changed(table.column("message_id"), table.column(ROW_HASH), stored)
                self.unchanged_messages += table.num_rows - pc.sum(keep.cast(pa.int64())).as_py()
                table = table.filter(keep)
            return table if table.num_rows else None
        rows = [{**row, ROW_HASH: dict_hash(row)} for row in data]
        stored = self._stored_messages(job_id)
        if stored is not None and stored.num_rows:
            known = set(
                zip(*(stored.column(c).to_pylist() for c in ("key", ROW_HASH)), strict=True)
            )
            kept = [r for r in rows if (r.get("message_id"), r[ROW_HASH]) not in known]
            self.unchanged_messages += len(rows) - len(kept)
            rows = kept
        return rows or None

    def job_done(self, job_id: str) -> None:
        self._jobs_stored.pop(job_id, None)

    def _stored_messages(self, job_id: str) -> pa.Table | None:
        if self.stored is None:
            return None
        if job_id not in self._jobs_stored:
            self._jobs_stored[job_id] = self.stored.messages(job_id)
        return self._jobs_stored[job_id]

    # --- jobs ----------------------------------------------------------------------------
    def jobs(self, account_id: str, rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
        """The account's job rows with hashes, without those stored as they are."""
        hashed = [{**row, ROW_HASH: dict_hash(row)} for row in rows]
        stored = self.stored.jobs(account_id) if self.stored is not None else {}
        kept = [r for r in hashed if stored.get(r["job_id"], -1) != r[ROW_HASH]]
        self.unchanged_jobs += len(hashed) - len(kept)
        return kept

    # --- hashing -------------------------------------------------------------------------
    def hashed(self, table: pa.Table) -> pa.Table:
        """`table` with `ROW_HASH`: 63 bits of the MD5 of its values as text (UTC timestamps),
        computed in an in-process DuckDB."""
        if ROW_HASH in table.column_names:
            table = table.drop_columns([ROW_HASH])
        names = sorted(n for n in table.column_names if n not in _NOT_HASHED)
        values = ", ".join(f"coalesce(cast({_quoted(n)} as varchar), chr(30))" for n in names)
        con = self._connection()
        con.register("page", table)
        try:
            relation = con.sql(
                f"select cast(md5_number_lower(concat_ws(chr(31), {values})) >> 1 as bigint)"
                " from page"
            )
            # DuckDB 2 names it to_arrow_table; 1.x's arrow() returns the table
            hashes = getattr(relation, "to_arrow_table", relation.arrow)()
        finally:
            con.unregister("page")
        return table.append_column(
            pa.field(ROW_HASH, pa.int64(), nullable=True), hashes.column(0).cast(pa.int64())
        )

    def _connection(self) -> duckdb.DuckDBPyConnection:
        if self._con is None:
            self._con = duckdb.connect(":memory:", config={"threads": 1})
            self._con.execute("set TimeZone = 'UTC'")
        return self._con

    def close(self) -> None:
        if self._con is not None:
            self._con.close()
            self._con = None


def _changed(keys: pa.ChunkedArray, hashes: pa.ChunkedArray, stored: pa.Table) -> Any:
    """Per row, whether its (key, hash) pair is not among the stored ones."""
    probe = pa.table({"key": keys, ROW_HASH: hashes, "_row": pa.array(range(len(keys)))})
    same = probe.join(stored, keys=["key", ROW_HASH], join_type="left semi")
    return pc.invert(pc.is_in(probe.column("_row"), value_set=same.column("_row").combine_chunks()))


def stored_table(keys: Iterable[Any], hashes: Iterable[Any]) -> pa.Table:
    """The shape `StoredHashes.messages` returns."""
    return pa.table(
        {"key": pa.array(list(keys), pa.string()), ROW_HASH: pa.array(list(hashes), pa.int64())},
        schema=_HASHES,
    )


def _quoted(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'
