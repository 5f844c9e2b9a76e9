"""The dashboard at scale: `python -m benchmarks.dashboard [--jobs 1000] [--shots DIR]`.

Syncs a simulated account of `--jobs` jobs (several runs, time moving between them, so sync
health has a history) into a DuckDB file of its own, writes the dashboard and opens it in
headless Chromium (Debian's chromium; driven as the browser tests drive it). Prints the page's
size and where it goes, the time to first render (navigation start to the page's script done,
`performance.mark("dashboard-ready")`, and the first contentful paint), the median of
`--repeat` loads, and the time one filter change takes to rebuild every panel. With `--shots`,
saves full-page screenshots at 390 and 1440 px there.
"""

import argparse
import json
import os
import statistics
import tempfile
import time
from pathlib import Path

import dlt

from cf_bulk_sync.outcome import ExitCode
from cf_bulk_sync.reporting.dashboard import write_dashboard
from cf_bulk_sync.run import RunOptions, pipeline_for, run_once
from cf_bulk_sync.simulator import DEFAULT_TOKEN, Simulator, World
from tests.support.browser import Browser

READY = "document.body.dataset.ready === 'yes'"
TIMINGS = """(() => {
  const ready = performance.getEntriesByName("dashboard-ready")[0].startTime;
  const paint = performance.getEntriesByName("first-contentful-paint")[0];
  return [ready, paint ? paint.startTime : null];
})()"""
# one filter change, as a user makes it: every panel rebuilt before this returns
FILTER_CHANGE = """(() => {
  const select = document.getElementById("f-type");
  const start = performance.now();
  select.value = select.options[1].value;
  select.dispatchEvent(new Event("change", { bubbles: true }));
  return performance.now() - start;
})()"""


def build(folder: Path, jobs: int, runs: int) -> Path:
    options = RunOptions(
        destination=dlt.destinations.duckdb(str(folder / "warehouse.duckdb")),
        pipelines_dir=str(folder / "pipelines"),
    )
    with Simulator(World(seed=16, jobs=jobs, messages=(0, 200))) as sim:
        options.source_args = dict(
            account_id=sim.world.account_id,
            api_token=DEFAULT_TOKEN,
            base_url=sim.base_url,
            backoff_factor=0,
        )
        for n in range(runs):
            outcome = run_once(options)
            if outcome.exit_code != ExitCode.OK:
                raise SystemExit(f"run {n + 1} failed: {outcome.error}")
            sim.advance(steps=3)
    return write_dashboard(pipeline_for(options), str(folder / "dashboard.html"))


def measure(page: Path, repeat: int, shots: Path | None, name: str) -> dict[str, object]:
    loads, paints = [], []
    with Browser() as browser:
        for _ in range(repeat):
            browser.open(page, 1440, ready=READY)
            ready, paint = browser.evaluate(TIMINGS)
            loads.append(ready)
            paints.append(paint)
        change = browser.evaluate(FILTER_CHANGE)
        if shots:
            shots.mkdir(parents=True, exist_ok=True)
            for width in (390, 1440):
                browser.open(page, width, ready=READY)
                browser.screenshot(shots / f"dashboard-{name}-{width}px.png")
    return {
        "first_render_ms_median": round(statistics.median(loads), 1),
        "first_contentful_paint_ms_median": round(statistics.median(p for p in paints if p), 1)
        if any(paints)
        else None,
        "filter_change_ms": round(change, 1),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--jobs", type=int, default=1000)
    parser.add_argument("--runs", type=int, default=3, help="syncs, time moving between them")
    parser.add_argument("--repeat", type=int, default=5, help="page loads to time")
    parser.add_argument("--shots", type=Path, help="folder for the screenshots")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="bench-dashboard-") as work:
        os.environ["DLT_DATA_DIR"] = str(Path(work) / "dlt")  # never /var/dlt
        os.environ["RUNTIME__DLTHUB_TELEMETRY"] = "false"
        started = time.monotonic()
        page = build(Path(work), args.jobs, args.runs)
        synced = time.monotonic() - started
        html = page.read_text(encoding="utf-8")
        data = html[html.index('id="dashboard-data">') :]
        data = data[data.index(">") + 1 : data.index("</script>")]
        parts = {k: len(json.dumps(v, separators=(",", ":"))) for k, v in json.loads(data).items()}
        result = {
            "jobs": args.jobs,
            "page_bytes": len(html.encode()),
            "data_bytes": len(data.encode()),
            "data_bytes_by_part": parts,
            "build_seconds": round(synced, 1),
            **measure(page, args.repeat, args.shots, f"{args.jobs}-jobs"),
        }
    print(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
