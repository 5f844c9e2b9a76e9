"""A throwaway PostgreSQL server on 127.0.0.1 for the tests: Debian's binaries, a fresh
cluster in a temporary folder, a free port, stopped at the end."""

import glob
import os
import shutil
import socket
import subprocess
import tempfile
from collections.abc import Iterator
from pathlib import Path

ADMIN = "postgres"


def _find(name: str) -> str:
    found = sorted(glob.glob(f"/usr/lib/postgresql/*/bin/{name}")) or [shutil.which(name) or ""]
    return found[-1]


def _bin(name: str) -> str:
    found = _find(name)
    if not found:
        raise RuntimeError(
            f"PostgreSQL's {name} was not found: install Debian's postgresql package"
            " (`apt-get install -y postgresql`; .ci/run does)"
        )
    return found


def _as_owner(command: list[str]) -> list[str]:
    # initdb and postgres refuse to run as root: run them as the postgres system user
    return ["runuser", "-u", ADMIN, "--", *command] if os.geteuid() == 0 else command


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def running_postgres() -> Iterator[str]:
    """Yields a connection URL for a fresh server; stops and deletes it afterwards."""
    folder = Path(tempfile.mkdtemp(prefix="cf-pg-"))
    data = folder / "data"
    if os.geteuid() == 0:
        shutil.chown(folder, ADMIN)
    port = _free_port()
    subprocess.run(
        _as_owner(
            [_bin("initdb"), "-D", str(data), "-A", "trust", "-U", ADMIN, "-E", "UTF8", "--no-sync"]
        ),
        check=True,
        capture_output=True,
    )
    options = f"-p {port} -k {folder} -c listen_addresses=127.0.0.1 -c fsync=off"
    subprocess.run(
        _as_owner(
            [
                _bin("pg_ctl"),
                "-D",
                str(data),
                "-o",
                options,
                "-w",
                "-l",
                str(folder / "log"),
                "start",
            ]
        ),
        check=True,
        capture_output=True,
    )
    try:
        # trust authentication: dlt wants a password, the server ignores it
        yield f"postgresql://{ADMIN}:unused@127.0.0.1:{port}/postgres"
    finally:
        subprocess.run(
            _as_owner([_bin("pg_ctl"), "-D", str(data), "-m", "immediate", "stop"]),
            capture_output=True,
        )
        shutil.rmtree(folder, ignore_errors=True)
