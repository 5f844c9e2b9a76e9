"""Opaque, signed keyset cursors: tampered, foreign or stale ones are refused."""

import base64
import hashlib
import hmac
import time
from collections.abc import Callable


class CursorError(ValueError):
    """The cursor was tampered with, belongs to another listing, or has expired."""


class Cursors:
    """A cursor names a listing (`scope`), a direction and the sequence number it is anchored at.

    `expire_all()` makes every cursor handed out so far stale, as a server restart would.
    """

    def __init__(
        self, secret: bytes, ttl_seconds: float = 900.0, clock: Callable[[], float] = time.time
    ) -> None:
        self._secret = secret
        self._generation = 0
        self.ttl_seconds = ttl_seconds
        self._clock = clock

    def issue(self, scope: str, direction: str, anchor: int) -> str:
        payload = f"{self._generation}|{scope}|{direction}|{anchor}|{int(self._clock())}"
        signature = hmac.new(self._secret, payload.encode(), hashlib.sha256).hexdigest()[:20]
        return base64.urlsafe_b64encode(f"{payload}|{signature}".encode()).decode().rstrip("=")

    def read(self, token: str, scope: str) -> tuple[str, int]:
        try:
            raw = base64.urlsafe_b64decode(token + "=" * (-len(token) % 4)).decode()
            # The scope may itself contain "|": read the fixed fields from both ends.
            generation, rest = raw.split("|", 1)
            cursor_scope, direction, anchor, issued, signature = rest.rsplit("|", 4)
        except (ValueError, UnicodeDecodeError):
            raise CursorError("malformed cursor") from None
        payload = raw.rsplit("|", 1)[0]
        expected = hmac.new(self._secret, payload.encode(), hashlib.sha256).hexdigest()[:20]
        if not hmac.compare_digest(signature, expected):
            raise CursorError("cursor signature does not match")
        if cursor_scope != scope:
            raise CursorError("cursor belongs to another listing")
        if int(generation) != self._generation:
            raise CursorError("cursor has expired")
        if self._clock() - int(issued) > self.ttl_seconds:
            raise CursorError("cursor has expired")
        return direction, int(anchor)

    @property
    def generation(self) -> int:
        return self._generation

    def expire_all(self) -> None:
        self._generation += 1
