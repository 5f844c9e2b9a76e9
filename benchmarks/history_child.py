"""One model build in a process of its own, for `benchmarks.history`: prints one JSON line with
the build's seconds and the process's peak RSS.

Run by whichever interpreter is being measured (this checkout's, or another release's venv):
it needs only `cf_bulk_sync` installed there. Releases whose `build_models` has no `full`
always rebuild everything, which is what they are compared for.
"""

import argparse
import inspect
import json
import resource
import time
from pathlib import Path

import dlt

from cf_bulk_sync.loading.pipeline import make_pipeline
from cf_bulk_sync.models.runner import build_models


def peak_rss_kib() -> int:
    """This program's own peak RSS: VmHWM belongs to the address space made by exec, whereas
    getrusage's ru_maxrss is inherited from the parent across fork and exec (the benchmark's
    parent holds the synthesised warehouse in memory)."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1])
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss  # not Linux: the best there is


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.history_child")
    parser.add_argument("--db", required=True)
    parser.add_argument("--work", required=True, help="the dlt pipelines folder")
    parser.add_argument("--full", action="store_true")
    parser.add_argument("--assertions", action="store_true", help="run them too (timed apart)")
    args = parser.parse_args()
    pipeline = make_pipeline(dlt.destinations.duckdb(args.db), pipelines_dir=args.work)
    options = {"full": True} if "full" in inspect.signature(build_models).parameters else {}
    if not args.full:
        options = {}
    started = time.perf_counter()
    build = build_models(pipeline, run_assertions=False, **options)
    seconds = time.perf_counter() - started
    assertions = None
    if args.assertions:  # a second build, with nothing loaded since, and the assertions
        started = time.perf_counter()
        build_models(pipeline)
        assertions = round(time.perf_counter() - started, 3)
    peak_kib = peak_rss_kib()
    print(
        json.dumps(
            {
                "seconds": round(seconds, 3),
                "peak_rss_mib": round(peak_kib / 1024, 1),
                "full": getattr(build, "full", True),
                "changed_jobs": getattr(build, "changed_jobs", None),
                "derived_texts": getattr(build, "derived_texts", None),
                "with_assertions_seconds": assertions,
            }
        )
    )


if __name__ == "__main__":
    main()
