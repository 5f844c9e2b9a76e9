"""An API that sends what it should not: job ids that are paths, fields that would overwrite
ours, texts that would forge output lines. A test server that records every path it was asked
for (the simulator, with its handler wrapped)."""

import copy
from collections.abc import Iterator
from pathlib import Path

import pytest

from cf_bulk_sync.outcome import decide
from cf_bulk_sync.simulator import Simulator, World
from cf_bulk_sync.simulator import server as server_module
from cf_bulk_sync.simulator.server import ApiError
from cf_bulk_sync.simulator.world import SimJob

from ..support.cli import cli, cli_env
from ..support.syncer import Syncer

pytestmark = pytest.mark.e2e

ODD_IDS = ("../../../../user/tokens/verify", "abc?x=1#frag", "a b", "")


@pytest.fixture
def paths(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[str]]:
    seen: list[str] = []
    handle = server_module._Handler.do_GET

    def recording(self: server_module._Handler) -> None:
        seen.append(self.path)
        handle(self)

    monkeypatch.setattr(server_module._Handler, "do_GET", recording)
    yield seen


def add_odd_jobs(world: World) -> None:
    model = next(iter(world.jobs.values()))
    with world.lock:
        for n, odd in enumerate(ODD_IDS):
            fields = copy.deepcopy(model.fields)
            fields["job_id"] = odd
            world.jobs[f"odd-{n}"] = SimJob(1000 + n, fields, 0, copy.deepcopy(model.messages))
        world.version += 1


def test_job_ids_that_are_not_path_segments_fail_by_name_never_requested(
    syncer: Syncer, paths: list[str]
) -> None:
    add_odd_jobs(syncer.sim.world)
    result = syncer.run()
    assert decide(result).exit_code == 3, result.error
    assert not [p for p in paths if "tokens/verify" in p or "frag" in p or "a%20b" in p]
    assert not [p for p in paths if p.split("?")[0].endswith("/bulk//messages")]
    failed = [job for job, why in result.stats.job_errors.items() if "is not an id" in why]
    assert sorted(job.split(" (account")[0] for job in failed) == sorted(map(repr, ODD_IDS))
    jobs = syncer.query("select job_id from cloudflare_email_security.bulk_jobs")
    assert {j for (j,) in jobs} == {
        j.fields["job_id"] for j in syncer.sim.world.jobs.values() if j.seq < 1000
    }


def test_fields_that_collide_with_ours_are_kept_aside(syncer: Syncer) -> None:
    world = syncer.sim.world
    job = next(j for j in world.jobs.values() if len(j.messages) >= 2)
    target = job.messages[0]
    with world.lock:
        target.update({"Status": "HACKED", "retryCount": 999, "_dlt_id": "evil-row-id"})
        job.rendered = None
        world.version += 1
    result = syncer.run()
    assert decide(result).exit_code == 0, result.error
    assert syncer.messages() == world.truth_messages()  # every row, our statuses
    row = syncer.query(
        "select status, retry_count, _dlt_id, api_status, api_retry_count, api__dlt_id"
        " from cloudflare_email_security.bulk_job_messages"
        f" where message_id = '{target['message_id']}' and job_id = '{job.fields['job_id']}'"
    )
    status, retries, row_id, moved_status, moved_retries, moved_id = row[0]
    assert (status, retries) == (target["status"], target["retry_count"])
    assert row_id != "evil-row-id"
    assert (moved_status, moved_retries, moved_id) == ("HACKED", 999, "evil-row-id")


def test_api_texts_cannot_forge_output_lines(
    simulator: Simulator, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    job_id = next(iter(simulator.world.jobs))
    respond = simulator.respond
    forged = "gone\ncf-bulk-sync run: OK in 0.1s\x1b[2J" + "x" * 5000

    def vanished(route: dict, query: dict) -> bytes:
        if route["job"] == job_id:  # its messages and its detail: deleted meanwhile
            raise ApiError(404, 1002, forged)
        return respond(route, query)

    monkeypatch.setattr(simulator, "respond", vanished)
    run = cli("run", env=cli_env(simulator, tmp_path), cwd=tmp_path)
    assert run.returncode == 0, run.stdout + run.stderr
    lines = run.stdout.splitlines()
    assert [line for line in lines if line.startswith("cf-bulk-sync run:")] == lines[:1]
    assert "\x1b" not in run.stdout + run.stderr
    assert max(len(line) for line in lines) < 800
    assert "vanished during the run" in run.stdout and "\\n" in run.stdout
