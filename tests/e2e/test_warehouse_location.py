"""The warehouse is where the folder a command runs in says, every time: `run` in one folder,
then in another (one dlt folder for both, as for any user), each folder holds its own DuckDB
file with its own data; the second run says where the last one loaded; the first folder can go
away. The summary, `--json` and `check` name the warehouse; a server's password never shows."""

import json
import shutil
import socket
from pathlib import Path

import pytest

from cf_bulk_sync.simulator import Simulator

from ..support.cli import cli, cli_env
from ..support.warehouse import query

pytestmark = pytest.mark.e2e

DATABASE = "cf_bulk_sync.duckdb"
PASSWORD = "pg-s3cret-5512"


def env_without_warehouse(simulator: Simulator, tmp_path: Path) -> dict[str, str]:
    """The simulator's account, one dlt folder, and no DuckDB path: the default file."""
    env = cli_env(simulator, tmp_path)
    del env["DESTINATION__DUCKDB__CREDENTIALS"]
    return env


def messages_in(folder: Path) -> int:
    sql = "select count(*) from cloudflare_email_security.bulk_job_messages"
    return int(query(folder / DATABASE, sql)[0][0])


def test_each_folder_has_its_own_warehouse(simulator: Simulator, tmp_path: Path) -> None:
    env = env_without_warehouse(simulator, tmp_path)
    first, second, third = (tmp_path / name for name in ("a", "b", "c"))
    for folder in (first, second, third):
        folder.mkdir()
    total = sum(len(job.messages) for job in simulator.world.jobs.values())

    ran = cli("run", "--no-models", env=env, cwd=first)
    assert ran.returncode == 0, ran.stdout + ran.stderr
    assert f"\n  warehouse: {first / DATABASE}\n" in ran.stdout
    assert messages_in(first) == total
    before = (first / DATABASE).stat().st_mtime_ns

    moved = cli("run", "--json", env=env, cwd=second)
    assert moved.returncode == 0, moved.stdout + moved.stderr
    result = json.loads(moved.stdout)
    assert result["warehouse"] == str(second / DATABASE)
    assert [w for w in result["warnings"] if "last loaded" in w] == [
        f"this pipeline (cf_bulk_sync) last loaded {first / DATABASE}; a run here loads"
        f" {second / DATABASE} (from the configuration and the folder it runs in); the old one"
        f" is not touched: to go on loading it, run from {first} or set"
        f" DESTINATION__DUCKDB__CREDENTIALS={first / DATABASE}; for two warehouses, give each"
        " its own --pipeline-name"
    ]
    assert messages_in(second) == total  # a whole sync: not the first folder's state
    assert (first / DATABASE).stat().st_mtime_ns == before

    # the old folder's warehouse is still read and built where asked, with the same one line
    models_there = cli("models", env=env, cwd=first)
    assert models_there.returncode == 0, models_there.stdout + models_there.stderr
    assert models_there.stderr == (
        f"cf-bulk-sync: warning: this pipeline (cf_bulk_sync) last loaded {second / DATABASE};"
        f" a run here loads {first / DATABASE} (from the configuration and the folder it runs"
        f" in); the old one is not touched: to go on loading it, run from {second} or set"
        f" DESTINATION__DUCKDB__CREDENTIALS={second / DATABASE}; for two warehouses, give each"
        " its own --pipeline-name\n"
    )

    shutil.rmtree(first)
    again = cli("run", "--no-models", env=env, cwd=second)  # the models of the run before
    assert again.returncode == 0, again.stdout + again.stderr
    assert "last loaded" not in again.stdout
    report = cli("report", env=env, cwd=second)
    assert report.returncode == 0, report.stderr

    # a folder without a warehouse: the reading commands name it and the last one, create nothing
    models = cli("models", env=env, cwd=third)
    assert models.returncode == 1
    assert models.stderr.startswith(
        f"cf-bulk-sync: error: no warehouse at {third / DATABASE} (this pipeline last loaded"
        f" {second / DATABASE}"
    )
    assert len(models.stderr.splitlines()) == 1 and not (third / DATABASE).exists()
    checked = cli("check", env=env, cwd=third)
    assert f"\n  warehouse = {third / DATABASE}  (from the folder this runs in)\n" in (
        checked.stdout
    )
    warned = f"  warn    warehouse: this pipeline (cf_bulk_sync) last loaded {second / DATABASE};"
    assert warned in checked.stdout
    assert f"connected to {third / DATABASE};" in checked.stdout


def test_a_server_is_named_without_its_password(simulator: Simulator, tmp_path: Path) -> None:
    with socket.socket() as probe:  # a port nothing listens on: the run fails at connect
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    url = f"postgresql://loader:{PASSWORD}@127.0.0.1:{port}/warehouse"
    env = cli_env(simulator, tmp_path, DESTINATION__POSTGRES__CREDENTIALS=url)
    where = f"postgres at 127.0.0.1:{port}, database warehouse"
    run = cli("run", "--destination", "postgres", "--json", env=env, cwd=tmp_path)
    assert run.returncode == 1, run.stdout + run.stderr
    assert json.loads(run.stdout)["warehouse"] == where
    assert f"\n  warehouse: {where}\n" in run.stderr  # the summary, on stderr with --json
    checked = cli("check", "--destination", "postgres", env=env, cwd=tmp_path)
    assert f"\n  warehouse = {where}  (from DESTINATION__POSTGRES__CREDENTIALS)\n" in (
        checked.stdout
    )
    for output in (run.stdout, run.stderr, checked.stdout, checked.stderr):
        assert PASSWORD not in output
