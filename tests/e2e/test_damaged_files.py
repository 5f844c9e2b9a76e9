"""What the operator's machine does to a run (issue 18, item 9): a malformed TOML file, a
damaged state.json, a full disk. Each gives one line naming the file or the failure and the
fix, no traceback, and the next run after the fix is exact. Through the installed CLI."""

from pathlib import Path

import pytest

from cf_bulk_sync.simulator import Simulator

from ..support.cli import cli, cli_env
from ..support.disk_full import disk_full_env
from ..support.warehouse import query

pytestmark = pytest.mark.e2e


def loaded(tmp_path: Path) -> list[tuple]:
    return query(
        tmp_path / "w.duckdb",
        "select job_id, message_id, status from cloudflare_email_security.bulk_job_messages",
    )


def assert_exact(simulator: Simulator, tmp_path: Path) -> None:
    rows = loaded(tmp_path)
    truth = simulator.world.truth_messages()
    assert len(rows) == len(truth) and {(j, m): s for j, m, s in rows} == truth


@pytest.mark.parametrize("name", [pytest.param(n, id=n) for n in ("config.toml", "secrets.toml")])
def test_a_malformed_toml_file_is_named_with_its_line(
    simulator: Simulator, tmp_path: Path, name: str
) -> None:
    (tmp_path / ".dlt").mkdir()
    toml = tmp_path / ".dlt" / name
    toml.write_text('[sources.cloudflare_email_security]\nper_page = 10\nworkers = [\n"x" = 1\n')
    env = cli_env(simulator, tmp_path)
    for command in ("run", "check"):
        result = cli(command, env=env, cwd=tmp_path)
        assert result.returncode == 1, result.stdout + result.stderr
        assert "Traceback" not in result.stdout + result.stderr
        assert f"Malformed TOML in {toml} at line 4" in result.stdout + result.stderr
    toml.unlink()
    assert cli("run", "--no-models", env=env, cwd=tmp_path).returncode == 0


def test_a_damaged_state_file_is_named_with_the_fix(simulator: Simulator, tmp_path: Path) -> None:
    env = cli_env(simulator, tmp_path)
    assert cli("run", "--no-models", env=env, cwd=tmp_path).returncode == 0
    state = tmp_path / "dlt" / "pipelines" / "cf_bulk_sync" / "state.json"
    state.write_text('{"_state_version": 3, "broken')
    run = cli("run", "--no-models", env=env, cwd=tmp_path)
    assert run.returncode == 1, run.stdout + run.stderr
    lines = (run.stdout + run.stderr).splitlines()
    assert lines == [
        f"cf-bulk-sync: error: dlt's state file {state} is damaged (JSONDecodeError): move it"
        f" away (mv {state} {state}.damaged) and run again; the next run restores the sync's"
        " state from the warehouse"
    ]
    state.rename(f"{state}.damaged")  # the fix the line gives
    simulator.advance(steps=2, delete=0)
    again = cli("run", "--no-models", env=env, cwd=tmp_path)
    assert again.returncode == 0, again.stdout + again.stderr
    assert_exact(simulator, tmp_path)


def test_a_full_disk_fails_in_a_few_lines_and_the_next_run_is_exact(
    simulator: Simulator, tmp_path: Path
) -> None:
    env = cli_env(simulator, tmp_path)
    assert cli("run", "--no-models", env=env, cwd=tmp_path).returncode == 0
    simulator.advance(steps=2, create=2, delete=0)
    working = tmp_path / "dlt" / "pipelines" / "cf_bulk_sync"
    full = cli(
        "run", "--no-models", env={**env, **disk_full_env(tmp_path / "site", working)}, cwd=tmp_path
    )
    output = full.stdout + full.stderr
    assert full.returncode == 1, output
    assert "Traceback" not in output and "No space left on device" in output
    assert len(output.splitlines()) <= 12, output
    again = cli("run", "--no-models", env=env, cwd=tmp_path)
    assert again.returncode == 0, again.stdout + again.stderr
    assert_exact(simulator, tmp_path)
