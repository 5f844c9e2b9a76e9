"""Running `cf-bulk-sync` as users do: a subprocess configured by its environment."""

import os
import subprocess
import sys
from pathlib import Path

from cf_bulk_sync.simulator import DEFAULT_TOKEN, Simulator

ROOT = Path(__file__).resolve().parents[2]


def cli_env(
    sim: Simulator, folder: Path, token: str = DEFAULT_TOKEN, **extra: str
) -> dict[str, str]:
    """The simulator's account and token, a DuckDB file and dlt folder of the test's own."""
    return {
        "CLOUDFLARE_API_BASE_URL": sim.base_url,
        "CLOUDFLARE_ACCOUNT_ID": sim.world.account_id,
        "CLOUDFLARE_API_TOKEN": token,
        "DESTINATION__DUCKDB__CREDENTIALS": str(folder / "w.duckdb"),
        "DLT_DATA_DIR": str(folder / "dlt"),
        "PYTHONPATH": str(ROOT),
        "SOURCES__CLOUDFLARE_EMAIL_SECURITY__BACKOFF_FACTOR": "0",
        **extra,
    }


def cli(*args: str, env: dict[str, str], cwd: Path) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "cf_bulk_sync.cli", *args],
        env={**os.environ, "PYTHONPATH": str(ROOT), **env},
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=120,
    )
