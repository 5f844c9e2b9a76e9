"""Message pages as Arrow tables: the fast path past dlt's row-by-row normalisation.

A page becomes a table only when it holds exactly what the API documents, with the documented
types; anything else (an unknown field, a number sent as text, an odd timestamp) returns None and
the page goes through dlt's own normalisation, which handles it. Both paths give the same table:
`action_params` is flattened the way dlt names nested fields (`action_params__destination`)
and every declared column is typed, so a column null in every row still exists.

A successful message page is first read straight into Arrow by `read_message_page`, without
building a Python object per message (most of a sync's time went into making, converting and
freeing those); a page it declines is parsed the ordinary way and goes through `to_arrow`.
"""

from collections import Counter
from collections.abc import Iterator
from typing import Any

import orjson
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.json as pj
from dlt.common.normalizers.utils import generate_dlt_ids

PARAMS = pa.struct(
    [
        ("client_recipient", pa.string()),
        ("destination", pa.string()),
        ("type", pa.string()),
        ("expected_disposition", pa.string()),
    ]
)
FIELDS = pa.schema(
    [
        ("message_id", pa.string()),
        ("action_type", pa.string()),
        ("action_params", PARAMS),
        ("created_at", pa.string()),
        ("processed_at", pa.string()),
        ("retry_after", pa.string()),
        ("retry_count", pa.int64()),
        ("status", pa.string()),
        ("status_message", pa.string()),
        ("postfix_id", pa.string()),
        ("alert_id", pa.string()),
        ("email_message_id", pa.string()),
        ("job_id", pa.string()),
        ("account_id", pa.string()),
    ]
)
KNOWN = frozenset(FIELDS.names) | {"message"}
KNOWN_PARAMS = frozenset(PARAMS.names)
TIMESTAMPS = ("created_at", "processed_at", "retry_after")
UTC_MICROS = pa.timestamp("us", tz="UTC")
KEYS = frozenset({"job_id", "message_id", "_dlt_id"})

# A message page's envelope with every documented field, read with exactly these JSON types:
# any other field or type makes Arrow's reader fail, and the page is parsed the ordinary way.
ITEM = pa.struct([f for f in FIELDS if f.name not in ("job_id", "account_id")])
_ISSUES = pa.list_(
    pa.struct(
        [
            ("code", pa.int64()),
            ("message", pa.string()),
            ("documentation_url", pa.string()),
            ("source", pa.struct([("pointer", pa.string())])),
        ]
    )
)
ENVELOPE = pa.schema(
    [
        ("success", pa.bool_()),
        ("errors", _ISSUES),
        ("messages", _ISSUES),
        ("result", pa.list_(ITEM)),
        (
            "result_info",
            pa.struct(
                [
                    ("count", pa.int64()),
                    ("per_page", pa.int64()),
                    ("total_count", pa.int64()),
                    ("page", pa.int64()),
                    ("next", pa.string()),
                    ("previous", pa.string()),
                ]
            ),
        ),
    ]
)
_PARSE = pj.ParseOptions(explicit_schema=ENVELOPE, unexpected_field_behavior="error")


def read_message_page(content: bytes) -> dict[str, Any] | None:
    """The envelope of a successful page of messages with `result` as `[table]` (see
    `is_arrow_page`), when every item holds only documented fields of documented JSON types and
    has a `message_id`, and every text is valid UTF-8; None for anything else, which the caller
    parses the ordinary way (and which is how errors, unloadable items, see quarantine, and new
    fields keep their own handling)."""
    try:
        envelope = pj.read_json(
            pa.BufferReader(content),
            # one block for the whole body: the reader cannot split a one-line document
            read_options=pj.ReadOptions(use_threads=False, block_size=len(content) + 1),
            parse_options=_PARSE,
        )
    except (pa.ArrowInvalid, pa.ArrowTypeError, pa.ArrowNotImplementedError):
        return None
    if envelope.num_rows != 1 or envelope.column("success")[0].as_py() is not True:
        return None
    if envelope.column("errors")[0].as_py():  # a success listing errors: said once, see envelope
        return None
    result = envelope.column("result").combine_chunks()
    if result.null_count:
        return None
    items = pa.Table.from_struct_array(result.flatten())
    if items.column("message_id").null_count:
        return None
    try:
        # Arrow's JSON reader keeps invalid UTF-8 as it came; DuckDB's Parquet reader refuses
        # it at load time. Declined, the page's items are judged one by one (see quarantine).
        items.validate(full=True)
    except pa.ArrowInvalid:
        return None
    return {
        "success": True,
        "errors": [],
        "messages": [],
        "result": [items] if items.num_rows else [],
        "result_info": envelope.column("result_info")[0].as_py(),
    }


def import_on_this_thread() -> None:
    """Makes pyarrow import what it imports on its first array built from Python objects
    (pandas, when installed) on the calling thread, before workers build tables: imported by a
    worker, pandas sits half-initialised in `sys.modules` while dlt's thread checks every item
    against `pandas.DataFrame`, and the extract fails with "partially initialized module"."""
    pa.array([None], pa.string())


