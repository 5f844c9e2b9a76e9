"""Postgres for real: a PostgreSQL server on 127.0.0.1, the sync, the models and the
assertions, with the same numbers as on DuckDB for the same data."""

import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import dlt
import duckdb
import pytest

from cf_bulk_sync.loading.pipeline import make_pipeline, sync
from cf_bulk_sync.models.runner import build_models, load_models, reporting_dataset
from cf_bulk_sync.outcome import decide
from cf_bulk_sync.simulator import DEFAULT_TOKEN, Simulator, World

from ..sql.conftest import job, message
from ..sql.test_failure_reasons import GROUPS
from ..support.checkout import ASSERTIONS, MODELS
from ..support.cli import cli, cli_env
from ..support.postgres_server import running_postgres
from ..support.warehouse import duckdb_pipeline
from .test_first_load import check_repair

pytestmark = [pytest.mark.e2e, pytest.mark.postgres]

MARTS = [m.name for m in load_models()]


@pytest.fixture(scope="module")
def postgres_url() -> Iterator[str]:
    yield from running_postgres()


def postgres_pipeline(url: str, folder: Path, dataset: str) -> dlt.Pipeline:
    return make_pipeline(
        dlt.destinations.postgres(credentials=url),
        dataset=dataset,
        pipelines_dir=str(folder / "dlt-pg"),
    )


# when each pipeline ran: the two runs happen moments apart
RUN_TIME_COLUMNS = {"observed_at", "deleted_at", "synced_at"}


def canonical(columns: list[str], rows: list[Any]) -> list[tuple]:
    keep = [i for i, c in enumerate(columns) if c not in RUN_TIME_COLUMNS]
    return sorted((tuple(r[i] for i in keep) for r in rows), key=lambda r: tuple(str(v) for v in r))


def read_postgres(pipeline: dlt.Pipeline, model: str) -> list[tuple]:
    dataset = reporting_dataset(pipeline)
    with pipeline.sql_client() as client:
        table = ".".join(client.make_qualified_table_name_path(model, dataset_name=dataset))
        with client.execute_query(f"select * from {table}") as cursor:
            columns = [d[0] for d in cursor.description]
            return canonical(columns, cursor.fetchall())


@pytest.mark.slow
def test_marts_hold_the_same_numbers_on_postgres_and_duckdb(
    postgres_url: str, tmp_path: Path
) -> None:
    dataset = f"cf_{uuid.uuid4().hex[:8]}"
    with Simulator(World(seed=7, jobs=24, messages=(0, 300))) as sim:
        args: dict[str, Any] = dict(
            account_id=sim.world.account_id,
            api_token=DEFAULT_TOKEN,
            base_url=sim.base_url,
            per_page=50,
        )
        pg = postgres_pipeline(postgres_url, tmp_path, dataset)
        dk = duckdb_pipeline(tmp_path, work="dlt-dk", dataset=dataset)
        for _step in range(2):
            for pipeline in (pg, dk):
                result = sync(pipeline, **args)
                assert decide(result).exit_code == 0, result.error
            sim.advance(steps=2)
    pg_build, dk_build = build_models(pg), build_models(dk)
    assert pg_build.built == dk_build.built == MARTS
    assert pg_build.failed_assertions == [] and len(pg_build.assertions) == ASSERTIONS
    with duckdb.connect(str(tmp_path / "w.duckdb"), read_only=True) as con:
        for model in MARTS:
            relation = con.sql(f"select * from {reporting_dataset(dk)}.{model}")
            in_duckdb = canonical(relation.columns, relation.fetchall())
            assert read_postgres(pg, model) == in_duckdb, model
            # the seed-7 world sets no item aside: its rejected items are compared empty here (the
            # ClickHouse and dbt tests seed one)
            assert in_duckdb or model in ("job_progress", "stg_bulk_job_messages_rejected"), model


