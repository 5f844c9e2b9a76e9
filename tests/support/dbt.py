"""dbt for the tests: its own venv (dbt is not a dependency of the sync; .ci/run installs
dbt-core 1.11 with dbt-duckdb and dbt-postgres there and names its `dbt` in
CF_BULK_SYNC_DBT), and a dbt project of the test's own that uses the generated package."""

import os
import shutil
import subprocess
from pathlib import Path

import yaml

PROJECT = "analytics"


def dbt_executable() -> str:
    found = os.environ.get("CF_BULK_SYNC_DBT") or shutil.which("dbt")
    if not found:
        raise RuntimeError(
            "dbt was not found: set CF_BULK_SYNC_DBT to a dbt 1.11 with dbt-duckdb and"
            " dbt-postgres (.ci/run installs them into a venv of their own)"
        )
    return found


def dbt_project(folder: Path, package: Path, raw_schema: str, target: dict) -> Path:
    """A dbt project in `folder` whose packages.yml adds the generated `package`; `target` is
    its one profile output (adapter settings)."""
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "dbt_project.yml").write_text(
        yaml.safe_dump(
            {
                "name": PROJECT,
                "version": "1.0.0",
                "config-version": 2,
                "profile": PROJECT,
                "vars": {"cf_bulk_sync_schema": raw_schema},
            }
        )
    )
    (folder / "packages.yml").write_text(yaml.safe_dump({"packages": [{"local": str(package)}]}))
    (folder / "profiles.yml").write_text(
        yaml.safe_dump({PROJECT: {"target": "ci", "outputs": {"ci": target}}})
    )
    return folder


def dbt(folder: Path, *args: str) -> subprocess.CompletedProcess:
    env = {
        **os.environ,
        "DBT_SEND_ANONYMOUS_USAGE_STATS": "false",
        "DBT_VERSION_CHECK": "false",
        "DO_NOT_TRACK": "1",
    }
    return subprocess.run(
        [
            dbt_executable(),
            *args,
            "--no-use-colors",
            "--profiles-dir",
            str(folder),
            "--project-dir",
            str(folder),
        ],
        cwd=folder,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
    )
