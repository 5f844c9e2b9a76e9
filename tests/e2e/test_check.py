"""`cf-bulk-sync check` through the installed console script: the configuration with the origin
of each value, the token and permission checks against the simulator's verify and bulk
endpoints, the destination, the lock and the last run, and the exit code of each outcome."""

import os
import re
import subprocess
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import dlt
import duckdb
import pytest

from cf_bulk_sync.cli import check
from cf_bulk_sync.errors import WarehouseBusyError
from cf_bulk_sync.loading.pipeline import make_pipeline
from cf_bulk_sync.ops.lock import lock_for
from cf_bulk_sync.simulator import Simulator, World

from ..support.cli import cli, cli_env
from ..support.postgres_server import running_postgres
from .test_run_contract import fail_messages_of, settled_job_with_messages

pytestmark = pytest.mark.e2e

SECRET = "check-secret-token-7c41f9e2"
KEY = "pseudonym-key-0a8c77d1"


@pytest.fixture
def sim() -> Iterator[Simulator]:
    with Simulator(World(seed=11, jobs=5, messages=(2, 30)), token=SECRET) as simulator:
        yield simulator


@pytest.fixture
def env(sim: Simulator, tmp_path: Path) -> dict[str, str]:
    return cli_env(sim, tmp_path, SECRET)


def checks(result: subprocess.CompletedProcess) -> dict[str, tuple[str, str]]:
    """Each check's name -> (state, detail), from the lines after `checks:`."""
    found = {}
    block = result.stdout.split("\nchecks:\n", 1)[1]
    for line in block.splitlines():
        match = re.match(r"^  (ok|FAILED|warn|skip|HELD)\s+([^:]+): (.*)$", line)
        if match:
            found[match[2]] = (match[1], match[3])
    return found


def fix_after(result: subprocess.CompletedProcess, name: str) -> str:
    """The `fix:` line printed under the check `name`."""
    lines = result.stdout.splitlines()
    at = next(i for i, line in enumerate(lines) if re.match(rf"^  \S+\s+{name}: ", line))
    fix = lines[at + 1].strip()
    assert fix.startswith("fix: "), lines[at : at + 2]
    return fix


def test_check_passes_and_tells_where_each_value_comes_from(
    sim: Simulator, env: dict[str, str], tmp_path: Path
) -> None:
    dlt_dir = tmp_path / ".dlt"
    dlt_dir.mkdir()
    (dlt_dir / "config.toml").write_text("[sources.cloudflare_email_security]\nper_page = 50\n")
    (dlt_dir / "secrets.toml").write_text(
        f'[sources.cloudflare_email_security]\npseudonymization_key = "{KEY}"\n'
    )
    env["SOURCES__CLOUDFLARE_EMAIL_SECURITY__WORKERS"] = "2"
    result = cli("check", env=env, cwd=tmp_path)
    assert result.returncode == 0, result.stdout + result.stderr
    out = result.stdout
    account = sim.world.account_id
    for line in (
        f"account_id = {account}  (from CLOUDFLARE_ACCOUNT_ID)",
        f"api_token = <secret: set, {len(SECRET)} characters>  (from CLOUDFLARE_API_TOKEN)",
        f"base_url = {sim.base_url}  (from CLOUDFLARE_API_BASE_URL)",
        "per_page = 50  (from ./.dlt/config.toml)",
        "workers = 2  (from SOURCES__CLOUDFLARE_EMAIL_SECURITY__WORKERS)",
        f"pseudonymization_key = <secret: set, {len(KEY)} characters>  (from ./.dlt/secrets.toml)",
        "max_attempts = 5  (default)",
        "api_email = (not set)",
        "destination = duckdb  (default)",
        f"credentials = duckdb:///{tmp_path}/w.duckdb  (from DESTINATION__DUCKDB__CREDENTIALS)",
        "dataset = cloudflare_email_security  (default)",
        f"dlt folder = {tmp_path}/dlt/pipelines  (from DLT_DATA_DIR)",
        f"warehouse = {tmp_path}/w.duckdb  (from DESTINATION__DUCKDB__CREDENTIALS)",
    ):
        assert f"\n  {line}\n" in out, line
    # secrets appear nowhere, in no form
    for secret in (SECRET, KEY):
        assert secret not in out + result.stderr
    found = checks(result)
    assert {name: state for name, (state, _) in found.items()} == {
        "configuration": "ok",
        "token": "ok",
        f"account {account}": "ok",
        "destination duckdb": "ok",
        "last run": "ok",
        "lock": "ok",
        "set-aside packages": "ok",
        "API fields": "ok",
    }
    assert found["token"][1] == "active (user token, verified at /user/tokens/verify)"
    assert found["last run"][1] == "no run yet"
    assert out.rstrip().endswith("cf-bulk-sync check: ok: a run would start")
    assert result.stderr == ""
    # one verify call and one one-item page of the bulk list: nothing else
    assert dict(sim.counts) == {"token_verify": 1, "jobs": 1}
    # the table it created to prove write access is gone, and so is the dataset it made for it
    with duckdb.connect(str(tmp_path / "w.duckdb"), read_only=True) as con:
        rows = con.sql("select schema_name from information_schema.schemata").fetchall()
    schemas = {r[0] for r in rows}
    assert "cloudflare_email_security" not in schemas


