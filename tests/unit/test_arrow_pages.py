from pathlib import Path
from typing import Any

import duckdb
import orjson
import pytest
import requests_mock

from cf_bulk_sync.loading.pipeline import sync
from cf_bulk_sync.source import arrow_pages
from cf_bulk_sync.source.arrow_pages import (
    count_statuses,
    drop_repeated,
    finish,
    is_arrow_page,
    read_message_page,
    stamp,
    to_arrow,
)

from ..support.warehouse import duckdb_pipeline
from .fakes import ACCOUNT, BASE, J1, FakeAPI, job, message, ok


def stamped(*items: dict) -> list[dict]:
    return [dict(i, job_id="j1", account_id=ACCOUNT) for i in items]


def test_a_documented_page_becomes_a_flat_typed_table() -> None:
    table = to_arrow(
        stamped(
            message("m1", retry_after="2026-11-01T10:00:00Z"),
            message("m2", message={"subject": "hi"}),
        )
    )
    assert table is not None
    assert "action_params__client_recipient" in table.column_names
    assert "action_params" not in table.column_names
    assert str(table.schema.field("created_at").type) == "timestamp[us, tz=UTC]"
    assert table.column("message").to_pylist() == [None, '{"subject":"hi"}']
    assert to_arrow(stamped(message("m3"))).column("message").null_count == 1
    assert not table.schema.field("message_id").nullable


@pytest.mark.parametrize(
    "odd",
    [
        pytest.param(message("m1", surprise=1), id="unknown-field"),
        pytest.param(message("m1", retry_count="3"), id="number-as-text"),
        pytest.param(message("m1", created_at="yesterday"), id="unreadable-time"),
        pytest.param(
            dict(message("m1"), action_params={"type": "MOVE", "folder": "x"}), id="unknown-param"
        ),
        pytest.param(dict(message("m1"), action_params="MOVE"), id="params-not-an-object"),
    ],
)
def test_anything_undocumented_goes_to_dlt_row_by_row(odd: dict) -> None:
    rows = stamped(message("m0"), odd)
    assert to_arrow(rows) is None
    assert rows[1] == dict(odd, job_id="j1", account_id=ACCOUNT)  # left as it came


def load(tmp_path: Path, name: str, items: list[dict]) -> Any:
    with requests_mock.Mocker() as mock:
        FakeAPI(mock, [job(J1, total=len(items))], {J1: items}, per_page=3)
        pipeline = duckdb_pipeline(tmp_path, name=name, work=name)
        result = sync(pipeline, account_id=ACCOUNT, api_token="t", base_url=BASE, per_page=3)
        assert result.error is None and not result.stats.job_errors
    with duckdb.connect(str(tmp_path / f"{name}.duckdb"), read_only=True) as con:
        described = con.sql("describe cloudflare_email_security.bulk_job_messages").fetchall()
        # column order follows the path that created the table; compare in name order. The
        # row hash differs between the paths by design (see source.changes): compared apart
        names = ", ".join(
            sorted(c[0] for c in described if not c[0].startswith(("_dlt", "_cf_row_hash")))
        )
        rows = con.sql(
            f"select {names} from cloudflare_email_security.bulk_job_messages order by message_id"
        ).fetchall()
    return sorted((c[0], c[1], c[2]) for c in described), rows


def rows_of(tmp_path: Path, name: str) -> list[Any]:
    with duckdb.connect(str(tmp_path / f"{name}.duckdb"), read_only=True) as con:
        return [
            row[0]
            for row in con.sql(
                "select _cf_row_hash from cloudflare_email_security.bulk_job_messages"
                " order by message_id"
            ).fetchall()
        ]


