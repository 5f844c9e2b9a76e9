"""A read-only copy of the warehouse for BI tools, published after a successful run.

DuckDB allows one writer per file, and BI tools holding the warehouse open fight the sync.
Publishing writes what they read elsewhere: a snapshot DuckDB file with the raw tables and the
models (same schema and table names as the warehouse) and one Parquet file per mart. Each file
is written under a temporary name and renamed into place, so a reader never sees half a file.

The snapshot is written in DuckDB's storage format of version 1.0 (`SNAPSHOT_STORAGE`), not the
newest the installed DuckDB knows: the DuckDB drivers bundled by Metabase, Grafana, Evidence
and DBeaver are DuckDB 1.x, which refuse a 2.x file ("version number 999"); 1.0's format is
read by every DuckDB from 1.0 to 2.x.
"""

import os
from pathlib import Path

import dlt
import duckdb

from ..errors import ConfigurationError
from ..models.runner import load_models, reporting_dataset

SNAPSHOT_FILE = "cf_bulk_sync.duckdb"
SNAPSHOT_STORAGE = "v1.0.0"


def remove_leftovers(root: Path) -> list[Path]:
    """Deletes the temporary files (`.<name>.<pid>.tmp`) a publish killed half-way left, those
    of processes no longer running; returns what it deleted."""
    removed = []
    for temporary in [*root.glob(".*.tmp"), *root.glob("parquet/.*.tmp")]:
        pid = temporary.name.rsplit(".", 2)[-2]
        if pid.isdigit() and not _running(int(pid)):
            temporary.unlink(missing_ok=True)
            removed.append(temporary)
    return removed


def _running(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # someone else's process: running
        return True
    return True


def publish(pipeline: dlt.Pipeline, folder: str) -> list[Path]:
    """Writes `<folder>/cf_bulk_sync.duckdb` and `<folder>/parquet/<mart>.parquet`; returns
    the paths written."""
    if pipeline.destination.destination_name != "duckdb":
        raise ConfigurationError(
            f"--publish copies a DuckDB warehouse; {pipeline.destination.destination_name}"
            " serves many readers itself: point BI tools at it directly"
        )
    root = Path(folder).resolve()
    (root / "parquet").mkdir(parents=True, exist_ok=True)
    raw, reporting = pipeline.dataset_name, reporting_dataset(pipeline)
    marts = [m.name for m in load_models() if m.path.parent.name == "marts"]
    written: list[Path] = []
    snapshot = root / SNAPSHOT_FILE
    remove_leftovers(root)
    partial = root / f".{SNAPSHOT_FILE}.{os.getpid()}.tmp"
    partial.unlink(missing_ok=True)
    with pipeline.sql_client() as client:
        con = client.native_connection
        tables = con.execute(
            "select table_schema, table_name from information_schema.tables"
            " where table_schema in (?, ?) and table_name not like '\\_dlt%' escape '\\'"
            " and table_catalog = current_database()",
            [raw, reporting],
        ).fetchall()
        con.execute(f"attach '{partial}' as publish_snapshot{_storage_option(duckdb.__version__)}")
        try:
            for schema in (raw, reporting):
                con.execute(f'create schema if not exists publish_snapshot."{schema}"')
            for schema, table in tables:
                con.execute(
                    f'create table publish_snapshot."{schema}"."{table}" as'
                    f' select * from "{schema}"."{table}"'
                )
        finally:
            con.execute("detach publish_snapshot")
        os.replace(partial, snapshot)
        written.append(snapshot)
        for mart in marts:
            target = root / "parquet" / f"{mart}.parquet"
            temporary = target.with_name(f".{mart}.{os.getpid()}.tmp")
            con.execute(
                f'copy (select * from "{reporting}"."{mart}") to \'{temporary}\' (format parquet)'
            )
            os.replace(temporary, target)
            written.append(target)
    return written


def _storage_option(version: str) -> str:
    """The ATTACH option pinning the snapshot's storage format; DuckDB before 1.2 has no such
    option and writes that format anyway."""
    major, minor = (int(part) for part in version.split(".")[:2])
    return "" if (major, minor) < (1, 2) else f" (storage_version '{SNAPSHOT_STORAGE}')"
