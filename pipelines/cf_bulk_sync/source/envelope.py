"""Reading Cloudflare's response envelope: what is success, what is retried, what is fatal."""

import json
import time
from collections.abc import Callable
from email.utils import parsedate_to_datetime
from typing import Any
from urllib.parse import parse_qs, urlparse

import orjson
import requests

from .errors import (
    AccountError,
    AuthenticationError,
    BadRequestError,
    CloudflareAPIError,
    CursorRejectedError,
    NotFoundError,
    RateLimitedError,
    describe_errors,
)

TOKEN_FIX = (
    "use an API token with the permission 'Cloud Email Security: Read' (CLOUDFLARE_API_TOKEN or"
    " sources.cloudflare_email_security.api_token)"
)


class MalformedResponse(Exception):
    """A body that is not a Cloudflare JSON envelope (truncated, or a proxy's HTML page)."""


def retry_after_seconds(response: requests.Response) -> float | None:
    """`Retry-After` in seconds, from a number or an HTTP date; None when absent or unreadable."""
    value = (response.headers.get("Retry-After") or "").strip()
    if not value:
        return None
    if value.isdigit():
        return float(value)
    try:
        return max(parsedate_to_datetime(value).timestamp() - time.time(), 0.0)
    except (TypeError, ValueError):
        return None


def envelope_hook(
    max_block_seconds: float,
    on_block: Callable[[str], None],
    read_page: Callable[[bytes], dict[str, Any] | None] | None = None,
) -> Callable[..., None]:
    """The response hook of every request (see `check_envelope`). A 429 whose Retry-After is
    longer than `max_block_seconds` stops the run at once instead of waiting it out, and
    `on_block` keeps every other thread from sending anything more. `read_page` may read a
    successful body its own, faster way; when it returns None the body is checked as usual."""

    def hook(response: requests.Response, *args: Any, **kwargs: Any) -> None:
        if response.status_code == 429:
            block = retry_after_seconds(response)
            if block is not None and block > max_block_seconds:
                message = (
                    f"Rate limited by Cloudflare for {block:.0f}s (HTTP 429 with Retry-After),"
                    f" longer than max_retry_delay={max_block_seconds:g}s: stopped without"
                    " marking unfinished jobs; run again once the block is over"
                )
                on_block(message)
                raise RateLimitedError(message, 429)
        if read_page is not None and response.status_code == 200:
            body = read_page(response.content)
            if body is not None:
                response.json = lambda **_: body  # type: ignore[method-assign]
                return
        check_envelope(response)

    return hook


def check_envelope(response: requests.Response, *args: Any, **kwargs: Any) -> None:
    """Response hook: raises for anything but a successful Cloudflare envelope.

    429 and 5xx raise `HTTPError` and a body that is not a JSON envelope raises
    `MalformedResponse`, both retried by the session; every other failure is classified into
    a specific `CloudflareAPIError`. The parsed body is kept on the response so that the
    paginator and the data selector do not parse it again.
    """
    status = response.status_code
    if status == 429 or status >= 500:
        raise requests.HTTPError(f"HTTP {status}", response=response)
    try:
        # orjson: a third of the parse time of requests' own decoder on a 1000-item page
        body = orjson.loads(response.content)
    except ValueError:
        body = lenient_json(response.content, status)
    if not isinstance(body, dict) or "success" not in body:
        raise MalformedResponse(f"HTTP {status} with JSON that is not a Cloudflare envelope")
    response.json = lambda **_: body  # type: ignore[method-assign]
    if status >= 400 or body.get("success") is not True:
        raise classify_error(response, body)
    if "result" not in body:
        raise MalformedResponse(f"HTTP {status} envelope without a result")


def lenient_json(content: bytes, status: int) -> Any:
    """A body orjson refuses that is still JSON: invalid UTF-8 in a text (kept as surrogates,
    so that the one item holding it is set aside, see quarantine, not the whole page), a lone
    surrogate escape, NaN. Anything else (truncated, HTML) is a `MalformedResponse`."""
    try:
        return json.loads(content.decode("utf-8", "surrogateescape"))
    except (ValueError, RecursionError):
        raise MalformedResponse(f"HTTP {status} with a body that is not JSON") from None


def classify_error(response: requests.Response, body: dict[str, Any]) -> CloudflareAPIError:
    """Maps an error envelope to the error class that says what the user must fix."""
    status = response.status_code
    errors = [e for e in body.get("errors") or [] if isinstance(e, dict)]
    detail = f"HTTP {status}, {describe_errors(errors)}"
    url = urlparse(str(response.request.url or "") if response.request else "")
    codes = {e.get("code") for e in errors}
    if status in (401, 403) or 10000 in codes:
        return AuthenticationError(
            f"Authentication failed ({detail}): the credentials are invalid or lack the"
            f" permission; {TOKEN_FIX}",
            status,
            errors,
            url.path,
        )
    if codes & {7000, 7003}:
        return AccountError(
            f"Account not reachable ({detail}): check account_id, which must be the 32 hex"
            " characters of an account your token can read",
            status,
            errors,
            url.path,
        )
    if status == 404:
        return NotFoundError(f"Not found ({detail}) at {url.path}", status, errors, url.path)
    if status == 400 and "cursor" in parse_qs(url.query):
        return CursorRejectedError(
            f"Cursor rejected ({detail}) at {url.path}", status, errors, url.path
        )
    if status == 400:
        return BadRequestError(
            f"The API rejected a parameter ({detail}) in {url.path}?{url.query}: check per_page"
            " (1..1000), status and action_type",
            status,
            errors,
            url.path,
        )
    return CloudflareAPIError(f"The API reported a failure ({detail})", status, errors, url.path)
