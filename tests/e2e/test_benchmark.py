"""The benchmark runs end to end on a tiny account and refuses a warehouse that is wrong.
(Timings are its output, never asserted here.)"""

import json
import subprocess
import sys
from collections import Counter
from pathlib import Path

import duckdb
import pytest

from benchmarks.__main__ import share_of_budget, verify

from ..support.checkout import CHECKOUT

pytestmark = pytest.mark.e2e

VARIANTS = ["handwritten", "ours", "ours-rerun", "rest_api-parquet"]


@pytest.mark.slow
def test_every_variant_runs_and_is_verified(tmp_path: Path) -> None:
    out = tmp_path / "runs.json"
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "benchmarks",
            "--jobs",
            "3",
            "--messages",
            "40",
            "--per-page",
            "15",
            "--repeat",
            "1",
            "--variants",
            ",".join(VARIANTS),
            "--json",
            str(out),
        ],
        cwd=CHECKOUT,  # benchmarks/ is not in the wheel: it runs from the checkout
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    runs = json.loads(out.read_text())
    assert sorted(runs) == sorted(VARIANTS)
    # 1 list page + 3 pages per job; the rerun asks for the list only
    assert runs["handwritten"][0]["served"] == runs["ours"][0]["served"] == 10
    assert runs["ours"][0]["requests"] == 10 and runs["ours-rerun"][0]["requests"] == 1
    assert all(
        0 < runs[v][0]["imports"] < runs[v][0]["seconds"] for v in VARIANTS if v != "ours-rerun"
    )  # the rerun is timed after its imports and first run
    table = done.stdout.split("variant", 1)[1]
    assert all(name in table for name in VARIANTS)


def test_a_wrong_warehouse_is_refused(tmp_path: Path) -> None:
    database = tmp_path / "w.duckdb"
    with duckdb.connect(str(database)) as con:
        con.execute(
            "create table bulk_job_messages as select 'j' as job_id, 'm' as message_id,"
            " 'COMPLETED' as status from range(2)"
        )  # one message loaded twice
    with pytest.raises(SystemExit, match="loaded 2 rows \\(1 keys\\), expected 2"):
        verify("handwritten", database, Counter({"COMPLETED": 2}))


def test_the_share_of_the_budget_counts_the_run_s_whole_windows() -> None:
    bursts = [w * 5.1 + i / 100 for w in range(4) for i in range(10)]  # 10 per 5 s, then wait
    assert share_of_budget(bursts, 10, 5.0) == 1.0  # 3 whole windows [0, 15): 30 requests
    assert share_of_budget(bursts[::2], 10, 5.0) == 0.5
    # one request every 7 s under 1 per 5 s: the 4 whole windows, [0, 20), hold 3
    assert share_of_budget([0.0, 7.0, 14.0, 21.0], 1, 5.0) == pytest.approx(3 / 4)
    assert share_of_budget([0.0, 1.0], 10, 5.0) == 0.2  # shorter than a window
    assert share_of_budget([], 10, 5.0) == 0.0


@pytest.mark.slow
def test_a_backfill_at_the_rate_limit_reports_its_share_and_429s(tmp_path: Path) -> None:
    """The backfill setup, scaled down: 25 requests against a sliding limit of 10 per 2 s."""
    out = tmp_path / "runs.json"
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "benchmarks",
            *("--variants", "ours", "--repeat", "1", "--jobs", "3", "--messages", "40"),
            *("--per-page", "5", "--latency", "0.05", "--rate-limit", "10"),
            *("--budget", "10", "--budget-seconds", "2", "--json", str(out)),
        ],
        cwd=CHECKOUT,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    run = json.loads(out.read_text())["ours"][0]
    assert run["served"] == 25 and run["rate_limited"] == 0 and run["busiest"] <= 10
    # the budget never lets more through than the window allows (how close it gets is the
    # benchmark's output, not a test's)
    assert 0 < run["share"] <= 1
    assert "429s" in done.stdout and "of budget" in done.stdout
