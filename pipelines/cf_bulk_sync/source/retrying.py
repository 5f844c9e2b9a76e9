"""The HTTP session of each thread and its retry policy: 429 (waiting as long as Retry-After
says), 5xx, timeouts, dropped connections and malformed bodies are retried, a bounded number
of times, each retry logged and counted; every attempt spends the request budget.

Built from public pieces only: dlt's `Session` (a default timeout and dlt's User-Agent),
`retry_if_status` and `wait_exponential_retry_after` (dlt's reading of Retry-After), and a
tenacity `Retrying` of our own. dlt's retrying `Client` is configured only through private
methods, so it is not used.
"""

import threading
from collections.abc import Callable
from typing import Any
from urllib.parse import urlparse

import requests
from dlt.common import logger
from dlt.sources.helpers.requests.retry import (
    DEFAULT_RETRY_EXCEPTIONS,
    DEFAULT_RETRY_STATUS,
    retry_if_status,
    wait_exponential_retry_after,
)
from dlt.sources.helpers.requests.session import Session
from requests.adapters import HTTPAdapter
from tenacity import (
    RetryCallState,
    Retrying,
    retry_any,
    retry_if_exception,
    stop_after_attempt,
)

from .budget import RequestBudget
from .deadline import POOL_CLASSES, ResponseDeadline
from .envelope import MalformedResponse, TemporaryFailure
from .stats import SyncStats
from .unreachable import connect_failure

RETRY_STATUS = DEFAULT_RETRY_STATUS  # 429 and every 5xx
RETRY_EXCEPTIONS = (*DEFAULT_RETRY_EXCEPTIONS, MalformedResponse, TemporaryFailure)
POOL_SIZE = 16


class DeadlineExceeded(requests.Timeout):
    """A response not complete within the deadline (a server or proxy dripping its bytes):
    retried like any timeout."""


class BudgetedAdapter(HTTPAdapter):
    """Spends the request budget and counts every attempt, retries included; and gives each
    response a total deadline, connect and every read together (see deadline.py): an attempt
    cut off by it fails as a `DeadlineExceeded`.
    """

    def __init__(
        self, budget: RequestBudget, stats: SyncStats, deadline: float, **kwargs: Any
    ) -> None:
        super().__init__(**kwargs)
        self._budget = budget
        self._stats = stats
        self.deadline = deadline

    # every pool, direct or through a proxy, notes the connection a request is sent on, for
    # the deadline to cut
    def init_poolmanager(self, *args: Any, **kwargs: Any) -> None:
        super().init_poolmanager(*args, **kwargs)
        self.poolmanager.pool_classes_by_scheme = POOL_CLASSES

    def proxy_manager_for(self, proxy: str, **proxy_kwargs: Any) -> Any:
        manager = super().proxy_manager_for(proxy, **proxy_kwargs)
        manager.pool_classes_by_scheme = POOL_CLASSES
        return manager

    def send(
        self,
        request: requests.PreparedRequest,
        stream: bool = False,
        timeout: float | tuple[float | None, float | None] | None = None,
        verify: bool | str = True,
        cert: str | tuple[str, str] | None = None,
        proxies: dict[str, str] | None = None,
    ) -> requests.Response:
        self._budget.acquire()
        self._stats.add("requests")
        response: requests.Response | None = None
        with ResponseDeadline(self.deadline) as deadline:
            try:
                response = super().send(request, True, timeout, verify, cert, proxies)
                if stream:  # the caller reads the body (no caller of ours does)
                    return response
                response.content  # noqa: B018 - reads the body under the deadline
            except requests.RequestException:
                if not deadline.expired:
                    raise
        if deadline.expired:
            if response is not None:
                response.close()
            raise DeadlineExceeded(
                f"no complete response within request_deadline={self.deadline:g}s",
                request=request,
            )
        assert response is not None
        return response


