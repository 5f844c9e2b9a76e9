"""Destination credentials: a Postgres URL without a password is taken, and what dlt reports as
missing becomes one line naming the key to set (no server is contacted here)."""

from pathlib import Path

import dlt
import pytest
from dlt.common.configuration import configspec, resolve_configuration
from dlt.common.configuration.exceptions import ConfigFieldMissingException
from dlt.common.configuration.specs import BaseConfiguration
from dlt.pipeline.exceptions import PipelineStepFailed

from cf_bulk_sync.errors import ConfigurationError
from cf_bulk_sync.loading.credentials import describe_missing, postgres_destination
from cf_bulk_sync.loading.pipeline import causes, explain, make_pipeline

PASSWORD = "s3cret-pw-9d1e"
ENV = "DESTINATION__POSTGRES__CREDENTIALS"


def test_a_url_without_a_password_is_taken(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(ENV, "postgresql://loader@db.internal:6543/warehouse")
    credentials = postgres_destination("cf_bulk_sync").config_params["credentials"]
    assert (credentials.username, credentials.host, credentials.port) == (
        "loader",
        "db.internal",
        6543,
    )
    assert credentials.password is None
    # libpq gets no password and finds one itself (~/.pgpass) or needs none (trust, peer)
    assert credentials.to_native_representation().startswith(
        "postgresql://loader@db.internal:6543/warehouse?"
    )


def test_a_password_given_is_kept(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(ENV, f"postgresql://loader:{PASSWORD}@db.internal/warehouse")
    credentials = postgres_destination("cf_bulk_sync").config_params["credentials"]
    assert credentials.password == PASSWORD
    assert PASSWORD not in str(credentials)


def test_fields_and_pipeline_scoped_keys_are_read(monkeypatch: pytest.MonkeyPatch) -> None:
    for field, value in {"HOST": "h1", "DATABASE": "d1", "USERNAME": "u1"}.items():
        monkeypatch.setenv(f"{ENV}__{field}", value)
    monkeypatch.setenv(f"CF_BULK_SYNC__{ENV}__HOST", "h2")  # the pipeline's own key wins
    credentials = postgres_destination("cf_bulk_sync").config_params["credentials"]
    assert (credentials.host, credentials.database, credentials.username) == ("h2", "d1", "u1")


def test_postgres_by_name_gets_them(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv(ENV, "postgresql://loader@db.internal/warehouse")
    pipeline = make_pipeline("postgres", pipelines_dir=str(tmp_path))
    assert pipeline.destination.destination_type == "dlt.destinations.postgres"
    assert pipeline.destination_client().config.credentials.password is None


@pytest.mark.parametrize(
    "url,message",
    [
        pytest.param(
            None,
            "No credentials for destination postgres: set"
            " DESTINATION__POSTGRES__CREDENTIALS=postgresql://user:password@host:5432/db or"
            " `credentials` under [destination.postgres] in .dlt/secrets.toml",
            id="none",
        ),
        pytest.param(
            f"postgresql://loader:{PASSWORD}@/warehouse",
            "The credentials of destination postgres lack host: give the whole value in"
            " DESTINATION__POSTGRES__CREDENTIALS (postgresql://user:password@host:5432/db, or"
            " leave the password out of the URL for trust, peer or .pgpass authentication), or"
            " set DESTINATION__POSTGRES__CREDENTIALS__HOST",
            id="no-host",
        ),
        pytest.param(
            f"mysql is at {PASSWORD}",
            "The credentials of destination postgres are not a connection URL: set"
            " DESTINATION__POSTGRES__CREDENTIALS=postgresql://user:password@host:5432/db (the"
            " password may be left out)",
            id="not-a-url",
        ),
    ],
)
def test_unusable_credentials_are_one_line(
    monkeypatch: pytest.MonkeyPatch, url: str | None, message: str
) -> None:
    if url is not None:
        monkeypatch.setenv(ENV, url)
    with pytest.raises(ConfigurationError) as caught:
        postgres_destination("cf_bulk_sync")
    assert str(caught.value) == message
    assert PASSWORD not in str(caught.value)


def test_dlts_missing_field_error_becomes_one_line_for_any_destination(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    # dlt's own Postgres factory, as another destination would be: its password is required
    monkeypatch.setenv(ENV, "postgresql://loader@db.internal:5432/warehouse")
    pipeline = make_pipeline(dlt.destinations.postgres(), pipelines_dir=str(tmp_path))
    with pytest.raises(PipelineStepFailed) as caught:
        pipeline.run([{"id": 1}], table_name="t")
    assert "\n" in str(caught.value)  # dlt's own message spans many lines
    assert explain(caught.value) == (
        "The credentials of destination postgres lack password: give the whole value in"
        " DESTINATION__POSTGRES__CREDENTIALS (postgresql://user:password@host:5432/db, or leave"
        " the password out of the URL for trust, peer or .pgpass authentication), or set"
        " DESTINATION__POSTGRES__CREDENTIALS__PASSWORD"
    )


@configspec
class _Settings(BaseConfiguration):
    region: str = None  # type: ignore[assignment]


def test_a_missing_setting_outside_a_destination_names_its_key() -> None:
    with pytest.raises(ConfigFieldMissingException) as caught:
        resolve_configuration(_Settings(), sections=("sources", "example"))
    assert describe_missing(caught.value) == (
        "Missing configuration sources.example.region: set SOURCES__EXAMPLE__REGION or"
        " `region` under [sources.example] in .dlt/config.toml"
    )


def test_a_value_dlt_cannot_parse_is_not_repeated(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setenv(ENV, f"db at {PASSWORD}")
    pipeline = make_pipeline(dlt.destinations.postgres(), pipelines_dir=str(tmp_path))
    with pytest.raises(PipelineStepFailed) as caught:
        pipeline.run([{"id": 1}], table_name="t")
    chain = "".join(str(e) for e in causes(caught.value))
    # dlt's own chain has it, unless SQLAlchemy is installed (the dagster extra brings it): then
    # dlt parses the URL with it and says only that it could not
    assert PASSWORD in chain or "Could not parse SQLAlchemy URL" in chain
    assert explain(caught.value) == (
        "The configured credentials cannot be read as PostgresCredentials (not shown: it may"
        " hold a secret): correct it (DESTINATION__<NAME>__CREDENTIALS or .dlt/secrets.toml for"
        " a destination)"
    )
