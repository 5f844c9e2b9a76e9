"""The lake: dlt's `filesystem` destination (a local folder or an object store) with Delta tables.

dlt writes plain files (JSONL, Parquet) to a filesystem unless a table names a table format;
plain files cannot be merged (dlt falls back to appending, so a job synced twice is there
twice) and nothing can update them in place. `--destination filesystem` therefore gets dlt's
filesystem destination with Delta as its preferred table format (`preferred_table_format`, the
capability dlt applies to every table that names none): every raw table is a Delta table that
dlt merges on its primary key (dlt's `upsert` on Delta), and the models can be built over it
(see `models.lake`). dlt's own tables (`_dlt_loads` ...) stay JSONL files, as dlt writes them.

Delta needs the `deltalake` package (`pip install 'cf-bulk-sync[lake]'`); an object store
needs dlt's `filesystem` extra (s3fs and friends), which the same extra brings.
"""

import importlib.util
from typing import Any

import dlt

from ..errors import ConfigurationError

FILESYSTEM = "dlt.destinations.filesystem"
TABLE_FORMAT = "delta"
INSTALL_HINT = "pip install 'cf-bulk-sync[lake]'"


def lake_destination() -> Any:
    """dlt's filesystem destination writing Delta tables (bucket_url and credentials resolved
    by dlt as usual, e.g. `DESTINATION__FILESYSTEM__BUCKET_URL`)."""
    if importlib.util.find_spec("deltalake") is None:
        raise ConfigurationError(
            f"--destination filesystem writes Delta tables, which need the deltalake package:"
            f" {INSTALL_HINT}"
        )
    return dlt.destinations.filesystem(preferred_table_format=TABLE_FORMAT)


def is_lake(pipeline: dlt.Pipeline) -> bool:
    """Whether `pipeline` loads into dlt's filesystem destination (Delta or plain files)."""
    return str(pipeline.destination.destination_type) == FILESYSTEM
