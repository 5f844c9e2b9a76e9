"""Shards on one host: `--pipeline-name` gives each pipeline its own state, lock and staging
dataset in one dlt data folder, through the installed console script."""

import subprocess
from collections.abc import Iterator
from pathlib import Path

import psycopg2
import pytest

from cf_bulk_sync.ops.lock import lock_for
from cf_bulk_sync.simulator import Simulator, World

from ..support.cli import cli, cli_env, environment, executable
from ..support.postgres_server import running_postgres
from .test_accounts import settled

pytestmark = pytest.mark.e2e

DATASET = "cloudflare_email_security"


def test_each_pipeline_name_has_its_own_state_and_lock(tmp_path: Path) -> None:
    with (
        Simulator(World(seed=41, jobs=5, messages=(0, 20))) as a,
        Simulator(World(seed=42, jobs=4, messages=(0, 20))) as b,
    ):
        env_a, env_b = cli_env(a, tmp_path), cli_env(b, tmp_path)  # one dlt folder, one DuckDB
        first = cli("run", "--pipeline-name", "shard_a", "--quiet", env=env_a, cwd=tmp_path)
        assert first.returncode == 0, first.stderr
        pipelines = tmp_path / "dlt" / "pipelines"
        with lock_for(str(pipelines), "shard_a"):  # shard_a is running: shard_b is not held up
            other = cli("run", "--pipeline-name", "shard_b", "--quiet", env=env_b, cwd=tmp_path)
            held = cli("run", "--pipeline-name", "shard_a", "--quiet", env=env_a, cwd=tmp_path)
        assert other.returncode == 0, other.stderr
        assert held.returncode == 5 and ".shard_a.lock" in held.stderr
        assert {p.name for p in pipelines.iterdir() if p.is_dir()} == {"shard_a", "shard_b"}
        # the configured name, as for every other run setting: shard_a's state is its own
        again = cli(
            "run", "--quiet", env={**env_a, "CF_BULK_SYNC__PIPELINE_NAME": "shard_a"}, cwd=tmp_path
        )
        assert again.returncode == 0, again.stderr
        assert ", 0 skipped" in first.stdout and settled(a.world) > 0
        assert f", {settled(a.world)} skipped" in again.stdout


def test_every_command_opens_the_named_pipeline(tmp_path: Path) -> None:
    with Simulator(World(seed=43, jobs=3, messages=(0, 10))) as sim:
        env = cli_env(sim, tmp_path)
        assert cli("run", "--pipeline-name", "eu", "--quiet", env=env, cwd=tmp_path).returncode == 0
        models = cli("models", "--pipeline-name", "eu", env=env, cwd=tmp_path)
        assert models.returncode == 0, models.stderr
        report = cli("report", "--pipeline-name", "eu", env=env, cwd=tmp_path)
        assert report.returncode == 0 and "eu" not in report.stderr, report.stderr
        out = tmp_path / "d.html"
        dashboard = cli(
            "dashboard", "--pipeline-name", "eu", "--out", str(out), env=env, cwd=tmp_path
        )
        assert dashboard.returncode == 0 and out.is_file(), dashboard.stderr
        check = cli("check", "--pipeline-name", "eu", env=env, cwd=tmp_path)
        assert check.returncode == 0, check.stdout + check.stderr
        assert "/.eu.lock" in check.stdout
        # only `eu` was ever made: none of the commands opened the default pipeline
        assert not (tmp_path / "dlt" / "pipelines" / "cf_bulk_sync").exists()


@pytest.mark.parametrize(
    "args, env",
    [
        pytest.param(["--pipeline-name", "two words"], {}, id="option"),
        pytest.param([], {"CF_BULK_SYNC__PIPELINE_NAME": "../up"}, id="config"),
    ],
)
def test_an_unusable_name_is_one_line(tmp_path: Path, args: list[str], env: dict[str, str]) -> None:
    with Simulator(World(seed=44, jobs=1, messages=(0, 2))) as sim:
        done = cli("run", *args, "--quiet", env={**cli_env(sim, tmp_path), **env}, cwd=tmp_path)
    assert done.returncode == 1
    assert done.stderr.count("\n") == 1 and "pipeline name" in done.stderr
    assert "Traceback" not in done.stderr and "e.g. cf_bulk_sync_eu" in done.stderr


@pytest.fixture(scope="module")
def postgres_url() -> Iterator[str]:
    yield from running_postgres()


def _runs(sims: dict[str, Simulator], url: str, folder: Path, at_once: bool) -> None:
    """One `run` per shard into one Postgres dataset: all started at once, or one by one."""
    started = []
    for name, sim in sims.items():
        env = cli_env(sim, folder, DESTINATION__POSTGRES__CREDENTIALS=url)
        command = [str(executable()), "run", "--destination", "postgres", "--quiet"]
        started.append(
            subprocess.Popen(
                [*command, "--pipeline-name", name, "--no-models"],
                env=environment(**env),
                cwd=folder,
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE,
                text=True,
            )
        )
        if not at_once:
            started[-1].wait(timeout=180)
    for process in started:
        out, err = process.communicate(timeout=180)
        assert process.returncode == 0, out + err


@pytest.mark.postgres
def test_shards_merging_into_one_postgres_dataset_at_once_lose_nothing(
    tmp_path: Path, postgres_url: str
) -> None:
    worlds = {f"shard_{n}": World(seed=50 + n, jobs=10, messages=(20, 200)) for n in range(3)}
    with (
        Simulator(worlds["shard_0"]) as s0,
        Simulator(worlds["shard_1"]) as s1,
        Simulator(worlds["shard_2"]) as s2,
    ):
        sims = {"shard_0": s0, "shard_1": s1, "shard_2": s2}
        # The first runs one by one: first runs at once race to create the same tables
        # (Postgres: duplicate key in pg_type) and all but one fail, changing nothing.
        _runs(sims, postgres_url, tmp_path, at_once=False)
        for sim in sims.values():
            sim.advance(steps=3, create=2, delete=0)
        _runs(sims, postgres_url, tmp_path, at_once=True)  # merges, through the staging datasets
    with psycopg2.connect(postgres_url) as con, con.cursor() as cursor:
        cursor.execute(f"select job_id, message_id, status from {DATASET}.bulk_job_messages")
        loaded = {(job, message): status for job, message, status in cursor.fetchall()}
        cursor.execute(
            "select schema_name from information_schema.schemata where schema_name like %s",
            (f"{DATASET}_staging%",),
        )
        staging = {row[0] for row in cursor.fetchall()}
    expected: dict[tuple[str, str], str] = {}
    for world in worlds.values():
        expected.update(world.truth_messages())
    assert len(loaded) == len(expected) and loaded == expected
    # one staging dataset per pipeline: a shared one loses rows (dlt issue #4297)
    assert staging == {f"{DATASET}_staging_{name}" for name in sims}
