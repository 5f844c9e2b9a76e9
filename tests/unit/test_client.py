import logging
import threading
from typing import Any

import pytest
import requests
import requests_mock

from cf_bulk_sync.source import settings
from cf_bulk_sync.source.arrow_pages import is_arrow_page
from cf_bulk_sync.source.client import CloudflareAuth, CloudflareClient
from cf_bulk_sync.source.errors import (
    AccountError,
    AuthenticationError,
    BadRequestError,
    CloudflareAPIError,
    CursorRejectedError,
    NotFoundError,
    TransientAPIError,
)

from .fakes import ACCOUNT, BASE, PREFIX, failure, ids_of, ok

SECRET = "tok-SECRET-91f2"


def client(**kwargs: Any) -> CloudflareClient:
    kwargs.setdefault("backoff_factor", 0)
    kwargs.setdefault("max_attempts", 3)
    return CloudflareClient(CloudflareAuth(SECRET), base_url=BASE, per_page=2, **kwargs)


@pytest.fixture
def sleeps(monkeypatch: pytest.MonkeyPatch) -> list[float]:
    """Records the waits of the retry loop instead of sleeping through them."""
    waited: list[float] = []
    monkeypatch.setattr("time.sleep", lambda s: waited.append(s))
    return waited


@pytest.mark.parametrize(
    "status,body,error,text",
    [
        pytest.param(
            403,
            failure(10000, "Authentication error"),
            AuthenticationError,
            "Authentication failed (HTTP 403, code 10000: Authentication error)"
            ": the credentials are invalid or lack the permission; use an API token with"
            " the permission 'Cloud Email Security: Read'",
            id="403-10000",
        ),
        pytest.param(
            401,
            failure(9106, "Missing X-Auth-Key"),
            AuthenticationError,
            "Authentication failed (HTTP 401, code 9106",
            id="401",
        ),
        pytest.param(
            200,
            failure(10000, "Authentication error"),
            AuthenticationError,
            "Authentication failed (HTTP 200, code 10000",
            id="200-with-10000",
        ),
        pytest.param(
            400,
            failure(7003, "Could not route to /accounts/x"),
            AccountError,
            "Account not reachable (HTTP 400, code 7003: Could not route to /accounts/x)"
            ": check account_id, which must be the 32 hex characters",
            id="7003",
        ),
        pytest.param(
            404,
            failure(7000, "No route for that URI"),
            AccountError,
            "Account not reachable (HTTP 404, code 7000",
            id="7000",
        ),
        pytest.param(
            400,
            failure(10001, "per_page must be <= 1000"),
            BadRequestError,
            "The API rejected a parameter (HTTP 400, code 10001: per_page must be <= 1000)",
            id="400-param",
        ),
        pytest.param(
            200,
            failure(1234, "Something odd"),
            CloudflareAPIError,
            "The API reported a failure (HTTP 200, code 1234: Something odd)",
            id="200-success-false",
        ),
    ],
)
def test_error_envelopes_become_one_clear_error(
    status: int, body: dict, error: type, text: str
) -> None:
    with requests_mock.Mocker() as mock:
        mock.get(PREFIX, status_code=status, json=body)
        with pytest.raises(error) as caught:
            list(client().iter_jobs(ACCOUNT))
        assert text in str(caught.value)
        assert mock.call_count == 1  # never retried
        assert SECRET not in str(caught.value)


def test_unknown_account_on_the_list_is_an_account_error() -> None:
    with requests_mock.Mocker() as mock:
        mock.get(PREFIX, status_code=404, json=failure(1001, "not found"))
        with pytest.raises(AccountError, match=f"Account {ACCOUNT} not found"):
            list(client().iter_jobs(ACCOUNT))


def test_unknown_job_is_not_found() -> None:
    with requests_mock.Mocker() as mock:
        mock.get(f"{PREFIX}/j1/messages", status_code=404, json=failure(1002, "job not found"))
        with pytest.raises(NotFoundError, match="code 1002: job not found"):
            list(client().iter_messages(ACCOUNT, "j1"))


def test_429_honours_retry_after(sleeps: list[float]) -> None:
    with requests_mock.Mocker() as mock:
        mock.get(
            PREFIX,
            [
                {"status_code": 429, "headers": {"Retry-After": "7"}, "json": failure(971, "slow")},
                {"json": ok([{"job_id": "a"}])},
            ],
        )
        c = client()
        assert [j["job_id"] for p in c.iter_jobs(ACCOUNT) for j in p] == ["a"]
        assert sleeps == [7.0]
        assert c.stats.retries == 1


