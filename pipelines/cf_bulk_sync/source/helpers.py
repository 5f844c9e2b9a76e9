"""Plain functions of the source: input validation, row shaping and the incremental rules."""

import math
import os
import re
import threading
from collections import Counter
from collections.abc import Callable, Iterable, Sequence
from typing import Any

import pyarrow.compute as pc
from dlt.common.normalizers.naming.snake_case import NamingConvention

from ..safe_text import printable
from . import quarantine, settings
from .arrow_pages import count_statuses, is_arrow_page, stamp
from .errors import ConfigurationError, StoppedBySignal
from .privacy import Pseudonymizer

_ACCOUNT_ID = re.compile(r"^[0-9a-f]{32}$")
# A job id goes into URL paths and table keys: letters, digits, `-` and `_` only (a UUID today;
# any other id format the API may move to is accepted as long as it is a safe path segment).
_JOB_ID = re.compile(r"^[A-Za-z0-9_-]{1,128}$")

NAMING = NamingConvention()  # dlt's default naming, as the destination will see the fields
PARAMS = "action_params"
OUR_COLUMNS = frozenset(settings.MESSAGE_COLUMNS) | {PARAMS}
MOVED_PREFIX = "api_"

# The status filter a job was fully synced under; "*" means every status.
ALL_STATUSES = "*"


def interruptible_sleep(stop: threading.Event) -> Callable[[float], None]:
    """A sleep that a signal cuts short: the waiting call then stops with `StoppedBySignal`
    instead of sending another request."""

    def sleep(seconds: float) -> None:
        if stop.wait(seconds):
            raise StoppedBySignal("stopped by a signal while waiting to retry")

    return sleep


def as_list(value: Any) -> list[str]:
    """Accepts one value, a comma-separated string or a list (TOML, env or CLI) as a list; a
    lone number (`account_id = 123` in TOML) becomes its text, for validation to judge."""
    if value is None:
        return []
    if isinstance(value, str):
        return [v.strip() for v in value.split(",") if v.strip()]
    if not isinstance(value, Sequence):
        return [str(value)]
    return [str(v).strip() for v in value if str(v).strip()]


def account_ids_of(account_id: None | str | Sequence[str]) -> list[str]:
    """The accounts to sync: the configured id(s), else CLOUDFLARE_ACCOUNT_ID; validated."""
    return validate_account_ids(
        as_list(account_id) or as_list(os.environ.get(settings.ENV_ACCOUNT_ID))
    )


def validate_range(
    name: str, value: Any, low: float, high: float | None = None, whole: bool = False
) -> Any:
    """`value` when it is a number (a whole one if `whole`) from `low` to `high`; otherwise a
    `ConfigurationError` naming the setting, the value and the range allowed."""
    number = isinstance(value, int | float) and not isinstance(value, bool)
    fits = number and (not whole or float(value).is_integer())
    if not fits or value < low or (high is not None and value > high):
        kind = "a whole number" if whole else "a number"
        bounds = f"from {low:g} to {high:g}" if high is not None else f"of at least {low:g}"
        raise ConfigurationError(
            f"Invalid {name} {value!r}: it must be {kind} {bounds}"
            f" (sources.cloudflare_email_security.{name})"
        )
    return int(value) if whole else value


def validate_account_ids(account_ids: list[str]) -> list[str]:
    if not account_ids:
        raise ConfigurationError(
            "No account id: set CLOUDFLARE_ACCOUNT_ID, sources.cloudflare_email_security"
            ".account_id, or pass --account-id"
        )
    for account_id in account_ids:
        if not _ACCOUNT_ID.match(account_id):
            raise ConfigurationError(
                f"Invalid account id {account_id!r}: it must be 32 lowercase hex characters"
                " (the id in your dashboard's URL)"
            )
    return account_ids


def is_job_id(value: Any) -> bool:
    """A job id that is safe in a URL path and as a key (see `_JOB_ID`)."""
    return isinstance(value, str) and bool(_JOB_ID.match(value))


def keep_ours(item: dict[str, Any]) -> None:
    """Moves aside API fields that would land in one of our columns once dlt normalises their
    names (`Status` -> status, `retryCount` -> retry_count) or in dlt's own (`_dlt_id`, the
    row id the crash repair relies on) or ours (`_cf_row_hash`): they are kept as
    `api_<name>`, never over ours."""
    for key in list(item):
        normal = NAMING.normalize_identifier(key)
        if normal.startswith(("_dlt", "_cf_")) or (normal != key and normal in OUR_COLUMNS):
            item[f"{MOVED_PREFIX}{key}"] = item.pop(key)


def flatten_params(item: dict[str, Any]) -> dict[str, Any]:
    """`item` with its `action_params` object flattened one level, as dlt names nested fields
    (`action_params__destination`), for dict rows: the tables are loaded with no nesting at all
    (see `settings.MAX_TABLE_NESTING`), so this documented object is flattened here, the same
    way the Arrow path flattens it, and any other object or list stays one JSON value. A key
    already holding a flattened name is kept as `api_<name>`, never over the API's own."""
    params = item.get("action_params")
    if not isinstance(params, dict):
        return item
    del item["action_params"]
    for key, value in params.items():
        name = NAMING.shorten_fragments(PARAMS, NAMING.normalize_identifier(str(key)))
        if name in item:
            item[f"{MOVED_PREFIX}{name}"] = item.pop(name)
        item[name] = value
    return item


