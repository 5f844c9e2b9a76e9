"""The orchestrator recipes, measured: `python -m benchmarks.orchestrators [--jobs 10]
[--messages 0,300] [--airflow-python PATH]`, from a checkout with the test extra installed.

Each setup syncs simulated accounts that answer 429 past a limit (`--limit`, by default
Cloudflare's 1,200 requests per 5 minutes; per simulator, the runs' budget set to the same)
and prints one table row: whether the warehouse holds exactly the
simulator's messages, the 429s the simulators answered, and the wall time of the
materialisation (Dagster) or of `airflow dags test` (Airflow, without `db migrate`). Postgres
is a throwaway server (`tests/support/postgres_server.py`); Airflow runs in its own venv
(`--airflow-python`, as .ci/run makes it; left out, that row is not measured).
"""

import argparse
import json
import os
import subprocess
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import dagster as dg
import duckdb
import psycopg2
from dagster._core.definitions.reconstruct import ReconstructableJob

from cf_bulk_sync.orchestration.dagster import Shard, definitions
from cf_bulk_sync.simulator import DEFAULT_TOKEN, Simulator, World
from tests.support.postgres_server import running_postgres

CLOUDFLARE_LIMIT = (1200, 300.0)
LOCATION = Path(__file__).resolve().parents[1] / "tests" / "e2e" / "dagster_location.py"
MESSAGES_SQL = "select job_id, message_id, status from {}.bulk_job_messages"
Row = tuple[str, bool, int, float]


def simulator(
    seed: int, jobs: int, messages: tuple[int, int], limit: tuple[int, float]
) -> Simulator:
    world = World(seed=seed, jobs=jobs, messages=messages)
    return Simulator(world, rate_limit=limit).start()


def shard(sim: Simulator, **options: Any) -> Shard:
    args = {"base_url": sim.base_url}
    return Shard(account_ids=(sim.world.account_id,), source_args=args, **options)


def timed(action: Callable[[], Any]) -> float:
    started = time.monotonic()
    action()
    return time.monotonic() - started


def in_process(label: str, sim: Simulator, read: Callable[[], list[Any]], **options: Any) -> Row:
    def go() -> None:
        assert dg.materialize(list(definitions([shard(sim, **options)]).assets or [])).success

    seconds = timed(go)
    exact = dict_of(read()) == sim.world.truth_messages()
    return label, exact, int(sim.counts["rate_limited"]), seconds


def dict_of(rows: list[Any]) -> dict[tuple[str, str], str]:
    return {(job, message): status for job, message, status in rows}


def postgres_reader(url: str, dataset: str) -> Callable[[], list[Any]]:
    def read() -> list[Any]:
        with psycopg2.connect(url) as con, con.cursor() as cursor:
            cursor.execute(MESSAGES_SQL.format(dataset))
            return cursor.fetchall()

    return read


def multiprocess(sims: list[Simulator], url: str, folder: Path) -> Row:
    dataset = "bench_multiprocess"
    specs = [
        dict(
            name=f"account_{n}",
            account_id=sim.world.account_id,
            base_url=sim.base_url,
            pool="cf_token",
            dataset=dataset,
        )
        for n, sim in enumerate(sims)
    ]
    os.environ["CF_TEST_SHARDS"] = json.dumps(specs)
    with dg.instance_for_test(temp_dir=str(folder)) as instance:
        instance.event_log_storage.set_concurrency_slots("cf_token", 1)
        job = ReconstructableJob.for_file(str(LOCATION), "sync_all_shards")

        def go() -> None:
            with dg.execute_job(job, instance=instance) as result:
                assert result.success

        seconds = timed(go)
    expected: dict[tuple[str, str], str] = {}
    for sim in sims:
        expected.update(sim.world.truth_messages())
    exact = dict_of(postgres_reader(url, dataset)()) == expected
    limited = sum(int(sim.counts["rate_limited"]) for sim in sims)
    return "Dagster multiprocess, 2 accounts (1 pool slot), Postgres", exact, limited, seconds


