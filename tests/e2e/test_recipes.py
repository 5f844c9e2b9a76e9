"""The recipes of README.md and docs/, run as written, in the order a user types them, against
the simulator: the quick start, Dagster, Airflow and dbt each in a copy of the checkout (their
`pip install` lines build and install the package as a user's would), cron and the systemd
units under a bare environment (`env -i`) with the installed package's venv.

The recipes are read from the documents (`tests/support/recipes.py`): a changed recipe is the
tested one. What the tests change, and only that: the simulator's URL, account and token are in
the environment (as a user exports their own), dlt's data folder and HOME are the test's own,
`/srv/cf` is a folder of the test's own, and the venvs get the dependencies CI installed
instead of downloading them again."""

import configparser
import os
import re
import shutil
import subprocess
import tomllib
from collections.abc import Iterator
from pathlib import Path

import pytest

from cf_bulk_sync.simulator import DEFAULT_TOKEN, Simulator, World

from ..support.dbt import dbt_executable
from ..support.recipes import (
    Provided,
    clone,
    python3_folder,
    recipe,
    running_environment,
    shell_script,
)
from ..support.warehouse import query
from .test_airflow import airflow_python  # noqa: F401  (the fixture: Airflow's own venv)

pytestmark = [pytest.mark.e2e, pytest.mark.slow]

DATASET = "cloudflare_email_security"
SYSTEMD_PATH = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"
PASSED_ON = ("PIP_", "http_proxy", "https_proxy", "no_proxy", "HTTP_PROXY", "HTTPS_PROXY")


@pytest.fixture(scope="module")
def sim() -> Iterator[Simulator]:
    with Simulator(World(seed=83, jobs=5, messages=(0, 30))) as simulator:
        yield simulator


def user_environment(sim: Simulator, folder: Path) -> dict[str, str]:
    """A user's shell, bare: their token and account exported, their own HOME; nothing of the
    tests' environment but pip's settings (its index)."""
    home = folder / "home"
    home.mkdir(parents=True, exist_ok=True)
    passed = {k: v for k, v in os.environ.items() if k.startswith(PASSED_ON)}
    cache = Path(os.environ.get("XDG_CACHE_HOME", Path.home() / ".cache")) / "pip"
    return {
        "PIP_CACHE_DIR": str(cache),  # the machine's: pip builds with the setuptools it fetched
        **passed,
        "PATH": f"{python3_folder(folder / 'python3')}:/usr/local/bin:/usr/bin:/bin",
        "HOME": str(home),
        "LANG": "C.UTF-8",
        "CLOUDFLARE_API_BASE_URL": sim.base_url,
        "CLOUDFLARE_ACCOUNT_ID": sim.world.account_id,
        "CLOUDFLARE_API_TOKEN": DEFAULT_TOKEN,
        "DLT_DATA_DIR": str(folder / "dlt"),  # as root dlt would use /var/dlt, the machine's
        "SOURCES__CLOUDFLARE_EMAIL_SECURITY__BACKOFF_FACTOR": "0",
        "RUNTIME__DLTHUB_TELEMETRY": "false",
        "DAGSTER_DISABLE_TELEMETRY": "yes",
        "DBT_SEND_ANONYMOUS_USAGE_STATS": "false",
        "DO_NOT_TRACK": "1",
    }


def run_recipe(
    name: str, folder: Path, env: dict[str, str], venvs: dict[str, Provided]
) -> subprocess.CompletedProcess:
    """The recipe's commands in bash, from `folder`."""
    shown = recipe(name)
    done = subprocess.run(
        ["bash", "-c", shell_script(shown.commands, venvs)],
        cwd=folder,
        env=env,
        capture_output=True,
        text=True,
        timeout=900,
    )
    where = ", ".join(w for w, _ in shown.blocks)
    assert done.returncode == 0, f"{where}:\n{done.stdout[-4000:]}\n{done.stderr[-4000:]}"
    return done


def installed_in(venv: Path, env: dict[str, str]) -> bool:
    """Whether the venv's interpreter imports cf_bulk_sync from the venv's own install."""
    code = "import cf_bulk_sync; print(cf_bulk_sync.__file__)"
    python = str(venv / "bin" / "python")
    done = subprocess.run([python, "-c", code], capture_output=True, text=True, env=env)
    return Path(done.stdout.strip()).is_relative_to(venv / "lib")


def messages(database: Path) -> dict[tuple[str, str], str]:
    rows = query(database, f"select job_id, message_id, status from {DATASET}.bulk_job_messages")
    return {(job, message): status for job, message, status in rows}


