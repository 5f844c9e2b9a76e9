"""The models over the lake (dlt's filesystem destination with Delta tables, see loading.lake).

A lake has no SQL engine of its own, and DuckDB's `delta` extension cannot be relied on (it is
downloaded on first use). So a build opens DuckDB in-process and lays the lake out in it: every
raw Delta table of the dataset is a view over its current version (the Parquet files the
`deltalake` package lists, read by DuckDB: nothing is copied); dlt's `_dlt_loads`
(JSONL files) is read as a table; the marts and the build record already in the lake
(`<dataset>_reporting`) are copied in. The runner then builds exactly as on DuckDB, with the
same SQL, incrementally when it can. When it has written anything, every table of the
reporting dataset goes back to the lake as a Delta table (`write_deltalake`, mode overwrite),
the build record last: a build interrupted between two writes leaves a record older than some
marts, and the next build updates those jobs again (deleting their rows first), which is exact.

Staging models are views, which Delta has none of: every session (a build's, a reader's from
`open_reader`) makes them again over the raw tables, as a build does.
"""

import gzip
import json
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from typing import Any

import dlt
import duckdb
import pyarrow as pa
import pyarrow.dataset
from dlt.common.libs.deltalake import DeltaTable, deltalake_storage_options, write_deltalake
from dlt.destinations.impl.duckdb.configuration import DuckDbCredentials
from dlt.destinations.impl.duckdb.sql_client import DuckDbSqlClient

from ..errors import ModelError
from ..loading.lake import TABLE_FORMAT, is_lake
from . import incremental, materialize
from .runner import RAW_TABLES, compile_query, load_models, present_raw_tables, reporting_dataset

LOADS_TABLE = "_dlt_loads"
DELTA_LOG = "_delta_log"
# the fix named when the lake holds plain files
PLAIN_FILES_FIX = (
    "load them as Delta tables (table_format delta: cf-bulk-sync's default for --destination"
    " filesystem; from Python, dlt.destinations.filesystem(preferred_table_format='delta'))"
    " into a new bucket_url or dataset"
)


class SessionClient(DuckDbSqlClient):
    """dlt's DuckDB client over the session's one connection (dlt's pool would hand out
    duplicates, and an Arrow table registered on the connection is not seen by them), which
    notes whether anything was written."""

    def __init__(self, conn: duckdb.DuckDBPyConnection, dataset: str) -> None:
        caps = dlt.destinations.duckdb().capabilities()
        super().__init__(dataset, f"{dataset}_staging", DuckDbCredentials(conn), caps)
        self.session = conn
        # set by any statement that is not a query: the build wrote something
        self.wrote = False

    def open_connection(self) -> duckdb.DuckDBPyConnection:
        self._conn = self.session
        return self._conn

    def close_connection(self) -> None:
        self._conn = None  # type: ignore[assignment]

    def execute_sql(self, sql: Any, *args: Any, **kwargs: Any) -> Any:
        self.wrote = True
        return super().execute_sql(sql, *args, **kwargs)


class SessionJobClient:
    """What the runner asks of a dlt job client: its SQL client and the raw tables present."""

    def __init__(self, sql_client: SessionClient) -> None:
        self.sql_client = sql_client

    def get_storage_tables(self, names: Iterable[str]) -> Iterator[tuple[str, dict[str, Any]]]:
        rows = self.sql_client.session.execute(
            "select table_name, column_name from information_schema.columns where table_schema = ?",
            [self.sql_client.dataset_name],
        ).fetchall()
        columns: dict[str, dict[str, Any]] = {}
        for table, column in rows:
            columns.setdefault(table, {})[column] = {"name": column}
        for name in names:
            yield name, columns.get(name, {})


