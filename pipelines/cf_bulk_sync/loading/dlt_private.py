"""The one place that uses dlt's private API, because dlt has no public way to do the same.

Checked against dlt 1.31.0 (the lower bound of the range in pyproject.toml);
tests/unit/test_dlt_private.py fails with a clear message if a dlt upgrade removes or changes
what is used here. Everything else in cf_bulk_sync uses dlt's public API only.

- Deleting a loaded package (`loading.housekeeping`). `Pipeline.list_completed_load_packages()`
  lists them publicly, but nothing public deletes one: `Pipeline.drop_pending_packages` and
  `abort_packages` only touch packages not yet loaded, and `Pipeline.drop()` wipes the whole
  working folder, state included. The pipeline's own `LoadStorage` (`Pipeline._get_load_storage`,
  the storage behind `list_completed_load_packages`) deletes one with `delete_loaded_package`;
  going through it keeps the folder layout dlt's business.
"""

import dlt


def delete_loaded_package(pipeline: dlt.Pipeline, load_id: str) -> None:
    """Deletes the folder of one completely loaded package of `pipeline` (its schema, state and
    job lists; the data stays in the destination). Raises dlt's `LoadPackageNotFound` for a
    load id that is not a loaded package."""
    pipeline._get_load_storage().delete_loaded_package(load_id)
