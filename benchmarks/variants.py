"""The loaders the benchmark compares, each run in a child process of its own:

    python -m benchmarks.variants NAME --base-url URL --account ID --token T --db PATH

prints one JSON line: seconds from start to finish, the part of them spent importing the
variant's libraries, peak RSS in MiB, requests made.
"""

import argparse
import json
import os
import resource
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

TABLES = {  # where each variant leaves the messages, and the column holding the job id
    "ours": ("cloudflare_email_security.bulk_job_messages", "job_id"),
    "rest_api": ("rest_api.bulk_job_messages", "_bulk_jobs_job_id"),
    "handwritten": ("main.bulk_job_messages", "job_id"),
}


def ours(args: argparse.Namespace, workers: int = 4, rerun: bool = False) -> int:
    import dlt

    from cf_bulk_sync.loading.pipeline import make_pipeline, sync

    imported()

    def run() -> int:
        pipeline = make_pipeline(dlt.destinations.duckdb(args.db), pipelines_dir=args.work)
        result = sync(
            pipeline,
            account_id=args.account,
            api_token=args.token,
            base_url=args.base_url,
            per_page=args.per_page,
            workers=workers,
            request_budget=args.budget,
            request_budget_seconds=args.budget_seconds,
        )
        if result.error or result.stats.job_errors:
            raise SystemExit(f"sync failed: {result.error or result.stats.job_errors}")
        return result.stats.requests

    if rerun:
        run()  # the full sync this rerun follows; not timed
        TIMER["start"] = TIMER["imported"] = time.perf_counter()
    return run()


def handwritten(args: argparse.Namespace) -> int:
    """The practical limit: requests + orjson + one Arrow table per page into DuckDB."""
    import duckdb
    import orjson
    import pyarrow as pa
    import requests

    imported()
    session = requests.Session()
    session.headers["Authorization"] = f"Bearer {args.token}"
    root = f"{args.base_url}/accounts/{args.account}/email-security/investigate/bulk"
    count = {"requests": 0}

    def pages(url: str) -> Iterator[list]:
        cursor = None
        while True:
            params: dict[str, Any] = {"per_page": args.per_page}
            if cursor:
                params["cursor"] = cursor
            body = orjson.loads(session.get(url, params=params).content)
            count["requests"] += 1
            yield body["result"]
            cursor = (body.get("result_info") or {}).get("next")
            if not cursor:
                return

    params = pa.struct(
        [
            (n, pa.string())
            for n in ("client_recipient", "destination", "type", "expected_disposition")
        ]
    )
    schema = pa.schema(
        [
            ("message_id", pa.string()),
            ("action_type", pa.string()),
            ("action_params", params),
            ("created_at", pa.string()),
            ("processed_at", pa.string()),
            ("retry_after", pa.string()),
            ("retry_count", pa.int64()),
            ("status", pa.string()),
            ("status_message", pa.string()),
            ("postfix_id", pa.string()),
            ("alert_id", pa.string()),
            ("email_message_id", pa.string()),
        ]
    )
    con = duckdb.connect(args.db)
    jobs = [job for page in pages(root) for job in page]
    con.execute(
        "create table bulk_jobs as select * from read_json_auto(?)",
        [_write_json(Path(args.work) / "jobs.json", jobs)],
    )
    created = False
    for job in jobs:
        for page in pages(f"{root}/{job['job_id']}/messages"):
            arrow_page = pa.Table.from_pylist(page, schema=schema).flatten()
            arrow_page = arrow_page.rename_columns(
                [c.replace(".", "__") for c in arrow_page.column_names]
            )
            arrow_page = arrow_page.append_column(
                "job_id", pa.array([job["job_id"]] * len(arrow_page))
            )
            if created:
                con.execute("insert into bulk_job_messages select * from arrow_page")
            else:
                con.execute("create table bulk_job_messages as select * from arrow_page")
                created = True
    con.close()
    return count["requests"]


def rest_api(args: argparse.Namespace, file_format: str = "") -> int:
    """What a user would write instead of this project: dlt's declarative REST API source."""
    import dlt
    from dlt.sources.rest_api import rest_api_source

    imported()
    source = rest_api_source(
        {
            "client": {
                "base_url": f"{args.base_url}/accounts/{args.account}/email-security/investigate/",
                "auth": {"type": "bearer", "token": args.token},
                "paginator": {
                    "type": "cursor",
                    "cursor_path": "result_info.next",
                    "cursor_param": "cursor",
                },
            },
            "resource_defaults": {
                "write_disposition": "merge",
                "endpoint": {"data_selector": "result", "params": {"per_page": args.per_page}},
            },
            "resources": [
                {"name": "bulk_jobs", "primary_key": "job_id", "endpoint": {"path": "bulk"}},
                {
                    "name": "bulk_job_messages",
                    "primary_key": ["_bulk_jobs_job_id", "message_id"],
                    "include_from_parent": ["job_id"],
                    "endpoint": {"path": "bulk/{resources.bulk_jobs.job_id}/messages"},
                },
            ],
        }
    )
    pipeline = dlt.pipeline(
        "rest_api_bench",
        destination=dlt.destinations.duckdb(args.db),
        dataset_name="rest_api",
        pipelines_dir=args.work,
    )
    pipeline.run(source, **({"loader_file_format": file_format} if file_format else {}))
    return -1  # rest_api does not count its requests; the simulator does


def imported() -> None:
    TIMER["imported"] = time.perf_counter()


def peak_rss_mib() -> float:
    """This process's own high-water mark. Not ru_maxrss: on Linux a child starts with its
    parent's (the simulator's) high-water mark at fork and keeps it across exec."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def _write_json(path: Path, rows: list) -> str:
    path.write_text(json.dumps(rows))
    return str(path)


VARIANTS: dict[str, Callable[[argparse.Namespace], int]] = {
    "ours": ours,
    "ours-1-worker": lambda a: ours(a, workers=1),
    "ours-rerun": lambda a: ours(a, rerun=True),
    "handwritten": handwritten,
    "rest_api-defaults": rest_api,
    "rest_api-parquet": lambda a: rest_api(a, "parquet"),
}
TIMER: dict[str, float] = {}


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("variant", choices=sorted(VARIANTS))
    for option in ("--base-url", "--account", "--token", "--db", "--work"):
        parser.add_argument(option, required=True)
    parser.add_argument("--per-page", type=int, default=1000)
    parser.add_argument("--budget", type=int, default=1200)
    parser.add_argument("--budget-seconds", type=float, default=300.0)
    args = parser.parse_args()
    os.environ.setdefault("RUNTIME__DLTHUB_TELEMETRY", "false")
    TIMER["start"] = time.perf_counter()
    requests_made = VARIANTS[args.variant](args)
    seconds = time.perf_counter() - TIMER["start"]
    peak = peak_rss_mib()
    print(
        json.dumps(
            {
                "seconds": seconds,
                "imports": TIMER["imported"] - TIMER["start"],
                "rss_mib": peak,
                "requests": requests_made,
            }
        )
    )
    sys.stdout.flush()


if __name__ == "__main__":
    main()