def test_a_wrong_token_fails_with_the_fix(sim: Simulator, tmp_path: Path) -> None:
    wrong = "wrong-token-3e9d0c55"
    result = cli("check", env=cli_env(sim, tmp_path, wrong), cwd=tmp_path)
    assert result.returncode == 1, result.stdout + result.stderr
    state, detail = checks(result)["token"]
    assert state == "FAILED"
    assert detail == (
        "not recognised at /user/tokens/verify or any account's /tokens/verify"
        " (HTTP 401, code 1000: Invalid API Token)"
    )
    assert "set CLOUDFLARE_API_TOKEN" in fix_after(result, "token")
    assert checks(result)[f"account {sim.world.account_id}"][0] == "skip"
    assert result.stderr == "cf-bulk-sync: error: check failed: token\n"
    assert wrong not in result.stdout + result.stderr
    # the user endpoint, then the account's; the bulk list was not called with a bad token
    assert dict(sim.counts) == {"token_verify": 2}


@pytest.mark.parametrize(
    "status,detail",
    [
        pytest.param("disabled", "disabled (user token", id="disabled"),
        pytest.param("expired", "expired (user token", id="expired"),
    ],
)
def test_a_disabled_or_expired_token_fails(
    sim: Simulator, env: dict[str, str], tmp_path: Path, status: str, detail: str
) -> None:
    sim.token_status = status
    result = cli("check", env=env, cwd=tmp_path)
    assert result.returncode == 1
    state, text = checks(result)["token"]
    assert state == "FAILED" and text.startswith(detail)
    assert ("expires on 2020-01-01T00:00:00Z" in text) == (status == "expired")
    assert "set CLOUDFLARE_API_TOKEN" in fix_after(result, "token")


def test_a_token_without_the_permission_fails_at_the_account(
    sim: Simulator, env: dict[str, str], tmp_path: Path
) -> None:
    sim.token_can_read = False  # verify says active, the bulk list answers 403 / code 10000
    result = cli("check", env=env, cwd=tmp_path)
    assert result.returncode == 1, result.stdout + result.stderr
    found = checks(result)
    assert found["token"][0] == "ok"
    state, detail = found[f"account {sim.world.account_id}"]
    assert state == "FAILED"
    assert "(HTTP 403, code 10000: Authentication error)" in detail
    assert "lacks the permission 'Cloud Email Security: Read'" in detail
    assert "Cloud Email Security > Read" in fix_after(result, f"account {sim.world.account_id}")
    assert dict(sim.counts) == {"token_verify": 1, "jobs": 1}


@pytest.mark.parametrize(
    ("token", "state", "detail"),
    [
        pytest.param(
            SECRET,
            "warn",
            "could not verify the token here (/user/tokens/verify: HTTP 404, code 7000: No route"
            " for that URI: /client/v4/user/tokens/verify); the bulk list answered",
            id="bulk-list-answers",
        ),
        pytest.param(
            "wrong-token-51c0",
            "FAILED",
            "no verify route here (HTTP 404, code 7000: No route for that URI:"
            " /client/v4/user/tokens/verify) and the bulk list refused it (HTTP 403, code 10000:"
            " Authentication error)",
            id="bulk-list-refuses",
        ),
    ],
)
def test_an_api_without_the_verify_route_is_judged_by_the_bulk_list(
    sim: Simulator, tmp_path: Path, token: str, state: str, detail: str
) -> None:
    sim.verify_route = False  # a proxy or mirror that serves only the bulk endpoints
    result = cli("check", env=cli_env(sim, tmp_path, token), cwd=tmp_path)
    assert checks(result)["token"] == (state, detail)
    assert result.returncode == (0 if state == "warn" else 1), result.stdout + result.stderr
    if state == "warn":
        assert checks(result)[f"account {sim.world.account_id}"][0] == "ok"
        assert "roll" not in result.stdout  # the token works: nothing to replace
    else:
        assert "set CLOUDFLARE_API_TOKEN" in fix_after(result, "token")