def validate_job_ids(job_ids: list[str]) -> list[str]:
    for job_id in job_ids:
        if not is_job_id(job_id):
            raise ConfigurationError(
                f"Invalid job id {printable(job_id, 60)!r}: it must be the job's id as the API"
                " lists it (a UUID; letters, digits, - and _ at most)"
            )
    return job_ids


def validate_per_page(per_page: Any) -> int:
    try:
        value = int(per_page)
    except (TypeError, ValueError):
        value = 0
    if str(value) != str(per_page).strip() or not 1 <= value <= settings.MAX_PER_PAGE:
        raise ConfigurationError(
            f"Invalid per_page {per_page!r}: it must be a whole number from 1 to"
            f" {settings.MAX_PER_PAGE}"
        )
    return value


def validate_workers(workers: Any) -> int:
    if not isinstance(workers, int) or not 1 <= workers <= settings.MAX_WORKERS:
        raise ConfigurationError(
            f"Invalid workers {workers!r}: it must be a whole number from 1 to"
            f" {settings.MAX_WORKERS}"
        )
    return workers


def validate_choice(name: str, value: str | None, allowed: tuple[str, ...]) -> str | None:
    if value is None or value == "":
        return None
    upper = value.strip().upper()
    if upper not in allowed:
        raise ConfigurationError(
            f"Invalid {name} {value!r}: it must be one of {', '.join(allowed)}"
        )
    return upper


def validate_credentials(api_token: str | None, api_email: str | None, api_key: str | None) -> None:
    if api_token:
        return
    if api_email and api_key:
        return
    raise ConfigurationError(
        "No credentials: set CLOUDFLARE_API_TOKEN (or sources.cloudflare_email_security.api_token)"
        " to an API token with 'Cloud Email Security: Read', or both api_email and api_key"
    )


def is_job_settled(job: dict[str, Any]) -> bool:
    """A job whose messages cannot change any more: terminal status (in any case) and nothing
    pending."""
    return status_of(job) in settings.JOB_TERMINAL_STATUSES and not job.get("messages_pending")


def status_of(row: dict[str, Any]) -> str | None:
    """A job's or message's status as the API documents it, whatever its case or spacing
    (`completed`, ` Completed `); None when absent or not a text."""
    status = row.get("status")
    return status.strip().upper() if isinstance(status, str) else None


def expected_messages(job: dict[str, Any]) -> int:
    """The messages a job's listing should hold, from its own counter (0 when unreadable)."""
    try:
        return max(int(job.get("total_messages_discovered") or 0), 0)
    except (TypeError, ValueError):
        return 0


def max_pages(job: dict[str, Any], per_page: int) -> int:
    """The most pages a job's listing can have: its discovered messages, plus room for growth
    while the job is still discovering or processing."""
    pages = max(math.ceil(expected_messages(job) / per_page), 1)
    if is_job_settled(job):
        return pages + 1
    return 2 * pages + 10


def is_synced(settled_under: Iterable[str], status_filter: str | None) -> bool:
    """Whether a job already fully synced under some filter covers the filter asked for now."""
    settled = set(settled_under)
    return ALL_STATUSES in settled or (status_filter is not None and status_filter in settled)


def status_texts(good: list[Any]) -> set[str]:
    """The distinct non-empty `status_message`s of rows `shape_messages` kept (dicts, or one
    Arrow table), as they are loaded (pseudonymised when asked to)."""
    if good and is_arrow_page(good):
        table = good[0]
        if "status_message" not in table.column_names:
            return set()
        texts = pc.unique(table["status_message"]).to_pylist()
    else:
        texts = [row.get("status_message") for row in good if isinstance(row, dict)]
    return {text for text in texts if isinstance(text, str) and text}


def shape_messages(
    page: list[dict[str, Any]],
    account_id: str,
    job_id: str,
    pseudonymizer: Pseudonymizer | None = None,
) -> tuple[list[dict[str, Any]], list[dict[str, Any]], Counter]:
    """Stamps each message with its job and account; sets apart items that cannot be loaded as
    declared (see `quarantine`); pseudonymises addresses when asked to (rejected items too).

    Returns the good rows, the rejected ones (with the field and reason) and the good rows per
    status. A page read into Arrow (every item keyed and typed, see arrow_pages) stays one
    table; pseudonymising needs its rows as dicts.
    """
    if is_arrow_page(page):
        if pseudonymizer is None:
            items = stamp(page[0], account_id, job_id)
            return [items], [], count_statuses(items)
        page = page[0].to_pylist()  # type: ignore[attr-defined]  # an Arrow table
    good: list[dict[str, Any]] = []
    rejected: list[dict[str, Any]] = []
    statuses: Counter = Counter()
    for item in page:
        if pseudonymizer is not None and isinstance(item, dict):
            pseudonymizer.apply(item)
        found = quarantine.problem(item, "message_id", settings.MESSAGE_INTEGERS)
        if found is not None:
            rejected.append(quarantine.rejected_row(item, account_id, job_id, *found))
            continue
        keep_ours(item)
        item["job_id"] = job_id
        item["account_id"] = account_id
        good.append(item)
        statuses[status_of(item) or "(missing)"] += 1
    return good, rejected, statuses
