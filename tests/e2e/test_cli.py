"""`cf-bulk-sync` as users run it: a subprocess, configured by environment, against the
simulator on 127.0.0.1."""

import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest

from cf_bulk_sync.simulator import Simulator, World

from ..support.cli import cli, cli_env, environment, executable

pytestmark = pytest.mark.e2e

SECRET = "cli-secret-token-5d2e8a"


@pytest.fixture
def sim() -> Iterator[Simulator]:
    with Simulator(World(seed=5, jobs=6, messages=(0, 40)), token=SECRET) as simulator:
        yield simulator


@pytest.fixture
def env(sim: Simulator, tmp_path: Path) -> dict[str, str]:
    return cli_env(
        sim, tmp_path, SECRET, DESTINATION__DUCKDB__CREDENTIALS=str(tmp_path / "cli.duckdb")
    )


def test_help_reads_like_the_docs(tmp_path: Path) -> None:
    top = cli("--help", env={}, cwd=tmp_path)
    assert top.returncode == 0
    for word in ("run", "demo", "simulate", "CLOUDFLARE_API_TOKEN", "exit codes"):
        assert word in top.stdout
    run = cli("run", "--help", env={}, cwd=tmp_path)
    for option in (
        "--account-id",
        "--job-id",
        "--status",
        "--destination",
        "--dataset",
        "--full-refresh",
        "--progress",
    ):
        assert option in run.stdout


def test_run_twice_prints_summaries_and_skips_settled_jobs(
    env: dict[str, str], tmp_path: Path, sim: Simulator
) -> None:
    first = cli("run", env=env, cwd=tmp_path)
    assert first.returncode == 0, first.stderr
    assert "cf-bulk-sync run: OK" in first.stdout
    assert "jobs: 6 seen, 6 synced, 0 skipped (settled), 0 marked deleted" in first.stdout
    rows = sum(len(j.messages) for j in sim.world.jobs.values())
    assert f"rows: {rows} (" in first.stdout
    assert (tmp_path / "cli.duckdb").exists()
    second = cli("run", env=env, cwd=tmp_path)
    settled = sum(
        1
        for j in sim.world.truth_jobs().values()
        if j["status"] in ("COMPLETED", "FAILED", "CANCELLED")
    )
    assert f"{settled} skipped (settled)" in second.stdout


def test_wrong_token_is_one_clear_line_and_exit_1(env: dict[str, str], tmp_path: Path) -> None:
    result = cli("run", env={**env, "CLOUDFLARE_API_TOKEN": "wrong-token-x"}, cwd=tmp_path)
    assert result.returncode == 1
    errors = [line for line in result.stderr.splitlines() if line.startswith("cf-bulk-sync:")]
    assert errors == [
        "cf-bulk-sync: error: Authentication failed (HTTP 403, code 10000: Authentication"
        " error): the credentials are invalid or lack the permission; use an API token with the"
        " permission 'Cloud Email Security: Read' (CLOUDFLARE_API_TOKEN or"
        " sources.cloudflare_email_security.api_token)"
    ]
    assert "Traceback" not in result.stderr
    assert "wrong-token-x" not in result.stdout + result.stderr


@pytest.mark.parametrize(
    "argv",
    [pytest.param(["--debug", "run"], id="before"), pytest.param(["run", "--debug"], id="after")],
)
def test_debug_before_or_after_the_command_shows_the_traceback_redacted(
    env: dict[str, str], tmp_path: Path, argv: list[str]
) -> None:
    result = cli(*argv, env={**env, "CLOUDFLARE_API_TOKEN": "wrong-token-x"}, cwd=tmp_path)
    assert result.returncode == 1
    assert "Traceback (most recent call last)" in result.stderr
    assert "AuthenticationError" in result.stderr
    assert "wrong-token-x" not in result.stdout + result.stderr


@pytest.mark.parametrize(
    "args,extra_env,text",
    [
        pytest.param(["--account-id", "nope"], {}, "Invalid account id 'nope'", id="account"),
        pytest.param(
            ["--job-id", "../jobs"],
            {},
            "Invalid job id '../jobs': it must be the job's id as the API lists it",
            id="job-id",
        ),
        pytest.param(
            [],
            {"SOURCES__CLOUDFLARE_EMAIL_SECURITY__PER_PAGE": "5000"},
            "Invalid per_page 5000",
            id="per-page",
        ),
        pytest.param(
            ["--destination", "nowhere"], {}, "Unknown destination 'nowhere'", id="destination"
        ),
        pytest.param([], {"CLOUDFLARE_API_TOKEN": ""}, "No credentials", id="no-token"),
        pytest.param(
            [],
            {"SOURCES__CLOUDFLARE_EMAIL_SECURITY__WORKERS": "abc"},
            "The configured workers is not a valid int",
            id="workers-abc",
        ),
        pytest.param(
            [],
            {"SOURCES__CLOUDFLARE_EMAIL_SECURITY__MAX_ATTEMPTS": "0"},
            "Invalid max_attempts 0: it must be a whole number from 1 to 50",
            id="max-attempts-0",
        ),
        pytest.param(
            [],
            {"SOURCES__CLOUDFLARE_EMAIL_SECURITY__BACKOFF_FACTOR": "-1"},
            "Invalid backoff_factor -1.0: it must be a number of at least 0",
            id="backoff-negative",
        ),
        pytest.param(
            [],
            {"SOURCES__CLOUDFLARE_EMAIL_SECURITY__MAX_RETRY_DELAY": "-5"},
            "Invalid max_retry_delay -5.0: it must be a number of at least 0",
            id="retry-delay-negative",
        ),
        pytest.param(
            [],
            {"CLOUDFLARE_ACCOUNT_ID": "", "SOURCES__CLOUDFLARE_EMAIL_SECURITY__ACCOUNT_ID": "123"},
            "Invalid account id '123'",
            id="account-number",
        ),
        pytest.param(["--account-id", "f" * 32], {}, "Account", id="unknown-account"),
    ],
)
def test_bad_input_gets_a_specific_error(
    env: dict[str, str],
    tmp_path: Path,
    args: list,
    extra_env: dict[str, str],
    text: str,
    sim: Simulator,
) -> None:
    result = cli("run", *args, env={**env, **extra_env}, cwd=tmp_path)
    assert result.returncode == 1
    assert text in result.stderr and "Traceback" not in result.stderr


