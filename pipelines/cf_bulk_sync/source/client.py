"""HTTP client of the bulk action endpoints: dlt's RESTClient on our retrying session (see
`retrying`), plus what they lack for Cloudflare (envelope checks, error classification, a
request budget, restarts). Also the two calls of `cf-bulk-sync check`: the token's own status
and one page of an account's job list."""

import threading
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote

import requests
from dlt.common import logger
from dlt.common.jsonpath import compile_path
from dlt.sources.helpers.rest_client import RESTClient
from dlt.sources.helpers.rest_client.typing import Hooks
from requests.auth import AuthBase

from ..safe_text import printable
from . import settings
from .arrow_pages import drop_repeated, is_arrow_page, read_message_page
from .budget import RequestBudget
from .envelope import (
    TOKEN_FIX,
    EdgeBlocked,
    MalformedResponse,
    TemporaryFailure,
    envelope_hook,
)
from .errors import (
    AccountError,
    AuthenticationError,
    BlockedError,
    CloudflareAPIError,
    CursorRejectedError,
    NotFoundError,
    TransientAPIError,
    describe_errors,
)
from .fetcher import record_wait
from .paginators import CloudflareCursorPaginator
from .retrying import DeadlineExceeded, RetryingSessions
from .stats import SyncStats
from .unreachable import cannot_connect, connect_failure

# compiled once: dlt compiles a path given as text on every page, with a new parser each time
RESULT = compile_path("result")


class CloudflareAuth(AuthBase):
    """Bearer token, or the legacy e-mail + global key pair. Its repr never shows a secret."""

    def __init__(
        self,
        api_token: str | None = None,
        email: str | None = None,
        key: str | None = None,
    ) -> None:
        self._headers = (
            {"Authorization": f"Bearer {api_token}"}
            if api_token
            else {"X-Auth-Email": email or "", "X-Auth-Key": key or ""}
        )

    @property
    def uses_token(self) -> bool:
        """An API token (which Cloudflare can verify), not the legacy global key."""
        return "Authorization" in self._headers

    def __call__(self, request: requests.PreparedRequest) -> requests.PreparedRequest:
        request.headers.update(self._headers)
        return request

    def __repr__(self) -> str:
        return "CloudflareAuth(<redacted>)"


@dataclass(frozen=True)
class TokenStatus:
    """What Cloudflare's token verify endpoint said about the token."""

    status: str  # active, disabled or expired
    path: str  # the endpoint that knew it: /user/tokens/verify or /accounts/{id}/tokens/verify
    token_id: str | None = None
    expires_on: str | None = None

    @property
    def active(self) -> bool:
        return self.status == "active"

    @property
    def owner(self) -> str:
        """`user`, or `account <id>` for an account-owned token."""
        parts = self.path.strip("/").split("/")
        return f"account {parts[1]}" if parts[0] == "accounts" else "user"


