"""Cursors that keep expiring (issue 18, item 7): a job's listing whose cursor expires again is
restarted with fewer workers, up to three restarts; past that the job fails alone (exit 3)
and the next run fetches it. Through the installed CLI against the simulator, whose cursors
for one job are expired on demand."""

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from cf_bulk_sync.simulator import Simulator

from ..support.cli import cli, cli_env
from ..support.warehouse import query

pytestmark = pytest.mark.e2e


def expire_for(simulator: Simulator, times: int, mp: pytest.MonkeyPatch) -> Callable[[], str]:
    """Expires every cursor when the largest job's listing asks for its second page, the
    first `times` times; returns that job's id."""
    world = simulator.world
    job_id = max(world.jobs, key=lambda j: len(world.jobs[j].messages))
    respond = simulator.respond
    done: list[str] = []

    def expiring(route: dict[str, Any], params: dict[str, Any]) -> bytes:
        mid_listing = route["job"] == job_id and route["messages"] and "cursor" in params
        if mid_listing and len(done) < times:
            done.append(job_id)
            simulator.expire_cursors()
        return respond(route, params)

    mp.setattr(simulator, "respond", expiring)
    return lambda: job_id


def _env(simulator: Simulator, tmp_path: Path) -> dict[str, str]:
    return cli_env(
        simulator,
        tmp_path,
        SOURCES__CLOUDFLARE_EMAIL_SECURITY__PER_PAGE="5",
        SOURCES__CLOUDFLARE_EMAIL_SECURITY__WORKERS="4",
    )


def test_a_cursor_that_expires_again_restarts_with_fewer_workers(
    simulator: Simulator, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    job = expire_for(simulator, 3, monkeypatch)()
    run = cli("run", "--no-models", "--json", env=_env(simulator, tmp_path), cwd=tmp_path)
    assert run.returncode == 0, run.stdout + run.stderr
    assert f"messages of job {job}:" in run.stderr
    assert "restart 2 of 3 from the first page with at most 2 worker(s) from now on" in run.stderr
    assert "restart 3 of 3 from the first page with at most 1 worker(s) from now on" in run.stderr
    loaded = query(
        tmp_path / "w.duckdb",
        "select job_id, message_id, status from cloudflare_email_security.bulk_job_messages",
    )
    truth = simulator.world.truth_messages()
    assert len(loaded) == len(truth) and {(j, m): s for j, m, s in loaded} == truth


def test_restarts_are_bounded_and_the_job_fails_alone(
    simulator: Simulator, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    job = expire_for(simulator, 4, monkeypatch)()
    run = cli("run", "--no-models", env=_env(simulator, tmp_path), cwd=tmp_path)
    assert run.returncode == 3, run.stdout + run.stderr
    assert f"job error: {job}: Cursor rejected" in run.stdout
    assert "Traceback" not in run.stdout + run.stderr
    again = cli("run", "--no-models", env=_env(simulator, tmp_path), cwd=tmp_path)
    assert again.returncode == 0, again.stdout + again.stderr
