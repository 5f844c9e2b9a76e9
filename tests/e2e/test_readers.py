"""Readers never disturb the writer: `report` and `dashboard` open a DuckDB warehouse read-only,
never create one, wait briefly for a sync or say so in one line, and a sync waits (bounded)
for readers instead of failing on DuckDB's lock."""

import os
import re
import socket
import subprocess
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager
from pathlib import Path
from typing import Any

import dlt
import duckdb
import pytest

from cf_bulk_sync.ops.lock import WarehouseLock
from cf_bulk_sync.outcome import ExitCode
from cf_bulk_sync.run import RunOptions, run_once
from cf_bulk_sync.simulator import DEFAULT_TOKEN, Simulator, World

from ..support.cli import cli, cli_env, environment, executable
from ..support.warehouse import query

pytestmark = pytest.mark.e2e

SNAPSHOT_HINT = "try again in a moment, or read the snapshot that `run --publish` writes"
NOTHING_CHANGED = (
    "not starting; this run changed nothing (readers: use the snapshot that `run --publish` writes)"
)


def first_sync(sim: Simulator, folder: Path) -> Path:
    """The warehouse `cli_env` points at, synced with models built (in this process: faster
    than the console script, and the same files)."""
    outcome = run_once(
        RunOptions(
            destination=dlt.destinations.duckdb(str(folder / "w.duckdb")),
            pipelines_dir=str(folder / "dlt" / "pipelines"),
            source_args=dict(
                account_id=sim.world.account_id,
                api_token=DEFAULT_TOKEN,
                base_url=sim.base_url,
                backoff_factor=0,
            ),
        )
    )
    assert outcome.exit_code == ExitCode.OK, outcome.error
    sim.reset_counts()
    return folder / "w.duckdb"


def runs_recorded(database: Path) -> int:
    return int(query(database, "select count(*) from cloudflare_email_security.sync_runs")[0][0])


@contextmanager
def duckdb_reader(database: Path) -> Iterator[None]:
    """A reader that is not ours: DuckDB itself, read-only, as a BI tool opens the file."""
    with duckdb.connect(str(database), read_only=True):
        yield


@contextmanager
def our_reader(database: Path) -> Iterator[None]:
    """A reader as `report` is one, holding the reader's side of the warehouse lock."""
    with WarehouseLock(database, writer=False, wait=1):
        yield


HOLDERS = [
    pytest.param(duckdb_reader, id="duckdb-read-only"),
    pytest.param(our_reader, id="reader-lock"),
]


@pytest.mark.parametrize("command", ["report", "dashboard"])
@pytest.mark.parametrize("configured", [False, True], ids=["default-path", "configured-path"])
def test_a_reader_without_a_warehouse_says_so_and_creates_nothing(
    command: str, configured: bool, tmp_path: Path
) -> None:
    here = tmp_path / "here"
    here.mkdir()
    env = {"DLT_DATA_DIR": str(tmp_path / "dlt")}
    database = here / "cf_bulk_sync.duckdb"
    if configured:
        database = tmp_path / "w.duckdb"
        env["DESTINATION__DUCKDB__CREDENTIALS"] = str(database)
    result = cli(command, env=env, cwd=here)
    assert result.returncode == ExitCode.ERROR
    assert result.stderr == (
        f"cf-bulk-sync: error: no warehouse at {database}: run `cf-bulk-sync run` first\n"
    )
    assert result.stdout == ""
    # no database, no lock file, no dashboard, no dlt working folder: nothing at all
    assert list(tmp_path.rglob("*")) == [here]


Timed = tuple[float, float, subprocess.CompletedProcess]


def reports_during_syncs(env: dict[str, str], folder: Path) -> tuple[list[Timed], list[Timed]]:
    """Three full-refresh syncs one after another while a thread starts a report 0.1 s after
    the last one ended (at most 40, for at most a minute); each with its start and end."""
    syncing = threading.Event()
    syncing.set()
    reports: list[Timed] = []

    def report_loop() -> None:
        deadline = time.monotonic() + 60
        while syncing.is_set() and len(reports) < 40 and time.monotonic() < deadline:
            started = time.monotonic()
            done = cli("report", "--top", "3", env=env, cwd=folder)
            reports.append((started, time.monotonic(), done))
            time.sleep(0.1)

    loop = threading.Thread(target=report_loop)
    loop.start()
    syncs = []
    try:
        for _ in range(3):
            started = time.monotonic()
            done = cli("run", "--full-refresh", "--quiet", env=env, cwd=folder)
            syncs.append((started, time.monotonic(), done))
    finally:
        syncing.clear()
        loop.join(timeout=60)
    return reports, syncs


