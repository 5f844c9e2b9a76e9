"""Keeping dlt's working folder from growing run after run.

dlt keeps a folder per loaded package (`load/loaded/<load id>`: its schema, state and job
lists, about 56 KB even with the loaded files deleted, see dlt_defaults). A run every five
minutes leaves about 16 MB and 4,000 small files a day, forever. The newest packages stay for
inspection (`dlt pipeline cf_bulk_sync info`); older ones are deleted after a successful run.
"""

import os

import dlt
from dlt.common.storages import LoadStorage, LoadStorageConfiguration

KEEP_LOADED_PACKAGES = 100


def prune_loaded_packages(pipeline: dlt.Pipeline, keep: int | None = None) -> list[str]:
    """Deletes all but the newest `keep` (default KEEP_LOADED_PACKAGES) loaded packages;
    returns the load ids deleted."""
    keep = KEEP_LOADED_PACKAGES if keep is None else keep
    # the folder dlt's pipeline gives its load storage
    config = LoadStorageConfiguration(load_volume_path=os.path.join(pipeline.working_dir, "load"))
    storage = LoadStorage(False, [], config)
    loaded = sorted(storage.list_loaded_packages(), key=_age)
    old = loaded[: max(len(loaded) - keep, 0)]
    for load_id in old:
        storage.delete_loaded_package(load_id)
    return old


def _age(load_id: str) -> float:
    try:
        return float(load_id)  # dlt's load ids are the package's creation time
    except ValueError:
        return 0.0
