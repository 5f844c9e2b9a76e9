"""The scheduled-run contract, through the installed console script as cron or an orchestrator
runs it: one test per row of the README's exit-code table, the false alarms of partial and
filtered runs, signals sent to a real running sync, the JSON result and the progress output."""

import json
import os
import pty
import select
import signal
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import duckdb
import jsonschema
import pytest

from cf_bulk_sync.run_result import SCHEMA
from cf_bulk_sync.simulator import Simulator, World
from cf_bulk_sync.simulator.server import ApiError

from ..support.cli import cli, cli_env, environment, executable

pytestmark = pytest.mark.e2e

SETTLED = ("COMPLETED", "FAILED", "CANCELLED")


@pytest.fixture
def sim() -> Iterator[Simulator]:
    with Simulator(World(seed=21, jobs=8, messages=(5, 60))) as simulator:
        yield simulator


@pytest.fixture
def env(sim: Simulator, tmp_path: Path) -> dict[str, str]:
    return cli_env(sim, tmp_path)


def query(tmp_path: Path, sql: str) -> list[tuple[Any, ...]]:
    with duckdb.connect(str(tmp_path / "w.duckdb"), read_only=True) as con:
        return con.sql(sql).fetchall()


def last_run(tmp_path: Path) -> tuple[Any, ...]:
    return query(
        tmp_path,
        "select status, exit_code, warnings from cloudflare_email_security.sync_runs"
        " order by finished_at desc limit 1",
    )[0]


def settled_job_with_messages(sim: Simulator) -> str:
    return next(
        job_id
        for job_id, job in sim.world.jobs.items()
        if job.status in SETTLED and job.messages and not job.counters()["messages_pending"]
    )


def fail_messages_of(sim: Simulator, monkeypatch: pytest.MonkeyPatch, job_id: str) -> None:
    """The API answers 503 to every page of one job's messages, however often it is asked."""
    respond = sim.respond

    def failing(route: dict[str, Any], query: dict[str, Any]) -> bytes:
        if route["job"] == job_id and route["messages"]:
            raise ApiError(503, 10001, "Service temporarily unavailable")
        return respond(route, query)

    monkeypatch.setattr(sim, "respond", failing)