def airflow(python: Path, sim: Simulator, folder: Path) -> Row:
    dags = folder / "dags"
    dags.mkdir()
    (dags / "cf.py").write_text(
        "from cf_bulk_sync.orchestration.airflow_dag import dag  # the Airflow DAG\n"
    )
    database = folder / "af.duckdb"
    env = {
        **os.environ,
        "AIRFLOW_HOME": str(folder / "airflow"),
        "AIRFLOW__CORE__DAGS_FOLDER": str(dags),
        "AIRFLOW__CORE__LOAD_EXAMPLES": "False",
        "CLOUDFLARE_API_BASE_URL": sim.base_url,
        "CLOUDFLARE_ACCOUNT_ID": sim.world.account_id,
        "DESTINATION__DUCKDB__CREDENTIALS": str(database),
    }
    command = str(python.parent / "airflow")
    subprocess.run([command, "db", "migrate"], env=env, check=True, capture_output=True)
    seconds = timed(
        lambda: subprocess.run(
            [command, "dags", "test", "cf_bulk_sync"], env=env, check=True, capture_output=True
        )
    )
    with duckdb.connect(str(database), read_only=True) as con:
        rows = con.sql(MESSAGES_SQL.format("cloudflare_email_security")).fetchall()
    exact = dict_of(rows) == sim.world.truth_messages()
    return "Airflow dags test, DuckDB", exact, int(sim.counts["rate_limited"]), seconds


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.orchestrators", description=__doc__)
    parser.add_argument("--jobs", type=int, default=10)
    parser.add_argument("--messages", default="0,300", help="fewest,most messages per job")
    parser.add_argument("--airflow-python", type=Path)
    parser.add_argument(
        "--limit",
        default=",".join(str(n) for n in CLOUDFLARE_LIMIT),
        help="REQUESTS,SECONDS: the simulators' 429 limit and the runs' request budget",
    )
    parser.add_argument("--per-page", type=int, default=1000, help="messages per request")
    args = parser.parse_args()
    low, high = (int(n) for n in args.messages.split(","))
    requests, seconds = args.limit.split(",")
    limit = (int(requests), float(seconds))
    rows: list[Row] = []
    with tempfile.TemporaryDirectory(prefix="cf-bench-orch-") as scratch:
        folder = Path(scratch)
        os.environ.update(
            DLT_DATA_DIR=str(folder / "dlt"),
            CLOUDFLARE_API_TOKEN=DEFAULT_TOKEN,
            DAGSTER_DISABLE_TELEMETRY="yes",
            RUNTIME__DLTHUB_TELEMETRY="false",
            DESTINATION__DUCKDB__CREDENTIALS=str(folder / "w.duckdb"),
            SOURCES__CLOUDFLARE_EMAIL_SECURITY__REQUEST_BUDGET=requests,
            SOURCES__CLOUDFLARE_EMAIL_SECURITY__REQUEST_BUDGET_SECONDS=seconds,
            SOURCES__CLOUDFLARE_EMAIL_SECURITY__PER_PAGE=str(args.per_page),
        )
        sims = [simulator(80 + n, args.jobs, (low, high), limit) for n in range(5)]
        try:
            database = folder / "w.duckdb"
            rows.append(
                in_process(
                    "Dagster in process, DuckDB",
                    sims[0],
                    lambda: duckdb.connect(str(database), read_only=True)
                    .sql(MESSAGES_SQL.format("cloudflare_email_security"))
                    .fetchall(),
                    name="bench_duckdb",
                )
            )
            for url in running_postgres():
                os.environ["DESTINATION__POSTGRES__CREDENTIALS"] = url
                rows.append(
                    in_process(
                        "Dagster in process, Postgres",
                        sims[1],
                        postgres_reader(url, "bench_in_process"),
                        name="bench_postgres",
                        destination="postgres",
                        dataset="bench_in_process",
                    )
                )
                (folder / "dagster").mkdir()
                rows.append(multiprocess(sims[2:4], url, folder / "dagster"))
            if args.airflow_python:
                rows.append(airflow(args.airflow_python, sims[4], folder))
        finally:
            for sim in sims:
                sim.stop()
    messages = sum(len(sim.world.truth_messages()) for sim in sims)
    print(
        f"{args.jobs} jobs of {low}..{high} messages per account ({messages} in all),"
        f" {args.per_page} per page, limit and budget {args.limit}"
    )
    print("| setup | data exact? | 429s | time |")
    print("|---|---|---|---|")
    for name, exact, limited, seconds in rows:
        print(f"| {name} | {'yes' if exact else 'NO'} | {limited} | {seconds:.1f} s |")


if __name__ == "__main__":
    main()
