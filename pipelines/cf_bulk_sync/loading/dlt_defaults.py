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

A merge loads its rows into the staging dataset first, and dlt leaves them there until the next
merge: a second copy, at rest in the warehouse, of everything the last run changed (in a
scheduled life at 1M messages, 30 to 70 thousand rows a run). It is truncated once the load
is done (`load.truncate_staging_dataset`); a package loaded again after a crash fills it anew.

Settings dlt needs for our tables (the load id on Arrow items) and telemetry are set here too,
so that nothing writes to the process's environment.

The defaults are a config provider registered the way dlt documents a custom one
(`CustomLoaderDocProvider` and `dlt.config.register_provider`), which puts it after all of
dlt's own providers.

Each pipeline other than the default one gets a staging dataset of its own
(`<dataset>_staging_<pipeline name>`; dlt's is `<dataset>_staging` for every pipeline): shards
merging into one Postgres dataset at the same time through one staging dataset truncate each
other's staging tables and lose rows without an error (dlt issue #4297). The default pipeline
keeps dlt's name, so existing deployments keep theirs. A `staging_dataset_name_layout` set in
any configuration still wins: this is looked up last, after the pipeline-scoped and plain keys.
"""

import copy
from typing import Any

import dlt
from dlt.common.configuration.container import Container
from dlt.common.configuration.providers import ConfigProvider, CustomLoaderDocProvider
from dlt.common.configuration.specs.config_section_context import ConfigSectionContext

DUCKDB_MEMORY_LIMIT = "128MB"
DEFAULTS = {
    "destination": {
        "duckdb": {"credentials": {"global_config": {"memory_limit": DUCKDB_MEMORY_LIMIT}}}
    },
    "load": {"delete_completed_jobs": True, "truncate_staging_dataset": True},
    # Message pages arrive as Arrow tables (see source.arrow_pages), which carry their own
    # `_dlt_id`; dlt adds the load id to those only when told, and tables from dict rows need it.
    "normalize": {"parquet_normalizer": {"add_dlt_load_id": True}},
    # dlt reports anonymous usage to its vendor by default; this tool talks to nobody but the
    # API and the destination.
    "runtime": {"dlthub_telemetry": False},
}


PROVIDER_NAME = "cf-bulk-sync defaults"
STAGING_PROVIDER_NAME = "cf-bulk-sync staging dataset per pipeline"
# the pipeline whose staging dataset keeps dlt's own name (loading.pipeline.PIPELINE_NAME)
DEFAULT_PIPELINE = "cf_bulk_sync"


def provider() -> CustomLoaderDocProvider:
    """A provider holding a copy of DEFAULTS (secrets allowed: `credentials` are read from it)."""
    return CustomLoaderDocProvider(PROVIDER_NAME, _defaults, supports_secrets=True, locations=[])


def install() -> None:
    """Adds the defaults after dlt's own providers (again after dlt reloaded them)."""
    names = {p.name for p in dlt.config.config_providers}
    if PROVIDER_NAME not in names:
        dlt.config.register_provider(provider())
    if STAGING_PROVIDER_NAME not in names:
        dlt.config.register_provider(StagingLayoutProvider())


def staging_layout(pipeline_name: str | None) -> str | None:
    """The staging dataset layout of `pipeline_name`; None for the default pipeline (dlt's)."""
    if not pipeline_name or pipeline_name == DEFAULT_PIPELINE:
        return None
    return f"%s_staging_{pipeline_name}"


class StagingLayoutProvider(ConfigProvider):
    """Answers `destination[.<name>].staging_dataset_name_layout` with the layout of the
    pipeline being configured. dlt asks every provider with the pipeline's name as a section
    first, then every provider without it; this answers only the second round, reading the
    pipeline's name from dlt's section context, so a user's key of either kind wins."""

    def get_value(
        self, key: str, hint: type[Any], pipeline_name: str | None, *sections: str
    ) -> tuple[Any | None, str]:
        path = ".".join((*sections, key))
        if (
            key != "staging_dataset_name_layout"
            or pipeline_name
            or sections[:1] != ("destination",)
        ):
            return None, path
        current = Container()[ConfigSectionContext].pipeline_name
        return staging_layout(current), path

    @property
    def supports_secrets(self) -> bool:
        return False

    @property
    def supports_sections(self) -> bool:
        return True

    @property
    def name(self) -> str:
        return STAGING_PROVIDER_NAME


def _defaults() -> dict[str, Any]:
    return copy.deepcopy(DEFAULTS)