@pytest.mark.parametrize(
    "bad",
    [
        pytest.param({"status_code": 503, "json": failure(10002, "down")}, id="503"),
        pytest.param({"status_code": 502, "text": "<html>Bad Gateway</html>"}, id="proxy-html"),
        pytest.param(
            {"status_code": 200, "text": '{"success": true, "result": [{"job'}, id="truncated-200"
        ),
        pytest.param({"status_code": 200, "text": "<html>maintenance</html>"}, id="html-200"),
        pytest.param({"exc": requests.exceptions.ConnectionError("reset")}, id="reset"),
        pytest.param({"exc": requests.exceptions.ReadTimeout("slow")}, id="read-timeout"),
    ],
)
def test_transient_failures_are_retried(bad: dict, sleeps: list[float]) -> None:
    with requests_mock.Mocker() as mock:
        mock.get(PREFIX, [bad, {"json": ok([{"job_id": "a"}])}])
        c = client()
        assert [j["job_id"] for p in c.iter_jobs(ACCOUNT) for j in p] == ["a"]
        assert mock.call_count == 2 and c.stats.retries == 1


def test_each_retry_is_logged_with_its_cause_and_wait(
    sleeps: list[float], caplog: pytest.LogCaptureFixture
) -> None:
    with requests_mock.Mocker() as mock:
        mock.get(
            PREFIX,
            [
                {"status_code": 503, "json": failure(10002, "down")},
                {"status_code": 200, "text": "<html>maintenance</html>"},
                {"exc": requests.exceptions.ConnectionError("reset")},
                {"json": ok([{"job_id": "a"}])},
            ],
        )
        c = client(max_attempts=4, backoff_factor=1.5)
        with caplog.at_level(logging.WARNING, logger="dlt"):
            assert len(list(c.iter_jobs(ACCOUNT))) == 1
    path = "/client/v4/accounts/0123456789abcdef0123456789abcdef/email-security/investigate/bulk"
    assert [r.getMessage() for r in caplog.records if r.name == "dlt"] == [
        f"GET {path} failed (HTTP 503); retry 1 of 3 in 1.5s",
        f"GET {path} failed (MalformedResponse); retry 2 of 3 in 3.0s",
        f"GET {path} failed (ConnectionError); retry 3 of 3 in 6.0s",
    ]
    assert sleeps == [1.5, 3.0, 6.0]  # exponential without Retry-After
    assert c.stats.retries == 3


def test_the_wait_is_capped_at_max_retry_delay(sleeps: list[float]) -> None:
    with requests_mock.Mocker() as mock:
        mock.get(PREFIX, status_code=503, json=failure(10002, "down"))
        with pytest.raises(TransientAPIError, match="HTTP 503 persisted after 5 attempts"):
            list(client(max_attempts=5, backoff_factor=4, max_retry_delay=10).iter_jobs(ACCOUNT))
        assert sleeps == [4.0, 8.0, 10.0, 10.0]


def test_requests_carry_the_timeout_and_dlts_user_agent() -> None:
    with requests_mock.Mocker() as mock:
        mock.get(PREFIX, json=ok([]))
        list(client(timeout=12.5).iter_jobs(ACCOUNT))
        assert mock.last_request.timeout == (settings.DEFAULT_CONNECT_TIMEOUT, 12.5)
        assert mock.last_request.headers["User-Agent"].startswith("dlt/")