def test_bad_command_line_exits_2(tmp_path: Path) -> None:
    assert cli("run", "--status", "DONE", env={}, cwd=tmp_path).returncode == 2


@pytest.mark.slow
def test_the_token_is_nowhere_after_good_and_failed_runs(
    env: dict[str, str], tmp_path: Path
) -> None:
    outputs = []
    for extra in ({"RUNTIME__LOG_LEVEL": "DEBUG"}, {"CLOUDFLARE_ACCOUNT_ID": "e" * 32}):
        result = cli("run", env={**env, **extra}, cwd=tmp_path)
        outputs.append(result.stdout + result.stderr)
    assert all(SECRET not in text for text in outputs)
    assert "DEBUG" in outputs[0]  # the debug run did log, and still without the token
    leaked = [
        str(path)
        for path in tmp_path.rglob("*")
        if path.is_file() and SECRET.encode() in path.read_bytes()
    ]
    assert leaked == []
    # DuckDB compresses strings on disk, so the warehouse is also searched with SQL
    import duckdb

    with duckdb.connect(str(tmp_path / "cli.duckdb"), read_only=True) as con:
        columns = con.sql(
            "select table_schema, table_name, column_name from"
            " information_schema.columns where data_type in ('VARCHAR', 'JSON')"
        ).fetchall()
        assert len(columns) > 20
        hits = [
            c
            for c in columns
            if con.sql(
                f'select count(*) from "{c[0]}"."{c[1]}" where cast("{c[2]}" as varchar)'
                f" like '%{SECRET}%'"
            ).fetchall()[0][0]
        ]
    assert hits == []


@pytest.mark.slow
def test_demo_runs_offline_and_shows_results(tmp_path: Path) -> None:
    env = {"DLT_DATA_DIR": str(tmp_path / "dlt")}
    result = cli("demo", "--dir", "demo", "--jobs", "10", env=env, cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    out = result.stdout
    assert "first run (full sync): OK" in out and "second run (incremental): OK" in out
    assert "jobs: 10 seen, 10 synced, 0 skipped" in out
    assert "marked deleted" in out and "Messages per job and status" in out
    assert str(tmp_path / "demo" / "cf_bulk_sync.duckdb") in out
    assert (tmp_path / "demo" / "cf_bulk_sync.duckdb").exists()


def test_demo_only_ever_deletes_a_folder_it_made(tmp_path: Path) -> None:
    mine = tmp_path / "mine"
    mine.mkdir()
    (mine / "notes.txt").write_text("the user's own file")
    refused = cli("demo", "--dir", str(mine), "--jobs", "2", env={}, cwd=tmp_path)
    assert refused.returncode == 1
    assert refused.stderr.strip() == (
        f"cf-bulk-sync: error: {mine} exists and was not made by `cf-bulk-sync demo`: not"
        " touching it; pass --dir with a new or empty folder"
    )
    assert [p.name for p in mine.iterdir()] == ["notes.txt"]
    env = {"DLT_DATA_DIR": str(tmp_path / "dlt")}
    for _ in range(2):  # a folder the demo made is emptied and reused
        made = cli("demo", "--dir", "made", "--jobs", "2", env=env, cwd=tmp_path)
        assert made.returncode == 0, made.stderr
    assert (tmp_path / "made" / ".cf-bulk-sync-demo").is_file()


def test_version_names_the_installed_package(tmp_path: Path) -> None:
    from importlib.metadata import version

    result = cli("--version", env={}, cwd=tmp_path)
    assert result.returncode == 0
    assert result.stdout.strip() == f"cf-bulk-sync {version('cf-bulk-sync')}"


def test_simulate_serves_until_stopped(tmp_path: Path) -> None:
    import requests

    process = subprocess.Popen(
        [str(executable()), "simulate", "--port", "0", "--jobs", "3"],
        env=environment(),
        cwd=tmp_path,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        lines = [process.stdout.readline() for _ in range(4)]  # type: ignore[union-attr]
        exports = dict(
            line.split("export ", 1)[1].strip().split("=", 1) for line in lines if "export " in line
        )
        response = requests.get(
            f"{exports['CLOUDFLARE_API_BASE_URL']}/accounts/{exports['CLOUDFLARE_ACCOUNT_ID']}"
            "/email-security/investigate/bulk",
            headers={"Authorization": f"Bearer {exports['CLOUDFLARE_API_TOKEN']}"},
            timeout=10,
        )
        assert response.status_code == 200 and len(response.json()["result"]) == 3
    finally:
        process.terminate()
        process.wait(timeout=10)
