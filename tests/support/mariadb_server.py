"""A throwaway MariaDB server on 127.0.0.1 for the tests: Debian's binaries, a fresh data
folder in a temporary folder, a free port, stopped at the end."""

import os
import shutil
import socket
import subprocess
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

OWNER = "mysql"  # mariadbd refuses to run as root: as root, it runs as this system user


def _bin(name: str) -> str:
    for folder in ("/usr/sbin", "/usr/bin"):
        if Path(folder, name).exists():
            return str(Path(folder, name))
    found = shutil.which(name)
    if not found:
        raise RuntimeError(
            f"MariaDB's {name} was not found: install Debian's mariadb-server package"
            " (`apt-get install -y mariadb-server`; .ci/run does)"
        )
    return found


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _accepts(port: int) -> bool:
    with socket.socket() as s:
        return s.connect_ex(("127.0.0.1", port)) == 0


def running_mariadb() -> Iterator[str]:
    """Yields a SQLAlchemy URL for a fresh server; stops and deletes it afterwards."""
    folder = Path(tempfile.mkdtemp(prefix="cf-mariadb-"))
    data = folder / "data"
    user = ["--user=" + OWNER] if os.geteuid() == 0 else []
    if os.geteuid() == 0:
        shutil.chown(folder, OWNER)
    port = _free_port()
    subprocess.run(
        [
            _bin("mariadb-install-db"),
            "--no-defaults",
            f"--datadir={data}",
            "--auth-root-authentication-method=normal",
            "--skip-test-db",
            *user,
        ],
        check=True,
        capture_output=True,
    )
    log = open(folder / "log", "w")  # noqa: SIM115 - the server's own log, closed below
    server = subprocess.Popen(
        [
            _bin("mariadbd"),
            "--no-defaults",
            f"--datadir={data}",
            f"--port={port}",
            "--bind-address=127.0.0.1",
            f"--socket={folder / 'socket'}",
            f"--pid-file={folder / 'pid'}",
            "--skip-grant-tables",  # a throwaway server: no accounts to manage
            "--skip-log-bin",
            "--innodb-flush-log-at-trx-commit=0",
            *user,
        ],
        stdout=subprocess.DEVNULL,
        stderr=log,
    )
    try:
        deadline = time.monotonic() + 60
        while not _accepts(port):
            if server.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"MariaDB did not start: {(folder / 'log').read_text()}")
            time.sleep(0.2)
        yield f"mysql+pymysql://root@127.0.0.1:{port}/mysql"
    finally:
        server.terminate()
        try:
            server.wait(timeout=30)
        except subprocess.TimeoutExpired:
            server.kill()
        log.close()
        shutil.rmtree(folder, ignore_errors=True)