class Lake:
    """Where a pipeline's lake is, and how to read and write its Delta tables."""

    def __init__(self, pipeline: dlt.Pipeline) -> None:
        self.pipeline = pipeline
        self.reporting = reporting_dataset(pipeline)
        with pipeline.destination_client() as opened:
            client: Any = opened  # dlt's FilesystemClient
            self.fs: Any = client.fs_client
            self.options = deltalake_storage_options(
                client.config.credentials, client.config.deltalake_storage_options
            )
            self.pathlib: Any = client.config.pathlib
            self.bucket: str = client.bucket_path
            self.url = client.make_remote_url
            self.loads = client.list_table_files

    def folder(self, dataset: str) -> str:
        return str(self.pathlib.join(self.bucket, dataset))

    def tables(self, dataset: str) -> tuple[dict[str, str], list[str]]:
        """The Delta tables of `dataset` (name -> URL) and the names of the tables of plain
        files there (dlt's own tables left out)."""
        folder = self.folder(dataset)
        delta: dict[str, str] = {}
        plain: list[str] = []
        if not self.fs.isdir(folder):
            return delta, plain
        for path in sorted(self.fs.ls(folder, detail=False)):
            name = self.pathlib.basename(str(path).rstrip("/"))
            if name.startswith("_dlt") or not self.fs.isdir(path):
                continue
            if self.fs.exists(self.pathlib.join(path, DELTA_LOG)):
                delta[name] = self.url(self.pathlib.join(folder, name))
            elif self.fs.ls(path, detail=False):
                plain.append(name)
        return delta, plain

    def create(self, conn: duckdb.DuckDBPyConnection, kind: str, target: str, url: str) -> None:
        """Creates `target` (a view or a table) of the current version of the Delta table at
        `url`: DuckDB's own Parquet reader over the version's files (an object store's through
        dlt's fsspec filesystem, registered on the session). Not deltalake's Arrow dataset:
        pyarrow cannot evaluate the string filters DuckDB pushes into it (`job_id in (...)`
        fails: no kernel for string and string_view)."""
        table = DeltaTable(url, storage_options=self.options)
        files = ", ".join(_literal(uri) for uri in table.file_uris())
        if files:
            conn.execute(
                f"create {kind} {target} as select * from read_parquet([{files}],"
                " union_by_name = true)"
            )
            return
        # a table without files (every row deleted): its columns, no rows
        conn.register("_lake_empty", table.to_pyarrow_dataset().schema.empty_table())
        conn.execute(f"create table {target} as select * from _lake_empty")
        conn.unregister("_lake_empty")

    def write(self, dataset: str, name: str, table: pa.Table) -> None:
        url = self.url(self.pathlib.join(self.folder(dataset), name))
        write_deltalake(
            url, table, mode="overwrite", schema_mode="overwrite", storage_options=self.options
        )

    def load_rows(self) -> pa.Table:
        """dlt's `_dlt_loads`: one JSONL file per load (gzipped or not)."""
        rows: list[dict[str, Any]] = []
        try:
            files = self.loads(LOADS_TABLE)
        except Exception:  # noqa: BLE001 - nothing loaded yet
            files = []
        for path in files:
            data = self.fs.read_bytes(path)
            if str(path).endswith(".gz"):
                data = gzip.decompress(data)
            rows.extend(json.loads(line) for line in data.splitlines() if line.strip())
        schema = pa.schema([("load_id", pa.string()), ("status", pa.int64())])
        return pa.Table.from_pylist(
            [{"load_id": r["load_id"], "status": r["status"]} for r in rows], schema=schema
        )


@contextmanager
def open_session(
    pipeline: dlt.Pipeline, writable: bool, needs_delta: bool
) -> Iterator[SessionClient]:
    """An open DuckDB session laid out as the lake (see the module's docstring). Writable:
    the reporting tables are copies, written back to the lake when the session wrote and
    ended without an error. `needs_delta`: raw tables of plain files are refused."""
    lake = Lake(pipeline)
    raw, plain = lake.tables(pipeline.dataset_name)
    wanted = sorted(set(plain) & RAW_TABLES.keys())
    if needs_delta and wanted:
        raise ModelError(
            f"the models cannot be built on plain files ({', '.join(wanted)} in the lake are"
            f" not Delta tables and cannot be merged): {PLAIN_FILES_FIX}"
        )
    conn = duckdb.connect()
    client = SessionClient(conn, pipeline.dataset_name)
    try:
        conn.execute("SET TimeZone = 'UTC'")
        _lay_out(conn, lake, pipeline.dataset_name, raw, writable)
        with client:
            # the incremental plan checks that every model exists, views included
            _staging_views(client, pipeline)
            yield client
        if writable and client.wrote:
            _write_back(conn, lake)
    finally:
        conn.close()


