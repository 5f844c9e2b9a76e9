"""Running `cf-bulk-sync` as users do: the installed console script, configured by its
environment."""

import os
import subprocess
import sys
from pathlib import Path

from cf_bulk_sync.simulator import DEFAULT_TOKEN, Simulator


def executable() -> Path:
    """The `cf-bulk-sync` script installed beside the interpreter running the tests."""
    script = Path(sys.executable).parent / "cf-bulk-sync"
    if not script.exists():
        raise RuntimeError(
            f"{script} not found: install cf-bulk-sync into this environment"
            " (pip install '.[test]', or the wheel as .ci/run does)"
        )
    return script


def environment(**extra: str) -> dict[str, str]:
    """This process's environment without PYTHONPATH (the installed package must answer),
    plus `extra`."""
    inherited = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
    return {**inherited, **extra}


# For tests that compare in-flight statuses with the simulator's truth after time moves: by
# default a job whose listing counters did not change is not fetched again for an hour, so a
# message's move among PENDING, DISCOVERING and PROCESSING may lag (docs/scheduled-cost.md).
EVERY_RUN_FETCHES = {"SOURCES__CLOUDFLARE_EMAIL_SECURITY__REFETCH_UNCHANGED_AFTER": "0"}


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
        "SOURCES__CLOUDFLARE_EMAIL_SECURITY__BACKOFF_FACTOR": "0",
        **extra,
    }


def cli(*args: str, env: dict[str, str], cwd: Path) -> subprocess.CompletedProcess:
    return subprocess.run(
        [str(executable()), *args],
        env=environment(**env),
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=120,
    )
