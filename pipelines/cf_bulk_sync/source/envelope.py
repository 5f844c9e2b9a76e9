"""Reading Cloudflare's response envelope: what is success, what is retried, what is fatal."""

import json
import re
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


BOM = b"\xef\xbb\xbf"
# An error whose text says the failure is the API's own and passing: retried like a 5xx even
# when it comes with HTTP 200 and `success: false`
_TEMPORARY = re.compile(
    r"internal|temporar|unavailable|timed? ?out|try again|overloaded|busy|rate limit", re.I
)
_TITLE = re.compile(rb"<title[^>]*>(.*?)</title>", re.I | re.S)


class MalformedResponse(Exception):
    """A body that is not a Cloudflare JSON envelope (truncated, or a proxy's HTML page)."""


class EdgeBlocked(MalformedResponse):
    """401/403 with a page that is not the API's JSON: an edge, firewall or proxy in front of
    the API refused the request (retried: such a block may be brief). `title` is the page's."""

    def __init__(self, status: int, title: str) -> None:
        super().__init__(f"HTTP {status} with an HTML page")
        self.status = status
        self.title = title


class TemporaryFailure(Exception):
    """`success: false` with a 2xx status whose error says it is internal or temporary: retried
    like a 5xx."""

    def __init__(self, detail: str) -> None:
        super().__init__(detail)
        self.detail = detail


def without_bom(content: bytes) -> bytes:
    """The body without a UTF-8 byte-order mark before its JSON (some proxies add one)."""
    return content[len(BOM) :] if content.startswith(BOM) else content


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
    on_notice: Callable[[str], None] | None = None,
) -> Callable[..., None]:
    """The response hook of every request (see `check_envelope`). A 429 whose Retry-After is
    longer than `max_block_seconds` stops the run at once instead of waiting it out, and
    `on_block` keeps every other thread from sending anything more. `read_page` may read a
    successful body its own, faster way; when it returns None the body is checked as usual.
    `on_notice` hears of a successful answer that still lists errors."""

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
            body = read_page(without_bom(response.content))
            if body is not None:
                response.json = lambda **_: body  # type: ignore[method-assign]
                return
        check_envelope(response, on_notice=on_notice)

    return hook


def check_envelope(
    response: requests.Response,
    *args: Any,
    on_notice: Callable[[str], None] | None = None,
    **kwargs: Any,
) -> None:
    """Response hook: raises for anything but a successful Cloudflare envelope.

    429 and 5xx raise `HTTPError` and a body that is not a JSON envelope raises
    `MalformedResponse`, both retried by the session; every other failure is classified into
    a specific `CloudflareAPIError`. The parsed body is kept on the response so that the
    paginator and the data selector do not parse it again.
    """
    status = response.status_code
    if status == 429 or status >= 500:
        raise requests.HTTPError(f"HTTP {status}", response=response)
    content = without_bom(response.content)
    try:
        # orjson: a third of the parse time of requests' own decoder on a 1000-item page
        body = orjson.loads(content)
    except ValueError:
        try:
            body = lenient_json(content, status)
        except MalformedResponse:
            if status in (401, 403):
                raise EdgeBlocked(status, page_title(content)) from None
            raise
    if not isinstance(body, dict) or "success" not in body:
        raise MalformedResponse(f"HTTP {status} with JSON that is not a Cloudflare envelope")
    response.json = lambda **_: body  # type: ignore[method-assign]
    if status >= 400 or body.get("success") is not True:
        errors = [e for e in body.get("errors") or [] if isinstance(e, dict)]
        if status < 300 and any(_TEMPORARY.search(str(e.get("message", ""))) for e in errors):
            raise TemporaryFailure(f"HTTP {status}, {describe_errors(errors)}")
        raise classify_error(response, body)
    if "result" not in body:
        raise MalformedResponse(f"HTTP {status} envelope without a result")
    issues = body.get("errors")
    if issues and on_notice is not None:
        listed = [e for e in issues if isinstance(e, dict)] if isinstance(issues, list) else []
        on_notice(
            f"the API answered success but listed errors ({describe_errors(listed)}): the data"
            " was loaded as sent"
        )


def page_title(content: bytes) -> str:
    """The title of an HTML page, for the one line that names a block (empty if none)."""
    found = _TITLE.search(content[:65536])
    return found.group(1).decode("utf-8", "replace").strip()[:100] if found else ""


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
