"""Airflow for real: the shipped DAG parses without secrets or import errors, and `airflow dags
test` runs it once against the simulator, in Airflow's own venv (its pins are not ours)."""

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from cf_bulk_sync.simulator import DEFAULT_TOKEN, Simulator, World

from ..support.checkout import CHECKOUT
from ..support.warehouse import query

pytestmark = [pytest.mark.e2e, pytest.mark.slow]

AIRFLOW = "apache-airflow==3.3.2"
# .ci/run makes this venv (Airflow and the built wheel) and names its python here
PYTHON_VARIABLE = "CF_BULK_SYNC_TEST_AIRFLOW_PYTHON"
DAG_FILE = "from cf_bulk_sync.orchestration.airflow_dag import dag  # the Airflow DAG\n"


@pytest.fixture(scope="module")
def airflow_python() -> Path:
    """Airflow's python: the one CI made, else a venv of the tests' own (made once, with the
    checkout installed into it again each session)."""
    given = os.environ.get(PYTHON_VARIABLE)
    if given:
        return Path(given)
    venv = Path.home() / ".cache" / "cf-bulk-sync-tests" / AIRFLOW.replace("==", "-")
    python = venv / "bin" / "python"
    if not python.exists():
        subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
    pip = [str(python), "-m", "pip", "install", "-q"]
    subprocess.run([*pip, AIRFLOW, str(CHECKOUT)], check=True)  # with its dependencies
    subprocess.run([*pip, "--force-reinstall", "--no-deps", str(CHECKOUT)], check=True)  # now
    return python


def airflow(python: Path, *args: str, env: dict[str, str]) -> subprocess.CompletedProcess:
    return subprocess.run(
        [str(python.parent / "airflow"), *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )


def test_the_dag_parses_without_secrets_and_runs_once(airflow_python: Path, tmp_path: Path) -> None:
    dags = tmp_path / "dags"
    dags.mkdir()
    (dags / "cf_bulk_sync_dag.py").write_text(DAG_FILE)
    # no Cloudflare variable, no destination: parsing must need none of them
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("CLOUDFLARE_", "DESTINATION__", "PYTHONPATH"))
    }
    env.update(
        AIRFLOW_HOME=str(tmp_path / "airflow"),
        AIRFLOW__CORE__DAGS_FOLDER=str(dags),
        AIRFLOW__CORE__LOAD_EXAMPLES="False",
        DLT_DATA_DIR=str(tmp_path / "dlt"),
    )
    assert airflow(airflow_python, "db", "migrate", env=env).returncode == 0
    parsed = airflow(airflow_python, "dags", "reserialize", env=env)
    assert parsed.returncode == 0, parsed.stderr
    errors = airflow(airflow_python, "dags", "list-import-errors", "-o", "json", env=env)
    assert json.loads(errors.stdout.strip().splitlines()[-1]) == []
    listed = airflow(airflow_python, "dags", "list", "-o", "json", env=env)
    assert [d["dag_id"] for d in json.loads(listed.stdout.strip().splitlines()[-1])] == [
        "cf_bulk_sync"
    ]
    shape = subprocess.run(
        [
            str(airflow_python),
            "-c",
            "from cf_bulk_sync.orchestration.airflow_dag import dag\n"
            "import cf_bulk_sync\n"
            "print(dag.max_active_runs, [(t.task_id, t.pool) for t in dag.tasks])\n"
            "print(cf_bulk_sync.__file__)",
        ],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert shape.stdout.splitlines()[0] == "1 [('sync', 'cf_bulk_sync')]", shape.stderr
    assert "site-packages" in shape.stdout.splitlines()[1]  # the installed package answers
    pool = airflow(airflow_python, "pools", "set", "cf_bulk_sync", "1", "one token", env=env)
    assert pool.returncode == 0, pool.stderr

    database = tmp_path / "w.duckdb"
    with Simulator(World(seed=71, jobs=6, messages=(0, 40))) as sim:
        run_env = {
            **env,
            "CLOUDFLARE_API_BASE_URL": sim.base_url,
            "CLOUDFLARE_ACCOUNT_ID": sim.world.account_id,
            "CLOUDFLARE_API_TOKEN": DEFAULT_TOKEN,
            "DESTINATION__DUCKDB__CREDENTIALS": str(database),
        }
        done = airflow(airflow_python, "dags", "test", "cf_bulk_sync", env=run_env)
        expected = sim.world.truth_messages()
    output = done.stdout + done.stderr
    assert done.returncode == 0 and "cf-bulk-sync run: OK" in output, output[-3000:]
    assert DEFAULT_TOKEN not in output
    loaded = query(
        database,
        "select job_id, message_id, status from cloudflare_email_security.bulk_job_messages",
    )
    assert {(j, m): s for j, m, s in loaded} == expected
    runs = query(database, "select status, exit_code from cloudflare_email_security.sync_runs")
    assert runs == [("ok", 0)]
