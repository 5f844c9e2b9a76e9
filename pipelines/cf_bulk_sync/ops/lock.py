"""Who may touch what: one run at a time per pipeline (`RunLock`, beside dlt's working folder),
and readers that never disturb the writer of a DuckDB warehouse (`WarehouseLock`).

DuckDB lets one process write a file or several read it, and refuses the others at once
("Could not set lock on file"). Our processes agree beforehand through two advisory locks
beside the database file: the writer (`run`, `models`) holds `<db>.write.lock` exclusively for
its whole length, and readers (`report`, `dashboard`) pass through it shared, then hold
`<db>.read.lock` shared while they read. The writer takes `<db>.read.lock` exclusively after
the gate, so readers already reading finish first and new ones wait at the gate: a steady
stream of readers cannot starve the writer. A reader that is not ours (a BI tool, a
`duckdb.connect(..., read_only=True)`) is seen by the lock DuckDB itself holds on the file:
the writer waits for it too. Every wait is bounded and ends in one line naming the holder.
Postgres and the cloud warehouses serve many readers: they need none of this.
"""

import errno
import fcntl
import os
import socket
import time
from contextlib import AbstractContextManager, nullcontext
from datetime import UTC, datetime
from pathlib import Path
from typing import IO, Any

import dlt

from ..errors import ConfigurationError, RunLockedError, WarehouseBusyError

__all__ = [
    "RunLock",
    "RunLockedError",
    "WarehouseBusyError",
    "WarehouseLock",
    "lock_for",
    "wait_seconds",
    "warehouse_file",
    "warehouse_lock",
]

# How long the writer waits for readers to finish, and a reader for the writer, by default;
# `[cf_bulk_sync]` `warehouse_wait_seconds` / `reader_wait_seconds` in dlt's configuration.
WRITER_WAIT_SECONDS = 30.0
READER_WAIT_SECONDS = 10.0
POLL_SECONDS = 0.05
SNAPSHOT_HINT = "try again in a moment, or read the snapshot that `run --publish` writes"


def _identity() -> str:
    return (
        f"{datetime.now(UTC).isoformat(timespec='seconds')}"
        f" (pid {os.getpid()} on {socket.gethostname()})"
    )