class CloudflareClient:
    """Reads bulk action jobs and their messages; pages are lists of the API's own dicts."""

    def __init__(
        self,
        auth: CloudflareAuth,
        base_url: str = settings.DEFAULT_BASE_URL,
        per_page: int = settings.DEFAULT_PER_PAGE,
        stats: SyncStats | None = None,
        budget: RequestBudget | None = None,
        max_attempts: int = settings.DEFAULT_MAX_ATTEMPTS,
        backoff_factor: float = settings.DEFAULT_BACKOFF_FACTOR,
        max_retry_delay: float = settings.DEFAULT_MAX_RETRY_DELAY,
        timeout: float = settings.DEFAULT_TIMEOUT,
        sleep: Callable[[float], None] | None = None,
        deadline: float = settings.DEFAULT_DEADLINE,
        connect_timeout: float = settings.DEFAULT_CONNECT_TIMEOUT,
    ) -> None:
        self.base_url = base_url.rstrip("/")
        self.per_page = per_page
        self.stats = stats or SyncStats()
        self.max_attempts = max_attempts
        budget = budget or RequestBudget(
            settings.DEFAULT_BUDGET_REQUESTS, settings.DEFAULT_BUDGET_SECONDS
        )
        # a wait for the budget shows on the progress line (see ops.progress)
        budget.on_wait = lambda seconds, why: self.stats.waiting_for_budget(
            seconds, why, time.monotonic()
        )
        self._auth = auth
        self._sessions = RetryingSessions(
            budget,
            self.stats,
            max_attempts=max_attempts,
            backoff_factor=backoff_factor,
            max_retry_delay=max_retry_delay,
            timeout=timeout,
            sleep=sleep,
            deadline=deadline,
            connect_timeout=connect_timeout,
        )
        self.connect_timeout = connect_timeout
        self._notices: set[str] = set()
        self._notices_lock = threading.Lock()
        self._hooks: Hooks = {
            "response": [
                record_wait,
                envelope_hook(max_retry_delay, budget.block, on_notice=self._notice),
            ]
        }
        self._message_hooks: Hooks = {
            "response": [
                record_wait,
                envelope_hook(max_retry_delay, budget.block, read_message_page, self._notice),
            ]
        }
        self._local = threading.local()

    def _notice(self, text: str) -> None:
        """A warning about an answer, once per run however many pages repeat it."""
        with self._notices_lock:
            if text in self._notices:
                return
            self._notices.add(text)
        self.stats.warn(text)

    @property
    def uses_token(self) -> bool:
        """Whether it authenticates with an API token (not the legacy global key)."""
        return self._auth.uses_token

    @property
    def _rest(self) -> RESTClient:
        """One RESTClient per thread, each on a retrying session of its own."""
        rest = getattr(self._local, "rest", None)
        if rest is None:
            rest = self._local.rest = RESTClient(
                base_url=self.base_url,
                auth=self._auth,
                session=self._sessions.new_session(),
                data_selector=RESULT,
            )
        return rest

    def iter_jobs(
        self, account_id: str, action_type: str | None = None
    ) -> Iterator[list[dict[str, Any]]]:
        """Yields the account's jobs page by page (oldest first as the API sends them)."""
        params: dict[str, Any] = {"per_page": self.per_page}
        if action_type:
            params["action_type"] = action_type
        path = settings.API_PREFIX.format(account_id=account_id) + "/bulk"
        paginator = CloudflareCursorPaginator(f"job list of account {account_id}")
        try:
            yield from self._pages(path, params, paginator)
        except NotFoundError as e:
            raise account_not_found(account_id, e) from None

    def get_job(self, account_id: str, job_id: str) -> dict[str, Any]:
        """Returns one job; raises `NotFoundError` when it does not exist (or was deleted)."""
        path = settings.API_PREFIX.format(account_id=account_id) + f"/bulk/{quote(job_id, safe='')}"
        result = self._get_result(path, f"job {job_id}")
        if not isinstance(result, dict):
            raise TransientAPIError(f"job {job_id}: the API returned no job object")
        return result

    def probe_jobs(self, account_id: str) -> int:
        """One request for the first page of the account's job list with `per_page=1`: it
        succeeds only if the credentials may read the account's bulk action jobs (the
        permission "Cloud Email Security: Read"). Returns the jobs on that page (0 or 1)."""
        path = settings.API_PREFIX.format(account_id=account_id) + "/bulk"
        try:
            result = self._get_result(path, f"job list of account {account_id}", {"per_page": 1})
        except NotFoundError as e:
            raise account_not_found(account_id, e) from None
        return len(result) if isinstance(result, list) else 0

    def verify_token(self, account_ids: Sequence[str] = ()) -> TokenStatus:
        """Asks Cloudflare about the API token itself: `GET /user/tokens/verify`, then, for a
        token owned by an account (only its account knows it), `GET
        /accounts/{id}/tokens/verify` for each of `account_ids` in turn. The first endpoint
        that knows the token answers; raises `AuthenticationError` when none does."""
        paths = ["/user/tokens/verify"] + [f"/accounts/{a}/tokens/verify" for a in account_ids]
        refused: list[CloudflareAPIError] = []
        for path in paths:
            try:
                result = self._get_result(path, "token verification")
            except (AuthenticationError, AccountError, NotFoundError) as e:
                refused.append(e)
                continue
            if not isinstance(result, dict) or not isinstance(result.get("status"), str):
                raise TransientAPIError(f"{path}: the API returned no token status")
            return TokenStatus(result["status"], path, result.get("id"), result.get("expires_on"))
        first = refused[0]
        where = "/user/tokens/verify" + (
            f" nor at the /tokens/verify of {len(account_ids)} account(s)" if account_ids else ""
        )
        raise AuthenticationError(
            f"API token not recognised at {where} (HTTP {first.status_code},"
            f" {describe_errors(first.errors)}): {TOKEN_FIX}",
            first.status_code,
            first.errors,
            first.path,
        )

    def _get_result(self, path: str, what: str, params: dict[str, Any] | None = None) -> Any:
        """One GET under the client's retries and budget; the envelope's `result`."""
        response = self._translate(
            lambda: self._rest.get(path, params=params, hooks=self._hooks), what
        )
        return response.json()["result"]

    def iter_messages(
        self,
        account_id: str,
        job_id: str,
        status: str | None = None,
        max_pages: int | Callable[[int], int] | None = None,
        on_restart: Callable[[], str] | None = None,
    ) -> Iterator[list[dict[str, Any]]]:
        """Yields one job's messages page by page, following `result_info.next`: a page is a
        list of item dicts, or a list holding one Arrow table (see `arrow_pages.is_arrow_page`).

        A rejected or expired cursor restarts the listing from the first page, up to
        `settings.CURSOR_RESTARTS` times; from the second restart on, `on_restart` is called
        first (the fetcher lowers the number of workers: a listing whose cursor keeps expiring
        is read too slowly) and returns what it did, for the log. A message is yielded once per
        listing even if the API repeats it (on another page, or after a restart), so the rows
        of one run never disagree about a message.
        """
        params: dict[str, Any] = {"per_page": self.per_page}
        if status:
            params["status"] = status
        job = quote(job_id, safe="")  # never a path of its own, whatever the API sent
        path = settings.API_PREFIX.format(account_id=account_id) + f"/bulk/{job}/messages"
        yielded: set[Any] = set()
        restarts = 0
        while True:
            paginator = CloudflareCursorPaginator(f"messages of job {job_id}", max_pages)
            try:
                for page in self._pages(path, params, paginator, self._message_hooks):
                    if is_arrow_page(page):
                        items = drop_repeated(page[0], yielded)
                        yield [items] if items.num_rows else []
                        continue
                    fresh = []
                    for item in page:
                        key = item.get("message_id") if isinstance(item, dict) else None
                        if not isinstance(key, str):  # set aside later, see quarantine
                            fresh.append(item)
                        elif key not in yielded:
                            fresh.append(item)
                            yielded.add(key)
                    yield fresh
                return
            except CursorRejectedError as e:
                if restarts >= settings.CURSOR_RESTARTS:
                    raise
                restarts += 1
                self.stats.add("cursor_restarts")
                slower = f" {on_restart()}" if restarts > 1 and on_restart is not None else ""
                logger.warning(
                    f"messages of job {job_id}: {e}; restart {restarts} of"
                    f" {settings.CURSOR_RESTARTS} from the first page{slower}"
                )

    def _pages(
        self,
        path: str,
        params: dict[str, Any],
        paginator: CloudflareCursorPaginator,
        hooks: Hooks | None = None,
    ) -> Iterator[list[Any]]:
        pages = self._rest.paginate(
            path,
            params=dict(params),
            paginator=paginator,
            data_selector=RESULT,
            hooks=hooks or self._hooks,
        )
        while True:
            page = self._translate(lambda: next(pages, None), paginator.what)
            if page is None:
                return
            yield list(page)

    def _translate(self, call: Any, what: str) -> Any:
        """Runs one request and turns what outlived the retries into a `TransientAPIError`."""
        try:
            return call()
        except requests.HTTPError as e:
            status = e.response.status_code if e.response is not None else None
            raise TransientAPIError(
                f"{what}: HTTP {status or '?'} persisted after {self.max_attempts} attempts",
                status,
            ) from None
        except DeadlineExceeded as e:
            raise TransientAPIError(
                f"{what}: {e}, {self.max_attempts} attempts: the server or a proxy sends too"
                " slowly (raise request_deadline if it is only slow)"
            ) from None
        except EdgeBlocked as e:
            title = f" titled {printable(e.title, 80)!r}" if e.title else ""
            raise BlockedError(
                f"{what}: HTTP {e.status} from an edge or proxy in front of the API (an HTML"
                f" page{title}, not the API's JSON), {self.max_attempts} attempts: the requests"
                " are blocked before they reach the API (a firewall or WAF rule, an IP access"
                " rule, a proxy); allow this host's address there, or route it another way"
                " (base_url, HTTPS_PROXY)",
                e.status,
            ) from None
        except TemporaryFailure as e:
            raise TransientAPIError(
                f"{what}: the API reported a temporary failure ({e.detail}) in every one of"
                f" {self.max_attempts} attempts"
            ) from None
        except MalformedResponse as e:
            raise TransientAPIError(
                f"{what}: malformed response persisted after {self.max_attempts} attempts ({e})"
            ) from None
        except (requests.ConnectionError, requests.Timeout, requests.RequestException) as e:
            if connect_failure(e):  # no server answered: host, port and the setting to fix
                message = cannot_connect(what, e, self.base_url, self.connect_timeout)
                raise TransientAPIError(message) from None
            raise TransientAPIError(
                f"{what}: network error persisted after {self.max_attempts} attempts"
                f" ({type(e).__name__})"
            ) from None


def account_not_found(account_id: str, error: NotFoundError) -> AccountError:
    """A 404 on an account's job list: the account id is what is wrong."""
    return AccountError(
        f"Account {account_id} not found ({error}): check account_id",
        error.status_code,
        error.errors,
        error.path,
    )
