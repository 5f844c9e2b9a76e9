"""The row hashes already in the destination, read for the sync's change check (see
`source.changes`): one query per job of messages, one per account of jobs.

Read through the pipeline's own SQL client, opened on first use and closed when the sync is
done. A destination without SQL, a table or hash column not there yet (a first run, a
warehouse from before hashes) or any error reading them means no hashes: the rows are written,
as they were before, and nothing is lost.
"""

import logging
from typing import Any

import dlt
import pyarrow as pa

from ..source import settings
from ..source.changes import ROW_HASH, stored_table
from .lake import is_lake

log = logging.getLogger(__name__)


def _sql_client(pipeline: dlt.Pipeline) -> Any:
    """The destination's SQL client; a lake's Delta tables laid out in DuckDB (dlt's own client
    over a lake needs DuckDB's delta extension, downloaded on first use: see models.lake)."""
    if not is_lake(pipeline):
        return pipeline.sql_client()
    from ..models.lake import open_reader  # deltalake is an extra: imported for a lake only

    return open_reader(pipeline)


class DestinationHashes:
    """`source.changes.StoredHashes` read from `pipeline`'s destination."""

    def __init__(self, pipeline: dlt.Pipeline) -> None:
        self.pipeline = pipeline
        self._client: Any = None
        self._opened: Any = None
        self._usable: dict[str, bool] = {}

    def messages(self, job_id: str) -> pa.Table:
        rows = self._query(settings.MESSAGES_TABLE, "message_id", "job_id", job_id)
        return stored_table((r[0] for r in rows), (r[1] for r in rows))

    def jobs(self, account_id: str) -> dict[str, int | None]:
        return dict(self._query(settings.JOBS_TABLE, "job_id", "account_id", account_id))

    def _query(self, table: str, key: str, scope: str, value: str) -> list[Any]:
        client = self._connect()
        if client is None or not self._usable.setdefault(table, self._has_hashes(client, table)):
            return []
        name = client.make_qualified_table_name(table)
        literal = value.replace("'", "''")
        try:
            with client.execute_query(
                f"select {key}, {ROW_HASH} from {name} where {scope} = '{literal}'"
            ) as cursor:
                return [(r[0], None if r[1] is None else int(r[1])) for r in cursor.fetchall()]
        except Exception as e:  # noqa: BLE001 - no hashes: the rows are written
            log.info("row hashes of %s not read (%s): its rows are written", table, e)
            self._usable[table] = False
            return []

    def _connect(self) -> Any:
        if self._client is None and self._opened is None:
            try:
                self._opened = _sql_client(self.pipeline)
                self._client = self._opened.__enter__()
            except Exception as e:  # noqa: BLE001 - a destination without SQL
                log.info("row hashes not read (%s): every row is written", e)
                self._opened = False
        return self._client

    @staticmethod
    def _has_hashes(client: Any, table: str) -> bool:
        name = client.make_qualified_table_name(table)
        try:
            with client.execute_query(f"select {ROW_HASH} from {name} where 1 = 0"):
                return True
        except Exception:  # noqa: BLE001 - no such table or column yet
            return False

    def close(self) -> None:
        if self._client is not None:
            self._opened.__exit__(None, None, None)
        self._client, self._opened = None, None
