"""Secrets with a line break or spaces around them (a Kubernetes or file-based secret) are
cleaned before any request and appear nowhere: not in output, dlt's working folder, the
warehouse, the BI snapshot or the dashboard."""

from pathlib import Path

import pytest

from cf_bulk_sync.simulator import DEFAULT_EMAIL, Simulator, World

from ..support.cli import cli, cli_env
from ..support.warehouse import columns_containing

pytestmark = pytest.mark.e2e

TOKEN = "leak-check-token-4b8e1d"
KEY = "leak-check-global-key-93aa"


@pytest.fixture
def sim() -> Simulator:
    with Simulator(World(seed=9, jobs=4, messages=(0, 30)), token=TOKEN, key=KEY) as simulator:
        yield simulator


def nowhere(secret: str, folder: Path, *outputs: str) -> None:
    assert all(secret not in text for text in outputs)
    leaked = [
        str(path)
        for path in folder.rglob("*")
        if path.is_file()
        and path.relative_to(folder) != Path(".dlt/secrets.toml")  # where the user put it
        and secret.encode() in path.read_bytes()
    ]
    assert leaked == []
    for database in folder.rglob("*.duckdb"):
        assert columns_containing(database, secret) == [], database


@pytest.mark.parametrize(
    "channel",
    [
        pytest.param("env-newline", id="env-newline"),
        pytest.param("toml-crlf", id="toml-crlf"),
        pytest.param("env-spaces", id="env-spaces"),
        pytest.param("legacy-key-newline", id="legacy-key-newline"),
    ],
)
def test_a_secret_with_whitespace_is_cleaned_and_found_nowhere(
    sim: Simulator, tmp_path: Path, channel: str
) -> None:
    env = cli_env(sim, tmp_path, token=TOKEN)
    secret = TOKEN
    if channel == "env-newline":
        env["CLOUDFLARE_API_TOKEN"] = TOKEN + "\n"
    elif channel == "env-spaces":
        env["CLOUDFLARE_API_TOKEN"] = f"  {TOKEN} "
    elif channel == "toml-crlf":
        del env["CLOUDFLARE_API_TOKEN"]
        (tmp_path / ".dlt").mkdir()
        (tmp_path / ".dlt" / "secrets.toml").write_text(
            f'[sources.cloudflare_email_security]\napi_token = "{TOKEN}\\r\\n"\n'
        )
    else:
        secret = KEY
        del env["CLOUDFLARE_API_TOKEN"]
        env["SOURCES__CLOUDFLARE_EMAIL_SECURITY__API_EMAIL"] = DEFAULT_EMAIL
        env["SOURCES__CLOUDFLARE_EMAIL_SECURITY__API_KEY"] = KEY + "\n"
    run = cli("run", "--publish", "bi", env=env, cwd=tmp_path)
    assert run.returncode == 0, run.stdout + run.stderr
    name = "api_key" if secret == KEY else "api_token"
    assert f"warning: {name} had whitespace around it" in run.stdout
    page = cli("dashboard", "--out", "page.html", env=env, cwd=tmp_path)
    assert page.returncode == 0, page.stderr
    assert (tmp_path / "bi" / "cf_bulk_sync.duckdb").exists()
    nowhere(secret, tmp_path, run.stdout, run.stderr, page.stdout, page.stderr)


def test_a_control_character_inside_a_secret_is_refused_without_showing_it(
    sim: Simulator, tmp_path: Path
) -> None:
    env = cli_env(sim, tmp_path, token=TOKEN)
    env["CLOUDFLARE_API_TOKEN"] = TOKEN[:8] + "\r\n" + TOKEN[8:]
    run = cli("run", env=env, cwd=tmp_path)
    assert run.returncode == 1
    lines = [line for line in run.stderr.splitlines() if line.startswith("cf-bulk-sync:")]
    assert lines == [
        "cf-bulk-sync: error: api_token contains a control character (a line break or"
        " similar) inside it: a header cannot carry it; fix the secret (its value is not"
        " shown)"
    ]
    assert "Traceback" not in run.stderr
    nowhere(TOKEN[:8], tmp_path, run.stdout, run.stderr)
    nowhere(TOKEN[8:], tmp_path, run.stdout, run.stderr)
    assert sim.counts["jobs"] == 0  # refused before any request
