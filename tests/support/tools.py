"""Tools some tests need beside the package: other DuckDB versions (each in a venv of its own,
as a BI tool bundles its own), fakesnow (Snowflake's SQL on DuckDB, in a venv of its own: it
pins exact sqlglot and duckdb versions that are not ours) and axe-core (npm) for the
dashboard's accessibility check.

They live in one folder, `CF_BULK_SYNC_TEST_TOOLS` (.ci/run provisions it in its work folder
with `python tests/support/tools.py`), by default `~/.cache/cf-bulk-sync-test-tools`; what is
missing there is installed on first use from PyPI or npm, so no test skips for want of a tool.
"""

import os
import re
import subprocess
import sys
from pathlib import Path

# The DuckDB versions BI drivers bundle: the oldest we promise (1.1) and the newest 1.x.
OLD_DUCKDB = "duckdb==1.1.3"
NEWEST_DUCKDB_1 = "duckdb<2"
AXE_CORE = "axe-core@4"
# the connector it patches (5.0 moved modules fakesnow 0.12 imports); pandas for its
# write_pandas, which loads the raw rows
FAKESNOW = ("fakesnow==0.12.1", "snowflake-connector-python<5", "pandas")


def tools_folder() -> Path:
    default = Path.home() / ".cache" / "cf-bulk-sync-test-tools"
    return Path(os.environ.get("CF_BULK_SYNC_TEST_TOOLS") or default)


def duckdb_python(requirement: str) -> Path:
    """The Python of a venv holding only `requirement` (a pip requirement of duckdb) and pytz
    (DuckDB's Python client needs it to return timestamps with time zone)."""
    return _venv_python(requirement, "pytz")


def fakesnow_python() -> Path:
    """The Python of a venv holding fakesnow (and the Snowflake connector it patches)."""
    return _venv_python(*FAKESNOW)


def _venv_python(requirement: str, *others: str) -> Path:
    venv = tools_folder() / ("venv-" + re.sub(r"[^\w.]+", "-", requirement.replace("<", " below ")))
    python = venv / "bin" / "python"
    if not (venv / "ready").exists():
        _run([sys.executable, "-m", "venv", "--clear", str(venv)])
        _run([str(python), "-m", "pip", "install", "--quiet", requirement, *others])
        (venv / "ready").write_text(requirement)
    return python


def axe_script() -> Path:
    """axe-core's browser bundle (`axe.min.js`), installed with npm into the tools folder."""
    prefix = tools_folder() / "axe"
    script = prefix / "node_modules" / "axe-core" / "axe.min.js"
    if not script.exists():
        prefix.mkdir(parents=True, exist_ok=True)
        _run(
            [
                "npm",
                "install",
                "--silent",
                "--no-audit",
                "--no-fund",
                "--prefix",
                str(prefix),
                AXE_CORE,
            ]
        )
    return script


def _run(command: list[str]) -> None:
    done = subprocess.run(command, capture_output=True, text=True, timeout=600)
    if done.returncode:
        raise RuntimeError(f"{' '.join(command)} failed: {done.stderr[-2000:]}")


if __name__ == "__main__":  # .ci/run: provision everything before the tests run
    for requirement in (OLD_DUCKDB, NEWEST_DUCKDB_1):
        print("tools:", duckdb_python(requirement))
    print("tools:", fakesnow_python())
    print("tools:", axe_script())