def test_failure_reasons_group_the_same_way_on_postgres(postgres_url: str, tmp_path: Path) -> None:
    from cf_bulk_sync.source import settings

    pipeline = postgres_pipeline(postgres_url, tmp_path, f"cf_{uuid.uuid4().hex[:8]}")
    rows, expected = [], {}
    for reason, texts in GROUPS.items():
        for text in texts:
            rows.append(message("j1", f"m{len(rows)}", "FAILED", text))
            expected[f"m{len(rows) - 1}"] = reason
    pipeline.run(
        dlt.resource(
            [job("j1", "FAILED")],
            name="bulk_jobs",
            columns=settings.JOB_COLUMNS,
            primary_key="job_id",
        )
    )
    pipeline.run(
        dlt.resource(
            rows,
            name="bulk_job_messages",
            columns=settings.MESSAGE_COLUMNS,
            primary_key=("job_id", "message_id"),
        )
    )
    build_models(pipeline)
    got = dict(read_postgres_stg(pipeline))
    assert got == expected


def read_postgres_stg(pipeline: dlt.Pipeline) -> list[tuple]:
    with pipeline.sql_client() as client:
        table = ".".join(
            client.make_qualified_table_name_path(
                "stg_bulk_job_messages", dataset_name=reporting_dataset(pipeline)
            )
        )
        return client.execute_sql(f"select message_id, failure_reason from {table}")


@pytest.mark.slow
def test_the_command_line_syncs_into_postgres(
    postgres_url: str, tmp_path: Path, simulator: Simulator
) -> None:
    env = cli_env(simulator, tmp_path, DESTINATION__POSTGRES__CREDENTIALS=postgres_url)
    dataset = f"cf_{uuid.uuid4().hex[:8]}"
    run = cli("run", "--destination", "postgres", "--dataset", dataset, env=env, cwd=tmp_path)
    assert run.returncode == 0, run.stdout + run.stderr
    assert "destination postgres" in run.stdout
    built = (
        f"models: {MODELS} built in dataset {dataset}_reporting; assertions: {ASSERTIONS} passed"
    )
    assert built in run.stdout
    report = cli("report", "--destination", "postgres", "--dataset", dataset, env=env, cwd=tmp_path)
    assert report.returncode == 0 and "Top FAILED reasons" in report.stdout
    for job_id in simulator.world.jobs:
        assert job_id[:8] in report.stdout
    page = tmp_path / "dashboard.html"
    dashboard = cli(
        "dashboard", "--destination", "postgres", "--dataset", dataset, "--out", str(page),
        env=env, cwd=tmp_path,
    )  # fmt: skip
    assert dashboard.returncode == 0, dashboard.stderr
    assert all(job_id in page.read_text() for job_id in simulator.world.jobs)


def test_a_first_load_appends_and_repeated_rows_are_removed_on_postgres(
    postgres_url: str, tmp_path: Path
) -> None:
    pipeline = postgres_pipeline(postgres_url, tmp_path, f"cf_{uuid.uuid4().hex[:8]}")
    with Simulator(World(seed=7, jobs=6, messages=(0, 80))) as sim:
        args: dict[str, Any] = dict(
            account_id=sim.world.account_id,
            api_token=DEFAULT_TOKEN,
            base_url=sim.base_url,
            per_page=50,
        )
        first = sync(pipeline, **args)
        assert decide(first).exit_code == 0 and first.appended_messages
        check_repair(pipeline, first.load_ids[0])
        sim.advance(steps=2)
        second = sync(pipeline, **args)
        assert decide(second).exit_code == 0 and not second.appended_messages
        kept = [row for row in read_postgres_keys(pipeline) if row[0][0] in sim.world.jobs]
        assert kept == sorted(sim.world.truth_messages().items())


def read_postgres_keys(pipeline: dlt.Pipeline) -> list[Any]:
    with pipeline.sql_client() as client:
        name = client.make_qualified_table_name("bulk_job_messages")
        rows = client.execute_sql(f"select job_id, message_id, status from {name}")
    assert len(rows) == len({(r[0], r[1]) for r in rows}), "duplicate rows"
    return sorted(((r[0], r[1]), r[2]) for r in rows)


