"""Message pages as Arrow tables: the fast path past dlt's row-by-row normalisation.

A page becomes a table only when it holds exactly what the API documents, with the documented
types; anything else (an unknown field, a number sent as text, an odd timestamp) returns None and
the page goes through dlt's own normalisation, which handles it. Both paths give the same table:
`action_params` is flattened the way dlt names nested fields (`action_params__destination`)
and every declared column is typed, so a column null in every row still exists.
"""

import logging
from typing import Any, Dict, Iterator, List, Optional

import orjson
import pyarrow as pa
import pyarrow.compute as pc
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


def to_arrow(rows: List[Dict[str, Any]]) -> Optional[pa.Table]:
    """The page as an Arrow table, or None when it needs dlt's row-by-row normalisation."""
    if not rows or not _documented(rows):
        return None
    nested = [row.pop("message", None) for row in rows] if _has_key(rows, "message") else None
    try:
        table = pa.Table.from_pylist(rows, schema=FIELDS)
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
    except (pa.ArrowInvalid, pa.ArrowTypeError, pa.ArrowNotImplementedError):
        if nested is not None:
            for row, value in zip(rows, nested):
                if value is not None:
                    row["message"] = value
        return None
    # Always present, even all null: with every declared column in the table, the file's
    # column order is the table's and dlt imports it as it is instead of rewriting it.
    names.append("message")
    columns.append(
        pa.array([None if v is None else orjson.dumps(v).decode() for v in nested])
        if nested is not None
        else pa.nulls(len(rows), pa.string())
    )
    # dlt's row id, made here with dlt's own generator: with it present, dlt need not rewrite
    # every file to add it (that second parquet write cost as much as the first)
    names.append("_dlt_id")
    columns.append(pa.array(generate_dlt_ids(len(rows)), type=pa.string()))
    # the key columns are never null here (keyless items were set aside), as dlt declares them
    schema = pa.schema(
        [pa.field(n, c.type, nullable=n not in KEYS) for n, c in zip(names, columns)]
    )
    return pa.Table.from_arrays(columns, schema=schema)


def _documented(rows: List[Dict[str, Any]]) -> bool:
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


def _has_key(rows: List[Dict[str, Any]], key: str) -> bool:
    return any(key in row for row in rows)


class ArrowBatch:
    """Gathers page tables into one of at least `rows` rows (pages of one job share a schema)."""

    def __init__(self, rows: int) -> None:
        self.rows = rows
        self._tables: List[pa.Table] = []
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


class JsonColumnNotice(logging.Filter):
    """Drops dlt's warning that the Arrow and declared hints of `bulk_job_messages` differ.

    The one difference is `message`: declared JSON, and Arrow can carry JSON only as text. dlt
    keeps the declared type, which is what we want, but warns on every item, burying a cron
    log. The test loading the same data through both paths guards the tables' real shape.
    """

    NOTICE = "In resource: bulk_job_messages, when merging arrow schema with dlt schema"

    def filter(self, record: logging.LogRecord) -> bool:
        return not str(record.msg).startswith(self.NOTICE)


def quiet_json_column_notice(logger: logging.Logger) -> None:
    if not any(isinstance(f, JsonColumnNotice) for f in logger.filters):
        logger.addFilter(JsonColumnNotice())
