"""One run at a time per pipeline: an exclusive lock beside dlt's working folder."""

import fcntl
import os
import socket
from datetime import UTC, datetime
from pathlib import Path
from typing import IO, Any

from ..errors import RunLockedError

__all__ = ["RunLock", "RunLockedError", "lock_for"]


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
            handle.seek(0)
            holder = handle.read().strip() or "an unknown time"
            handle.close()
            raise RunLockedError(
                f"another run holds the lock since {holder} ({self.path}): not starting; this"
                " run changed nothing"
            ) from None
        handle.seek(0)
        handle.truncate()
        handle.write(
            f"{datetime.now(UTC).isoformat(timespec='seconds')}"
            f" (pid {os.getpid()} on {socket.gethostname()})"
        )
        handle.flush()
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
