"""The scheduled-life benchmark runs end to end on a tiny account, through the installed
command line, and what it counts is what a scheduled run should cost. (Timings are its
output, never asserted here.)"""

import json
import subprocess
import sys
from pathlib import Path

import pytest

from ..support.checkout import CHECKOUT

pytestmark = [pytest.mark.e2e, pytest.mark.slow]


def test_a_scheduled_life_writes_and_rebuilds_only_what_changed(tmp_path: Path) -> None:
    out = tmp_path / "runs.json"
    args = ["--jobs", "6", "--messages", "300", "--in-flight", "2", "--cycles", "2"]
    steady = ["--steady-settled", "4", "--steady-jobs", "2", "--steady-rows", "200"]
    done = subprocess.run(
        [sys.executable, "-m", "benchmarks.scheduled", *args, *steady, "--json", str(out)],
        cwd=CHECKOUT,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    runs = {r["name"]: r for r in json.loads(out.read_text())}
    assert "| nothing changed |" in done.stdout and "nothing changed / full sync:" in done.stdout
    full = runs["full sync (first run)"]
    assert full["written"] == 6 * 300 and full["rebuilt"] == "all (full)"
    quiet = runs["nothing changed"]
    # one listing request, nothing written, no mart rebuilt
    assert (quiet["requests"], quiet["written"], quiet["rebuilt"]) == (1, 0, "0")
    every = runs["nothing changed, every job in flight fetched"]
    assert every["requests"] > 1 and every["written"] == 0 and every["rebuilt"] == "0"
    assert runs["  then models (incremental)"]["rebuilt"] == "1"
    settled = runs["every job settled, nothing to fetch"]
    assert (settled["requests"], settled["written"], settled["rebuilt"]) == (1, 0, "0")
    assert all(r["exit_code"] == 0 for r in runs.values())
    # the working folder stays bounded: loaded packages beyond the newest 20 are pruned
    assert max(r["folder_files"] for r in runs.values()) < 200
    steady_runs = [r for name, r in runs.items() if name.startswith("steady cycle")]
    assert len(steady_runs) == 2 and all(0 < r["written"] <= 200 for r in steady_runs)