def test_reports_in_a_loop_never_fail_the_syncs(tmp_path: Path) -> None:
    with Simulator(World(seed=11, jobs=4, messages=(0, 40))) as simulator:
        database = first_sync(simulator, tmp_path)
        env = cli_env(simulator, tmp_path, CF_BULK_SYNC__READER_WAIT_SECONDS="0.5")
        reports, syncs = reports_during_syncs(env, tmp_path)
    for _, _, sync in syncs:
        assert "Could not set lock" not in sync.stdout + sync.stderr
        assert sync.returncode == ExitCode.OK, sync.stderr
        assert "cf-bulk-sync run: OK" in sync.stdout
    being_written = re.compile(
        rf"cf-bulk-sync: the warehouse {re.escape(str(database))} is being written by .+:"
        rf" {re.escape(SNAPSHOT_HINT)}\n"
    )
    for _, _, report in reports:
        assert "Traceback" not in report.stderr
        if report.returncode == ExitCode.OK:
            assert "Messages per job and status (4 jobs)" in report.stdout
        else:
            assert report.returncode == ExitCode.LOCKED, report.stderr
            assert being_written.fullmatch(report.stderr), report.stderr
    assert len(reports) >= 3
    # the loop really read while the syncs wrote
    assert any(r0 < s1 and s0 < r1 for r0, r1, _ in reports for s0, s1, _ in syncs)
    assert runs_recorded(database) == 4


def sync_process(env: dict[str, str], cwd: Path) -> subprocess.Popen:
    return subprocess.Popen(
        [str(executable()), "run", "--full-refresh", "--quiet"],
        env=environment(**env),
        cwd=cwd,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def wait_for(condition: Callable[[], bool], seconds: float = 15) -> None:
    deadline = time.monotonic() + seconds
    while not condition():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.05)


@pytest.mark.parametrize("holder", HOLDERS)
def test_a_sync_waits_for_a_reader_that_lets_go(
    holder: Callable[[Path], AbstractContextManager[Any]], simulator: Simulator, tmp_path: Path
) -> None:
    database = first_sync(simulator, tmp_path)
    env = cli_env(simulator, tmp_path, CF_BULK_SYNC__WAREHOUSE_WAIT_SECONDS="15")
    gate = tmp_path / "w.duckdb.write.lock"
    with holder(database):
        sync = sync_process(env, tmp_path)
        # the sync has taken the writer's gate and waits for the reader ...
        wait_for(lambda: f"(pid {sync.pid} on " in gate.read_text() if gate.exists() else False)
        time.sleep(0.5)
        assert sync.poll() is None
        assert simulator.counts == {}  # ... before it asks the API for anything
    out, err = sync.communicate(timeout=60)
    assert sync.returncode == ExitCode.OK, err
    assert "cf-bulk-sync run: OK" in out and "Could not set lock" not in err
    assert runs_recorded(database) == 2


@pytest.mark.parametrize("holder", HOLDERS)
def test_a_sync_gives_up_on_a_reader_that_never_lets_go(
    holder: Callable[[Path], AbstractContextManager[Any]], simulator: Simulator, tmp_path: Path
) -> None:
    database = first_sync(simulator, tmp_path)
    env = cli_env(simulator, tmp_path, CF_BULK_SYNC__WAREHOUSE_WAIT_SECONDS="0.5")
    with holder(database):
        started = time.monotonic()
        blocked = cli("run", "--full-refresh", env=env, cwd=tmp_path)
    assert blocked.returncode == ExitCode.LOCKED
    assert time.monotonic() - started >= 0.5
    assert re.fullmatch(
        rf"cf-bulk-sync: the warehouse {re.escape(str(database))} is held by pid {os.getpid()}"
        rf" \(python.*\): waited 0.5 s for it to let go; {re.escape(NOTHING_CHANGED)}\n",
        blocked.stderr,
    ), blocked.stderr
    assert blocked.stdout == ""
    assert simulator.counts == {}
    assert runs_recorded(database) == 1


