"""A scheduled run costs what changed: a run where nothing changed writes no row, fetches no
page and rebuilds no job's marts; a message that changes and changes back is written each time
it changes, and only it; the data stays exact. Through the installed CLI, time moving."""

import json
from pathlib import Path
from typing import Any

import pytest

from cf_bulk_sync.simulator import Simulator, World
from cf_bulk_sync.simulator.world import SimJob

from ..support.cli import cli, cli_env
from ..support.warehouse import query

pytestmark = [pytest.mark.e2e]

RAW = "cloudflare_email_security"


def run(env: dict[str, str], folder: Path, *args: str) -> dict[str, Any]:
    done = cli("run", "--json", *args, env=env, cwd=folder)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "Traceback" not in done.stderr
    result = json.loads(done.stdout)
    result["summary"] = done.stderr
    return result


def load_ids(database: Path) -> dict[tuple[str, str], str]:
    rows = query(database, f"select job_id, message_id, _dlt_load_id from {RAW}.bulk_job_messages")
    return {(job, message): load for job, message, load in rows}


def loaded(database: Path) -> dict[tuple[str, str], str]:
    rows = query(database, f"select job_id, message_id, status from {RAW}.bulk_job_messages")
    return {(job, message): status for job, message, status in rows}


def flip(world: World, job: SimJob, status: str) -> None:
    """One message of a job in flight moves to `status`; the job's counters follow (they are
    derived from its messages)."""
    with world.lock:
        job.messages[0]["status"] = status
        job.rendered = None
        world.version += 1


def test_only_what_changed_is_written_and_built(tmp_path: Path) -> None:
    world = World(seed=11, jobs=12, messages=(0, 60))
    with Simulator(world) as sim:
        env = cli_env(sim, tmp_path)
        database = Path(env["DESTINATION__DUCKDB__CREDENTIALS"])
        first = run(env, tmp_path)
        assert first["rows"]["unchanged"] == 0
        before = load_ids(database)

        # nothing changed: one listing request, no page, no row, no job's marts rebuilt
        sim.reset_counts()
        quiet = run(env, tmp_path)
        assert dict(sim.counts) == {"jobs": 1}
        assert quiet["jobs"]["unchanged"] > 0 and quiet["jobs"]["to_fetch"] == 0
        assert quiet["rows"]["fetched"] == 0 and quiet["load_ids"] == []
        assert "marts: incremental, 0 changed jobs updated" in quiet["summary"]
        assert load_ids(database) == before

        # a message of a job in flight changes, then changes back: written each time, alone
        job = next(j for j in world.jobs.values() if j.status == "PROCESSING" and j.messages)
        original = job.messages[0]["status"]
        key = (job.fields["job_id"], job.messages[0]["message_id"])
        other = "FAILED" if original != "FAILED" else "COMPLETED"
        for status in (other, original, other):
            flip(world, job, status)
            changed = run(env, tmp_path)
            assert changed["jobs"]["to_fetch"] == 1
            assert changed["rows"]["fetched"] == len(job.messages)
            assert changed["rows"]["unchanged"] == len(job.messages) - 1
            assert "marts: incremental, 1 changed jobs updated" in changed["summary"]
            after = load_ids(database)
            assert {k for k in after if after[k] != before.get(k)} == {key}
            assert loaded(database) == world.truth_messages()
            before = after

        # the refetch bound: with it at 0 every job in flight is fetched, still nothing written
        env["SOURCES__CLOUDFLARE_EMAIL_SECURITY__REFETCH_UNCHANGED_AFTER"] = "0"
        again = run(env, tmp_path)
        assert again["jobs"]["to_fetch"] > 0 and again["rows"]["fetched"] > 0
        assert again["rows"]["unchanged"] == again["rows"]["fetched"]
        assert "marts: incremental, 0 changed jobs updated" in again["summary"]
        assert load_ids(database) == before

        # time moves: the data stays exact run after run
        for _ in range(3):
            sim.advance()
            run(env, tmp_path)
            deleted = {
                j for (j,) in query(database, f"select job_id from {RAW}.bulk_job_deletions")
            }
            truth = world.truth_messages()
            assert {k: v for k, v in loaded(database).items() if k[0] not in deleted} == truth