def test_every_path_gives_the_same_table(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    items = [
        message(
            f"m{i}",
            "FAILED" if i % 2 else "COMPLETED",
            status_message="Mailbox x@example.com not found" if i % 2 else None,
        )
        for i in range(7)
    ]  # retry_after and alert_id are null in every row
    json_to_arrow = load(tmp_path, "json", [dict(i) for i in items])
    monkeypatch.setattr("cf_bulk_sync.source.client.read_message_page", lambda content: None)
    dicts_to_arrow = load(tmp_path, "dicts", [dict(i) for i in items])
    monkeypatch.setattr("cf_bulk_sync.source.resources.to_arrow", lambda rows: None)
    rows = load(tmp_path, "rows", [dict(i) for i in items])
    assert json_to_arrow == dicts_to_arrow == rows
    # the Arrow paths hash alike: a page read either way is not written again
    hashes = {name: rows_of(tmp_path, name) for name in ("json", "dicts", "rows")}
    assert hashes["json"] == hashes["dicts"] and None not in hashes["json"]
    assert len(set(hashes["rows"])) == len(items) and None not in hashes["rows"]
    columns = {c[0]: c[1] for c in json_to_arrow[0]}
    assert columns["retry_after"] == "TIMESTAMP WITH TIME ZONE"
    assert columns["alert_id"] == "VARCHAR"
    assert columns["_dlt_id"] == "VARCHAR"


def test_documented_pages_are_read_straight_into_arrow(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    calls = []
    original = arrow_pages.read_message_page

    def spy(content: bytes) -> Any:
        body = original(content)
        calls.append(body is not None)
        return body

    monkeypatch.setattr("cf_bulk_sync.source.client.read_message_page", spy)
    load(tmp_path, "spy", [message(f"m{i}") for i in range(7)])
    assert calls == [True, True, True]


def envelope(items: Any, **extra: Any) -> bytes:
    return orjson.dumps(dict(ok(items, "next-1"), **extra))


def test_the_reader_gives_the_table_the_dict_path_gives() -> None:
    items = [
        message("m1", retry_after="2026-11-01T10:00:00Z", status_message='é ✓ "q"'),
        message("m2", "FAILED", alert_id=None),
        {"message_id": "m3"},
    ]
    body = read_message_page(envelope(items))
    assert body is not None and body["result_info"]["next"] == "next-1"
    assert is_arrow_page(body["result"])
    from_json = finish(stamp(body["result"][0], ACCOUNT, "j1")).drop_columns(["_dlt_id"])
    from_dicts = to_arrow(stamped(*items)).drop_columns(["_dlt_id"])
    assert from_json.equals(from_dicts, check_metadata=True)
    assert count_statuses(stamp(body["result"][0], ACCOUNT, "j1")) == {
        "COMPLETED": 1,
        "FAILED": 1,
        "(missing)": 1,
    }


@pytest.mark.parametrize(
    "content",
    [
        pytest.param(envelope([message("m1", surprise=1)]), id="unknown-field"),
        pytest.param(envelope([message("m1", retry_count="3")]), id="number-as-text"),
        pytest.param(envelope([message("m1", postfix_id=7)]), id="text-as-number"),
        pytest.param(envelope([message("m1", message={"subject": "hi"})]), id="nested-message"),
        pytest.param(
            envelope([dict(message("m1"), action_params="MOVE")]), id="params-not-an-object"
        ),
        pytest.param(envelope([message("m1"), {"status": "PENDING"}]), id="item-without-key"),
        pytest.param(envelope([message("m1")], success=False), id="success-false"),
        pytest.param(orjson.dumps({"success": True, "errors": []}), id="no-result"),
        pytest.param(envelope([message("m1")])[:-9], id="truncated"),
        pytest.param(b"<html><body>502 Bad Gateway</body></html>", id="html"),
        pytest.param(envelope([message("m1")]) + b"\n" + envelope([]), id="two-documents"),
    ],
)
def test_the_reader_declines_anything_else(content: bytes) -> None:
    assert read_message_page(content) is None


def test_an_empty_page_and_repeated_ids() -> None:
    assert read_message_page(envelope([]))["result"] == []
    body = read_message_page(envelope([message("m1"), message("m2"), message("m1")]))
    seen = {"m2"}
    assert drop_repeated(body["result"][0], seen).column("message_id").to_pylist() == ["m1"]
    assert seen == {"m1", "m2"}


def test_only_the_json_column_notice_is_silenced() -> None:
    import logging

    from cf_bulk_sync.loading.log_lines import JsonColumnNotice

    notice = JsonColumnNotice()

    def record(text: str) -> logging.LogRecord:
        return logging.LogRecord("dlt", logging.WARNING, __file__, 1, text, None, None)

    assert not notice.filter(
        record(
            "In resource: bulk_job_messages, when merging arrow schema with dlt schema, several"
            " column hints were different."
        )
    )
    assert notice.filter(
        record(
            "In resource: bulk_jobs, when merging arrow schema with dlt"
            " schema, several column hints were different."
        )
    )
    assert notice.filter(record("GET /x failed (HTTP 503); retry 1 of 4 in 1.0s"))


def test_a_read_page_with_an_unreadable_time_goes_to_dlt_as_rows() -> None:
    body = read_message_page(envelope([message("m1"), message("m2", created_at="yesterday")]))
    page = [stamp(body["result"][0], ACCOUNT, "j1")]
    assert to_arrow(page) is None
    assert [(r["message_id"], r["created_at"], r["job_id"]) for r in page] == [
        ("m1", "2026-11-01T10:00:00Z", "j1"),
        ("m2", "yesterday", "j1"),
    ]