def test_a_report_during_a_sync_waits_briefly_or_says_so(
    simulator: Simulator, tmp_path: Path
) -> None:
    database = first_sync(simulator, tmp_path)
    state = tmp_path / "dlt" / "pipelines" / "cf_bulk_sync" / "state.json"
    before = state.read_bytes()
    impatient = cli_env(simulator, tmp_path, CF_BULK_SYNC__READER_WAIT_SECONDS="0.3")
    patient = cli_env(simulator, tmp_path, CF_BULK_SYNC__READER_WAIT_SECONDS="10")
    with WarehouseLock(database, writer=True, wait=1):  # the writer's side, as a sync holds it
        refused = cli("report", env=impatient, cwd=tmp_path)
        waiting = subprocess.Popen(
            [str(executable()), "report"],
            env=environment(**patient),
            cwd=tmp_path,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        time.sleep(2.5)  # the report has started and waits at the gate
        assert waiting.poll() is None
    out, err = waiting.communicate(timeout=30)
    assert refused.returncode == ExitCode.LOCKED and refused.stdout == ""
    assert re.fullmatch(
        rf"cf-bulk-sync: the warehouse {re.escape(str(database))} is being written by a sync"
        rf" since 20\d\d-\d\d-\d\dT\d\d:\d\d:\d\d\+00:00 \(pid {os.getpid()} on"
        rf" {re.escape(socket.gethostname())}\): {re.escape(SNAPSHOT_HINT)}\n",
        refused.stderr,
    ), refused.stderr
    assert waiting.returncode == ExitCode.OK, err
    assert "Messages per job and status (12 jobs)" in out
    assert state.read_bytes() == before  # reading changed nothing in dlt's working folder


def test_a_report_waits_out_a_writer_that_is_not_ours(simulator: Simulator, tmp_path: Path) -> None:
    """A writer that takes none of our locks (an older version, a script) holds DuckDB's own
    lock: the report tries again until its wait ends, then names the process."""
    database = first_sync(simulator, tmp_path)
    env = cli_env(simulator, tmp_path, CF_BULK_SYNC__READER_WAIT_SECONDS="0.5")
    with duckdb.connect(str(database)):
        refused = cli("dashboard", env=env, cwd=tmp_path)
    assert refused.returncode == ExitCode.LOCKED
    assert re.fullmatch(
        rf"cf-bulk-sync: the warehouse {re.escape(str(database))} is being written by pid"
        rf" {os.getpid()} \(python.*\): {re.escape(SNAPSHOT_HINT)}\n",
        refused.stderr,
    ), refused.stderr
    assert not (tmp_path / "cf_bulk_sync_dashboard.html").exists()
    done = cli("dashboard", env=env, cwd=tmp_path)
    assert done.returncode == ExitCode.OK, done.stderr
    assert (tmp_path / "cf_bulk_sync_dashboard.html").exists()


def test_report_takes_a_unique_prefix_of_a_job_id(simulator: Simulator, tmp_path: Path) -> None:
    first_sync(simulator, tmp_path)
    env = cli_env(simulator, tmp_path)
    ids = sorted(simulator.world.jobs)
    one = ids[0]
    short = cli("report", "--job-id", one[:8], "--job-id", one.upper(), env=env, cwd=tmp_path)
    assert short.returncode == ExitCode.OK, short.stderr
    assert "(1 jobs)" in short.stdout and one[:8] in short.stdout
    shared = next(c for c in "0123456789abcdef" if sum(i.startswith(c) for i in ids) > 1)
    count = sum(i.startswith(shared) for i in ids)
    ambiguous = cli("report", "--job-id", shared, env=env, cwd=tmp_path)
    assert ambiguous.returncode == ExitCode.ERROR
    assert ambiguous.stderr.startswith(f"cf-bulk-sync: error: '{shared}' matches {count} jobs (")
    assert ambiguous.stderr.endswith("): give more of the id\n")
    unknown = cli("report", "--job-id", "zz", env=env, cwd=tmp_path)
    assert unknown.returncode == ExitCode.ERROR
    assert unknown.stderr.startswith("cf-bulk-sync: error: no job 'zz' in the marts")


def test_the_reports_failure_rate_is_of_processed_messages(
    simulator: Simulator, tmp_path: Path
) -> None:
    """As the dashboard shows it: in-flight messages do not dilute a running job's rate, and a
    job with nothing processed has no rate (blank), not 0.0."""
    database = first_sync(simulator, tmp_path)
    run = cli("report", "--top", "1", env=cli_env(simulator, tmp_path), cwd=tmp_path)
    assert run.returncode == ExitCode.OK, run.stderr
    lines = run.stdout.splitlines()
    header, dashes = lines[1], lines[2]
    spans = [(m.start(), m.end()) for m in re.finditer(r"-+", dashes)]
    names = [header[a:b].strip() for a, b in spans]
    counts = {
        str(job_id)[:8]: (int(done), int(failed))
        for job_id, done, failed in query(
            database,
            """select job_id, count_completed + count_failed + count_skipped + count_cancelled,
                count_failed from cloudflare_email_security_reporting.job_status_counts""",
        )
    }
    checked = {"blank": 0, "diluted": 0}
    for row in lines[3 : 3 + len(counts)]:
        cells = dict(
            zip(names, (row.ljust(len(dashes))[a:b].strip() for a, b in spans), strict=True)
        )
        done, failed = counts[cells["job"]]
        if done == 0:
            assert cells["fail % of processed"] == "", row
            checked["blank"] += 1
        else:
            assert float(cells["fail % of processed"]) == round(100 * failed / done, 1), row
            checked["diluted"] += int(cells["in flight"] != "0" and failed > 0)
    # the simulated account has both kinds: running jobs with failures, and jobs not started
    assert checked["blank"] > 0 and checked["diluted"] > 0, checked
