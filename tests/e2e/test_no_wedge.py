"""No wedge (issue 18, item 2): a pending load package that fails every attempt is set aside
after `max_load_attempts` runs, the run goes on and fetches its rows again from the API, exit 3
says so; `check` shows the package and `check --repair` deletes it. Through the installed CLI
after a first run (in-process, with the quarantine switched off) leaves a package that the
destination refuses."""

from pathlib import Path

import pytest

from cf_bulk_sync.cli.summary import format_summary
from cf_bulk_sync.loading.pipeline import make_pipeline, sync
from cf_bulk_sync.outcome import decide
from cf_bulk_sync.simulator import DEFAULT_TOKEN, Simulator
from cf_bulk_sync.source import quarantine
from cf_bulk_sync.source import resources as source
from cf_bulk_sync.source.helpers import shape_messages

from ..support.cli import EVERY_RUN_FETCHES, cli, cli_env
from ..support.payloads import MESSAGE_PAYLOADS, plant
from ..support.syncer import small_world
from ..support.warehouse import query

pytestmark = pytest.mark.e2e

MESSAGES = "cloudflare_email_security.bulk_job_messages"


def poisoned_first_run(simulator: Simulator, tmp_path: Path, mp: pytest.MonkeyPatch) -> None:
    """A package holding retry_count 10^30, which DuckDB refuses at load: what a run made before
    the quarantine existed, or whatever else a destination may refuse."""
    render, _ = MESSAGE_PAYLOADS["retry_count 10^30"]
    plant(simulator.world, render)
    env = cli_env(simulator, tmp_path)
    with mp.context() as m:
        for name in ("DLT_DATA_DIR", "DESTINATION__DUCKDB__CREDENTIALS"):
            m.setenv(name, env[name])
        m.setattr(quarantine, "problem", lambda item, key, whole=frozenset(): None)
        result = sync(
            make_pipeline(),
            account_id=simulator.world.account_id,
            api_token=DEFAULT_TOKEN,
            base_url=simulator.base_url,
        )
    assert decide(result).exit_code == 1 and "load step failed" in (result.error or "")
    assert any("attempt 1 of 3" in w for w in result.stats.warnings)
    # the summary says where the rows fetched are: in the package the next run loads
    assert result.pending_package
    rows = [line for line in format_summary(decide(result)).splitlines() if "rows:" in line]
    assert rows == [
        f"  rows: 0 loaded ({result.stats.rows} fetched; a pending package is loaded by the"
        " next run)"
    ]