def test_a_url_without_a_password_loads_with_trust_authentication(
    postgres_url: str, tmp_path: Path, simulator: Simulator
) -> None:
    # trust, peer or ~/.pgpass authentication: dlt's own credentials would demand a password
    passwordless = postgres_url.replace(":unused@", "@")
    assert passwordless != postgres_url
    env = cli_env(simulator, tmp_path, DESTINATION__POSTGRES__CREDENTIALS=passwordless)
    dataset = f"cf_{uuid.uuid4().hex[:8]}"
    run = cli(
        "run", "--destination", "postgres", "--dataset", dataset, "--quiet", env=env, cwd=tmp_path
    )
    assert run.returncode == 0, run.stdout + run.stderr
    assert run.stderr == ""
    assert f"models: {MODELS} built in dataset {dataset}_reporting" in run.stdout
    loaded = read_postgres_keys(postgres_pipeline(postgres_url, tmp_path, dataset))
    assert loaded == sorted(simulator.world.truth_messages().items())


PASSWORD = "pw-4417-not-shown"


@pytest.mark.parametrize(
    "credentials,line",
    [
        pytest.param(
            None,
            "cf-bulk-sync: error: No credentials for destination postgres: set"
            " DESTINATION__POSTGRES__CREDENTIALS=postgresql://user:password@host:5432/db or"
            " `credentials` under [destination.postgres] in .dlt/secrets.toml",
            id="missing",
        ),
        pytest.param(
            f"postgresql://postgres:{PASSWORD}@/postgres",
            "cf-bulk-sync: error: The credentials of destination postgres lack host: give the"
            " whole value in DESTINATION__POSTGRES__CREDENTIALS",
            id="no-host",
        ),
        pytest.param(
            f"postgres:{PASSWORD} at the usual place",
            "cf-bulk-sync: error: The credentials of destination postgres are not a connection"
            " URL: set DESTINATION__POSTGRES__CREDENTIALS=postgresql://user:password@host:5432/db",
            id="not-a-url",
        ),
        pytest.param(
            f"postgresql://postgres:{PASSWORD}@127.0.0.1:1/postgres",
            'cf-bulk-sync: error: OperationalError: connection to server at "127.0.0.1", port 1'
            " failed: Connection refused",
            id="unreachable",
        ),
    ],
)
def test_destination_credentials_fail_in_one_line_that_says_what_to_do(
    tmp_path: Path, simulator: Simulator, credentials: str | None, line: str
) -> None:
    extra = {"DESTINATION__POSTGRES__CREDENTIALS": credentials} if credentials else {}
    env = cli_env(simulator, tmp_path, **extra)
    run = cli("run", "--destination", "postgres", "--quiet", env=env, cwd=tmp_path)
    assert run.returncode == 1, run.stdout + run.stderr
    # one line: no traceback, no DltDeprecationWarning, no "run record not written" log line
    assert run.stderr.count("\n") == 1 and run.stderr.endswith("\n"), run.stderr
    assert run.stderr.startswith(line), run.stderr
    assert PASSWORD not in run.stdout + run.stderr
    assert simulator.counts["messages"] == 0


def test_a_url_to_the_unix_socket_without_a_password_connects(
    postgres_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # peer authentication goes over the server's Unix socket: its folder is the host
    with postgres_pipeline(postgres_url, tmp_path, "public").sql_client() as client:
        folder = client.execute_sql("show unix_socket_directories")[0][0].split(",")[0].strip()
    port = postgres_url.rsplit(":", 1)[1].split("/")[0]
    monkeypatch.setenv(
        "DESTINATION__POSTGRES__CREDENTIALS",
        f"postgresql://postgres@localhost:{port}/postgres?host={folder}",
    )
    pipeline = make_pipeline("postgres", pipelines_dir=str(tmp_path / "dlt-socket"))
    with pipeline.sql_client() as client:
        assert client.execute_sql("select inet_server_addr()") == [(None,)]  # not over TCP