def test_the_quick_start_installs_the_command_and_runs_the_demo(
    sim: Simulator, tmp_path: Path
) -> None:
    checkout = clone(tmp_path / "clone")
    env = user_environment(sim, tmp_path)
    done = run_recipe("quickstart", checkout, env, {".venv": running_environment()})
    assert "models: " in done.stdout and "assertions: " in done.stdout, done.stdout[-2000:]
    assert (checkout / "cf_bulk_sync_demo" / "cf_bulk_sync.duckdb").exists()
    # the command stays on PATH in a shell that activates the venv, from the venv's own install
    again = subprocess.run(
        ["bash", "-c", ". .venv/bin/activate && command -v cf-bulk-sync && cf-bulk-sync -h"],
        cwd=checkout,
        env=env,
        capture_output=True,
        text=True,
    )
    assert again.stdout.splitlines()[0] == str(checkout / ".venv" / "bin" / "cf-bulk-sync")
    assert installed_in(checkout / ".venv", env)


def test_the_dagster_recipe_materializes_the_assets(sim: Simulator, tmp_path: Path) -> None:
    checkout = clone(tmp_path / "clone")
    env = user_environment(sim, tmp_path)
    done = run_recipe("dagster", checkout, env, {".venv": running_environment("dagster")})
    assert "RUN_SUCCESS" in done.stdout + done.stderr
    assert installed_in(checkout / ".venv", env)
    assert messages(checkout / "cf_bulk_sync.duckdb") == sim.world.truth_messages()
    dagster = str(checkout / ".venv" / "bin" / "dagster")
    pool = subprocess.run(
        [dagster, "instance", "concurrency", "get", "cf_bulk_sync"],
        env={**env, "DAGSTER_HOME": str(tmp_path / "home" / "dagster")},
        capture_output=True,
        text=True,
    )
    assert '"cf_bulk_sync": 0 / 1 slots' in pool.stdout, pool.stdout + pool.stderr  # the pool, kept


def test_the_airflow_recipe_tests_the_dag(
    sim: Simulator,
    tmp_path: Path,
    airflow_python: Path,  # noqa: F811
) -> None:
    checkout = clone(tmp_path / "clone")
    env = user_environment(sim, tmp_path)
    venvs = {".venv": Provided(airflow_python, ("airflow",))}
    done = run_recipe("airflow", checkout, env, venvs)
    output = done.stdout + done.stderr
    assert "cf-bulk-sync run: OK" in output, output[-3000:]
    assert DEFAULT_TOKEN not in output
    assert installed_in(checkout / ".venv", env)
    assert messages(checkout / "cf_bulk_sync.duckdb") == sim.world.truth_messages()


def test_the_dbt_recipe_builds_the_package(sim: Simulator, tmp_path: Path) -> None:
    checkout = clone(tmp_path / "clone")
    env = user_environment(sim, tmp_path)
    dbt = Provided(Path(dbt_executable()).with_name("python"), ("dbt",))
    done = run_recipe("dbt", checkout, env, {".venv": running_environment(), "dbt-venv": dbt})
    built = re.search(r"Done\. PASS=(\d+) WARN=(\d+) ERROR=0 SKIP=0", done.stdout)
    assert built and int(built[1]) > 20, done.stdout[-3000:]
    database = checkout / "analytics" / "cf_bulk_sync.duckdb"
    marts = query(database, "select count(*) from analytics.job_status_counts")
    assert marts == [(len(sim.world.jobs),)]


