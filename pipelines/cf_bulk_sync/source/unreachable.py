"""A request that never reached a server: refused, no address (DNS), no TLS session, or no
connection within `connect_timeout`. Such a failure before the API has answered once in a run
is a wrong `base_url`, a port nothing listens on, a certificate or a firewall, not a blip: it
is not retried (see `retrying`), and its line names the host, the port and the setting to
correct, instead of `network error persisted after 5 attempts (ConnectionError)` 19 s later.
"""

import errno
import re
from urllib.parse import urlsplit

import requests
from urllib3.exceptions import NameResolutionError, NewConnectionError

from . import settings

# the setting a user corrects, and where it is set
BASE_URL_SETTING = (
    f"base_url ({settings.ENV_BASE_URL}, or base_url under"
    " [sources.cloudflare_email_security] in .dlt/config.toml)"
)
# OpenSSL's reason, e.g. "[SSL: CERTIFICATE_VERIFY_FAILED] certificate verify failed: ..."
_SSL_REASON = re.compile(r"\[SSL(?:: [A-Z_]+)?\][^'\"(]*")


def connect_failure(error: BaseException) -> bool:
    """Whether `error` ended a request before any server answered it."""
    if isinstance(error, requests.ConnectTimeout | requests.exceptions.SSLError):
        return True
    if isinstance(error, requests.ConnectionError):
        return isinstance(_reason(error), NewConnectionError)
    return False


def cannot_connect(what: str, error: BaseException, base_url: str, connect_timeout: float) -> str:
    """The line for a `connect_failure`: what, host and port, why, and the setting to fix."""
    parts = urlsplit(base_url)
    host = parts.hostname or base_url
    port = parts.port or (443 if parts.scheme == "https" else 80)
    fix = f"check {BASE_URL_SETTING}"
    reason = _reason(error)
    if isinstance(error, requests.exceptions.SSLError):
        found = _SSL_REASON.search(str(error))
        why = f"TLS failed: {found[0].strip() if found else 'no TLS session'}"
        fix += ", or the CA bundle (REQUESTS_CA_BUNDLE) for a proxy's certificate"
    elif isinstance(error, requests.ConnectTimeout):
        why = f"no connection within connect_timeout={connect_timeout:g}s"
        fix += (
            "; a firewall or proxy (HTTPS_PROXY) may drop the traffic; raise connect_timeout"
            " for a slow network"
        )
    elif isinstance(reason, NameResolutionError):
        why = "the host name does not resolve in DNS"
    elif _errno(reason) == errno.ECONNREFUSED:
        why = "connection refused: nothing listens on that port"
    else:
        why = str(reason).rsplit(": ", 1)[-1] if reason is not None else type(error).__name__
    return f"{what}: cannot connect to {host}:{port} ({why}): {fix}"


def _reason(error: BaseException) -> BaseException | None:
    """urllib3's error behind requests' (`MaxRetryError.reason`)."""
    inner = error.args[0] if error.args else None
    reason = getattr(inner, "reason", None)
    return reason if isinstance(reason, BaseException) else None


def _errno(reason: BaseException | None) -> int | None:
    seen = reason
    while seen is not None:
        if isinstance(seen, OSError) and seen.errno is not None:
            return seen.errno
        seen = seen.__cause__ or seen.__context__
    return None
