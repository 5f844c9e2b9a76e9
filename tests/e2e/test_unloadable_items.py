"""Items that cannot be loaded as declared (issue 18, items 2 and 3): each is set aside in
`bulk_job_messages_rejected` with its job, field, reason and raw text, counted, and the rest of
the run loads; the next run is clean. Against the simulator serving the exact bytes."""

import json
from pathlib import Path

import pytest

from cf_bulk_sync.outcome import decide
from cf_bulk_sync.simulator import Simulator

from ..support.cli import cli, cli_env
from ..support.payloads import MESSAGE_PAYLOADS, heal, plant
from ..support.syncer import Syncer
from ..support.warehouse import query

pytestmark = pytest.mark.e2e

REJECTED = "cloudflare_email_security.bulk_job_messages_rejected"


@pytest.mark.parametrize("payload", [pytest.param(name, id=name) for name in MESSAGE_PAYLOADS])
def test_an_unloadable_message_is_set_aside_and_the_rest_loads(
    syncer: Syncer, payload: str
) -> None:
    render, field = MESSAGE_PAYLOADS[payload]
    world = syncer.sim.world
    job = plant(world, render)
    job_id, bad = job.fields["job_id"], job.messages[1]["message_id"]
    result = syncer.run()
    assert decide(result).exit_code == 0, result.error or result.stats.job_errors
    assert result.stats.rows_rejected == 1
    truth = world.truth_messages()
    del truth[(job_id, bad)]
    assert syncer.messages() == truth  # every other row of every job
    (row,) = syncer.query(f"select job_id, field, reason, raw from {REJECTED}")
    assert row[0] == job_id and row[1] == field and row[2].startswith(f"{field}: ")
    assert row[3] and "\\n" not in row[2]
    warning = next(w for w in result.stats.warnings if "could not be loaded as declared" in w)
    assert job_id in warning and f"{field}: " in warning
    heal(world, job)  # the API serves it right again: the next run loads it, nothing else
    again = syncer.run(full_refresh=True)
    assert decide(again).exit_code == 0 and again.stats.rows_rejected == 0
    assert syncer.messages() == world.truth_messages()


def test_a_job_that_cannot_be_loaded_is_set_aside_not_the_run(syncer: Syncer) -> None:
    world = syncer.sim.world
    jobs = list(world.jobs.values())
    with world.lock:
        jobs[0].fields["job_id"] = None  # `job_id: null` in the listing
        jobs[1].fields["total_messages_discovered_x"] = 10**30
        jobs[1].fields["comment"] = {"deep": json.loads("[" * 200 + "]" * 200)}
        world.version += 1
    result = syncer.run()
    assert decide(result).exit_code == 3, result.error  # partial: two jobs missing, named
    errors = result.stats.job_errors
    assert "not an id" in errors[f"'None' (account {world.account_id})"]
    assert "cannot be loaded as declared (comment: nested" in errors[jobs[1].fields["job_id"]]
    loaded = {j for (j,) in syncer.query("select job_id from cloudflare_email_security.bulk_jobs")}
    assert loaded == {j.fields["job_id"] for j in jobs[2:]}


def test_the_installed_cli_counts_the_rejected_item(simulator: Simulator, tmp_path: Path) -> None:
    render, _ = MESSAGE_PAYLOADS["retry_count 2^63"]
    plant(simulator.world, render)
    run = cli("run", "--no-models", env=cli_env(simulator, tmp_path), cwd=tmp_path)
    assert run.returncode == 0, run.stdout + run.stderr
    assert "Traceback" not in run.stdout + run.stderr
    assert "rejected: 1 items that could not be loaded as declared" in run.stdout
    assert query(tmp_path / "w.duckdb", f"select field from {REJECTED}") == [("retry_count",)]