def test_exit_0_a_complete_run_whose_checks_pass(env: dict[str, str], tmp_path: Path) -> None:
    result = cli("run", env=env, cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    first = result.stdout.splitlines()[0]
    assert first.startswith("cf-bulk-sync run: OK in ")
    assert " at 20" in first and "(run " in first  # a timestamp and the run id
    assert last_run(tmp_path)[:2] == ("ok", 0)


def test_exit_3_partial_wins_over_the_checks_and_is_no_false_alarm(
    sim: Simulator, env: dict[str, str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # A settled job synced while its rows were older than its counters is the trap: a first
    # run loads everything, then the job's messages change and the next fetch of it fails.
    assert cli("run", env=env, cwd=tmp_path).returncode == 0
    job_id = settled_job_with_messages(sim)
    with sim.world.lock:
        job = sim.world.jobs[job_id]
        job.messages[0]["status"] = (
            "SKIPPED" if job.messages[0]["status"] != "SKIPPED" else "FAILED"
        )
        job.rendered = None
        sim.world.version += 1
    fail_messages_of(sim, monkeypatch, job_id)
    result = cli("run", "--full-refresh", env=env, cwd=tmp_path)
    assert result.returncode == 3, result.stdout + result.stderr
    assert result.stdout.splitlines()[0].startswith("cf-bulk-sync run: PARTIAL")
    assert f"job error: {job_id}" in result.stdout
    assert "data assertion failed" not in result.stderr
    assert last_run(tmp_path)[:2] == ("partial", 3)
    (status,) = query(
        tmp_path,
        "select reconciliation_status from"
        f" cloudflare_email_security_reporting.job_reconciliation where job_id = '{job_id}'",
    )[0]
    assert status == "incomplete_sync"
    monkeypatch.undo()
    healed = cli("run", env=env, cwd=tmp_path)
    assert healed.returncode == 0, healed.stdout + healed.stderr


def test_exit_0_a_run_filtered_by_status_is_not_held_against_the_counters(
    env: dict[str, str], tmp_path: Path
) -> None:
    for _ in range(2):
        result = cli("run", "--status", "FAILED", env=env, cwd=tmp_path)
        assert result.returncode == 0, result.stdout + result.stderr
    statuses = query(
        tmp_path,
        "select distinct reconciliation_status from"
        " cloudflare_email_security_reporting.job_reconciliation",
    )
    assert ("inconsistent",) not in statuses and ("incomplete_sync",) in statuses


def test_exit_0_with_a_warning_for_a_status_the_api_added(
    sim: Simulator, env: dict[str, str], tmp_path: Path
) -> None:
    job_id = settled_job_with_messages(sim)
    with sim.world.lock:
        job = sim.world.jobs[job_id]
        job.messages[0]["status"] = "QUARANTINED"
        job.rendered = None
        sim.world.version += 1
    result = cli("run", env=env, cwd=tmp_path)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "warning: assertion accepted_message_statuses failed" in result.stdout
    assert "QUARANTINED" in result.stdout
    status, code, warnings = last_run(tmp_path)
    assert (status, code) == ("ok", 0) and "accepted_message_statuses" in warnings


def test_exit_4_a_blocking_check_fails_on_complete_data(
    sim: Simulator, env: dict[str, str], tmp_path: Path
) -> None:
    assert cli("run", env=env, cwd=tmp_path).returncode == 0
    job_id = settled_job_with_messages(sim)
    with duckdb.connect(str(tmp_path / "w.duckdb")) as con:  # a row lost behind our back
        con.execute(
            "delete from cloudflare_email_security.bulk_job_messages where rowid ="
            " (select min(rowid) from cloudflare_email_security.bulk_job_messages"
            f" where job_id = '{job_id}')"
        )
    # a change behind the sync's back carries no load id: the scheduled run's incremental
    # build cannot see it, a full one does (and from then on every run's checks)
    rebuilt = cli("models", "--full", env=env, cwd=tmp_path)
    assert rebuilt.returncode == 4, rebuilt.stdout + rebuilt.stderr
    result = cli("run", env=env, cwd=tmp_path)  # the job is settled: skipped, not refetched
    assert result.returncode == 4, result.stdout + result.stderr
    assert "cf-bulk-sync: settled_jobs__reconcile: data assertion failed" in result.stderr
    assert result.stdout.splitlines()[0].startswith("cf-bulk-sync run: ASSERTIONS FAILED")
    assert last_run(tmp_path)[:2] == ("assertions_failed", 4)
    warned = cli("run", "--warn-only", env=env, cwd=tmp_path)
    assert warned.returncode == 0 and "warning: assertion settled_jobs__reconcile" in warned.stdout


def test_exit_1_configuration_error_and_exit_5_locked(env: dict[str, str], tmp_path: Path) -> None:
    bad = cli("run", env={**env, "CLOUDFLARE_ACCOUNT_ID": "nope"}, cwd=tmp_path)
    assert bad.returncode == 1
    assert bad.stderr.strip().splitlines() == [
        "cf-bulk-sync: error: Invalid account id 'nope': it must be 32 lowercase hex characters"
        " (the id in your dashboard's URL)"
    ]
    import fcntl

    lock = tmp_path / "dlt" / "pipelines" / ".cf_bulk_sync.lock"
    lock.parent.mkdir(parents=True, exist_ok=True)
    with open(lock, "a+") as held:
        fcntl.flock(held, fcntl.LOCK_EX | fcntl.LOCK_NB)
        locked = cli("run", env=env, cwd=tmp_path)
    assert locked.returncode == 5
    assert locked.stderr.startswith("cf-bulk-sync: another run holds the lock")


def slow_world() -> Simulator:
    # 0.05 s per request and 10 messages a page: a sync of a few seconds, stopped in the middle
    return Simulator(World(seed=4, jobs=10, messages=(150, 250)), latency=0.05)


@pytest.mark.slow
@pytest.mark.parametrize(
    "signum,code,status",
    [
        pytest.param(signal.SIGTERM, 143, "INTERRUPTED", id="sigterm"),
        pytest.param(signal.SIGINT, 130, "INTERRUPTED", id="sigint"),
    ],
)
def test_a_signal_stops_a_running_sync_cleanly(
    tmp_path: Path, signum: int, code: int, status: str
) -> None:
    with slow_world() as sim:
        env = cli_env(sim, tmp_path, SOURCES__CLOUDFLARE_EMAIL_SECURITY__PER_PAGE="10")
        process = subprocess.Popen(
            [str(executable()), "run", "--progress", "log", "--progress-seconds", "0.2"],
            env=environment(**env),
            cwd=tmp_path,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        assert process.stderr is not None
        # wait until messages arrive, then signal
        for line in process.stderr:
            if "messages " in line and not line.split("messages ")[1].startswith("0/"):
                break
        sent = time.monotonic()
        process.send_signal(signum)
        out, err = process.communicate(timeout=60)
        waited = time.monotonic() - sent
        assert process.returncode == code, out + err
        assert waited < 10
        assert out.splitlines()[0].startswith(f"cf-bulk-sync run: {status}")
        assert f"{signal.Signals(signum).name} received" in err
        assert "Traceback" not in err and "KeyboardInterrupt" not in err
        run_status, exit_code, _ = last_run(tmp_path)
        assert (run_status, exit_code) == ("interrupted", code)
        loaded = query(tmp_path, "select count(*) from cloudflare_email_security.bulk_job_messages")
        claimed = int(out.split("\n  rows: ")[1].split()[0])
        assert claimed == loaded[0][0] > 0  # the summary claims what is there
        truth = sum(len(j.messages) for j in sim.world.jobs.values())
        assert claimed < truth
        # the next run completes what was left, no row lost or duplicated
        done = cli("run", env=env, cwd=tmp_path)
        assert done.returncode == 0, done.stdout + done.stderr
        keys = query(
            tmp_path,
            "select count(*), count(distinct (job_id, message_id))"
            " from cloudflare_email_security.bulk_job_messages",
        )
        assert keys == [(truth, truth)]


def test_the_json_result_follows_its_schema(
    sim: Simulator, env: dict[str, str], tmp_path: Path
) -> None:
    schema = json.loads(SCHEMA.read_text())
    result = cli("run", "--json", "--summary-json", "out/result.json", env=env, cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    printed = json.loads(result.stdout)  # stdout holds the JSON object and nothing else
    jsonschema.validate(printed, schema, format_checker=jsonschema.FormatChecker())
    written = json.loads((tmp_path / "out" / "result.json").read_text())
    assert written == printed
    assert printed["status"] == "ok" and printed["exit_code"] == 0
    assert printed["rows"]["loaded"] == sum(len(j.messages) for j in sim.world.jobs.values())
    assert printed["jobs"]["seen"] == len(sim.world.jobs)
    assert {a["name"] for a in printed["assertions"]} >= {"settled_jobs__reconcile"}
    assert "cf-bulk-sync run: OK" in result.stderr  # the human summary moved to stderr
    locked_out = json.loads(
        cli("run", "--json", env={**env, "CLOUDFLARE_ACCOUNT_ID": "x"}, cwd=tmp_path).stdout
    )
    jsonschema.validate(locked_out, schema)
    assert (locked_out["status"], locked_out["exit_code"]) == ("failed", 1)


def test_ok_in_is_the_whole_commands_time(env: dict[str, str], tmp_path: Path) -> None:
    """The summary's time includes the imports, the models and the run record, not only the
    sync: before, a 4.1 s command said "OK in 1.0s"."""
    began = time.monotonic()
    result = cli("run", "--json", env=env, cwd=tmp_path)
    wall = time.monotonic() - began
    assert result.returncode == 0, result.stderr
    seconds = json.loads(result.stdout)["seconds"]
    assert f"OK in {seconds:.1f}s" in result.stderr
    record = duckdb.connect(env["DESTINATION__DUCKDB__CREDENTIALS"], read_only=True)
    (synced,) = record.execute(
        "select duration_seconds from cloudflare_email_security.sync_runs"
    ).fetchone()
    # the interpreter's start and exit are all it leaves out
    assert synced < seconds <= wall and seconds >= 0.5 * wall


def test_progress_in_a_log_every_n_seconds(tmp_path: Path) -> None:
    with slow_world() as sim:
        env = cli_env(sim, tmp_path, SOURCES__CLOUDFLARE_EMAIL_SECURITY__PER_PAGE="50")
        result = cli("run", "--progress-seconds", "0.5", env=env, cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    lines = [line for line in result.stderr.splitlines() if "cf-bulk-sync progress:" in line]
    assert len(lines) >= 2, result.stderr  # not a terminal: log lines, on by default
    assert any("jobs " in line and "requests/s" in line for line in lines)
    assert result.stdout.splitlines()[0].startswith("cf-bulk-sync run: OK")
    # (the summary names the warehouse, whose folder is named for this test: "progress")
    assert "cf-bulk-sync progress" not in result.stdout
    quiet = cli("run", "--quiet", "--full-refresh", env=env, cwd=tmp_path)
    assert "cf-bulk-sync progress" not in quiet.stderr


def test_progress_on_a_terminal_is_a_live_line(tmp_path: Path) -> None:
    with slow_world() as sim:
        env = cli_env(sim, tmp_path, SOURCES__CLOUDFLARE_EMAIL_SECURITY__PER_PAGE="50")
        controller, terminal = pty.openpty()
        process = subprocess.Popen(
            [str(executable()), "run"],
            env=environment(**env, TERM="xterm", COLUMNS="160"),
            cwd=tmp_path,
            stdin=terminal,
            stdout=subprocess.PIPE,
            stderr=terminal,
        )
        os.close(terminal)
        screen = b""
        while True:
            ready, _, _ = select.select([controller], [], [], 30)
            if not ready:
                break
            try:
                chunk = os.read(controller, 65536)
            except OSError:  # the process closed the terminal
                break
            if not chunk:
                break
            screen += chunk
        out, _ = process.communicate(timeout=60)
        os.close(controller)
    assert process.returncode == 0, screen.decode(errors="replace")
    text = screen.decode(errors="replace")
    assert "messages " in text and "requests/s" in text  # the live line was drawn
    assert "\x1b[" in text  # with the terminal's control sequences, redrawn in place
    assert "cf-bulk-sync progress:" not in text  # not the log lines
    assert out.decode().startswith("cf-bulk-sync run: OK")


def test_the_readme_cron_line_runs_in_crons_bare_environment(
    sim: Simulator, tmp_path: Path
) -> None:
    """What cron gives a job: PATH=/usr/bin:/bin, HOME, LOGNAME, SHELL and the crontab's own
    variables (the recipe's DLT_DATA_DIR), nothing else; the configuration in the working
    folder's .dlt/, as the README's recipe puts it."""
    home, folder = tmp_path / "home", tmp_path / "srv"
    (folder / ".dlt").mkdir(parents=True)
    home.mkdir()
    (folder / ".dlt" / "config.toml").write_text(
        "[sources.cloudflare_email_security]\n"
        f'account_id = "{sim.world.account_id}"\nbase_url = "{sim.base_url}"\n'
    )
    (folder / ".dlt" / "secrets.toml").write_text(
        f'[sources.cloudflare_email_security]\napi_token = "{sim.token}"\n'
    )
    cron_env = {
        "PATH": "/usr/bin:/bin",
        "HOME": str(home),
        "LOGNAME": "cron",
        "SHELL": "/bin/sh",
        "DLT_DATA_DIR": str(folder / "dlt"),
    }

    def cron(command: str) -> int:
        line = f"cd {folder} && {command} run >> {folder}/sync.log 2>&1"
        return subprocess.run(["/bin/sh", "-c", line], env=cron_env, timeout=120).returncode

    assert cron("cf-bulk-sync") == 127  # why the README names the script by its full path
    assert cron(str(executable())) == 0, (folder / "sync.log").read_text()
    log = (folder / "sync.log").read_text()
    assert "cf-bulk-sync run: OK" in log
    assert (folder / "cf_bulk_sync.duckdb").exists()  # dlt's default: the working folder
