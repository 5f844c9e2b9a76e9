from typing import Any

import pytest
import requests_mock

from cf_bulk_sync.source.client import CloudflareAuth, CloudflareClient
from cf_bulk_sync.source.errors import RunawayPaginationError

from .fakes import ACCOUNT, BASE, PREFIX, ids_of, ok


def client() -> CloudflareClient:
    return CloudflareClient(CloudflareAuth("t"), base_url=BASE, per_page=2, backoff_factor=0)


def sent_cursors(mock: requests_mock.Mocker) -> list:
    return [r.qs.get("cursor", [None])[0] for r in mock.request_history]


def test_exact_cursor_sequence_is_sent() -> None:
    with requests_mock.Mocker() as mock:
        mock.get(
            f"{PREFIX}/j1/messages",
            [
                {"json": ok([{"message_id": "m1"}], "CurA")},
                {"json": ok([{"message_id": "m2"}], "CurB==")},
                {"json": ok([{"message_id": "m3"}], None)},
            ],
        )
        pages = list(client().iter_messages(ACCOUNT, "j1"))
        assert [ids_of(p) for p in pages] == [["m1"], ["m2"], ["m3"]]
        assert [
            r.url.split("cursor=")[-1] if "cursor=" in r.url else None for r in mock.request_history
        ] == [None, "CurA", "CurB%3D%3D"]
        assert all(r.qs["per_page"] == ["2"] for r in mock.request_history)
        assert all("page" not in r.qs for r in mock.request_history)


@pytest.mark.parametrize(
    "last",
    [
        pytest.param({"next": None}, id="null"),
        pytest.param({"next": ""}, id="empty"),
        pytest.param({}, id="absent"),
    ],
)
def test_paging_stops_when_next_is_null_empty_or_absent(last: dict) -> None:
    final = ok([{"message_id": "m2"}])
    final["result_info"] = {"count": 1, "per_page": 2, **last}
    with requests_mock.Mocker() as mock:
        mock.get(
            f"{PREFIX}/j1/messages", [{"json": ok([{"message_id": "m1"}], "c1")}, {"json": final}]
        )
        assert len(list(client().iter_messages(ACCOUNT, "j1"))) == 2
        assert mock.call_count == 2


def test_deprecated_page_fields_are_ignored() -> None:
    body = ok([{"message_id": "m1"}])
    body["result_info"].update(page=1, total_count=5000)
    with requests_mock.Mocker() as mock:
        mock.get(f"{PREFIX}/j1/messages", json=body)
        assert len(list(client().iter_messages(ACCOUNT, "j1"))) == 1
        assert mock.call_count == 1


def test_repeated_cursor_stops_the_job_with_its_name() -> None:
    with requests_mock.Mocker() as mock:
        mock.get(
            f"{PREFIX}/job-7/messages",
            [
                {"json": ok([{"message_id": "m1"}], "A")},
                {"json": ok([{"message_id": "m2"}], "B")},
                {"json": ok([{"message_id": "m3"}], "A")},
            ],
        )
        with pytest.raises(RunawayPaginationError, match="job job-7.*already returned"):
            list(client().iter_messages(ACCOUNT, "job-7"))
        assert mock.call_count == 3


def test_more_pages_than_the_job_can_have_stops_it() -> None:
    counter = iter(range(1000))

    def endless(request: Any, context: Any) -> dict:
        n = next(counter)
        return ok([{"message_id": f"m{n}"}], f"c{n}")

    with requests_mock.Mocker() as mock:
        mock.get(f"{PREFIX}/job-9/messages", json=endless)
        with pytest.raises(RunawayPaginationError, match="job job-9.*3 pages"):
            list(client().iter_messages(ACCOUNT, "job-9", max_pages=3))
        assert mock.call_count == 3


def test_job_list_follows_cursors_too() -> None:
    with requests_mock.Mocker() as mock:
        mock.get(PREFIX, [{"json": ok([{"job_id": "a"}], "n1")}, {"json": ok([{"job_id": "b"}])}])
        jobs = [j["job_id"] for page in client().iter_jobs(ACCOUNT, "MOVE") for j in page]
        assert jobs == ["a", "b"]
        assert mock.request_history[1].qs["cursor"] == ["n1"]
        assert all(r.qs["action_type"] == ["move"] for r in mock.request_history)
