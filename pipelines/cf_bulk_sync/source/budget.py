"""A client-side request budget: at most N requests in any sliding window of W seconds."""

import threading
import time
from collections import deque
from collections.abc import Callable

from dlt.common import logger

from .errors import RateLimitedError


class RequestBudget:
    """Blocks a caller until sending one more request keeps the window under its limit.

    Shared by every thread of a run, so parallel workers spend one budget together.
    """

    def __init__(
        self,
        max_requests: int,
        window_seconds: float,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        if max_requests < 1 or window_seconds <= 0:
            raise ValueError("request budget needs max_requests >= 1 and window_seconds > 0")
        self.max_requests = max_requests
        self.window_seconds = window_seconds
        # Cloudflare counts requests when they arrive, we when they leave: a request delayed on
        # the way (a new connection, a slow network) would otherwise fall into the next window
        # at Cloudflare's end. Measured with the simulator: 63 arrivals in a 10 s window for a
        # budget of 60 without the margin.
        self.margin_seconds = max(0.25, window_seconds * 0.01)
        self._clock = clock
        self._sleep = sleep
        self._sent: deque[float] = deque()
        self._lock = threading.Lock()
        self.waited_seconds = 0.0
        self._blocked: str | None = None

    def block(self, reason: str) -> None:
        """Cloudflare blocked the token: no thread may send another request this run."""
        self._blocked = reason

    def acquire(self) -> None:
        """Takes one request from the budget, waiting for the window to slide if it is spent."""
        while True:
            if self._blocked is not None:
                raise RateLimitedError(self._blocked, 429)
            with self._lock:
                now = self._clock()
                span = self.window_seconds + self.margin_seconds
                # a slot whose time is up within rounding error is free: otherwise the wait
                # below rounds to nothing and the loop never ends
                while self._sent and self._sent[0] + span <= now + 1e-6:
                    self._sent.popleft()
                if len(self._sent) < self.max_requests:
                    self._sent.append(now)
                    return
                wait = max(self._sent[0] + span - now, 0.001)
            logger.info(
                f"Request budget of {self.max_requests} per {self.window_seconds:g}s spent;"
                f" waiting {wait:.1f}s"
            )
            self.waited_seconds += wait
            self._sleep(wait)
