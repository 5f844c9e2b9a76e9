"""Loading the messages of a warehouse that has none yet by appending instead of merging.

A merge loads every row into a staging table, then deletes matching keys and inserts a
deduplicated copy: for a first sync or a backfill into an empty table that is twice the
writing and, in DuckDB, about half the load's time and most of its memory, all to guard
against rows that cannot exist yet. Our client never yields a message twice in one run, so an
empty table can take the rows as they come.

What the merge's dedup also absorbed is dlt running a load job a second time after a crash
between the job's commit and its bookkeeping. Such repeats are exact copies (same `_dlt_id`),
so after finishing a package left by a crashed run the copies are removed by their physical
row id. Hence the fast path only on destinations whose row id we know; elsewhere messages
are always merged.
"""

from collections.abc import Sequence
from typing import Any

import dlt
from dlt.destinations.exceptions import DatabaseUndefinedRelation

# the physical row id of each destination whose repeated rows we can remove
ROW_ID = {"duckdb": "rowid", "postgres": "ctid"}


def destination_kind(pipeline: dlt.Pipeline) -> str:
    return str(pipeline.destination.destination_type).rsplit(".", 1)[-1]


def can_append_to(pipeline: dlt.Pipeline, table: str) -> bool:
    """True when `table` holds no row (or does not exist) in a destination we can repair."""
    if destination_kind(pipeline) not in ROW_ID:
        return False
    try:
        with pipeline.sql_client() as client:
            name = client.make_qualified_table_name(table)
            return not client.execute_sql(f"SELECT 1 FROM {name} LIMIT 1")
    except DatabaseUndefinedRelation:
        return True


def remove_repeated_rows(pipeline: dlt.Pipeline, table: str, load_ids: Sequence[str]) -> int:
    """Deletes all but one copy of each row of `load_ids` that was loaded more than once;
    returns how many copies were removed."""
    row_id = ROW_ID.get(destination_kind(pipeline))
    if row_id is None or not load_ids:
        return 0
    try:
        with pipeline.sql_client() as client:
            name = client.make_qualified_table_name(table)
            loads = ", ".join(client.capabilities.escape_literal(i) for i in load_ids)
            scope = f"_dlt_load_id IN ({loads})"
            rows: Any = client.execute_sql(
                f"SELECT COUNT(*) - COUNT(DISTINCT _dlt_id) FROM {name} WHERE {scope}"
            )
            repeated = int(rows[0][0])
            if repeated:
                client.execute_sql(
                    f"DELETE FROM {name} WHERE {row_id} IN (SELECT {row_id} FROM"
                    f" (SELECT {row_id}, ROW_NUMBER() OVER (PARTITION BY _dlt_id"
                    f" ORDER BY {row_id}) AS copy FROM {name} WHERE {scope}) AS numbered"
                    " WHERE copy > 1)"
                )
            return repeated
    except DatabaseUndefinedRelation:
        return 0
