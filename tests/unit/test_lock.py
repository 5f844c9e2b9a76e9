"""`ops.lock`: the run lock's neighbour, the warehouse lock that keeps readers and the writer of
a DuckDB file out of each other's way, and the probes that name who holds a file."""

import fcntl
import os
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import dlt
import duckdb
import pytest

from cf_bulk_sync.errors import ConfigurationError, RunLockedError, WarehouseBusyError
from cf_bulk_sync.loading.pipeline import make_pipeline
from cf_bulk_sync.ops.lock import (
    READER_WAIT_SECONDS,
    WRITER_WAIT_SECONDS,
    WarehouseLock,
    describe_process,
    duckdb_file_free,
    lock_holders,
    wait_seconds,
    warehouse_file,
)
from cf_bulk_sync.outcome import ExitCode, exit_code_of

LINUX_LOCKS = pytest.mark.skipif(
    not Path("/proc/locks").exists(), reason="names holders from Linux's /proc/locks"
)


def reader(database: Path, wait: float = 0.2) -> WarehouseLock:
    return WarehouseLock(database, writer=False, wait=wait)


def writer(database: Path, wait: float = 0.2) -> WarehouseLock:
    return WarehouseLock(database, writer=True, wait=wait)


@contextmanager
def held_elsewhere(code: str, path: Path) -> Iterator[subprocess.Popen]:
    """Another process running `code` (which takes a lock on `sys.argv[1]`, then prints
    `held`) for as long as the block lasts."""
    holder = subprocess.Popen(
        [sys.executable, "-c", f"{code}; print('held', flush=True); import time; time.sleep(60)"]
        + [str(path)],
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert holder.stdout is not None and holder.stdout.readline().strip() == "held"
        yield holder
    finally:
        holder.kill()
        holder.wait(timeout=10)


def test_a_reader_waits_for_the_writer_then_names_it(tmp_path: Path) -> None:
    database = tmp_path / "w.duckdb"
    with writer(database):
        assert f"(pid {os.getpid()} on " in (tmp_path / "w.duckdb.write.lock").read_text()
        started = time.monotonic()
        with pytest.raises(WarehouseBusyError) as refused:
            reader(database, wait=0.3).__enter__()
        assert 0.3 <= time.monotonic() - started < 2
    message = str(refused.value)
    assert message.startswith(f"the warehouse {database} is being written by a sync since 20")
    assert f"(pid {os.getpid()} on " in message
    assert message.endswith(
        "try again in a moment, or read the snapshot that `run --publish` writes"
    )
    assert exit_code_of(refused.value) == ExitCode.LOCKED
    assert (tmp_path / "w.duckdb.write.lock").read_text() == ""  # the writer left
    with reader(database, wait=0):  # and a reader gets in at once
        pass
    assert not database.exists()  # neither side creates the database


def test_readers_share_and_the_writer_waits_for_them(tmp_path: Path) -> None:
    database = tmp_path / "w.duckdb"
    with reader(database), reader(database), pytest.raises(WarehouseBusyError) as refused:
        writer(database, wait=0.2).__enter__()
    assert str(refused.value).startswith(f"the warehouse {database} is held by readers: waited")
    assert "not starting; this run changed nothing" in str(refused.value)
    assert isinstance(refused.value, RunLockedError)
    with writer(database, wait=0):  # nobody left: at once
        pass


def test_a_waiting_writer_goes_before_readers_that_come_later(tmp_path: Path) -> None:
    """Readers in a steady stream cannot starve the writer: once it waits, new readers wait."""
    database = tmp_path / "w.duckdb"
    got_in = threading.Event()
    first = reader(database).__enter__()

    def write() -> None:
        with writer(database, wait=5):
            got_in.set()
            time.sleep(0.3)

    thread = threading.Thread(target=write)
    thread.start()
    time.sleep(0.3)  # the writer holds the gate and waits for the first reader
    assert not got_in.is_set()
    with pytest.raises(WarehouseBusyError, match="is being written by a sync since"):
        reader(database, wait=0.1).__enter__()
    first.__exit__()
    assert got_in.wait(timeout=5)
    thread.join(timeout=10)
    with reader(database, wait=0):
        pass


def test_a_second_writer_waits_then_names_the_first(tmp_path: Path) -> None:
    database = tmp_path / "w.duckdb"
    with writer(database), pytest.raises(WarehouseBusyError) as refused:
        writer(database, wait=0.1).__enter__()
    assert "is being written by another sync since 20" in str(refused.value)
    assert f"(pid {os.getpid()} on " in str(refused.value)


def test_the_writer_waits_for_a_reader_that_is_not_ours(tmp_path: Path) -> None:
    """A BI tool reading the file with DuckDB itself takes none of our locks: the writer sees
    DuckDB's lock on the file, waits, and names the process."""
    database = tmp_path / "w.duckdb"
    duckdb.connect(str(database)).close()
    assert duckdb_file_free(database)
    code = "import duckdb, sys; c = duckdb.connect(sys.argv[1], read_only=True)"
    with held_elsewhere(code, database) as holder:
        assert not duckdb_file_free(database)
        with pytest.raises(WarehouseBusyError) as refused:
            writer(database, wait=0.3).__enter__()
        if Path("/proc/locks").exists():
            assert f"held by pid {holder.pid} (python" in str(refused.value)
    assert duckdb_file_free(database)
    with writer(database, wait=0):
        pass


def test_probing_a_missing_database_creates_nothing(tmp_path: Path) -> None:
    assert duckdb_file_free(tmp_path / "none.duckdb")
    with writer(tmp_path / "missing" / "w.duckdb"):  # no folder: nothing to guard
        pass
    assert list(tmp_path.iterdir()) == []


@LINUX_LOCKS
def test_holders_are_the_other_processes_holding_the_file(tmp_path: Path) -> None:
    path = tmp_path / "x.lock"
    path.write_text("")
    code = "import fcntl, sys; f = open(sys.argv[1]); fcntl.flock(f, fcntl.LOCK_SH)"
    with held_elsewhere(code, path) as holder:
        assert lock_holders(path) == [holder.pid]
        assert describe_process(holder.pid).startswith(f"pid {holder.pid} (python")
        with open(path) as mine:  # the process itself is never its own holder
            fcntl.flock(mine, fcntl.LOCK_SH)
            assert lock_holders(path) == [holder.pid]
    assert lock_holders(path) == []
    assert lock_holders(tmp_path / "missing") == []
    assert describe_process(2**22 + 1) == f"pid {2**22 + 1}"


@pytest.mark.parametrize(
    "name,value,writer_wait,reader_wait",
    [
        pytest.param(None, None, WRITER_WAIT_SECONDS, READER_WAIT_SECONDS, id="defaults"),
        pytest.param("WAREHOUSE_WAIT_SECONDS", "1.5", 1.5, READER_WAIT_SECONDS, id="writer"),
        pytest.param("READER_WAIT_SECONDS", "0", WRITER_WAIT_SECONDS, 0.0, id="reader"),
    ],
)
def test_waits_come_from_dlt_configuration(
    name: str | None,
    value: str | None,
    writer_wait: float,
    reader_wait: float,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    if name and value is not None:
        monkeypatch.setenv(f"CF_BULK_SYNC__{name}", value)
    assert (wait_seconds(writer=True), wait_seconds(writer=False)) == (writer_wait, reader_wait)


@pytest.mark.parametrize("value", [pytest.param("soon", id="text"), pytest.param("-1", id="neg")])
def test_a_bad_wait_is_a_configuration_error(value: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CF_BULK_SYNC__WAREHOUSE_WAIT_SECONDS", value)
    with pytest.raises(ConfigurationError, match="warehouse_wait_seconds must be a number"):
        wait_seconds(writer=True)


def test_the_warehouse_file_is_found_without_creating_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    configured = make_pipeline(
        dlt.destinations.duckdb(str(tmp_path / "w.duckdb")), pipelines_dir=str(tmp_path / "d")
    )
    assert warehouse_file(configured) == tmp_path / "w.duckdb"
    default = make_pipeline(pipelines_dir=str(tmp_path / "d2"))
    assert warehouse_file(default) == tmp_path / "cf_bulk_sync.duckdb"  # the working directory
    monkeypatch.setenv("DESTINATION__POSTGRES__CREDENTIALS", "postgresql://u:p@127.0.0.1:9/db")
    postgres = make_pipeline("postgres", pipelines_dir=str(tmp_path / "d3"))
    assert warehouse_file(postgres) is None  # serves many readers itself
    assert list(tmp_path.glob("*.duckdb")) == []