class RunLock:
    """Held for the length of a run. The operating system drops the lock when the process ends,
    however it ends (even SIGKILL), so a crashed run never blocks the next one; the file only
    tells who holds it."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._file: IO[str] | None = None

    def __enter__(self) -> "RunLock":
        self.path.parent.mkdir(parents=True, exist_ok=True)
        handle = open(self.path, "a+")
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            holder = _content(handle) or "an unknown time"
            handle.close()
            raise RunLockedError(
                f"another run holds the lock since {holder} ({self.path}): not starting; this"
                " run changed nothing"
            ) from None
        _write(handle, _identity())
        self._file = handle
        return self

    def __exit__(self, *exc: Any) -> None:
        if self._file is not None:
            self._file.truncate(0)
            fcntl.flock(self._file, fcntl.LOCK_UN)
            self._file.close()
            self._file = None


def lock_for(pipelines_dir: str, pipeline_name: str) -> RunLock:
    return RunLock(Path(pipelines_dir) / f".{pipeline_name}.lock")


class WarehouseLock:
    """Access to a DuckDB file: `writer=True` for the sync and the models, else a reader.
    Entering waits up to `wait` seconds, then raises `WarehouseBusyError` naming the holder.
    It creates nothing but the two lock files, and those only in an existing folder."""

    def __init__(self, database: Path, writer: bool, wait: float) -> None:
        self.database = database
        self.writer = writer
        self.wait = wait
        self.gate_path = database.with_name(database.name + ".write.lock")
        self.readers_path = database.with_name(database.name + ".read.lock")
        self.deadline = 0.0  # time.monotonic() at which the wait ends (readers open by it)
        self._gate: IO[str] | None = None
        self._readers: IO[str] | None = None

    def __enter__(self) -> "WarehouseLock":
        self.deadline = time.monotonic() + self.wait
        try:
            if self.writer:
                self._enter_writer()
            else:
                self._enter_reader()
        except BaseException:
            self.__exit__()
            raise
        return self

    def __exit__(self, *exc: Any) -> None:
        if self._gate is not None and self.writer:
            self._gate.truncate(0)
        for handle in (self._readers, self._gate):
            if handle is not None:
                fcntl.flock(handle, fcntl.LOCK_UN)
                handle.close()
        self._gate = self._readers = None

    def _enter_writer(self) -> None:
        if not self.database.parent.is_dir():
            return  # no warehouse and no reader of it; DuckDB names the missing folder
        gate = self._gate = _lock_file(self.gate_path)
        if not _wait(gate, fcntl.LOCK_EX, self.deadline):
            raise WarehouseBusyError(
                f"the warehouse {self.database} is being written by another sync since"
                f" {_content(gate) or 'an unknown time'}: waited {self.wait:g} s; not starting;"
                " this run changed nothing"
            )
        _write(gate, _identity())
        readers = self._readers = _lock_file(self.readers_path)
        if not _wait(readers, fcntl.LOCK_EX, self.deadline):
            raise self._held(self.readers_path, "readers")
        while not duckdb_file_free(self.database):  # a reader that is not ours
            if time.monotonic() >= self.deadline:
                raise self._held(self.database, "another process")
            time.sleep(POLL_SECONDS)

    def _enter_reader(self) -> None:
        # A reader without the right to create the lock files (a BI user with read access
        # only) goes without them and relies on DuckDB's own lock.
        self._gate = gate = _open_for_reading(self.gate_path)
        if gate is not None and not _wait(gate, fcntl.LOCK_SH, self.deadline):
            raise WarehouseBusyError(
                f"the warehouse {self.database} is being written by a sync since"
                f" {_content(gate) or 'a moment ago'}: {SNAPSHOT_HINT}"
            )
        self._readers = readers = _open_for_reading(self.readers_path)
        if readers is not None and not _wait(readers, fcntl.LOCK_SH, self.deadline):
            raise self.being_written()
        if gate is not None:  # this reader is in: the gate is free again for the next writer
            fcntl.flock(gate, fcntl.LOCK_UN)
            gate.close()
            self._gate = None

    def being_written(self) -> WarehouseBusyError:
        """What a reader says when a writer keeps the file past the reader's wait."""
        holders = ", ".join(describe_process(p) for p in lock_holders(self.database))
        return WarehouseBusyError(
            f"the warehouse {self.database} is being written by"
            f" {holders or 'another process'}: {SNAPSHOT_HINT}"
        )

    def _held(self, path: Path, who: str) -> WarehouseBusyError:
        holders = ", ".join(describe_process(p) for p in lock_holders(path)) or who
        return WarehouseBusyError(
            f"the warehouse {self.database} is held by {holders}: waited {self.wait:g} s for it"
            " to let go; not starting; this run changed nothing (readers: use the snapshot"
            " that `run --publish` writes)"
        )


def _lock_file(path: Path) -> IO[str]:
    """A lock file, opened for writing who holds it (created when missing)."""
    return open(path, "a+")


def _open_for_reading(path: Path) -> IO[str] | None:
    """A lock file, created when missing if this process may; None when it may not."""
    try:
        return _lock_file(path)
    except PermissionError:
        try:
            return open(path)
        except OSError:
            return None
    except FileNotFoundError:
        return None


def _wait(handle: IO[str], kind: int, deadline: float) -> bool:
    """Takes the lock `kind` on `handle`, trying until `deadline`; whether it got it."""
    while True:
        try:
            fcntl.flock(handle, kind | fcntl.LOCK_NB)
            return True
        except BlockingIOError:
            if time.monotonic() >= deadline:
                return False
            time.sleep(POLL_SECONDS)


def _content(handle: IO[str] | None) -> str:
    if handle is None:
        return ""
    handle.seek(0)
    return handle.read().strip()


def _write(handle: IO[str], text: str) -> None:
    handle.seek(0)
    handle.truncate()
    handle.write(text)
    handle.flush()