def test_an_account_owned_token_is_verified_at_the_account_endpoint(
    sim: Simulator, env: dict[str, str], tmp_path: Path
) -> None:
    sim.token_owner = "account"  # /user/tokens/verify does not know it
    result = cli("check", env=env, cwd=tmp_path)
    assert result.returncode == 0, result.stdout + result.stderr
    account = sim.world.account_id
    assert checks(result)["token"] == (
        "ok",
        f"active (account {account} token, verified at /accounts/{account}/tokens/verify)",
    )
    assert sim.counts["token_verify"] == 2


def test_a_held_lock_exits_5_and_the_check_lets_the_lock_go(
    sim: Simulator, env: dict[str, str], tmp_path: Path
) -> None:
    lock = lock_for(str(tmp_path / "dlt" / "pipelines"), "cf_bulk_sync")
    with lock:
        held = cli("check", env=env, cwd=tmp_path)
        failing = cli("check", env=cli_env(sim, tmp_path, "not-the-token"), cwd=tmp_path)
    assert held.returncode == 5, held.stdout + held.stderr
    state, detail = checks(held)["lock"]
    assert state == "HELD"
    assert f"(pid {os.getpid()} on " in detail and str(lock.path) in detail
    assert held.stderr.startswith("cf-bulk-sync: another run holds the lock since ")
    assert checks(held)["destination duckdb"][0] == "skip"  # the holder may have it open
    assert failing.returncode == 1  # a failing check wins over the lock
    free = cli("check", env=env, cwd=tmp_path)
    assert free.returncode == 0 and checks(free)["lock"] == ("ok", f"free ({lock.path})")
    # the check took the lock only for an instant: it is free, and says nobody holds it
    with lock:
        assert lock.path.read_text().endswith(f"(pid {os.getpid()} on {os.uname().nodename})")
    assert lock.path.read_text() == ""


