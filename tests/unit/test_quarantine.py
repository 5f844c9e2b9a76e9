"""What `quarantine` judges unloadable, and the row it keeps of such an item."""

import json
from typing import Any

import pytest
import requests

from cf_bulk_sync.source.arrow_pages import read_message_page
from cf_bulk_sync.source.envelope import MalformedResponse, check_envelope
from cf_bulk_sync.source.quarantine import problem, rejected_row

from ..support.payloads import nested

GOOD = {"message_id": "m1", "status": "COMPLETED", "retry_count": 2, "message": {"a": [1]}}


@pytest.mark.parametrize(
    ("item", "expected"),
    [
        pytest.param(GOOD, None, id="good"),
        pytest.param({**GOOD, "retry_count": 2**63 - 1}, None, id="int64 max"),
        pytest.param(
            {**GOOD, "retry_count": 2**63},
            ("retry_count", "number 9223372036854775808 out of the 64-bit integer range"),
            id="2^63",
        ),
        pytest.param(
            {**GOOD, "retry_count": 1e30},
            ("retry_count", "number 1e+30 out of the 64-bit integer range"),
            id="1e30 as parsed",
        ),
        pytest.param({**GOOD, "x": {"y": [-(2**70)]}}, "x.y[0]", id="deep int"),
        pytest.param({**GOOD, "note": "a\udcffb"}, "note", id="invalid UTF-8"),
        pytest.param({**GOOD, "message": nested(300)}, "message", id="300 levels"),
        pytest.param({**GOOD, "message": nested(60)}, None, id="60 levels"),
        pytest.param({"status": "X"}, ("message_id", "missing key"), id="no key"),
        pytest.param({**GOOD, "message_id": ""}, ("message_id", "missing key"), id="empty key"),
        pytest.param(
            {**GOOD, "message_id": 7},
            ("message_id", "malformed key: a number, not a string"),
            id="number key",
        ),
        pytest.param([1], ("(item)", "not an object but an array"), id="array"),
        pytest.param({**GOOD, "ratio": float("nan")}, "ratio", id="NaN"),
    ],
)
def test_problem(item: Any, expected: Any) -> None:
    found = problem(item, "message_id", frozenset({"retry_count"}))
    if isinstance(expected, str):
        assert found is not None and found[0] == expected
    else:
        assert found == expected


def test_rejected_row_keeps_raw_text_in_ascii_and_item_only_when_storable() -> None:
    bad = {**GOOD, "note": "a\udcffb"}
    row = rejected_row(bad, "acc", "job-1", "note", "text with invalid UTF-8 bytes")
    assert row["raw"].isascii() and "\\udcff" in row["raw"]
    assert row["item"] is None and row["reason"] == "note: text with invalid UTF-8 bytes"
    keyless = {"status": "X"}
    assert rejected_row(keyless, "acc", "job-1", "message_id", "missing key")["item"] == keyless
    assert row["rejected_id"] == rejected_row(bad, "acc", "job-1", "note", "x")["rejected_id"]


def _page(items: bytes) -> bytes:
    info = {"count": 1, "per_page": 1, "next": None}
    return (
        b'{"success":true,"errors":[],"messages":[],"result":['
        + items
        + b'],"result_info":'
        + json.dumps(info).encode()
        + b"}"
    )


def test_the_arrow_path_declines_invalid_utf8() -> None:
    item = json.dumps({"message_id": "m1", "status_message": "@"}).encode()
    assert read_message_page(_page(item)) is not None
    assert read_message_page(_page(item.replace(b"@", b"\xff"))) is None


def _response(body: bytes) -> requests.Response:
    response = requests.Response()
    response.status_code, response._content = 200, body
    return response


def test_the_envelope_reads_invalid_utf8_leniently_but_not_a_truncated_body() -> None:
    item = json.dumps({"message_id": "m1", "status_message": "@"}).encode()
    response = _response(_page(item.replace(b"@", b"\xff")))
    check_envelope(response)
    assert response.json()["result"][0]["status_message"] == "\udcff"
    with pytest.raises(MalformedResponse):
        check_envelope(_response(_page(item)[:40]))