def duckdb_file_free(database: Path) -> bool:
    """Whether no other process has `database` open: DuckDB holds a record lock (fcntl) on the
    file while it is open, shared for readers. Call it only while this process has not opened
    the file itself: closing the probe drops this process's record locks on it."""
    try:
        fd = os.open(database, os.O_RDWR)
    except OSError:
        return True  # not there (nothing to wait for), or not ours to write (DuckDB will say)
    try:
        fcntl.lockf(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except OSError as e:
        if e.errno in (errno.EACCES, errno.EAGAIN):
            return False
        raise
    else:
        fcntl.lockf(fd, fcntl.LOCK_UN)
    finally:
        os.close(fd)
    return True


def lock_holders(path: Path) -> list[int]:
    """The other processes holding a lock on `path`, from Linux's /proc/locks (empty where the
    system does not tell)."""
    try:
        stat = os.stat(path)
        table = Path("/proc/locks").read_text()
    except OSError:
        return []
    key = f"{os.major(stat.st_dev):02x}:{os.minor(stat.st_dev):02x}:{stat.st_ino}"
    found = set()
    for line in table.splitlines():
        # "1: POSIX  ADVISORY  READ 2650 fe:00:2148672 0 EOF"; waiters carry "->" and are
        # not holders; an open-file lock has pid -1
        fields = line.split()
        if len(fields) > 5 and fields[1] != "->" and fields[5] == key:
            pid = int(fields[4])
            if pid > 0 and pid != os.getpid():
                found.add(pid)
    return sorted(found)


def describe_process(pid: int) -> str:
    """`pid 123 (python3.11 cf-bulk-sync report)`: the pid and, where known, the first three
    words of its command (paths shortened to their names; no further arguments, which may hold
    anything)."""
    try:
        argv = Path(f"/proc/{pid}/cmdline").read_bytes().decode(errors="replace").split("\0")
    except OSError:
        return f"pid {pid}"
    words = [Path(a).name if "/" in a and " " not in a else a for a in argv if a]
    command = " ".join(" ".join(words[:3]).split())  # one line, whatever the arguments hold
    command = command if len(command) <= 60 else command[:57] + "..."
    return f"pid {pid} ({command})" if command else f"pid {pid}"


def wait_seconds(writer: bool) -> float:
    """The bounded wait: `[cf_bulk_sync] warehouse_wait_seconds` for the writer,
    `reader_wait_seconds` for readers (also `CF_BULK_SYNC__WAREHOUSE_WAIT_SECONDS` ...)."""
    key = "warehouse_wait_seconds" if writer else "reader_wait_seconds"
    try:
        value = dlt.config.get(f"cf_bulk_sync.{key}", float)
    except Exception:  # noqa: BLE001 - dlt's coercion error, as one line
        value = -1.0
    if value is None:
        return WRITER_WAIT_SECONDS if writer else READER_WAIT_SECONDS
    if value < 0:
        raise ConfigurationError(f"cf_bulk_sync.{key} must be a number of seconds, 0 or more")
    return float(value)


def warehouse_file(pipeline: dlt.Pipeline) -> Path | None:
    """The DuckDB file `pipeline` loads into, as dlt resolves it, without creating it; None
    for any other destination, and for a DuckDB that has no file of its own."""
    if pipeline.destination.destination_type != "dlt.destinations.duckdb":
        return None
    database = getattr(pipeline.destination_client().config.credentials, "database", None)
    if not isinstance(database, str) or database.startswith(":"):  # :memory:, :external:
        return None
    return Path(database).absolute()


def warehouse_lock(
    pipeline: dlt.Pipeline, writer: bool
) -> AbstractContextManager[WarehouseLock | None]:
    """The lock to hold while writing (`writer`) or reading `pipeline`'s DuckDB file; nothing
    to hold for destinations that serve many readers."""
    database = warehouse_file(pipeline)
    if database is None:
        return nullcontext()
    return WarehouseLock(database, writer, wait_seconds(writer))
