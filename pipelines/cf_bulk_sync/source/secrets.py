"""Secrets: cleaned before any request, and removed from every text that can reach output or
storage.

A token read from a Kubernetes secret or a file often ends in a newline; requests then rejects
the header with a message that quotes it, and that message used to reach the terminal,
`sync_runs.error`, the BI snapshot and the dashboard. Surrounding whitespace is stripped (with
a warning); a control character inside a secret is refused. Every error and warning text goes
through one `Redactor` that knows each configured secret, and so does dlt's log.
"""

import logging
import re
import threading

from ..errors import ConfigurationError

MASK = "****"
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")


def clean_secret(name: str, value: str | None, warn: list[str]) -> str | None:
    """`value` without surrounding whitespace (noted in `warn`); a `ConfigurationError` naming
    the setting, never the value, when a control character is left inside it."""
    if value is None:
        return None
    cleaned = value.strip()
    if cleaned != value:
        warn.append(
            f"{name} had whitespace around it (a trailing newline from a secret file?):"
            " stripped; fix the secret"
        )
    if _CONTROL.search(cleaned):
        raise ConfigurationError(
            f"{name} contains a control character (a line break or similar) inside it: a"
            " header cannot carry it; fix the secret (its value is not shown)"
        )
    return cleaned or None


class Redactor:
    """Replaces every registered secret (and its forms with surrounding whitespace) by ****."""

    def __init__(self) -> None:
        self._secrets: set[str] = set()
        self._lock = threading.Lock()

    def add(self, *secrets: str | None) -> None:
        with self._lock:
            for secret in secrets:
                if secret and len(secret.strip()) >= 4:
                    self._secrets.add(secret)
                    self._secrets.add(secret.strip())

    def __call__(self, text: str) -> str:
        with self._lock:
            secrets = sorted(self._secrets, key=len, reverse=True)
        for secret in secrets:
            text = text.replace(secret, MASK)
            text = text.replace(repr(secret.encode())[2:-1], MASK)  # b'...' forms in messages
        return text


class RedactingFilter(logging.Filter):
    """A logging filter that passes each record's text through a `Redactor`."""

    def __init__(self, redactor: Redactor) -> None:
        super().__init__()
        self.redactor = redactor

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        redacted = self.redactor(message)
        if redacted != message:
            record.msg, record.args = redacted, None
        return True
