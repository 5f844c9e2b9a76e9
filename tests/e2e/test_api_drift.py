"""What the API sends next year must not stop this year's schedule: for each way the simulator
drifts (see cf_bulk_sync.simulator.drift), a scheduled series of `cf-bulk-sync run` through the
installed console script, the simulated time moving between runs. Each run exits as the
README's drift table says, says what changed, shows no traceback, and the warehouse holds
exactly what the API serves (a job marked deleted aside)."""

import json
import re
from dataclasses import dataclass, field
from pathlib import Path

import jsonschema
import pytest

from cf_bulk_sync.run_result import SCHEMA
from cf_bulk_sync.simulator import Simulator, World

from ..support.cli import EVERY_RUN_FETCHES, cli, cli_env
from ..support.warehouse import query

pytestmark = [pytest.mark.e2e, pytest.mark.slow]

RAW = "cloudflare_email_security"


@dataclass
class Series:
    """Runs of one drift kind: the exit code of each run and whether the drift is on during
    each (every run by default); `said` (a regular expression) must match the output of the
    run it is paired with; `changes` are the (table, column) each run's JSON result names in
    `schema_changes`; `checked` must be in `cf-bulk-sync check`'s output after the series."""

    codes: tuple[int, ...]
    on: tuple[bool, ...] = ()
    said: dict[int, str] = field(default_factory=dict)
    changes: dict[int, set[tuple[str, str]]] = field(default_factory=dict)
    checked: str = ""
    recorded: int = 0  # runs whose sync_runs row lists schema changes

    def drifting(self, run: int) -> bool:
        return self.on[run] if self.on else True


MESSAGES, JOBS = "bulk_job_messages", "bulk_jobs"
SERIES = {
    "added-scalar": Series(
        (0,) * 5,
        said={0: r"gained column spam_score \(bigint\)"},
        changes={0: {(MESSAGES, "spam_score"), (JOBS, "spam_score")}, 1: set(), 4: set()},
        checked="bulk_job_messages gained column spam_score (bigint)",
        recorded=1,
    ),
    # one unknown list field for six runs, then gone for two: the field that wedged every run
    # from the second on, when it made a child table of the merged messages
    "added-list": Series(
        (0,) * 8,
        on=(True,) * 6 + (False,) * 2,
        said={0: r"gained column labels \(json\)"},
        changes={0: {(MESSAGES, "labels"), (JOBS, "labels")}, 1: set(), 6: set()},
        checked="bulk_job_messages gained column labels (json)",
        recorded=1,
    ),
    "added-object": Series(
        (0,) * 5,
        said={0: r"gained column delivery \(json\)"},
        changes={0: {(MESSAGES, "delivery"), (JOBS, "delivery")}},
        checked="bulk_jobs gained column delivery (json)",
        recorded=1,
    ),
    "type-change": Series(
        (0,) * 5,
        said={
            0: r"gained column verdict \(bigint\)",
            1: "bulk_job_messages.verdict received text values: they are kept in verdict__v_text",
            2: "bulk_job_messages.verdict received json values",
        },
        changes={1: {(MESSAGES, "verdict__v_text"), (JOBS, "verdict__v_text")}, 3: set()},
        checked="verdict received json values: they are kept in verdict__v_json",
        recorded=3,
    ),
    "poison-item": Series(
        (0,) * 5,
        said={
            0: r"rejected: 1 items .*\n(.|\n)*warning: assertion settled_jobs__rejected_items"
            r" failed \(1 rows\): job_id=[-0-9a-f]+, message_id=[-0-9a-f]+, field=retry_count"
        },
    ),
    "false-temporary": Series((0,) * 5),
    "false-one-job": Series((3,) * 5, said={0: "code 1003: Bulk action job is in an invalid"}),
    "errors-on-success": Series((0,) * 5, said={0: r"listed errors \(code 9000"}),
    "empty-pages": Series((0,) * 5),
    "transient-404": Series((3, 0, 0, 0, 0), said={0: "but the job's detail answers"}),
    "id-format": Series(
        (0,) * 5,
        on=(False, True, True, False, False),
        said={1: "12 marked deleted", 3: "was marked deleted and is listed again"},
    ),
    "bom": Series((0,) * 5),
    # the settled jobs are still skipped: statuses compare in any case
    "lowercase-status": Series(
        (0,) * 5, said={1: r"jobs: 1[0-9] seen, [0-9] synced, [5-9] skipped"}
    ),
    "edge-403": Series(
        (0, 1, 1, 0, 0),
        on=(False, True, True, False, False),
        said={1: "HTTP 403 from an edge or proxy in front of the API"},
    ),
}


def loaded(database: Path) -> dict[tuple[str, str], str]:
    """(job_id, message_id) -> status of the rows of every job not marked deleted."""
    deletions = query(
        database,
        "select 1 from information_schema.tables where table_name = 'bulk_job_deletions'",
    )
    deleted = (
        f" where m.job_id not in (select job_id from {RAW}.bulk_job_deletions"
        " where deleted_at is not null)"
        if deletions
        else ""
    )
    rows = query(
        database,
        f"select m.job_id, m.message_id, upper(m.status) from {RAW}.bulk_job_messages m{deleted}",
    )
    return {(job, message): status for job, message, status in rows}


