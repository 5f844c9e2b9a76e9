"""Errors of the Cloudflare API, under the project's root error (see `cf_bulk_sync.errors`).

Messages name the cause and the fix in one line; none of them ever contains a credential.
"""

from typing import Any

from ..errors import CfBulkSyncError, ConfigurationError

__all__ = ["CfBulkSyncError", "ConfigurationError"]  # re-exported for the source's modules


class CloudflareAPIError(CfBulkSyncError):
    """The API answered with an error envelope or an error status."""

    def __init__(
        self,
        message: str,
        status_code: int | None = None,
        errors: list[dict[str, Any]] | None = None,
        path: str = "",
    ) -> None:
        super().__init__(message)
        self.status_code = status_code
        self.errors = errors or []
        self.path = path

    @property
    def codes(self) -> list[int]:
        return [code for e in self.errors if isinstance(code := e.get("code"), int)]


class AuthenticationError(CloudflareAPIError):
    """401/403 or code 10000: the credentials are wrong or lack the read permission."""


class AccountError(CloudflareAPIError):
    """Codes 7000/7003 or an unknown account: the account id cannot be used."""


class BadRequestError(CloudflareAPIError):
    """400 on a parameter."""


class CursorRejectedError(CloudflareAPIError):
    """400 on a request that carried a cursor: the cursor expired or was rejected."""


class NotFoundError(CloudflareAPIError):
    """404 on a job: it was deleted between two calls."""


class TransientAPIError(CloudflareAPIError):
    """429/5xx, a malformed body or a network error that outlived every retry."""


class BlockedError(TransientAPIError):
    """An edge, firewall or proxy in front of the API kept refusing the requests (HTML 401/403)."""


class JobNotServedError(CloudflareAPIError):
    """A listed job's messages answered 404 while its own detail still answers: not deleted."""


class RateLimitedError(TransientAPIError):
    """429 with a Retry-After longer than the run is allowed to wait."""


class StoppedBySignal(CfBulkSyncError):
    """A wait was cut short because a signal asked the run to stop."""


class RunawayPaginationError(CfBulkSyncError):
    """The API kept handing out pages past what the job can have, or repeated a cursor."""


def describe_errors(errors: list[dict[str, Any]]) -> str:
    """Formats Cloudflare's `errors` array as `code 10000: Authentication error; ...`."""
    parts = []
    for error in errors:
        code = error.get("code")
        text = str(error.get("message", "")).strip()
        parts.append(f"code {code}: {text}" if code is not None else text)
    return "; ".join(p for p in parts if p) or "no error details"
