"""Keeping dlt's working folder from growing run after run.

dlt keeps a folder per loaded package (`load/loaded/<load id>`: its schema, state and job
lists, about 56 KB even with the loaded files deleted, see dlt_defaults). A run every five
minutes leaves about 16 MB and 4,000 small files a day, forever. Recovery needs none of them
(a crashed run's package is pending, not loaded; the state and schemas are kept apart): the
newest 20 stay for inspection (`dlt pipeline cf_bulk_sync info`), older ones are deleted after
a successful run, so the folder stays near 1 MB and 150 files however long it runs (measured
by `python -m benchmarks.scheduled`, see docs/scheduled-cost.md).
"""

import dlt

from .dlt_private import delete_loaded_package

KEEP_LOADED_PACKAGES = 20


def prune_loaded_packages(pipeline: dlt.Pipeline, keep: int | None = None) -> list[str]:
    """Deletes all but the newest `keep` (default KEEP_LOADED_PACKAGES) loaded packages;
    returns the load ids deleted."""
    keep = KEEP_LOADED_PACKAGES if keep is None else keep
    loaded = sorted(pipeline.list_completed_load_packages(), key=_age)
    old = loaded[: max(len(loaded) - keep, 0)]
    for load_id in old:
        delete_loaded_package(pipeline, load_id)  # no public API deletes a loaded package
    return old


def _age(load_id: str) -> float:
    try:
        return float(load_id)  # dlt's load ids are the package's creation time
    except ValueError:
        return 0.0
