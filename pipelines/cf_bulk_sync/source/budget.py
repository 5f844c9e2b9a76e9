"""A client-side request budget: at most N requests in any sliding window of W seconds.

The window itself (the send times of recent requests) is kept either in this process
(`MemoryWindow`) or in a file shared by every process of one token on the host (see
`budget_file`); the budget's rules are the same for both.
"""

import threading
import time
from collections import deque
from collections.abc import Callable
from typing import Protocol

from dlt.common import logger

from .errors import RateLimitedError

# a wait this long is a warning in the log, not only a debug line: a run that sleeps minutes
# at 0% CPU must say why (the first run after a big backfill waits for the shared window)
NOTABLE_WAIT = 5.0

# a slot whose time is up within rounding error is free: otherwise the wait rounds to nothing
# and the caller's loop never ends
EPSILON = 1e-6


def margin_seconds(window_seconds: float) -> float:
    """How much longer than Cloudflare's our window is (see `RequestBudget`)."""
    return max(0.25, window_seconds * 0.01)


class Window(Protocol):
    """Where the send times of recent requests are kept."""

    def take(self, now: float, span: float, limit: int) -> float:
        """Records a request sent at `now` if fewer than `limit` were sent in the `span`
        seconds before it, and returns 0; else records nothing and returns the seconds until
        the oldest of them leaves the span."""
        ...


class MemoryWindow:
    """The window of one process (not thread-safe alone: `RequestBudget` serialises it)."""

    def __init__(self) -> None:
        self._sent: deque[float] = deque()

    def take(self, now: float, span: float, limit: int) -> float:
        while self._sent and self._sent[0] + span <= now + EPSILON:
            self._sent.popleft()
        if len(self._sent) < limit:
            self._sent.append(now)
            return 0.0
        return max(self._sent[0] + span - now, 0.001)


class RequestBudget:
    """Blocks a caller until sending one more request keeps the window under its limit.

    Shared by every thread of a run, so parallel workers spend one budget together; with a
    shared `window`, also by every process of the token on this host.
    """

    def __init__(
        self,
        max_requests: int,
        window_seconds: float,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], None] = time.sleep,
        window: Window | None = None,
    ) -> None:
        if max_requests < 1 or window_seconds <= 0:
            raise ValueError("request budget needs max_requests >= 1 and window_seconds > 0")
        self.max_requests = max_requests
        self.window_seconds = window_seconds
        # Cloudflare counts requests when they arrive, we when they leave: a request delayed on
        # the way (a new connection, a slow network) would otherwise fall into the next window
        # at Cloudflare's end. Measured with the simulator: 63 arrivals in a 10 s window for a
        # budget of 60 without the margin.
        self.margin_seconds = margin_seconds(window_seconds)
        self._clock = clock
        self._sleep = sleep
        self._window: Window = window if window is not None else MemoryWindow()
        self._lock = threading.Lock()
        self.waited_seconds = 0.0
        self._blocked: str | None = None
        # told of every wait: (seconds, why); the run's stats show it on the progress line
        self.on_wait: Callable[[float, str], None] | None = None
        self.shared = False  # the window is shared with the token's other processes

    def block(self, reason: str) -> None:
        """Cloudflare blocked the token: no thread may send another request this run."""
        self._blocked = reason

    def acquire(self) -> None:
        """Takes one request from the budget, waiting for the window to slide if it is spent."""
        span = self.window_seconds + self.margin_seconds
        while True:
            if self._blocked is not None:
                raise RateLimitedError(self._blocked, 429)
            with self._lock:
                wait = self._window.take(self._clock(), span, self.max_requests)
            if wait <= 0:
                return
            reason = self.describe_wait()
            if wait >= NOTABLE_WAIT:
                logger.warning(f"waiting {wait:.0f}s for the request budget: {reason}")
            else:
                logger.info(f"waiting {wait:.1f}s for the request budget: {reason}")
            if self.on_wait is not None:
                self.on_wait(wait, reason)
            self.waited_seconds += wait
            self._sleep(wait)

    def describe_wait(self) -> str:
        """Why a request waits, in words: the budget and whose requests spent it."""
        spent = (
            "spent by this run and the token's other runs on this host"
            if self.shared
            else "spent by this run"
        )
        return f"{self.max_requests} requests per {self.window_seconds:g}s, {spent}"
