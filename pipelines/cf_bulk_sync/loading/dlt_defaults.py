"""The project's own defaults for dlt settings: consulted after every configuration a user can
give (environment, `.dlt/*.toml`, secret stores), so any of those wins.

DuckDB may by default cache up to 80% of the machine's memory, so a run's memory grew with the
data it loaded (558 MiB at 1M messages against 371 MiB at 200k). Capped, DuckDB spills what it
needs to a temporary folder beside the database. 128MB: at 200k messages DuckDB stays below a
larger cap anyway, so with 256MB a run still grew by up to 30% to 1M; with 128MB by 13-18%, at
no measurable cost at 200k (see the README's Performance section). Setting
`destination.duckdb.credentials.global_config` yourself replaces the whole default.

dlt also keeps every loaded file in its working folder (`load/loaded/<load id>`): a copy of
all data ever synced, 22 MB per 200k messages, growing with every scheduled run. The data is in
the warehouse once loaded, so those files are deleted (`load.delete_completed_jobs`); a
package that failed keeps them for inspection.

Settings dlt needs for our tables (the load id on Arrow items) and telemetry are set here too,
so that nothing writes to the process's environment.

The defaults are a config provider registered the way dlt documents a custom one
(`CustomLoaderDocProvider` and `dlt.config.register_provider`), which puts it after all of
dlt's own providers.
"""

import copy
from typing import Any

import dlt
from dlt.common.configuration.providers import CustomLoaderDocProvider

DUCKDB_MEMORY_LIMIT = "128MB"
DEFAULTS = {
    "destination": {
        "duckdb": {"credentials": {"global_config": {"memory_limit": DUCKDB_MEMORY_LIMIT}}}
    },
    "load": {"delete_completed_jobs": True},
    # Message pages arrive as Arrow tables (see source.arrow_pages), which carry their own
    # `_dlt_id`; dlt adds the load id to those only when told, and tables from dict rows need it.
    "normalize": {"parquet_normalizer": {"add_dlt_load_id": True}},
    # dlt reports anonymous usage to its vendor by default; this tool talks to nobody but the
    # API and the destination.
    "runtime": {"dlthub_telemetry": False},
}


PROVIDER_NAME = "cf-bulk-sync defaults"


def provider() -> CustomLoaderDocProvider:
    """A provider holding a copy of DEFAULTS (secrets allowed: `credentials` are read from it)."""
    return CustomLoaderDocProvider(PROVIDER_NAME, _defaults, supports_secrets=True, locations=[])


def install() -> None:
    """Adds the defaults after dlt's own providers (again after dlt reloaded them)."""
    if not any(p.name == PROVIDER_NAME for p in dlt.config.config_providers):
        dlt.config.register_provider(provider())


def _defaults() -> dict[str, Any]:
    return copy.deepcopy(DEFAULTS)
