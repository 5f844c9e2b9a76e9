"""`cf-bulk-sync compile`: the models' SQL for a dialect, through the command line. The DuckDB
files it writes, run in their order, give the marts `models` builds; every dialect compiles;
an unknown one is refused in one line."""

import os
import subprocess
import sys
from pathlib import Path

import duckdb
import pytest
import sqlglot
from sqlglot import exp

from cf_bulk_sync.cli import main
from cf_bulk_sync.models.dialects import SUPPORTED
from cf_bulk_sync.models.runner import load_models

from .conftest import REPORTING, Warehouse, job, message

MODELS = [m.name for m in load_models()]


def compile_cli(*args: str) -> subprocess.CompletedProcess:
    # the package this interpreter imports (the installed wheel in CI), as `cf-bulk-sync` runs
    return subprocess.run(
        [sys.executable, "-m", "cf_bulk_sync.cli", "compile", *args],
        capture_output=True,
        text=True,
        timeout=120,
        env=os.environ.copy(),
    )


@pytest.mark.parametrize(
    "args,named",
    [
        pytest.param(["--dialect", "oracle"], ["dialect 'oracle'", "databricks"], id="dialect"),
        pytest.param(
            ["--dialect", "duckdb", "--absent", "bulk_jobz"],
            ["bulk_jobz: not a raw table", "bulk_jobs"],
            id="absent-table",
        ),
    ],
)
def test_bad_input_is_refused_in_one_line(
    tmp_path: Path, args: list[str], named: list[str]
) -> None:
    done = compile_cli(*args, "--out", str(tmp_path / "out"))
    assert done.returncode == 2
    assert done.stdout == ""
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1, done.stderr
    assert all(text in lines[0] for text in named), lines[0]
    assert not (tmp_path / "out").exists()


def created(statement: exp.Expression) -> str:
    """The table or view a statement creates (T-SQL's `SELECT ... INTO` too)."""
    target = statement.args["into"] if isinstance(statement, exp.Select) else statement
    return target.find(exp.Table).name.lower()


# quoting and folding (Snowflake upper-cases), back-quotes, T-SQL's SELECT INTO; every dialect
# is compiled in test_dialects.py
@pytest.mark.parametrize("dialect", ["snowflake", "databricks", "tsql"])
def test_a_dialect_prints_every_model_in_build_order(
    dialect: str, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["compile", "--dialect", dialect]) == 0
    out = capsys.readouterr().out
    statements = [s for s in sqlglot.parse(out, read=dialect) if s is not None]
    assert len(statements) == len(MODELS)
    assert [created(s) for s in statements] == MODELS


def test_the_files_run_in_order_build_the_marts_models_builds(
    warehouse: Warehouse, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    warehouse.seed(
        "bulk_jobs",
        [job("j1", total_messages_discovered=2, messages_successful=1, messages_failed=1)],
    )
    warehouse.seed(
        "bulk_job_messages",
        [message("j1", "m1", "COMPLETED"), message("j1", "m2", "FAILED", "Mailbox not found")],
    )
    assert warehouse.build().blocking_failures == []
    raw = warehouse.pipeline.dataset_name
    out = tmp_path / "compiled"
    out.mkdir()
    (out / "99_stale.sql").write_text("select 1;\n")  # an earlier compile's: replaced
    (out / "notes.md").write_text("mine\n")  # not the compile's: kept
    # dlt made no table of the kinds that received no row
    absent = ["bulk_job_deletions", "bulk_job_snapshots", "bulk_job_sync_state"]
    absent += ["bulk_job_messages_rejected"]
    options = ["--dataset", raw, *(f"--absent={table}" for table in absent)]
    assert main(["compile", "--dialect", "duckdb", "--out", str(out), *options]) == 0
    assert "12 models for duckdb" in capsys.readouterr().out
    files = sorted(p.name for p in out.glob("*.sql"))
    assert files == [f"{i:02d}_{name}.sql" for i, name in enumerate(MODELS, start=1)]
    assert (out / "notes.md").exists()
    built = {m: warehouse.mart(m, "*", "all") for m in MODELS}
    with duckdb.connect(str(warehouse.database)) as con:
        con.execute("set TimeZone = 'UTC'")
        con.execute(f"drop schema {REPORTING} cascade")
        con.execute(f"create schema {REPORTING}")
        for path in sorted(out.glob("*.sql")):
            con.execute(path.read_text())
        for model in MODELS:
            rows = con.sql(f"select * from {REPORTING}.{model} order by all").fetchall()
            assert rows == built[model], model
    assert any(built.values())


def test_the_help_names_every_dialect(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit):
        main(["compile", "--help"])
    text = " ".join(capsys.readouterr().out.split())  # argparse wraps the list
    listed = text.split("as sqlglot names it: ", 1)[1].split(" --out", 1)[0]
    assert [name.strip() for name in listed.split(",")] == list(SUPPORTED)
