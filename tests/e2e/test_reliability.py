"""What schedulers and networks do to a run: crashes, overlapping runs, rate limits, deletions."""

import os
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest

from cf_bulk_sync.ops.lock import RunLock
from cf_bulk_sync.outcome import decide
from cf_bulk_sync.simulator import Simulator

from ..support.checkout import ASSERTIONS
from ..support.cli import cli, cli_env, environment, executable
from ..support.syncer import Syncer, small_world
from ..support.warehouse import query

pytestmark = pytest.mark.e2e

RUNNER = Path(__file__).with_name("crash_runner.py")


def run_env(sim: Simulator, tmp_path: Path) -> dict[str, str]:
    return cli_env(sim, tmp_path, SOURCES__CLOUDFLARE_EMAIL_SECURITY__PER_PAGE="7")


def loaded_messages(tmp_path: Path) -> dict[Any, str]:
    rows = query(
        tmp_path / "w.duckdb",
        "select job_id, message_id, status from cloudflare_email_security.bulk_job_messages",
    )
    assert len(rows) == len({(r[0], r[1]) for r in rows}), "duplicate rows"
    return {(r[0], r[1]): r[2] for r in rows}


@pytest.mark.slow
@pytest.mark.parametrize(
    "point,pending",
    [
        pytest.param("extract:1", False, id="extract-first-page"),
        pytest.param("extract:9", False, id="extract-mid-run"),
        pytest.param("normalize", True, id="normalize-start"),
        pytest.param("normalized", True, id="normalize-end"),
        pytest.param("load", True, id="load-first-table"),
        # messages are appended on a first load, so the job run again writes them twice
        pytest.param("committed:bulk_job_messages", True, id="load-messages-committed"),
        pytest.param("complete", True, id="load-before-complete"),
    ],
)
def test_a_killed_run_is_completed_by_the_next(
    point: str, pending: bool, simulator: Simulator, tmp_path: Path
) -> None:
    env = run_env(simulator, tmp_path)
    crashed = subprocess.run(
        [sys.executable, str(RUNNER), "run"],
        cwd=tmp_path,
        env=environment(**env, CRASH_AT=point),
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert crashed.returncode == -signal.SIGKILL, crashed.stderr
    simulator.advance(steps=1)  # the world moves on while nobody runs
    second = cli("run", env=env, cwd=tmp_path)
    assert second.returncode == 0, second.stdout + second.stderr
    assert (
        "pending load package left by an earlier run: finished first" in second.stdout
    ) is pending
    if point.startswith("committed:"):
        # the job ran again on resume, and its second copy of the rows was removed
        assert "copies of message rows that the crashed run's load job" in second.stdout
    # settled jobs skipped by the second run must have been fully loaded by then
    assert f"assertions: {ASSERTIONS} passed, 0 failed" in second.stdout
    loaded = loaded_messages(tmp_path)
    truth = simulator.world.truth_messages()
    assert {k: v for k, v in loaded.items() if k[0] in simulator.world.jobs} == truth
    third = cli("run", env=env, cwd=tmp_path)
    assert third.returncode == 0 and loaded_messages(tmp_path) == loaded


@pytest.mark.slow
def test_a_second_run_stops_at_once_while_the_lock_is_held(
    simulator: Simulator, tmp_path: Path
) -> None:
    env = run_env(simulator, tmp_path)
    with RunLock(tmp_path / "dlt" / "pipelines" / ".cf_bulk_sync.lock"):
        blocked = cli("run", env=env, cwd=tmp_path)
    assert blocked.returncode == 5
    assert "another run holds the lock since 20" in blocked.stderr
    assert f"(pid {os.getpid()}" in blocked.stderr
    assert simulator.counts == {} and not (tmp_path / "w.duckdb").exists()
    assert cli("run", env=env, cwd=tmp_path).returncode == 0


@pytest.mark.slow
def test_overlapping_real_runs_and_a_killed_holder(tmp_path: Path) -> None:
    with Simulator(small_world(), latency=0.05) as slow:
        env = run_env(slow, tmp_path)
        first = subprocess.Popen(
            [str(executable()), "run"],
            cwd=tmp_path,
            env=environment(**env),
            stdout=subprocess.PIPE,
            text=True,
        )
        lock = tmp_path / "dlt" / "pipelines" / ".cf_bulk_sync.lock"
        deadline = time.monotonic() + 30
        while not (lock.exists() and lock.read_text()) and time.monotonic() < deadline:
            time.sleep(0.05)
        second = cli("run", env=env, cwd=tmp_path)
        assert second.returncode == 5 and "another run holds the lock" in second.stderr
        out, _ = first.communicate(timeout=120)
        assert first.returncode == 0 and "cf-bulk-sync run: OK" in out
        # a holder killed with SIGKILL leaves no lock behind
        holder = subprocess.Popen(
            [
                sys.executable,
                "-c",
                "import sys, time; from pathlib import Path;"
                " from cf_bulk_sync.ops.lock import RunLock; lock = RunLock(Path(sys.argv[1]));"
                " lock.__enter__(); print('held', flush=True); time.sleep(120)",
                str(lock),
            ],
            env=environment(),
            stdout=subprocess.PIPE,
            text=True,
        )
        assert holder.stdout.readline().strip() == "held"  # type: ignore[union-attr]
        assert cli("run", env=env, cwd=tmp_path).returncode == 5
        holder.send_signal(signal.SIGKILL)
        holder.wait(timeout=10)
        assert cli("run", env=env, cwd=tmp_path).returncode == 0


@pytest.mark.slow
@pytest.mark.parametrize(
    "budget,limited",
    [
        pytest.param(15, False, id="budget-under-the-limit"),
        pytest.param(1000, True, id="no-budget-429-storm"),
    ],
)
def test_the_budget_keeps_the_run_under_the_rate_limit(
    budget: int, limited: bool, tmp_path: Path
) -> None:
    with Simulator(small_world(), rate_limit=(20, 1.0)) as sim:
        syncer = Syncer(sim, tmp_path)
        result = syncer.run(per_page=7, request_budget=budget, request_budget_seconds=1.0)
        assert decide(result).exit_code == 0, result.error
        assert (sim.counts["rate_limited"] > 0) is limited
        assert result.stats.retries == sim.counts["rate_limited"]
        assert syncer.messages() == sim.world.truth_messages()


@pytest.mark.parametrize("workers", [1, 4])
def test_a_long_block_stops_the_run_cleanly_and_the_next_run_completes(
    syncer: Syncer, monkeypatch: pytest.MonkeyPatch, workers: int
) -> None:
    sim = syncer.sim
    sim.faults.retry_after = 600
    calls = {"n": 0}

    def block_sixth_request() -> Any:
        calls["n"] += 1
        return "429" if calls["n"] == 6 else None

    monkeypatch.setattr(sim.faults, "pick", block_sixth_request)
    stopped = syncer.run(per_page=7, max_retry_delay=5, workers=workers)
    assert decide(stopped).exit_code == 3
    errors = stopped.stats.job_errors.values()
    assert any("Rate limited by Cloudflare for 600s" in e for e in errors)
    # nothing is sent after the block; with several workers, requests already on the wire finish
    assert 6 <= calls["n"] <= 6 + workers - 1
    partial = syncer.messages()
    assert len(partial) < len(sim.world.truth_messages())
    done = syncer.run(per_page=7)
    assert decide(done).exit_code == 0 and syncer.messages() == sim.world.truth_messages()


def test_a_job_deleted_between_listing_and_paging_is_a_warning(
    syncer: Syncer, monkeypatch: pytest.MonkeyPatch
) -> None:
    sim = syncer.sim
    victim = next(j for j, job in sim.world.jobs.items() if job.status == "COMPLETED")
    original = sim.respond

    def delete_first(route: Any, query: Any) -> bytes:
        if route["job"] == victim and victim in sim.world.jobs:
            with sim.world.lock:
                del sim.world.jobs[victim]
                sim.world.version += 1
        return original(route, query)

    monkeypatch.setattr(sim, "respond", delete_first)
    result = syncer.run(per_page=7)
    assert decide(result).exit_code == 0
    assert any(victim in w and "vanished during the run" in w for w in result.stats.warnings)
    assert syncer.messages() == sim.world.truth_messages()
    again = syncer.run(per_page=7)
    assert again.stats.jobs_deleted == 1
