"""Incremental marts equal a full rebuild after a series of runs against the simulator: jobs
progressing, new jobs and deletions, on DuckDB and Postgres (the destinations where marts are
updated in place; elsewhere every build is full)."""

import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import dlt
import pytest

from cf_bulk_sync.loading.pipeline import make_pipeline, sync
from cf_bulk_sync.models.runner import BuildResult, build_models, load_models, reporting_dataset
from cf_bulk_sync.outcome import decide
from cf_bulk_sync.simulator import DEFAULT_TOKEN, Simulator, World

from ..support.cli import cli, cli_env
from ..support.postgres_server import running_postgres
from ..support.warehouse import duckdb_pipeline

pytestmark = [pytest.mark.e2e]

MARTS = [m.name for m in load_models() if not m.is_view]


@pytest.fixture(scope="module")
def postgres_url() -> Iterator[str]:
    yield from running_postgres()


def read_marts(pipeline: dlt.Pipeline) -> dict[str, list[tuple]]:
    """Every mart's rows, all columns, in one canonical order."""
    out = {}
    with pipeline.sql_client() as client:
        for mart in MARTS:
            path = client.make_qualified_table_name_path(
                mart, dataset_name=reporting_dataset(pipeline)
            )
            with client.execute_query(f"select * from {'.'.join(path)}") as cursor:
                rows = [tuple(r) for r in cursor.fetchall()]
            out[mart] = sorted(rows, key=lambda r: tuple(str(v) for v in r))
    return out


def series(pipeline: dlt.Pipeline) -> list[tuple[BuildResult, dict, dict]]:
    """Runs sync + incremental build five times, the account moving in between; after runs 3
    and 5, a full rebuild of the same warehouse. Returns (build, incremental, full) there."""
    compared = []
    with Simulator(World(seed=11, jobs=10, messages=(0, 120))) as sim:
        args: dict[str, Any] = dict(
            account_id=sim.world.account_id,
            api_token=DEFAULT_TOKEN,
            base_url=sim.base_url,
            per_page=40,
        )
        for run in range(1, 6):
            result = sync(pipeline, **args)
            assert decide(result).exit_code == 0, result.error
            build = build_models(pipeline)
            assert build.failed_assertions == [], build.failed_assertions
            assert build.full is (run == 1), build.reason
            if run in (3, 5):
                incremental = read_marts(pipeline)
                assert build_models(pipeline, full=True).full
                compared.append((build, incremental, read_marts(pipeline)))
            changes = sim.advance(steps=2, create=2, delete=1)
            assert changes["created"] and changes["deleted"]
    return compared


def check(compared: list[tuple[BuildResult, dict, dict]]) -> None:
    assert len(compared) == 2
    for build, incremental, full in compared:
        # some jobs, not all: settled jobs are not fetched again
        assert 0 < (build.changed_jobs or 0) < len(full["job_status_counts"])
        for mart in MARTS:
            assert incremental[mart] == full[mart], mart
        assert all(full[m] for m in MARTS if m != "job_progress"), "a mart is empty"
    # the texts carry tokens, so new messages bring new texts of known causes: no group of the
    # first comparison was renamed by the second, each keeps its family
    groups = [{(r[0], r[1]): r[2] for r in full["failure_reasons"]} for _, _, full in compared]
    assert groups[0].items() <= groups[1].items()


def test_incremental_marts_equal_a_full_rebuild_on_duckdb(tmp_path: Path) -> None:
    check(series(duckdb_pipeline(tmp_path)))


@pytest.mark.postgres
def test_incremental_marts_equal_a_full_rebuild_on_postgres(
    postgres_url: str, tmp_path: Path
) -> None:
    pipeline = make_pipeline(
        dlt.destinations.postgres(credentials=postgres_url),
        dataset=f"cf_{uuid.uuid4().hex[:8]}",
        pipelines_dir=str(tmp_path / "dlt-pg"),
    )
    check(series(pipeline))


def test_the_command_line_says_how_the_marts_were_built(
    simulator: Simulator, tmp_path: Path
) -> None:
    env = cli_env(simulator, tmp_path)
    first = cli("run", env=env, cwd=tmp_path)
    assert first.returncode == 0, first.stderr
    assert "  marts: full rebuild (no earlier build recorded)" in first.stdout
    again = cli("models", env=env, cwd=tmp_path)
    assert again.returncode == 0, again.stderr
    assert "  marts: incremental, 0 changed jobs updated" in again.stdout
    full = cli("models", "--full", env=env, cwd=tmp_path)
    assert full.returncode == 0, full.stderr
    assert "  marts: full rebuild (asked for (--full))" in full.stdout
