"""The history benchmark runs end to end at a tiny size: the warehouse is synthesised, the
one-job builds are incremental and touch one job, and their marts equal a full rebuild.
(Timings are its output, never asserted here.)"""

import json
import subprocess
import sys
from pathlib import Path

import duckdb
import pytest

from benchmarks import history_data
from benchmarks.history import marts_digest

from ..support.checkout import CHECKOUT

pytestmark = pytest.mark.e2e


@pytest.mark.slow
def test_the_history_benchmark_runs_and_checks_its_marts(tmp_path: Path) -> None:
    out = tmp_path / "history.json"
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "benchmarks.history",
            "--messages",
            "3000",
            "--jobs",
            "30",
            "--dir",
            str(tmp_path),
            "--json",
            str(out),
        ],
        cwd=CHECKOUT,  # benchmarks/ is not in the wheel: it runs from the checkout
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    runs = json.loads(out.read_text())
    assert runs["first_full"]["full"] and runs["full"]["full"]
    for one_job in ("one_job", "one_job_new_texts", "one_job_texts_derived"):
        assert runs[one_job]["full"] is False and runs[one_job]["changed_jobs"] == 1
    # texts that came with the run's load are not derived again; those without are
    assert runs["one_job_new_texts"]["derived_texts"] == 0
    assert runs["one_job_texts_derived"]["derived_texts"] > 0
    assert runs["changed_messages"] > 0 and runs["marts_identical"] is True
    assert runs["raw_mib"] > 0 and runs["after_models_mib"] >= runs["raw_mib"]
    assert "one job changed (incremental)" in done.stdout


def test_the_synthesised_history_has_the_asked_size_and_one_job_changes(tmp_path: Path) -> None:
    database = tmp_path / "h.duckdb"
    with duckdb.connect(str(database)) as con:
        con.execute("create schema raw")
        con.execute(
            "create table raw.bulk_job_messages (job_id varchar, message_id varchar,"
            " status varchar, status_message varchar, retry_count bigint, _dlt_load_id varchar)"
        )
        con.execute(
            "create table raw.bulk_jobs (job_id varchar, messages_failed bigint,"
            " messages_successful bigint, total_messages_discovered bigint, _dlt_load_id varchar)"
        )
        con.execute(
            "create table raw._dlt_loads (load_id varchar, schema_name varchar, status bigint,"
            " inserted_at timestamp with time zone)"
        )
        history_data.synthesise(con, "raw", 1000, 10)
        assert con.sql(
            "select count(*), count(distinct job_id) from raw.bulk_job_messages"
        ).fetchall() == [(1000, 10)]
        assert con.sql("select sum(total_messages_discovered) from raw.bulk_jobs").fetchall() == [
            (1000,)
        ]
        changed = history_data.change_one_job(con, "raw", 0, new_texts=False)
        rows = con.sql(
            "select count(distinct job_id), count(*) from raw.bulk_job_messages"
            f" where _dlt_load_id <> '{history_data.HISTORY_LOAD_ID}'"
        ).fetchall()
        assert rows == [(1, changed)] and changed > 0
        assert con.sql("select count(*) from raw._dlt_loads").fetchall() == [(2,)]


def test_the_marts_digest_tells_rows_apart(tmp_path: Path) -> None:
    from cf_bulk_sync.models.runner import load_models

    database = tmp_path / "m.duckdb"
    with duckdb.connect(str(database)) as con:
        con.execute("create schema rep")
        for model in load_models():
            if not model.is_view:
                con.execute(f"create table rep.{model.name} as select 1 as a, 'x' as b")
    before = marts_digest(database, "rep")
    with duckdb.connect(str(database)) as con:
        con.execute("update rep.job_status_counts set b = 'y'")
    assert marts_digest(database, "rep") != before
