"""How the reading commands reach the warehouse without disturbing the sync.

A reader never creates anything: not the DuckDB file (no warehouse is a clear error), and not
dlt's working folder, where a pipeline remembers the folder its first run started in (its
DuckDB file's home), which must be the sync's and not a reader's. A DuckDB warehouse is opened
read-only, under the reader's side of `ops.lock.WarehouseLock`, so a sync starting meanwhile
waits for the read to end and a reader arriving during a sync waits for it (both bounded).
"""

import tempfile
import time
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from pathlib import Path
from typing import Any

import dlt
from dlt.common.pipeline import get_dlt_pipelines_dir

from ..errors import ConfigurationError
from ..loading.lake import is_lake
from ..loading.pipeline import make_pipeline, pipeline_name_of
from ..loading.warehouse import no_warehouse
from ..ops.lock import POLL_SECONDS, WarehouseLock, wait_seconds, warehouse_file

# How DuckDB refuses a file another process writes: "IO Error: Could not set lock on file".
DUCKDB_CONFLICT = "Could not set lock on file"


@contextmanager
def reader_pipeline(
    destination: Any = None, dataset: str | None = None, pipeline_name: str | None = None
) -> Iterator[dlt.Pipeline]:
    """The sync's pipeline as a reader sees it, leaving dlt's working folder as it was: the
    folder a run made, attached (reading changes nothing in it); when no run made one, a
    pipeline in a temporary folder, removed afterwards."""
    name = pipeline_name_of(pipeline_name)
    if (Path(get_dlt_pipelines_dir()) / name / dlt.Pipeline.STATE_FILE).is_file():
        yield make_pipeline(destination, dataset, pipeline_name=name)
        return
    with tempfile.TemporaryDirectory(prefix="cf-bulk-sync-reader-") as scratch:
        yield make_pipeline(destination, dataset, pipelines_dir=scratch, pipeline_name=name)


@contextmanager
def read_only_client(pipeline: dlt.Pipeline) -> Iterator[Any]:
    """An open SQL client of `pipeline`'s destination for reading. DuckDB: read-only, under the
    reader's lock, and only if the file exists; a lake (dlt's filesystem destination): its
    Delta tables laid out in DuckDB (see models.lake); other destinations: their usual client."""
    if is_lake(pipeline):
        from ..models.lake import open_reader  # deltalake is an extra: imported for a lake only

        with open_reader(pipeline) as client:
            yield client
        return
    database = warehouse_file(pipeline)
    if database is None:
        with pipeline.sql_client() as client:
            yield client
        return
    if not database.is_file():
        raise ConfigurationError(no_warehouse(pipeline, str(database)))
    with (
        WarehouseLock(database, writer=False, wait=wait_seconds(writer=False)) as lock,
        ExitStack() as opened,
    ):
        yield _open_read_only(pipeline, lock, opened)


def _open_read_only(pipeline: dlt.Pipeline, lock: WarehouseLock, opened: ExitStack) -> Any:
    """Opens the DuckDB file read-only; a writer that does not take our locks (an older
    version, a script of one's own) makes DuckDB refuse at once: tried again until the
    reader's wait ends."""
    while True:
        client: Any = pipeline.sql_client()
        client.credentials.read_only = True
        try:
            return opened.enter_context(client)
        except Exception as e:
            if DUCKDB_CONFLICT not in _messages(e):
                raise
            if time.monotonic() >= lock.deadline:
                raise lock.being_written() from None
        time.sleep(POLL_SECONDS)


def _messages(error: BaseException) -> str:
    seen: BaseException | None = error
    texts: list[str] = []
    while seen is not None and len(texts) < 10:
        texts.append(str(seen))
        seen = seen.__cause__ or seen.__context__
    return " ".join(texts)
