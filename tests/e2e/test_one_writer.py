"""One warehouse, one writer: runs from two dlt working folders (cron's environment and an
admin's shell) against one DuckDB file take turns, and no row is written twice."""

import subprocess
from pathlib import Path

import pytest

from cf_bulk_sync.simulator import Simulator, World

from ..support.cli import cli_env, environment, executable
from ..support.warehouse import query

pytestmark = [pytest.mark.e2e, pytest.mark.slow]


def test_two_working_folders_one_duckdb_file_give_no_duplicates(tmp_path: Path) -> None:
    # latency makes the first runs overlap: both start on an empty warehouse
    with Simulator(World(seed=41, jobs=10, messages=(50, 150)), latency=0.02) as sim:
        processes = []
        for name in ("cron", "admin"):
            env = cli_env(
                sim,
                tmp_path,
                DLT_DATA_DIR=str(tmp_path / f"dlt-{name}"),
                SOURCES__CLOUDFLARE_EMAIL_SECURITY__PER_PAGE="25",
            )
            processes.append(
                subprocess.Popen(
                    [str(executable()), "run", "--quiet"],
                    env=environment(**env),
                    cwd=tmp_path,
                    stdout=subprocess.PIPE,
                    stderr=subprocess.PIPE,
                    text=True,
                )
            )
        results = [p.communicate(timeout=120) for p in processes]
        codes = [p.returncode for p in processes]
        truth = sum(len(j.messages) for j in sim.world.jobs.values())
    assert codes == [0, 0], results
    rows = query(
        tmp_path / "w.duckdb",
        "select count(*), count(distinct (job_id, message_id))"
        " from cloudflare_email_security.bulk_job_messages",
    )
    assert rows == [(truth, truth)]
