"""`report` shows texts that came from the API: a reason of megabytes or one holding terminal
escapes and line breaks must print as one short, inert cell."""

from pathlib import Path

import pytest

from cf_bulk_sync.simulator import Simulator

from ..support.cli import cli, cli_env

pytestmark = pytest.mark.e2e

ESCAPES = "\x1b[2J\x1b[31mMailbox\rgone\ncf-bulk-sync: forged line"


def hostile_texts(sim: Simulator) -> str:
    """Gives one MOVE job a destination with terminal escapes and a line break, and one of its
    messages a 4 MB failure text; returns the job's id."""
    world = sim.world
    job = next(
        j
        for j in world.jobs.values()
        if j.fields["action_type"] == "MOVE" and any(m["status"] == "FAILED" for m in j.messages)
    )
    with world.lock:
        job.fields["action_params"]["destination"] = ESCAPES
        failed = next(m for m in job.messages if m["status"] == "FAILED")
        failed["status_message"] = "Mailbox over quota " + "x" * 4_000_000
        job.rendered = None
        world.version += 1
    return str(job.fields["job_id"])


def test_report_escapes_and_cuts_api_texts(simulator: Simulator, tmp_path: Path) -> None:
    job_id = hostile_texts(simulator)
    env = cli_env(simulator, tmp_path)
    assert cli("run", env=env, cwd=tmp_path).returncode == 0
    for args in ((), ("--job-id", job_id[:8])):
        report = cli("report", *args, env=env, cwd=tmp_path)
        assert report.returncode == 0, report.stderr
        out = report.stdout
        assert "\x1b" not in out and "\r" not in out
        assert "forged line" not in out.splitlines()[0] and not [
            line for line in out.splitlines() if line.startswith("cf-bulk-sync:")
        ]
        assert len(out) < 20_000, len(out)
        assert max(len(line) for line in out.splitlines()) < 600
        assert "\\x1b[2J\\x1b[31mMailbox\\rgone\\ncf-bulk-sync" in out  # shown, escaped
    # the job's own reasons hold the 4 MB one: shown, cut
    assert "Mailbox over quota xxx" in out and "…" in out