def _lay_out(
    conn: duckdb.DuckDBPyConnection,
    lake: Lake,
    dataset: str,
    raw: dict[str, str],
    writable: bool,
) -> None:
    protocol = lake.fs.protocol
    if "file" not in ({protocol} if isinstance(protocol, str) else set(protocol)):
        conn.register_filesystem(lake.fs)
    conn.execute(f'create schema "{dataset}"')
    for name, url in sorted(raw.items()):
        lake.create(conn, "view", f'"{dataset}"."{name}"', url)
    conn.register("_lake_loads", lake.load_rows())
    conn.execute(f'create table "{dataset}"."{LOADS_TABLE}" as select * from _lake_loads')
    conn.unregister("_lake_loads")
    reporting, _ = lake.tables(lake.reporting)
    if not reporting:
        return
    conn.execute(f'create schema "{lake.reporting}"')
    for name, url in sorted(reporting.items()):
        # copies when writable: the build updates them in place
        lake.create(conn, "table" if writable else "view", f'"{lake.reporting}"."{name}"', url)


def _write_back(conn: duckdb.DuckDBPyConnection, lake: Lake) -> None:
    names = [
        row[0]
        for row in conn.execute(
            "select table_name from information_schema.tables"
            " where table_schema = ? and table_type = 'BASE TABLE' order by table_name",
            [lake.reporting],
        ).fetchall()
    ]
    # the record of what the marts cover goes last (see the module's docstring)
    names.sort(key=lambda name: name == incremental.STATE_TABLE)
    for name in names:
        relation = conn.sql(f'select * from "{lake.reporting}"."{name}"')
        # DuckDB 2 names it to_arrow_table; 1.x's arrow() returns the table
        table = getattr(relation, "to_arrow_table", relation.arrow)()
        lake.write(lake.reporting, name, table)


class LakeWarehouse:
    """The pipeline as the runner uses it (`destination_client`, `sql_client`), over the lake."""

    def __init__(self, pipeline: dlt.Pipeline) -> None:
        self.pipeline = pipeline

    @contextmanager
    def destination_client(self) -> Iterator[SessionJobClient]:
        with open_session(self.pipeline, writable=True, needs_delta=True) as client:
            yield SessionJobClient(client)

    @contextmanager
    def sql_client(self) -> Iterator[SessionClient]:
        with open_session(self.pipeline, writable=True, needs_delta=True) as client:
            yield client


def warehouse_of(pipeline: dlt.Pipeline) -> Any:
    """Where the runner builds: the pipeline's destination, or the lake laid out in DuckDB."""
    if not is_lake(pipeline):
        return pipeline
    preferred = pipeline.destination.capabilities().preferred_table_format
    if preferred != TABLE_FORMAT:
        raise ModelError(
            "the models cannot be built on plain files (the filesystem destination writes"
            f" no table format here, and plain files cannot be merged): {PLAIN_FILES_FIX}"
        )
    return LakeWarehouse(pipeline)


@contextmanager
def open_reader(pipeline: dlt.Pipeline) -> Iterator[SessionClient]:
    """The lake for reading: raw tables and marts as views, in a DuckDB session of its own."""
    with open_session(pipeline, writable=False, needs_delta=False) as client:
        yield client


def _staging_views(client: SessionClient, pipeline: dlt.Pipeline) -> None:
    """The staging models made again over the raw tables, as a build makes them (Delta has
    no views); none before the first build."""
    reporting = reporting_dataset(pipeline)
    present = present_raw_tables(SessionJobClient(client))
    if not client.session.execute(
        "select 1 from information_schema.schemata where schema_name = ?", [reporting]
    ).fetchall():
        return  # no build yet: the readers say so

    def qualify(table: str, dataset: str | None) -> str:
        return ".".join(client.make_qualified_table_name_path(table, dataset_name=dataset))

    models = load_models()
    names = {m.name for m in models}
    for model in models:
        if model.is_view:
            select = compile_query(
                model.tree, model.name, names, present, qualify, reporting, "duckdb"
            )
            create = materialize.create_sql(model, qualify(model.name, reporting), select, "duckdb")
            client.session.execute(create)


def _literal(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"