@pytest.mark.parametrize("kind", list(SERIES))
def test_a_scheduled_series_stays_exact_through_drift(kind: str, tmp_path: Path) -> None:
    series = SERIES[kind]
    world = World(seed=11, jobs=12, messages=(0, 60))
    with Simulator(world) as sim:
        # pages of 20: jobs have several, so paging drifts (empty pages, a 404 on page 2) bite
        env = cli_env(
            sim, tmp_path, SOURCES__CLOUDFLARE_EMAIL_SECURITY__PER_PAGE="20", **EVERY_RUN_FETCHES
        )
        database = Path(env["DESTINATION__DUCKDB__CREDENTIALS"])
        codes = []
        schema = json.loads(SCHEMA.read_text())
        for number in range(len(series.codes)):
            sim.drift.kinds = {kind} if series.drifting(number) else set()
            run = cli("run", "--json", env=env, cwd=tmp_path)
            output = run.stdout + run.stderr
            codes.append(run.returncode)
            assert "Traceback" not in output, output
            if number in series.said:
                assert re.search(series.said[number], output), output
            result = json.loads(run.stdout)
            jsonschema.validate(result, schema)
            if number in series.changes:
                changed = {(c["table"], c["column"]) for c in result["schema_changes"]}
                assert changed == series.changes[number], output
            if run.returncode == 0:
                truth = {k: v.upper() for k, v in sim.served_truth().items()}
                assert loaded(database) == truth, f"run {number + 1}: {output}"
            sim.advance()
        assert tuple(codes) == series.codes
        check = cli("check", env=env, cwd=tmp_path)
        assert "Traceback" not in check.stdout + check.stderr
        if series.checked:
            assert series.checked in check.stdout, check.stdout
        else:
            assert "API fields: only the declared fields so far" in check.stdout, check.stdout
        recorded = query(
            database, f"select count(*) from {RAW}.sync_runs where schema_changes <> '[]'"
        )[0][0]
        assert recorded == series.recorded


def test_an_unknown_list_is_stored_whole_as_json(tmp_path: Path) -> None:
    """Lossless: the list a message carried is the JSON its column holds, for every row."""
    with Simulator(World(seed=11, jobs=12, messages=(0, 60)), drift={"added-list"}) as sim:
        env = cli_env(sim, tmp_path)
        assert cli("run", "--no-models", env=env, cwd=tmp_path).returncode == 0
        served = {
            (j["job_id"], m["message_id"]): sim.drift.message(m, 0)["labels"]
            for j in (job.fields for job in sim.world.jobs.values())
            for m in sim.world.jobs[j["job_id"]].messages
        }
        rows = query(
            Path(env["DESTINATION__DUCKDB__CREDENTIALS"]),
            f"select job_id, message_id, labels from {RAW}.bulk_job_messages",
        )
        assert {(j, m): json.loads(labels) for j, m, labels in rows} == served
        tables = query(
            Path(env["DESTINATION__DUCKDB__CREDENTIALS"]),
            "select table_name from information_schema.tables where table_name like '%labels%'",
        )
        assert tables == []  # no child table


def test_report_and_dashboard_show_each_jobs_rejected_items(tmp_path: Path) -> None:
    """The poisoned job's row says how many of its items were set aside; the others say 0."""
    with Simulator(World(seed=11, jobs=12, messages=(0, 60)), drift={"poison-item"}) as sim:
        env = cli_env(sim, tmp_path)
        assert cli("run", env=env, cwd=tmp_path).returncode == 0
        poisoned = sim.drift.poisoned(sim.world)
        assert poisoned is not None
        job_id = str(poisoned[0].fields["job_id"])
        report = cli("report", "--top", "1", env=env, cwd=tmp_path)
        assert report.returncode == 0, report.stderr
        lines = report.stdout.splitlines()
        header, dashes = lines[1], lines[2]
        spans = [(m.start(), m.end()) for m in re.finditer(r"-+", dashes)]
        names = [header[a:b].strip() for a, b in spans]
        rejected = {}
        for row in lines[3 : 3 + len(sim.world.jobs)]:
            cells = dict(
                zip(names, (row.ljust(len(dashes))[a:b].strip() for a, b in spans), strict=True)
            )
            rejected[cells["job"]] = int(cells["rejected"])
        assert rejected[job_id[:8]] == 1 and sum(rejected.values()) == 1, rejected
        out = tmp_path / "d.html"
        assert cli("dashboard", "--out", str(out), env=env, cwd=tmp_path).returncode == 0
        page = out.read_text()
        found = re.search(r'id="dashboard-data">(.*?)</script>', page, re.S)
        assert found is not None
        data = json.loads(found.group(1))
        by_job = dict(zip(data["jobs"]["id"], data["jobs"]["rejected"], strict=True))
        assert by_job[job_id] == 1
        assert sum(by_job.values()) == 1