def test_each_thread_sends_on_a_session_of_its_own() -> None:
    with requests_mock.Mocker() as mock:
        mock.get(f"{PREFIX}/j1", json=ok({"job_id": "j1"}))
        c = client()
        sessions: list[Any] = []

        def fetch() -> None:
            c.get_job(ACCOUNT, "j1")
            sessions.append(c._rest.session)

        threads = [threading.Thread(target=fetch) for _ in range(3)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        assert len({id(s) for s in sessions}) == 3  # requests' Session is not thread-safe
        assert mock.call_count == 3


def test_retries_are_bounded(sleeps: list[float]) -> None:
    with requests_mock.Mocker() as mock:
        mock.get(PREFIX, status_code=500, json=failure(10002, "boom"))
        with pytest.raises(TransientAPIError, match="HTTP 500 persisted after 3 attempts"):
            list(client(max_attempts=3).iter_jobs(ACCOUNT))
        assert mock.call_count == 3


def test_rejected_cursor_restarts_the_job_once_without_duplicates() -> None:
    with requests_mock.Mocker() as mock:
        mock.get(
            f"{PREFIX}/j1/messages",
            [
                {"json": ok([{"message_id": "m1"}, {"message_id": "m2"}], "old")},
                {"status_code": 400, "json": failure(10021, "Invalid cursor")},
                {"json": ok([{"message_id": "m1"}, {"message_id": "m2"}], "new")},
                {"json": ok([{"message_id": "m3"}])},
            ],
        )
        c = client()
        ids = [i for p in c.iter_messages(ACCOUNT, "j1") for i in ids_of(p)]
        assert ids == ["m1", "m2", "m3"]
        assert c.stats.cursor_restarts == 1
        assert "cursor" not in mock.request_history[2].qs


def test_a_cursor_that_expires_again_restarts_with_fewer_workers_then_gives_up() -> None:
    rejected = {"status_code": 400, "json": failure(10021, "Invalid cursor")}
    with requests_mock.Mocker() as mock:
        mock.get(
            f"{PREFIX}/j1/messages",
            [
                {"json": ok([{"message_id": "m1"}], "a")},
                rejected,
                {"json": ok([{"message_id": "m1"}], "b")},
                rejected,
                {"json": ok([{"message_id": "m1"}], "c")},
                {"json": ok([{"message_id": "m2"}])},
            ],
        )
        slower: list[str] = []
        c = client()
        pages = c.iter_messages(ACCOUNT, "j1", on_restart=lambda: slower.append("x") or "fewer")
        assert [i for p in pages for i in ids_of(p)] == ["m1", "m2"]
        assert c.stats.cursor_restarts == 2 and slower == ["x"]  # not on the first restart
    with requests_mock.Mocker() as mock:
        mock.get(
            f"{PREFIX}/j1/messages",
            [{"json": ok([{"message_id": "m1"}], "a")}, rejected] * 5,
        )
        with pytest.raises(CursorRejectedError, match="Cursor rejected"):
            list(client().iter_messages(ACCOUNT, "j1"))
        assert mock.call_count == 2 * (1 + 3)  # the first listing and three restarts


def test_bearer_and_legacy_headers() -> None:
    with requests_mock.Mocker() as mock:
        mock.get(PREFIX, json=ok([]))
        list(client().iter_jobs(ACCOUNT))
        assert mock.last_request.headers["Authorization"] == f"Bearer {SECRET}"
        legacy = CloudflareClient(CloudflareAuth(email="me@example.com", key="k"), base_url=BASE)
        list(legacy.iter_jobs(ACCOUNT))
        assert mock.last_request.headers["X-Auth-Email"] == "me@example.com"
        assert mock.last_request.headers["X-Auth-Key"] == "k"
        assert "Authorization" not in mock.last_request.headers


def test_auth_repr_hides_the_secret() -> None:
    assert SECRET not in repr(CloudflareAuth(SECRET))
    assert "k3y" not in repr(CloudflareAuth(email="e", key="k3y"))


def test_get_job_returns_the_object() -> None:
    with requests_mock.Mocker() as mock:
        mock.get(f"{PREFIX}/j1", json={**ok({"job_id": "j1", "status": "COMPLETED"})})
        assert client().get_job(ACCOUNT, "j1")["status"] == "COMPLETED"


def test_a_block_longer_than_the_limit_stops_at_once(sleeps: list[float]) -> None:
    with requests_mock.Mocker() as mock:
        mock.get(
            PREFIX,
            status_code=429,
            headers={"Retry-After": "600"},
            json=failure(971, "Please wait"),
        )
        with pytest.raises(TransientAPIError, match="Rate limited by Cloudflare for 600s"):
            list(client(max_retry_delay=60).iter_jobs(ACCOUNT))
        assert mock.call_count == 1 and sleeps == []


def test_a_block_within_the_limit_is_waited_out(sleeps: list[float]) -> None:
    with requests_mock.Mocker() as mock:
        mock.get(
            PREFIX,
            [
                {
                    "status_code": 429,
                    "headers": {"Retry-After": "45"},
                    "json": failure(971, "wait"),
                },
                {"json": ok([{"job_id": "a"}])},
            ],
        )
        assert len(list(client(max_retry_delay=60).iter_jobs(ACCOUNT))) == 1
        assert sleeps == [45.0]


def test_a_message_the_api_repeats_is_yielded_once() -> None:
    with requests_mock.Mocker() as mock:
        mock.get(
            f"{PREFIX}/j1/messages",
            [
                {"json": ok([{"message_id": "m1"}, {"message_id": "m2"}], "c1")},
                {"json": ok([{"message_id": "m2"}, {"message_id": "m3"}, {"status": "x"}])},
            ],
        )
        pages = list(client().iter_messages(ACCOUNT, "j1"))
        # the first page is read into Arrow, the second (an item without a key) as dicts:
        # a repeat is dropped across both kinds of page
        assert [ids_of(p) for p in pages] == [["m1", "m2"], ["m3", None]]
        assert [is_arrow_page(p) for p in pages] == [True, False]


USER_VERIFY = f"{BASE}/user/tokens/verify"
OTHER = "f" * 32


def account_verify(account: str) -> str:
    return f"{BASE}/accounts/{account}/tokens/verify"


def test_verify_token_asks_the_user_endpoint_first() -> None:
    with requests_mock.Mocker() as mock:
        mock.get(USER_VERIFY, json=ok({"id": "t1", "status": "active"}))
        status = client().verify_token([ACCOUNT])
        assert (status.status, status.path, status.token_id) == (
            "active",
            "/user/tokens/verify",
            "t1",
        )
        assert status.active and status.owner == "user"
        assert mock.call_count == 1
        assert mock.last_request.headers["Authorization"] == f"Bearer {SECRET}"


def test_an_account_owned_token_is_verified_at_its_account() -> None:
    invalid = failure(1000, "Invalid API Token")
    with requests_mock.Mocker() as mock:
        mock.get(USER_VERIFY, status_code=401, json=invalid)
        mock.get(account_verify(OTHER), status_code=401, json=invalid)
        mock.get(
            account_verify(ACCOUNT),
            json=ok({"id": "t2", "status": "expired", "expires_on": "2020-01-01T00:00:00Z"}),
        )
        status = client().verify_token([OTHER, ACCOUNT])
    assert status.path == f"/accounts/{ACCOUNT}/tokens/verify"
    assert status.owner == f"account {ACCOUNT}"
    assert (status.status, status.active, status.expires_on) == (
        "expired",
        False,
        "2020-01-01T00:00:00Z",
    )


def test_a_token_no_endpoint_knows_is_an_authentication_error() -> None:
    invalid = failure(1000, "Invalid API Token")
    with requests_mock.Mocker() as mock:
        mock.get(USER_VERIFY, status_code=401, json=invalid)
        mock.get(account_verify(ACCOUNT), status_code=401, json=invalid)
        with pytest.raises(AuthenticationError) as caught:
            client().verify_token([ACCOUNT])
        assert mock.call_count == 2  # each endpoint once: a 401 is not retried
    assert str(caught.value).startswith(
        "API token not recognised at /user/tokens/verify nor at the /tokens/verify of 1"
        " account(s) (HTTP 401, code 1000: Invalid API Token): use an API token"
    )
    assert caught.value.status_code == 401 and SECRET not in str(caught.value)


def test_verify_token_retries_like_every_request(sleeps: list[float]) -> None:
    with requests_mock.Mocker() as mock:
        mock.get(
            USER_VERIFY,
            [
                {"status_code": 503, "json": failure(10002, "unavailable")},
                {"json": ok({"id": "t1", "status": "active"})},
            ],
        )
        assert client().verify_token().active
        assert mock.call_count == 2 and len(sleeps) == 1


def test_probe_jobs_asks_for_one_job() -> None:
    with requests_mock.Mocker() as mock:
        mock.get(PREFIX, json=ok([{"job_id": "j1"}], next_cursor="c2"))
        assert client().probe_jobs(ACCOUNT) == 1
        assert mock.call_count == 1  # the next page is not followed
        assert mock.last_request.qs == {"per_page": ["1"]}


@pytest.mark.parametrize(
    "status,body,error",
    [
        pytest.param(403, failure(10000, "Authentication error"), AuthenticationError, id="403"),
        pytest.param(404, failure(7003, "Could not route"), AccountError, id="7003"),
        pytest.param(404, failure(1001, "not found"), AccountError, id="404"),
    ],
)
def test_probe_jobs_names_what_is_wrong(status: int, body: dict, error: type) -> None:
    with requests_mock.Mocker() as mock:
        mock.get(PREFIX, status_code=status, json=body)
        with pytest.raises(error):
            client().probe_jobs(ACCOUNT)
