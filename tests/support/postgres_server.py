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
    if not _find(name):
        _install_server()
    if not _find(name):
        raise RuntimeError(
            f"PostgreSQL's {name} was not found: install the server, e.g. `apt-get install -y"
            " postgresql` on Debian (.ci/run does)"
        )
    return _find(name)


def _install_server() -> None:
    """On a fresh machine where we are root, fetch Debian's server package, as .ci/run does,
    so that the README's test command works there too."""
    if os.geteuid() != 0 or not shutil.which("apt-get"):
        return
    print("PostgreSQL server not found: installing Debian's postgresql package", flush=True)
    env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
    subprocess.run(["apt-get", "update", "-qq"], check=False, env=env, capture_output=True)
    subprocess.run(
        ["apt-get", "install", "-y", "-qq", "postgresql"], check=False, env=env, capture_output=True
    )


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
