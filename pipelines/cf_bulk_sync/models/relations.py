"""Where the models land and how their tables are named: what the runner writes and the
reading commands (`report`, `dashboard`, `publish`) read. Apart from the runner so that a
reader does not import sqlglot and the build (about 0.2 s of its start)."""

from typing import Any

import dlt

from ..errors import ModelError

REPORTING_SUFFIX = "_reporting"


def reporting_dataset(pipeline: dlt.Pipeline) -> str:
    """Where the models land: `<dataset>_reporting` beside the raw dataset."""
    return pipeline.dataset_name + REPORTING_SUFFIX


def qualified(client: Any, name: str, dataset: str | None = None) -> str:
    """A table's name as the destination writes it: in `dataset`, or the raw dataset."""
    return ".".join(client.make_qualified_table_name_path(name, dataset_name=dataset))


def no_models_yet(pipeline: dlt.Pipeline) -> ModelError:
    return ModelError(
        f"No models in {reporting_dataset(pipeline)} yet: run `cf-bulk-sync run` or"
        " `cf-bulk-sync models` first"
    )
