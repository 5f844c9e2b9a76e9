"""Destination credentials: a Postgres URL without a password, and one line for what is missing.

dlt 1.31's `PostgresCredentials` require a password, so a URL such as
`postgresql://loader@db.internal:5432/warehouse` (trust authentication, a `~/.pgpass` file or
`PGPASSWORD`; peer authentication over the socket, `?host=/var/run/postgresql`; common on a
database host) stopped a run with `ConfigFieldMissingException`.
Here the same credentials, resolved from the same keys (`DESTINATION__POSTGRES__CREDENTIALS`,
`[destination.postgres] credentials` in `.dlt/secrets.toml`, or their single fields), may omit
the password: libpq then authenticates the way the server and `~/.pgpass` say. They are given
to dlt's own `postgres` destination, already resolved, so nothing else changes.
"""

from collections.abc import Iterator
from typing import Any

import dlt
from dlt.common.configuration import inject_section, resolve_configuration
from dlt.common.configuration.exceptions import (
    ConfigFieldMissingException,
    InvalidNativeValue,
    LookupTrace,
    LookupTraces,
)
from dlt.common.configuration.specs import BaseConfiguration, configspec, known_sections
from dlt.common.configuration.specs.config_section_context import ConfigSectionContext
from dlt.common.destination import Destination
from dlt.common.typing import TSecretStrValue
from dlt.destinations.impl.postgres.configuration import PostgresCredentials

from ..errors import ConfigurationError

POSTGRES_URL = "postgresql://user:password@host:5432/db"
PASSWORD_FIX = (
    f"the server wants a password: give it in DESTINATION__POSTGRES__CREDENTIALS ({POSTGRES_URL})"
    " or in ~/.pgpass"
)
EXAMPLES = {"postgres": POSTGRES_URL}


@configspec(init=False)
class PostgresCredentialsWithoutPassword(PostgresCredentials):
    """dlt's Postgres credentials, the password optional (libpq finds one or needs none)."""

    password: TSecretStrValue | None = None  # type: ignore[assignment]


@configspec
class _PostgresDestinationSettings(BaseConfiguration):
    # required, as in dlt's own spec: `Optional` would let a half-resolved value pass as None
    credentials: PostgresCredentialsWithoutPassword = None  # type: ignore[assignment]


def postgres_destination(pipeline_name: str) -> Destination[Any, Any]:
    """dlt's `postgres` destination with its credentials resolved here, so that a URL without
    a password is accepted. Raises `ConfigurationError` naming what is missing."""
    sections = (known_sections.DESTINATION, "postgres")
    try:
        # the pipeline's name as dlt would give it: `<pipeline>__DESTINATION__...` keys count
        with inject_section(ConfigSectionContext(pipeline_name=pipeline_name, sections=sections)):
            settings = resolve_configuration(_PostgresDestinationSettings(), sections=sections)
    except ConfigFieldMissingException as e:
        raise ConfigurationError(describe_missing(e)) from None
    except InvalidNativeValue:  # its message would repeat the value, password included
        raise ConfigurationError(
            "The credentials of destination postgres are not a connection URL: set"
            f" DESTINATION__POSTGRES__CREDENTIALS={POSTGRES_URL} (the password may be left out)"
        ) from None
    return dlt.destinations.postgres(credentials=settings.credentials)


def describe_missing(error: ConfigFieldMissingException) -> str:
    """One line for dlt's `ConfigFieldMissingException`: what is missing and the environment
    variable or TOML key that sets it."""
    missing = list(_leaves(error.traces, error.resolved_fields_set))
    if not missing:
        return f"Missing configuration: {', '.join(error.fields)} in {error.spec_name}"
    path, nothing_resolved = missing[0]
    if path[0] == known_sections.DESTINATION and "credentials" in path[:-1]:
        at = path.index("credentials")
        name = path[1] if at > 1 else "the destination"
        example = EXAMPLES.get(path[1], "...") if at > 1 else "..."
        whole, table = "__".join(path[: at + 1]).upper(), ".".join(path[:at])
        if nothing_resolved:
            return (
                f"No credentials for destination {name}: set {whole}={example} or `credentials`"
                f" under [{table}] in .dlt/secrets.toml"
            )
        fields = ", ".join(p[-1] for p, _ in missing)
        extra = (
            f" ({POSTGRES_URL}, or leave the password out of the URL for trust, peer or"
            " .pgpass authentication)"
            if path[1] == "postgres"
            else ""
        )
        return (
            f"The credentials of destination {name} lack {fields}: give the whole value in"
            f" {whole}{extra}, or set {'__'.join(path).upper()}"
        )
    fields = ", ".join(".".join(p) for p, _ in missing)
    key, table = path[-1], ".".join(path[:-1])
    file = ".dlt/secrets.toml" if "credentials" in path else ".dlt/config.toml"
    where = f"`{key}` under [{table}] in {file}" if table else f"`{key}` in {file}"
    return f"Missing configuration {fields}: set {'__'.join(path).upper()} or {where}"


def _leaves(
    traces: dict[str, list[LookupTrace | LookupTraces]], resolved: list[str]
) -> Iterator[tuple[tuple[str, ...], bool]]:
    """(sections + field, whether nothing of its configuration resolved) for each missing
    value, innermost first; sections are the most specific ones dlt looked in."""
    for field, found in traces.items():
        nested = [t for t in found if isinstance(t, LookupTraces)]
        if nested:
            yield from _leaves(nested[0].traces, nested[0].resolved_fields_set)
            continue
        plain = [t for t in found if isinstance(t, LookupTrace)]
        sections = max((tuple(t.sections) for t in plain), key=len, default=())
        yield (*sections, field), not resolved
