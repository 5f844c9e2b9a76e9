"""The envelope as it really varies: `success: false` with HTTP 200, `success: true` listing
errors, empty pages offering a next one, a byte-order mark, an edge's HTML 403."""

import json
from typing import Any

import pytest
import requests_mock

from cf_bulk_sync.source.errors import BlockedError, CloudflareAPIError, RunawayPaginationError
from cf_bulk_sync.source.paginators import MAX_EMPTY_PAGES

from .fakes import ACCOUNT, PREFIX, failure, ids_of, message, ok
from .test_client import client


@pytest.fixture(autouse=True)
def no_sleep(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("time.sleep", lambda s: None)


@pytest.mark.parametrize(
    "text",
    ["Internal server error", "Service temporarily unavailable", "Request timed out, try again"],
)
def test_a_temporary_failure_with_http_200_is_retried(text: str) -> None:
    with requests_mock.Mocker() as mock:
        mock.get(PREFIX, [{"json": failure(10002, text)}, {"json": ok([{"job_id": "a"}])}])
        c = client()
        assert [j["job_id"] for p in c.iter_jobs(ACCOUNT) for j in p] == ["a"]
        assert mock.call_count == 2 and c.stats.retries == 1


def test_a_temporary_failure_that_persists_is_transient_with_its_text() -> None:
    with requests_mock.Mocker() as mock:
        mock.get(f"{PREFIX}/j1/messages", json=failure(10002, "Internal server error"))
        c = client()
        with pytest.raises(CloudflareAPIError, match="temporary failure .*10002") as raised:
            list(c.iter_messages(ACCOUNT, "j1"))
        assert type(raised.value).__name__ == "TransientAPIError"
        assert mock.call_count == 3


def test_any_other_failure_with_http_200_is_not_retried() -> None:
    with requests_mock.Mocker() as mock:
        mock.get(f"{PREFIX}/j1/messages", json=failure(1003, "Invalid job state"))
        with pytest.raises(CloudflareAPIError, match="code 1003: Invalid job state"):
            list(client().iter_messages(ACCOUNT, "j1"))
        assert mock.call_count == 1


def test_a_success_listing_errors_is_a_warning_once() -> None:
    body = ok([message("m1")], "c2")
    body["errors"] = [{"code": 9000, "message": "field deprecated"}]
    last = ok([message("m2")])
    last["errors"] = body["errors"]
    with requests_mock.Mocker() as mock:
        mock.get(f"{PREFIX}/j1/messages", [{"json": body}, {"json": last}])
        c = client()
        assert [i for p in c.iter_messages(ACCOUNT, "j1") for i in ids_of(p)] == ["m1", "m2"]
    assert c.stats.warnings == [
        "the API answered success but listed errors (code 9000: field deprecated): the data"
        " was loaded as sent"
    ]


def pages_with_empty_ones(empties: int) -> list[dict[str, Any]]:
    pages = [{"json": ok([message("m1")], "c1")}]
    pages += [{"json": ok([], f"e{n}")} for n in range(empties)]
    pages.append({"json": ok([message("m2")])})
    return pages


def test_empty_pages_do_not_count_toward_the_page_guard() -> None:
    with requests_mock.Mocker() as mock:
        mock.get(f"{PREFIX}/j1/messages", pages_with_empty_ones(20))
        got = [i for p in client().iter_messages(ACCOUNT, "j1", max_pages=3) for i in ids_of(p)]
    assert got == ["m1", "m2"]


def test_a_run_of_empty_pages_still_ends() -> None:
    with requests_mock.Mocker() as mock:
        mock.get(f"{PREFIX}/j1/messages", pages_with_empty_ones(MAX_EMPTY_PAGES + 5))
        with pytest.raises(RunawayPaginationError, match=f"{MAX_EMPTY_PAGES} empty pages"):
            list(client().iter_messages(ACCOUNT, "j1", max_pages=3))
        assert mock.call_count == MAX_EMPTY_PAGES + 1


@pytest.mark.parametrize(
    "items",
    [
        pytest.param([message("m1")], id="arrow-path"),
        pytest.param([message("m1", extra_field=[1])], id="dict-path"),
    ],
)
def test_a_byte_order_mark_before_the_json_is_accepted(items: list[dict]) -> None:
    body = b"\xef\xbb\xbf" + json.dumps(ok(items)).encode()
    with requests_mock.Mocker() as mock:
        mock.get(f"{PREFIX}/j1/messages", content=body)
        c = client()
        assert [i for p in c.iter_messages(ACCOUNT, "j1") for i in ids_of(p)] == ["m1"]
        assert mock.call_count == 1 and c.stats.retries == 0


def test_a_persistent_html_403_names_the_edges_block() -> None:
    page = b"<html><head><title>Attention Required! | Cloudflare</title></head></html>"
    with requests_mock.Mocker() as mock:
        mock.get(PREFIX, status_code=403, content=page, headers={"Content-Type": "text/html"})
        with pytest.raises(BlockedError) as raised:
            list(client().iter_jobs(ACCOUNT))
    text = str(raised.value)
    assert "HTTP 403 from an edge or proxy in front of the API" in text
    assert "'Attention Required! | Cloudflare'" in text
    assert "allow this host's address" in text
    assert "malformed" not in text
