"""Where each setting of a run comes from, for `cf-bulk-sync check`: the effective value and its
origin (the command line, an environment variable, a TOML file, a default). Secrets are never
shown, only whether they are set and their length.

Values are resolved by dlt itself, the way a run resolves them (the source's own spec, under
the pipeline's name), with dlt's trace of which provider answered each key; Cloudflare's own
variables (CLOUDFLARE_API_TOKEN ...) are the source's fallbacks, looked at after dlt's keys.
"""

import os
from dataclasses import dataclass
from typing import Any

import dlt
from dlt.common.configuration import inject_section, resolve_configuration
from dlt.common.configuration.exceptions import ConfigValueCannotBeCoercedException
from dlt.common.configuration.specs import known_sections
from dlt.common.configuration.specs.base_configuration import is_secret_hint
from dlt.common.configuration.specs.config_section_context import ConfigSectionContext
from dlt.common.configuration.utils import ResolvedValueTrace, get_resolved_traces

from ..errors import ConfigurationError
from ..loading.dlt_defaults import PROVIDER_NAME as DEFAULTS_PROVIDER
from ..loading.pipeline import PIPELINE_NAME
from ..source import cloudflare_email_security, settings

DEFAULT = "default"
NOT_SET = "(not set)"
# the source's settings a check shows, in this order (the others are per run: --job-id ...)
SHOWN = (
    "account_id",
    "api_token",
    "api_email",
    "api_key",
    "base_url",
    "per_page",
    "workers",
    "request_budget",
    "request_budget_seconds",
    "max_attempts",
    "backoff_factor",
    "max_retry_delay",
    "request_timeout",
    "connect_timeout",
    "request_deadline",
    "pseudonymize_recipients",
    "pseudonymization_key",
)
FALLBACKS = {
    "account_id": settings.ENV_ACCOUNT_ID,
    "api_token": settings.ENV_API_TOKEN,
    "base_url": settings.ENV_BASE_URL,
}
SHOWN_DEFAULTS = {"base_url": settings.DEFAULT_BASE_URL}


@dataclass(frozen=True)
class Setting:
    """One line of the effective configuration: `key = value (from ORIGIN)`."""

    key: str
    shown: str  # the value as it may be printed (a secret: only that it is set)
    origin: str = DEFAULT  # an environment variable, a file, an option, or DEFAULT

    def __str__(self) -> str:
        if self.shown == NOT_SET:
            return f"{self.key} = {NOT_SET}"
        origin = "default" if self.origin == DEFAULT else f"from {self.origin}"
        return f"{self.key} = {self.shown}  ({origin})"


def source_settings(explicit: dict[str, Any]) -> tuple[dict[str, Any], list[Setting]]:
    """The source's configuration as a run resolves it (`explicit` values, such as
    `--account-id`, win) and a `Setting` for each key of SHOWN. Raises `ConfigurationError`
    for a value of the wrong type, naming where it is set."""
    ref = cloudflare_email_security.ref
    sections = (known_sections.SOURCES, ref.section, ref.name)
    config, found = _traced(lambda: _resolve(ref.SPEC(), sections, PIPELINE_NAME, explicit))
    fields = type(config).get_resolvable_fields()
    shown = []
    for key in SHOWN:
        value, origin = config.get(key), _origin(found.get(key))
        if key in explicit:
            origin = "--" + key.replace("_", "-")
        elif origin is None and key in FALLBACKS and os.environ.get(FALLBACKS[key]):
            value, origin = os.environ[FALLBACKS[key]], FALLBACKS[key]
        elif origin is None:
            value = SHOWN_DEFAULTS.get(key, value)
        shown.append(Setting(key, show(value, is_secret_hint(fields[key])), origin or DEFAULT))
    return dict(config), shown


def destination_settings(
    pipeline: dlt.Pipeline, destination_given: bool, dataset_given: bool
) -> list[Setting]:
    """The destination, its credentials (password masked), the dataset and dlt's folder."""
    destination = pipeline.destination
    name = destination.destination_name
    sections = (known_sections.DESTINATION, name)
    # where the credentials come from: resolved again without our own explicit values
    _, found = _traced(lambda: _resolve(destination.spec(), sections, pipeline.pipeline_name, {}))
    origins = sorted({o for k, t in found.items() if "credentials" in k and (o := _origin(t))})
    try:
        credentials = str(pipeline.destination_client().config.credentials) or "(set)"
    except Exception:  # noqa: BLE001 - the destination check says why
        credentials = "(not usable: see the destination check)"
    data_dir = os.environ.get("DLT_DATA_DIR")
    return [
        Setting("destination", name, "--destination" if destination_given else DEFAULT),
        Setting("credentials", credentials, ", ".join(origins) or DEFAULT),
        Setting("dataset", pipeline.dataset_name, "--dataset" if dataset_given else DEFAULT),
        Setting("dlt folder", pipeline.pipelines_dir, "DLT_DATA_DIR" if data_dir else DEFAULT),
    ]


def show(value: Any, secret: bool) -> str:
    """A value as printed: lists joined; a secret only as set (with its length) or not."""
    if value is None or value == "" or value == []:
        return NOT_SET
    if secret:
        return f"<secret: set, {len(str(value))} characters>"
    if isinstance(value, list | tuple):
        return ", ".join(str(v) for v in value)
    return str(value)


def _resolve(spec: Any, sections: tuple[str, ...], pipeline_name: str, explicit: Any) -> Any:
    context = ConfigSectionContext(pipeline_name=pipeline_name, sections=sections)
    with inject_section(context):
        return resolve_configuration(
            spec, sections=sections, explicit_value=explicit or None, accept_partial=True
        )


def _traced(resolve: Any) -> tuple[Any, dict[str, ResolvedValueTrace]]:
    """Runs `resolve` and returns its result with the first resolved trace of each key (for a
    nested configuration, `credentials.host` ...)."""
    log = get_resolved_traces()
    log.clear()
    try:
        config = resolve()
    except ConfigValueCannotBeCoercedException as e:  # say where the bad value is, not what
        trace = next((t for t in log.resolved_traces if t.key == e.field_name), None)
        where = f" (from {origin})" if (origin := _origin(trace)) else ""
        raise ConfigurationError(
            f"The configured {e.field_name}{where} is not a valid"
            f" {getattr(e.hint, '__name__', e.hint)}: correct it there"
        ) from None
    found: dict[str, ResolvedValueTrace] = {}
    for trace in log.resolved_traces:
        embedded = [s for s in trace.sections if s == "credentials"]
        found.setdefault(".".join([*embedded, trace.key]), trace)
    log.clear()
    return config, found


def _origin(trace: ResolvedValueTrace | None) -> str | None:
    """The environment variable or file a traced value came from; None for our defaults."""
    if trace is None or trace.provider_name == DEFAULTS_PROVIDER:
        return None
    if trace.provider_name == "Environment Variables":
        return "__".join([*trace.sections, trace.key]).upper()
    provider = next((p for p in dlt.config.config_providers if p.name == trace.provider_name), None)
    locations = list(provider.present_locations) if provider is not None else []
    return " or ".join(locations) if locations else trace.provider_name
