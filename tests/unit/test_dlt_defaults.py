from pathlib import Path

import dlt
import pytest
from dlt.common.configuration.exceptions import ConfigFieldMissingException

from cf_bulk_sync.loading.dlt_defaults import (
    DEFAULTS,
    DUCKDB_MEMORY_LIMIT,
    PROVIDER_NAME,
    STAGING_PROVIDER_NAME,
    install,
    provider,
)
from cf_bulk_sync.loading.pipeline import make_pipeline


def duckdb_memory_limit(tmp_path: Path) -> str:
    pipeline = make_pipeline(
        dlt.destinations.duckdb(str(tmp_path / "w.duckdb")), pipelines_dir=str(tmp_path / "dlt")
    )
    pipeline.run([{"id": 1}], table_name="probe")
    with pipeline.sql_client() as client:
        return str(client.execute_sql("select current_setting('memory_limit')")[0][0])


def test_duckdb_is_capped_by_default(tmp_path: Path) -> None:
    assert duckdb_memory_limit(tmp_path) == "122.0 MiB"  # DuckDB's reading of 128MB


def test_a_users_setting_wins_over_the_default(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("DESTINATION__DUCKDB__CREDENTIALS__GLOBAL_CONFIG", '{"memory_limit": "1GB"}')
    assert duckdb_memory_limit(tmp_path) == "953.6 MiB"


def test_loaded_files_do_not_pile_up_in_the_working_folder(tmp_path: Path) -> None:
    pipeline = make_pipeline(
        dlt.destinations.duckdb(str(tmp_path / "w.duckdb")), pipelines_dir=str(tmp_path / "dlt")
    )
    for _ in range(2):
        pipeline.run([{"id": 1}], table_name="probe")
    loaded = Path(pipeline.working_dir) / "load" / "loaded"
    assert len(list(loaded.iterdir())) == 2  # the packages, with their state and schema
    assert list(loaded.glob("*/completed_jobs/*")) == []
    with pipeline.sql_client() as client:
        assert client.execute_sql("select count(*) from probe")[0][0] == 2


def test_the_defaults_are_resolvable_once_installed_and_installed_once() -> None:
    install()
    install()  # every make_pipeline installs again: dlt refuses a second provider of one name
    assert dlt.config["load.delete_completed_jobs"] is True
    assert dlt.config["destination.duckdb.credentials.global_config"] == {
        "memory_limit": DUCKDB_MEMORY_LIMIT
    }
    names = [p.name for p in dlt.config.config_providers]
    assert names.count(PROVIDER_NAME) == names.count(STAGING_PROVIDER_NAME) == 1
    # consulted after everything a user can configure
    assert names[-2:] == [PROVIDER_NAME, STAGING_PROVIDER_NAME]


def staging_dataset(pipeline_name: str, tmp_path: Path) -> str:
    pipeline = make_pipeline(
        dlt.destinations.postgres(credentials="postgresql://u:p@127.0.0.1:1/db"),
        pipelines_dir=str(tmp_path / "dlt"),
        pipeline_name=pipeline_name,
    )
    pipeline.extract([{"id": 1}], table_name="probe")  # the schema the load would use
    config = pipeline.destination_client().config
    return str(config.normalize_staging_dataset_name(pipeline.default_schema))


@pytest.mark.parametrize(
    "name, env, expected",
    [
        pytest.param("cf_bulk_sync", {}, "cloudflare_email_security_staging", id="default-dlts"),
        pytest.param("shard_eu", {}, "cloudflare_email_security_staging_shard_eu", id="named"),
        pytest.param(
            "shard_eu",
            {"DESTINATION__POSTGRES__STAGING_DATASET_NAME_LAYOUT": "mine_%s"},
            "mine_cloudflare_email_security",
            id="users-setting-wins",
        ),
        pytest.param(
            "shard_eu",
            {"SHARD_EU__DESTINATION__STAGING_DATASET_NAME_LAYOUT": "eu_%s"},
            "eu_cloudflare_email_security",
            id="users-pipeline-setting-wins",
        ),
    ],
)
def test_each_pipeline_has_its_own_staging_dataset(
    name: str,
    env: dict[str, str],
    expected: str,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    for key, value in env.items():
        monkeypatch.setenv(key, value)
    assert staging_dataset(name, tmp_path) == expected


def test_the_environment_wins_over_the_defaults(monkeypatch: pytest.MonkeyPatch) -> None:
    install()
    monkeypatch.setenv("LOAD__DELETE_COMPLETED_JOBS", "false")
    assert dlt.config["load.delete_completed_jobs"] is False


def test_a_provider_holds_its_own_copy_of_the_defaults() -> None:
    value, _ = provider().get_value(
        "global_config", dict, None, "destination", "duckdb", "credentials"
    )
    value["memory_limit"] = "9GB"
    assert DEFAULTS["destination"]["duckdb"]["credentials"]["global_config"] == {
        "memory_limit": DUCKDB_MEMORY_LIMIT
    }


def test_a_missing_value_is_still_explained() -> None:
    """dlt lists every provider's locations in this message; a provider without any made it
    fail with a TypeError instead."""
    install()
    with pytest.raises(ConfigFieldMissingException) as missing:
        dlt.config["sources.nowhere.api_token"]
    assert "api_token" in str(missing.value)
