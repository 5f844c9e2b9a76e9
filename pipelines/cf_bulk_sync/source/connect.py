"""The client of a sync, from the source's configuration: shared by the source and by
`cf-bulk-sync check`, so that both reach the API the same way (credentials, budget, retries)."""

import os
import time
from collections.abc import Callable
from typing import Any

from . import settings
from .budget_file import shared_budget
from .client import CloudflareAuth, CloudflareClient
from .helpers import validate_credentials, validate_per_page, validate_range
from .secrets import clean_secret
from .stats import SyncStats


def make_client(
    api_token: str | None = None,
    api_email: str | None = None,
    api_key: str | None = None,
    base_url: str | None = None,
    per_page: Any = settings.DEFAULT_PER_PAGE,
    request_budget: int = settings.DEFAULT_BUDGET_REQUESTS,
    request_budget_seconds: float = settings.DEFAULT_BUDGET_SECONDS,
    max_attempts: int = settings.DEFAULT_MAX_ATTEMPTS,
    backoff_factor: float = settings.DEFAULT_BACKOFF_FACTOR,
    max_retry_delay: float = settings.DEFAULT_MAX_RETRY_DELAY,
    request_timeout: float = settings.DEFAULT_TIMEOUT,
    request_deadline: float = settings.DEFAULT_DEADLINE,
    connect_timeout: float = settings.DEFAULT_CONNECT_TIMEOUT,
    stats: SyncStats | None = None,
    sleep: Callable[[float], None] | None = None,
) -> CloudflareClient:
    """The client of a sync (or of `cf-bulk-sync check`) from the source's configuration. The
    token falls back to CLOUDFLARE_API_TOKEN, the API root to CLOUDFLARE_API_BASE_URL and then
    Cloudflare's; raises `ConfigurationError` for missing credentials or a setting out of its
    range. Whitespace around a credential is stripped (a warning in `stats`), and every
    credential is registered with `stats.redactor` before any request (see secrets)."""
    stats = stats if stats is not None else SyncStats()
    notes: list[str] = []
    raw_token = api_token or os.environ.get(settings.ENV_API_TOKEN)
    token = clean_secret("api_token", raw_token, notes)
    api_email = clean_secret("api_email", api_email, notes)
    raw_key = api_key
    api_key = clean_secret("api_key", api_key, notes)
    stats.redactor.add(raw_token, token, raw_key, api_key)
    for note in notes:
        stats.warn(note)
    validate_credentials(token, api_email, api_key)
    return CloudflareClient(
        CloudflareAuth(token, api_email, api_key),
        base_url=base_url or os.environ.get(settings.ENV_BASE_URL) or settings.DEFAULT_BASE_URL,
        per_page=validate_per_page(per_page),
        stats=stats,
        # one budget per user at Cloudflare: the token (or the legacy e-mail and key) names it
        budget=shared_budget(
            token or f"{api_email}\n{api_key}",
            validate_range("request_budget", request_budget, 1, whole=True),
            validate_range("request_budget_seconds", request_budget_seconds, 0.001),
            stats.warn,
            sleep=sleep or time.sleep,
        ),
        max_attempts=validate_range("max_attempts", max_attempts, 1, 50, whole=True),
        backoff_factor=validate_range("backoff_factor", backoff_factor, 0),
        max_retry_delay=validate_range("max_retry_delay", max_retry_delay, 0),
        timeout=validate_range("request_timeout", request_timeout, 0.001),
        sleep=sleep,
        deadline=validate_range("request_deadline", request_deadline, 0.001),
        connect_timeout=validate_range("connect_timeout", connect_timeout, 0.001),
    )