class RetryingSession(Session):
    """dlt's `Session` that never raises for a status itself (the envelope hook decides) and
    sends each request under `retrying`. The response hooks run inside `send`, so what they
    raise is retried like a failed request."""

    def __init__(
        self, retrying: Retrying, timeout: tuple[float, float], reached: threading.Event
    ) -> None:
        super().__init__(timeout=timeout, raise_for_status=False)
        self._retrying = retrying
        self._reached = reached

    def send(self, request: requests.PreparedRequest, **kwargs: Any) -> requests.Response:
        # a copy per call: a redirect sends again from inside `send`
        response: requests.Response = self._retrying.copy()(self._attempt, request, **kwargs)
        return response

    def _attempt(self, request: requests.PreparedRequest, **kwargs: Any) -> requests.Response:
        try:
            response: requests.Response = super().send(request, **kwargs)
        except Exception as e:
            if not connect_failure(e):  # a server was reached: it answered badly, or slowly
                self._reached.set()
            raise
        self._reached.set()
        return response


class RetryingSessions:
    """Makes one `RetryingSession` per caller (one per thread), all on one budgeted adapter."""

    def __init__(
        self,
        budget: RequestBudget,
        stats: SyncStats,
        max_attempts: int,
        backoff_factor: float,
        max_retry_delay: float,
        timeout: float,
        sleep: Callable[[float], None] | None = None,
        deadline: float | None = None,
        connect_timeout: float | None = None,
    ) -> None:
        deadline = timeout if deadline is None else deadline
        self._adapter = BudgetedAdapter(budget, stats, deadline, pool_maxsize=POOL_SIZE)
        self._stats = stats
        self.max_attempts = max_attempts
        self.backoff_factor = backoff_factor
        self.max_retry_delay = max_retry_delay
        # requests' (connect, read) timeouts; neither may outlast the response's deadline
        connect = timeout if connect_timeout is None else connect_timeout
        self.timeout = (min(connect, deadline), min(timeout, deadline))
        self._sleep = sleep
        # set once a server answered any session: from then on a failed connection is a blip
        self.reached = threading.Event()

    def new_session(self) -> RetryingSession:
        session = RetryingSession(self.retrying(), self.timeout, self.reached)
        session.mount("http://", self._adapter)
        session.mount("https://", self._adapter)
        return session

    def retrying(self) -> Retrying:
        """The retry policy. A 429 or 5xx that outlives it is returned, not raised, so that
        the response hook classifies it; an exception that outlives it is raised."""
        # tenacity's own sleep unless told otherwise (it looks up time.sleep at each call)
        waits: dict[str, Any] = {"sleep": self._sleep} if self._sleep is not None else {}
        return Retrying(
            **waits,
            retry=retry_any(retry_if_status(RETRY_STATUS), retry_if_exception(self._retried)),
            wait=wait_exponential_retry_after(
                multiplier=self.backoff_factor, max=self.max_retry_delay
            ),
            stop=stop_after_attempt(self.max_attempts),
            reraise=True,
            retry_error_callback=_last_outcome,
            before_sleep=self._before_sleep,
        )

    def _retried(self, error: BaseException) -> bool:
        """Errors worth another attempt; a connection that failed before any server answered
        in this client's life is not (see unreachable): a wrong base_url fails at once."""
        if not isinstance(error, RETRY_EXCEPTIONS):
            return False
        return self.reached.is_set() or not connect_failure(error)

    def _before_sleep(self, state: RetryCallState) -> None:
        self._stats.add("retries")
        error = state.outcome.exception() if state.outcome else None
        response = getattr(error, "response", None)
        cause = f"HTTP {response.status_code}" if response is not None else type(error).__name__
        request = state.args[0] if state.args else None
        path = urlparse(getattr(request, "url", "")).path
        wait = state.next_action.sleep if state.next_action else 0
        logger.warning(
            f"GET {path} failed ({cause}); retry {state.attempt_number} of"
            f" {self.max_attempts - 1} in {wait:.1f}s"
        )


def _last_outcome(state: RetryCallState) -> Any:
    """The last attempt's response, or its exception raised again."""
    return state.outcome.result() if state.outcome else None