def test_a_package_that_never_loads_is_set_aside_and_its_rows_come_again(
    simulator: Simulator, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    poisoned_first_run(simulator, tmp_path, monkeypatch)
    env = cli_env(simulator, tmp_path)
    second = cli("run", "--no-models", env=env, cwd=tmp_path)
    assert second.returncode == 1, second.stdout + second.stderr
    assert "Traceback" not in second.stdout + second.stderr
    assert "attempt 2 of 3" in second.stdout
    checked = cli("check", env=env, cwd=tmp_path)
    assert "pending " in checked.stdout and "failed 2 time(s)" in checked.stdout
    simulator.reset_counts()
    third = cli("run", "--no-models", env=env, cwd=tmp_path)
    assert third.returncode == 3, third.stdout + third.stderr
    assert "Traceback" not in third.stdout + third.stderr
    assert "failed to load 3 times" in third.stdout and "set aside in " in third.stdout
    assert simulator.counts["messages"] > 0  # it went on to extract afresh
    # every row came again from the API, the unloadable one set aside: nothing lost
    truth = simulator.world.truth_messages()
    loaded = query(tmp_path / "w.duckdb", f"select job_id, message_id, status from {MESSAGES}")
    assert len(loaded) == len(truth) - 1 and set(loaded) < {(*k, v) for k, v in truth.items()}
    aside = list((tmp_path / "dlt" / "pipelines" / "cf_bulk_sync" / "set_aside").iterdir())
    assert len(aside) == 1 and (aside[0] / "failed_jobs").is_dir()
    fourth = cli("run", "--no-models", env=env, cwd=tmp_path)
    assert fourth.returncode == 0, fourth.stdout + fourth.stderr
    shown = cli("check", env=env, cwd=tmp_path)
    assert f"1 kept for inspection ({aside[0]})" in shown.stdout
    repaired = cli("check", "--repair", env=env, cwd=tmp_path)
    assert "repaired: deleted 1" in repaired.stdout and not aside[0].exists()
    again = cli("check", env=env, cwd=tmp_path)
    assert "set-aside packages: none" in again.stdout


def test_max_load_attempts_is_validated(simulator: Simulator, tmp_path: Path) -> None:
    env = cli_env(simulator, tmp_path, CF_BULK_SYNC__MAX_LOAD_ATTEMPTS="0")
    run = cli("run", "--no-models", env=env, cwd=tmp_path)
    assert run.returncode == 1 and "Traceback" not in run.stderr
    assert "Invalid cf_bulk_sync.max_load_attempts" in run.stderr


def test_rows_fetched_by_a_failed_extract_are_not_promised_to_the_next_run(
    simulator: Simulator, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    pages = []

    def failing(*args, **kwargs):  # type: ignore[no-untyped-def]
        pages.append(1)
        if len(pages) == 4:  # after some pages were handed to dlt
            raise RuntimeError("a bug in shaping")
        return shape_messages(*args, **kwargs)

    env = cli_env(simulator, tmp_path)
    with monkeypatch.context() as m:
        for name in ("DLT_DATA_DIR", "DESTINATION__DUCKDB__CREDENTIALS"):
            m.setenv(name, env[name])
        m.setattr(source, "shape_messages", failing)
        result = sync(
            make_pipeline(),
            account_id=simulator.world.account_id,
            api_token=DEFAULT_TOKEN,
            base_url=simulator.base_url,
            per_page=5,
            workers=1,
        )
    assert "a bug in shaping" in (result.error or "") and result.stats.rows > 0
    assert not result.pending_package
    summary = format_summary(decide(result))
    assert f"rows: 0 loaded ({result.stats.rows} fetched; not kept: the next run fetches" in summary
    assert "pending package" not in summary
    again = cli("run", "--no-models", env=env, cwd=tmp_path)
    assert again.returncode == 0, again.stdout + again.stderr
    assert len(query(tmp_path / "w.duckdb", f"select 1 from {MESSAGES}")) == len(
        simulator.world.truth_messages()
    )


def test_a_shape_bug_the_destination_refuses_stops_at_most_max_load_attempts_runs(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """An unforeseen shape bug, injected: the old nesting (a list field made a child table of
    the merged messages), so that the second run's merge hits a NOT NULL constraint in the
    destination. From then on the installed CLI retries the package, sets it aside after the
    third failure (exit 3) and loads again: exact data, no run after it fails."""

    world = small_world()
    with Simulator(world, drift={"added-list"}) as sim:
        env = cli_env(sim, tmp_path, **EVERY_RUN_FETCHES)
        original = source.cloudflare_email_security

        def nested(*args, **kwargs):  # type: ignore[no-untyped-def]
            made = original(*args, **kwargs)
            for resource in made.resources.values():
                resource.max_table_nesting = None  # dlt's default: lists become child tables
            return made

        with monkeypatch.context() as m:
            for name in ("DLT_DATA_DIR", "DESTINATION__DUCKDB__CREDENTIALS"):
                m.setenv(name, env[name])
            m.setattr(source, "cloudflare_email_security", nested)
            for _ in range(2):  # the first appends, the second's merge is refused
                result = sync(
                    make_pipeline(),
                    account_id=world.account_id,
                    api_token=DEFAULT_TOKEN,
                    base_url=sim.base_url,
                    refetch_unchanged_after=0,
                )
                sim.advance()
        assert "NOT NULL constraint failed" in (result.error or ""), result.error
        assert any("attempt 1 of 3" in w for w in result.stats.warnings)
        codes = []
        for number in range(4):
            if number:
                sim.advance()
            run = cli("run", "--no-models", env=env, cwd=tmp_path)
            assert "Traceback" not in run.stdout + run.stderr
            codes.append(run.returncode)
        assert codes == [1, 3, 0, 0]
        loaded = query(tmp_path / "w.duckdb", f"select job_id, message_id, status from {MESSAGES}")
        live = sim.served_truth()
        deleted = {
            j
            for (j,) in query(
                tmp_path / "w.duckdb",
                "select job_id from cloudflare_email_security.bulk_job_deletions",
            )
        }
        assert {(j, m): s for j, m, s in loaded if j not in deleted} == live