def test_the_last_run_is_shown_after_a_run(
    sim: Simulator, env: dict[str, str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    run = cli("run", "--quiet", env=env, cwd=tmp_path)
    assert run.returncode == 0, run.stdout + run.stderr
    run_id = re.search(r"\(run ([0-9a-f-]{36}),", run.stdout)[1]  # type: ignore[index]
    after = cli("check", env=env, cwd=tmp_path)
    assert after.returncode == 0
    state, detail = checks(after)["last run"]
    assert state == "ok"
    assert re.fullmatch(
        rf"20\d\d-\d\d-\d\dT\d\d:\d\d:\d\dZ, status ok, exit code 0 \(run {run_id}\)", detail
    ), detail
    # a run that did not end ok is a warning, not a failure: the next run would still start
    fail_messages_of(sim, monkeypatch, settled_job_with_messages(sim))
    partial = cli("run", "--quiet", "--full-refresh", env=env, cwd=tmp_path)
    assert partial.returncode == 3, partial.stdout + partial.stderr
    warned = cli("check", env=env, cwd=tmp_path)
    assert warned.returncode == 0
    state, detail = checks(warned)["last run"]
    assert state == "warn" and ", status partial, exit code 3 (run " in detail
    assert run_id not in detail


def test_a_destination_that_cannot_be_written_fails_with_the_fix(
    env: dict[str, str], tmp_path: Path
) -> None:
    env["DESTINATION__DUCKDB__CREDENTIALS"] = str(tmp_path / "missing-folder" / "w.duckdb")
    result = cli("check", env=env, cwd=tmp_path)
    assert result.returncode == 1
    state, detail = checks(result)["destination duckdb"]
    assert state == "FAILED" and "missing-folder" in detail
    assert "DESTINATION__<NAME>__CREDENTIALS" in fix_after(result, "destination duckdb")
    assert checks(result)["last run"][0] == "skip"
    assert result.stderr == "cf-bulk-sync: error: check failed: destination duckdb\n"


def test_a_missing_account_fails_the_configuration(env: dict[str, str], tmp_path: Path) -> None:
    del env["CLOUDFLARE_ACCOUNT_ID"]
    result = cli("check", env=env, cwd=tmp_path)
    assert result.returncode == 1
    state, detail = checks(result)["configuration"]
    assert state == "FAILED" and detail.startswith("No account id: set CLOUDFLARE_ACCOUNT_ID")
    assert "\n  account_id = (not set)\n" in result.stdout
    assert "token" not in checks(result)  # nothing is asked of the API without an account


@pytest.mark.postgres
def test_check_on_postgres_with_a_url_without_password(sim: Simulator, tmp_path: Path) -> None:
    with contextmanager(running_postgres)() as url:
        passwordless = url.replace(":unused@", "@")
        assert passwordless != url
        env = cli_env(sim, tmp_path, SECRET, DESTINATION__POSTGRES__CREDENTIALS=passwordless)
        result = cli("check", "--destination", "postgres", env=env, cwd=tmp_path)
        assert result.returncode == 0, result.stdout + result.stderr
        assert (
            f"\n  credentials = {passwordless}  (from DESTINATION__POSTGRES__CREDENTIALS)\n"
            in result.stdout
        )
        assert checks(result)["destination postgres"][0] == "ok"
        assert checks(result)["last run"] == ("ok", "no run yet")


def test_postgres_without_credentials_fails_the_destination_check(
    env: dict[str, str], tmp_path: Path
) -> None:
    result = cli("check", "--destination", "postgres", env=env, cwd=tmp_path)
    assert result.returncode == 1
    state, detail = checks(result)["destination postgres"]
    assert state == "FAILED"
    assert detail == (
        "No credentials for destination postgres: set"
        " DESTINATION__POSTGRES__CREDENTIALS=postgresql://user:password@host:5432/db or"
        " `credentials` under [destination.postgres] in .dlt/secrets.toml"
    )
    # the lock is still checked where a run would take it
    lock = tmp_path / "dlt" / "pipelines" / ".cf_bulk_sync.lock"
    assert checks(result)["lock"] == ("ok", f"free ({lock})")
    assert result.stderr == "cf-bulk-sync: error: check failed: destination postgres\n"


def test_a_warehouse_in_use_past_the_wait_is_held_not_failed(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # a run would stop the same way (WarehouseBusyError is a lock error: exit 5)
    def busy(pipeline: dlt.Pipeline, writer: bool) -> None:
        assert writer  # the check writes a table: it goes in as a writer
        raise WarehouseBusyError("the warehouse w.duckdb is held by pid 1 (cf-bulk-sync report)")

    monkeypatch.setattr(check, "warehouse_lock", busy)
    pipeline = make_pipeline(
        dlt.destinations.duckdb(str(tmp_path / "w.duckdb")), pipelines_dir=str(tmp_path / "dlt")
    )
    found = check.destination_checks(pipeline)
    assert [(c.name, c.state) for c in found] == [
        ("destination duckdb", "HELD"),
        ("last run", "skip"),
    ]
    assert found[0].detail.startswith("the warehouse w.duckdb is held by pid 1")
    assert check.verdict([check.Check("lock", "ok", "free"), *found]) == 5
    assert not (tmp_path / "w.duckdb").exists()  # nothing was opened


def test_a_value_of_the_wrong_type_is_named_with_where_it_is_set(
    sim: Simulator, env: dict[str, str], tmp_path: Path
) -> None:
    env["SOURCES__CLOUDFLARE_EMAIL_SECURITY__PER_PAGE"] = "fifty-7731"
    result = cli("check", env=env, cwd=tmp_path)
    assert result.returncode == 1
    assert checks(result)["configuration"] == (
        "FAILED",
        "The configured per_page (from SOURCES__CLOUDFLARE_EMAIL_SECURITY__PER_PAGE) is not a"
        " valid int: correct it there",
    )
    # a run says the same in one line, without the value
    run = cli("run", "--quiet", env=env, cwd=tmp_path)
    assert run.returncode == 1
    assert run.stderr == (
        "cf-bulk-sync: error: The configured per_page is not a valid int: correct it where it"
        " is set (`cf-bulk-sync check` shows where)\n"
    )
    assert "fifty-7731" not in result.stdout + result.stderr + run.stdout + run.stderr
    assert dict(sim.counts) == {}