def is_arrow_page(page: list[Any]) -> bool:
    """A page made by `read_message_page` (JSON cannot hold a table, so no other page is)."""
    return len(page) == 1 and isinstance(page[0], pa.Table)


def drop_repeated(items: pa.Table, seen: set[Any]) -> pa.Table:
    """The rows whose message_id is not in `seen` (nor earlier in the table); adds them."""
    fresh = []
    for key in items.column("message_id").to_pylist():
        fresh.append(key not in seen)
        seen.add(key)
    return items if all(fresh) else items.filter(pa.array(fresh))


def stamp(items: pa.Table, account_id: str, job_id: str) -> pa.Table:
    """Adds the job and account columns the API's items lack, in FIELDS' order."""
    rows = items.num_rows
    return items.append_column("job_id", pa.array([job_id] * rows, pa.string())).append_column(
        "account_id", pa.array([account_id] * rows, pa.string())
    )


def count_statuses(items: pa.Table) -> Counter:
    """Rows per status (upper-cased), an empty or absent status counted as "(missing)" as for
    dict rows."""
    counts: Counter = Counter()
    for entry in pc.value_counts(items.column("status")).to_pylist():
        counts[(entry["values"] or "").strip().upper() or "(missing)"] += entry["counts"]
    return counts


def to_arrow(rows: list[Any]) -> pa.Table | None:
    """The page as an Arrow table, or None when it needs dlt's row-by-row normalisation (an
    Arrow page that cannot be typed is turned into dict rows in place for that)."""
    if rows and is_arrow_page(rows):
        try:
            return finish(rows[0])
        except (pa.ArrowInvalid, pa.ArrowTypeError, pa.ArrowNotImplementedError):
            rows[:] = rows[0].to_pylist()
    if not rows or not _documented(rows):
        return None
    nested = [row.pop("message", None) for row in rows] if _has_key(rows, "message") else None
    try:
        return finish(pa.Table.from_pylist(rows, schema=FIELDS), nested)
    except (pa.ArrowInvalid, pa.ArrowTypeError, pa.ArrowNotImplementedError):
        if nested is not None:
            for row, value in zip(rows, nested, strict=False):
                if value is not None:
                    row["message"] = value
        return None


def finish(table: pa.Table, nested: list[Any] | None = None) -> pa.Table:
    """A table of the documented fields (FIELDS' order) in the shape that is loaded; raises
    Arrow's errors for values it cannot type (an unreadable timestamp)."""
    rows = table.num_rows
    columns = []
    names = []
    for name in table.column_names:
        column = table.column(name)
        if name == "action_params":
            for child in PARAMS.names:
                names.append(f"action_params__{child}")
                columns.append(pc.struct_field(column, child))
            continue
        if name in TIMESTAMPS:
            column = pc.cast(column, UTC_MICROS)
        names.append(name)
        columns.append(column)
    # Always present, even all null: with every declared column in the table, the file's
    # column order is the table's and dlt imports it as it is instead of rewriting it.
    names.append("message")
    columns.append(
        pa.array([None if v is None else orjson.dumps(v).decode() for v in nested])
        if nested is not None
        else pa.nulls(rows, pa.string())
    )
    # dlt's row id, made here with dlt's own generator: with it present, dlt need not rewrite
    # every file to add it (that second parquet write cost as much as the first)
    names.append("_dlt_id")
    columns.append(pa.array(generate_dlt_ids(rows), type=pa.string()))
    # the key columns are never null here (keyless items were set aside), as dlt declares them
    schema = pa.schema(
        [pa.field(n, c.type, nullable=n not in KEYS) for n, c in zip(names, columns, strict=False)]
    )
    return pa.Table.from_arrays(columns, schema=schema)


def _documented(rows: list[dict[str, Any]]) -> bool:
    """Only documented fields, and a dict (or nothing) for `action_params`."""
    for row in rows:
        if not KNOWN.issuperset(row):
            return False
        params = row.get("action_params")
        if params is not None and not (
            isinstance(params, dict) and KNOWN_PARAMS.issuperset(params)
        ):
            return False
    return True


def _has_key(rows: list[dict[str, Any]], key: str) -> bool:
    return any(key in row for row in rows)


class ArrowBatch:
    """Gathers page tables into one of at least `rows` rows (pages of one job share a schema)."""

    def __init__(self, rows: int) -> None:
        self.rows = rows
        self._tables: list[pa.Table] = []
        self._count = 0

    def add(self, table: pa.Table) -> Iterator[pa.Table]:
        if self._tables and table.schema != self._tables[0].schema:
            yield from self.flush()
        self._tables.append(table)
        self._count += table.num_rows
        if self._count >= self.rows:
            yield from self.flush()

    def flush(self) -> Iterator[pa.Table]:
        if self._tables:
            yield pa.concat_tables(self._tables)
        self._tables, self._count = [], 0