@pytest.fixture(scope="module")
def deployment(sim: Simulator, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """`/srv/cf` as the deploy recipe makes it, in a folder of the test's own: its commands run
    from a copy of the checkout (the tests run as root: `sudo` runs the command as given),
    then its two files given the simulator's values, as a user puts in their own."""
    folder = tmp_path_factory.mktemp("deploy")
    srv = folder / "srv" / "cf"
    shims = folder / "shims"
    shims.mkdir()
    (shims / "sudo").write_text('#!/bin/sh\nexec "$@"\n')
    (shims / "sudo").chmod(0o755)
    env = user_environment(sim, folder)
    env.update(PATH=f"{shims}:{env['PATH']}", USER="root")
    shown = recipe("deploy")
    venvs = {f"{srv}/venv": running_environment()}
    script = shell_script(on_this_machine(shown.commands, srv), venvs)
    done = subprocess.run(
        ["bash", "-c", script], cwd=clone(folder / "clone"), env=env, capture_output=True, text=True
    )
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    assert installed_in(srv / "venv", env)
    values = {"account_id": sim.world.account_id, "api_token": DEFAULT_TOKEN}
    for path in shown.files:
        assert path.startswith("/srv/cf/.dlt/"), path
        written = Path(on_this_machine(path, srv))
        section = tomllib.loads(written.read_text())["sources"]["cloudflare_email_security"]
        assert set(section) <= set(values), section  # the recipe's keys, our values
        lines = ["[sources.cloudflare_email_security]"]
        lines += [f'{key} = "{values[key]}"' for key in section]
        if path.endswith("config.toml"):
            lines.append(f'base_url = "{sim.base_url}"')
        written.write_text("\n".join(lines) + "\n")
    return srv


def on_this_machine(text: str, srv: Path) -> str:
    return text.replace("/srv/cf", str(srv))


def test_the_cron_line_runs_in_crons_bare_environment(
    sim: Simulator, deployment: Path, tmp_path: Path
) -> None:
    """What cron gives a job: PATH=/usr/bin:/bin, HOME, LOGNAME, SHELL and the crontab's own
    variables, nothing else (`env -i`)."""
    variables, entries = {}, []
    for line in recipe("cron").commands.splitlines():
        if re.match(r"^\w+=", line):
            key, value = line.split("=", 1)
            variables[key] = on_this_machine(value, deployment)
        elif line.strip() and not line.startswith("#"):
            entries.append(line)
    (entry,) = entries
    schedule, command = entry.split(maxsplit=5)[:5], entry.split(maxsplit=5)[5]
    assert schedule == ["*/15", "*", "*", "*", "*"]
    home = tmp_path / "home"
    home.mkdir()
    cron = {"PATH": "/usr/bin:/bin", "HOME": str(home), "LOGNAME": "cron", "SHELL": "/bin/sh"}
    assignments = [f"{k}={v}" for k, v in {**cron, **variables}.items()]
    log_file = deployment / "cf-bulk-sync.log"
    before = log_file.stat().st_size if log_file.exists() else 0
    done = subprocess.run(
        ["env", "-i", *assignments, "/bin/sh", "-c", on_this_machine(command, deployment)],
        timeout=300,
    )
    log = log_file.read_text()[before:]
    assert done.returncode == 0, log
    assert log.startswith("cf-bulk-sync run: OK"), log
    assert messages(deployment / "cf_bulk_sync.duckdb") == sim.world.truth_messages()
    assert (deployment / "bi" / "cf_bulk_sync.duckdb").exists()  # --publish
    assert (deployment / "dlt" / "pipelines" / "cf_bulk_sync").is_dir()  # DLT_DATA_DIR


def units(srv: Path) -> dict[str, configparser.ConfigParser]:
    parsed = {}
    for name, text in recipe("systemd").files.items():
        unit = configparser.ConfigParser(strict=True, interpolation=None)
        unit.optionxform = str  # type: ignore[assignment,method-assign]  # keys keep their case
        unit.read_string(on_this_machine(text, srv))
        parsed[name] = unit
    return parsed


def test_the_systemd_units_verify_and_their_command_runs_as_systemd_starts_it(
    sim: Simulator, deployment: Path, tmp_path: Path
) -> None:
    parsed = units(deployment)
    assert set(parsed) == {"cf-bulk-sync.service", "cf-bulk-sync.timer"}
    service, timer = parsed["cf-bulk-sync.service"]["Service"], parsed["cf-bulk-sync.timer"]
    assert service["Type"] == "oneshot" and service["SuccessExitStatus"] == "5"
    assert timer["Install"]["WantedBy"] == "timers.target"
    written = tmp_path / "units"
    written.mkdir()
    for name, text in recipe("systemd").files.items():
        (written / name).write_text(on_this_machine(text, deployment))
    analyze = shutil.which("systemd-analyze")
    if analyze:  # Debian's systemd package; the tests run without a system manager
        verified = subprocess.run(
            [analyze, "verify", *sorted(str(p) for p in written.iterdir())],
            capture_output=True,
            text=True,
            env={**os.environ, "SYSTEMD_LOG_LEVEL": "notice"},
        )
        assert verified.returncode == 0 and not verified.stdout + verified.stderr, (
            verified.stdout + verified.stderr
        )
        calendar = subprocess.run(
            [analyze, "calendar", timer["Timer"]["OnCalendar"]], capture_output=True, text=True
        )
        assert "*-*-* *:00/15:00" in calendar.stdout, calendar.stdout + calendar.stderr
    # what systemd gives a service: its default PATH and the unit's Environment= (one here)
    environment = [f"PATH={SYSTEMD_PATH}", service["Environment"]]
    done = subprocess.run(
        ["env", "-i", *environment, *service["ExecStart"].split()],
        cwd=service["WorkingDirectory"],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    assert done.stdout.startswith("cf-bulk-sync run: OK"), done.stdout
    assert messages(deployment / "cf_bulk_sync.duckdb") == sim.world.truth_messages()
    assert (deployment / "dlt" / "pipelines" / "cf_bulk_sync").is_dir()
