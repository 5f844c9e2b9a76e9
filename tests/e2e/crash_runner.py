"""Runs `cf-bulk-sync` and SIGKILLs itself at the point named by CRASH_AT (test use only).

CRASH_AT: `extract:N` after the Nth message page; `normalize` as normalisation starts;
`normalized` once files are normalised; `load` after the first table job is loaded;
`committed:TABLE` once the job loading TABLE committed, before dlt notes that it ran;
`complete` once every job is loaded but before the package is marked complete.
"""

import os
import signal
import sys
from collections.abc import Callable
from typing import Any


def die() -> None:
    os.kill(os.getpid(), signal.SIGKILL)


def patch(owner: Any, name: str, before: bool = False, after_calls: int = 1) -> None:
    original: Callable[..., Any] = getattr(owner, name)
    calls = {"n": 0}

    def wrapper(*args: Any, **kwargs: Any) -> Any:
        calls["n"] += 1
        if before and calls["n"] >= after_calls:
            die()
        result = original(*args, **kwargs)
        if not before and calls["n"] >= after_calls:
            die()
        return result

    setattr(owner, name, wrapper)


def arm(point: str) -> None:
    if point.startswith("extract:"):
        from cf_bulk_sync.source.client import CloudflareClient

        pages = int(point.split(":")[1])
        original = CloudflareClient.iter_messages
        seen = {"n": 0}

        def iter_messages(self: Any, *args: Any, **kwargs: Any) -> Any:
            for page in original(self, *args, **kwargs):
                yield page
                seen["n"] += 1
                if seen["n"] >= pages:
                    die()

        CloudflareClient.iter_messages = iter_messages  # type: ignore[method-assign]
    elif point == "normalize":
        from dlt.normalize.normalize import Normalize

        patch(Normalize, "spool_files", before=True)
    elif point == "normalized":
        from dlt.normalize.normalize import Normalize

        patch(Normalize, "spool_files")
    elif point == "load":
        from dlt.load.load import Load

        patch(Load, "w_run_job")
    elif point.startswith("committed:"):
        from dlt.common.destination.client import RunnableLoadJob

        table = point.split(":", 1)[1]
        release = RunnableLoadJob._release

        def _release(job: Any, next_state: str) -> Any:
            # the job's data is committed, dlt has not yet noted that it ran
            if next_state == "completed" and job.job_file_info().table_name == table:
                die()
            return release(job, next_state)

        RunnableLoadJob._release = _release  # type: ignore[method-assign]
    elif point == "complete":
        from dlt.load.load import Load

        patch(Load, "complete_package", before=True)
    else:
        raise SystemExit(f"unknown CRASH_AT {point!r}")


if __name__ == "__main__":
    arm(os.environ["CRASH_AT"])
    from cf_bulk_sync.cli import main

    sys.exit(main(sys.argv[1:]))
