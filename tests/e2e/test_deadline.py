"""A trickling server (issue 18, item 6): a response that drips its bytes is cut off at
`request_deadline` (connect and all reads together), retried, then the run ends in one clear
line; it never hangs. The simulator, its answers for one job dripped a few bytes at a time."""

import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from cf_bulk_sync.simulator import Simulator
from cf_bulk_sync.simulator import server as server_module

from ..support.cli import cli, cli_env

pytestmark = pytest.mark.e2e


@pytest.fixture
def trickling(simulator: Simulator, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    """The messages of the largest job come 16 bytes every 50 ms (its 20 KB: a minute)."""
    job_id = max(simulator.world.jobs, key=lambda j: len(simulator.world.jobs[j].messages))
    send = server_module._Handler._send

    def drip(self: server_module._Handler, status: int, body: bytes, *args, **kwargs) -> None:
        if f"/bulk/{job_id}/messages" not in self.path:
            return send(self, status, body, *args, **kwargs)
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        for at in range(0, len(body), 16):
            self.wfile.write(body[at : at + 16])
            self.wfile.flush()
            time.sleep(0.05)

    monkeypatch.setattr(server_module._Handler, "_send", drip)
    yield job_id


def test_a_trickling_response_is_retried_then_fails_in_one_line(
    simulator: Simulator, tmp_path: Path, trickling: str
) -> None:
    env = cli_env(
        simulator,
        tmp_path,
        SOURCES__CLOUDFLARE_EMAIL_SECURITY__REQUEST_DEADLINE="1",
        SOURCES__CLOUDFLARE_EMAIL_SECURITY__REQUEST_TIMEOUT="5",
        SOURCES__CLOUDFLARE_EMAIL_SECURITY__MAX_ATTEMPTS="2",
        SOURCES__CLOUDFLARE_EMAIL_SECURITY__WORKERS="1",
    )
    started = time.monotonic()
    run = cli("run", "--no-models", env=env, cwd=tmp_path)
    took = time.monotonic() - started
    output = run.stdout + run.stderr
    assert run.returncode == 3, output
    assert took < 30, f"took {took:.0f}s"
    assert "Traceback" not in output
    assert f"messages of job {trickling}: no complete response within request_deadline=1s" in output
    assert "retry 1 of 1" in output  # retried once, then given up


def test_request_deadline_is_validated(simulator: Simulator, tmp_path: Path) -> None:
    env = cli_env(simulator, tmp_path, SOURCES__CLOUDFLARE_EMAIL_SECURITY__REQUEST_DEADLINE="-1")
    run = cli("run", "--no-models", env=env, cwd=tmp_path)
    assert run.returncode == 1 and "Invalid request_deadline -1" in run.stderr
