from pathlib import Path
from typing import Any

import pytest
import requests_mock

from cf_bulk_sync.loading.pipeline import sync
from cf_bulk_sync.outcome import decide

from ..support.warehouse import duckdb_pipeline, query
from .fakes import A_1, ACCOUNT, B_1, BASE, J1, J_BUSY, J_DONE, FakeAPI, job, message

TOKEN = "tok-unit-7c1d"


def run(tmp_path: Path, full_refresh: bool = False, **overrides: Any) -> Any:
    pipeline = duckdb_pipeline(tmp_path)
    args: dict[str, Any] = dict(
        account_id=ACCOUNT, api_token=TOKEN, base_url=BASE, per_page=2, backoff_factor=0
    )
    args.update(overrides)
    return sync(pipeline, full_refresh=full_refresh, **args)


def rows(tmp_path: Path, sql: str) -> list[tuple]:
    return query(tmp_path / "w.duckdb", sql)


@pytest.fixture
def api() -> Any:
    with requests_mock.Mocker() as mock:
        yield FakeAPI(
            mock,
            jobs=[
                job(J_DONE, "COMPLETED", 3),
                job(J_BUSY, "PROCESSING", 2, messages_pending=1),
            ],
            messages={
                J_DONE: [message("m1"), message("m2", "FAILED"), message("m3", "SKIPPED")],
                J_BUSY: [message("m1", "PENDING"), message("m9")],
            },
        )


def test_rows_are_stamped_with_job_and_account(api: FakeAPI, tmp_path: Path) -> None:
    result = run(tmp_path)
    assert result.error is None and decide(result).exit_code == 0
    assert sorted(
        rows(
            tmp_path,
            "select job_id, message_id, account_id, status from"
            " cloudflare_email_security.bulk_job_messages",
        )
    ) == [
        (J_BUSY, "m1", ACCOUNT, "PENDING"),
        (J_BUSY, "m9", ACCOUNT, "COMPLETED"),
        (J_DONE, "m1", ACCOUNT, "COMPLETED"),
        (J_DONE, "m2", ACCOUNT, "FAILED"),
        (J_DONE, "m3", ACCOUNT, "SKIPPED"),
    ]
    assert sorted(
        rows(
            tmp_path,
            "select job_id, account_id, messages_successful from"
            " cloudflare_email_security.bulk_jobs",
        )
    ) == [(J_BUSY, ACCOUNT, 2), (J_DONE, ACCOUNT, 3)]
    assert result.stats.rows_by_status == {"COMPLETED": 2, "FAILED": 1, "SKIPPED": 1, "PENDING": 1}


def progress(api: FakeAPI) -> None:
    """J_BUSY's pending message completes, and the listing's counters say so."""
    api.messages[J_BUSY][0]["status"] = "COMPLETED"
    busy = next(j for j in api.jobs if j["job_id"] == J_BUSY)
    busy.update(messages_pending=0, messages_successful=busy["messages_successful"] + 1)


def test_settled_jobs_are_skipped_on_the_next_run(api: FakeAPI, tmp_path: Path) -> None:
    run(tmp_path)
    # 1 list page (2 jobs, per_page 2) + 2 pages of j-done + 1 page of j-busy
    assert (len(api.cursors("")), api.count()) == (1, 3)
    api.queries.clear()
    progress(api)
    second = run(tmp_path)
    assert (len(api.cursors("")), api.count()) == (1, 1)
    assert [q["path"] for q in api.queries if q["path"]] == [f"/{J_BUSY}/messages"]
    assert (second.stats.jobs_skipped, second.stats.jobs_synced) == (1, 1)
    assert rows(
        tmp_path,
        "select status from cloudflare_email_security.bulk_job_messages"
        f" where job_id = '{J_BUSY}' and message_id = 'm1'",
    ) == [("COMPLETED",)]
    assert rows(tmp_path, "select count(*) from cloudflare_email_security.bulk_job_messages") == [
        (5,)
    ]


def test_full_refresh_fetches_settled_jobs_again(api: FakeAPI, tmp_path: Path) -> None:
    run(tmp_path)
    api.queries.clear()
    refreshed = run(tmp_path, full_refresh=True)
    assert refreshed.stats.jobs_skipped == 0 and api.count() == 3


def test_a_vanished_job_is_kept_and_marked_deleted(api: FakeAPI, tmp_path: Path) -> None:
    run(tmp_path)
    api.jobs = [j for j in api.jobs if j["job_id"] != J_DONE]
    result = run(tmp_path)
    assert result.stats.jobs_deleted == 1
    assert rows(
        tmp_path,
        "select job_id from cloudflare_email_security.bulk_job_deletions"
        " where deleted_at is not null",
    ) == [(J_DONE,)]
    assert rows(
        tmp_path,
        f"select count(*) from cloudflare_email_security.bulk_jobs where job_id = '{J_DONE}'",
    ) == [(1,)]
    third = run(tmp_path)
    assert third.stats.jobs_deleted == 0  # marked once


def test_status_filter_does_not_settle_the_job_for_all_statuses(
    api: FakeAPI, tmp_path: Path
) -> None:
    run(tmp_path, status="FAILED")
    assert [q.get("status") for q in api.queries if q["path"].endswith("/messages")] == [
        "FAILED",
        "FAILED",
    ]
    api.queries.clear()
    run(tmp_path)
    assert api.count() == 3  # the unfiltered run still fetches everything


def test_keyless_items_are_kept_aside_not_loaded(api: FakeAPI, tmp_path: Path) -> None:
    api.messages[J_DONE].append({"status": "FAILED", "note": "no id"})
    result = run(tmp_path)
    assert result.stats.rows_rejected == 1 and decide(result).exit_code == 0
    assert rows(
        tmp_path, "select job_id, reason from cloudflare_email_security.bulk_job_messages_rejected"
    ) == [(J_DONE, "message_id: missing key")]


def test_bad_input_fails_before_any_request(api: FakeAPI, tmp_path: Path) -> None:
    result = run(tmp_path, account_id="not-an-account")
    assert decide(result).exit_code == 1 and "Invalid account id 'not-an-account'" in result.error
    assert api.queries == []
    for bad, text in [
        (dict(per_page=0), "Invalid per_page 0"),
        (dict(job_ids=["../x"]), "Invalid job id '../x'"),
        (dict(status="DONE"), "Invalid status 'DONE'"),
    ]:
        failed = run(tmp_path, **bad)
        assert text in failed.error
    assert api.queries == []


def test_cloudflare_environment_names_are_read(
    api: FakeAPI, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("CLOUDFLARE_ACCOUNT_ID", ACCOUNT)
    monkeypatch.setenv("CLOUDFLARE_API_TOKEN", TOKEN)
    monkeypatch.setenv("CLOUDFLARE_API_BASE_URL", BASE)
    pipeline = duckdb_pipeline(tmp_path)
    result = sync(pipeline, backoff_factor=0)
    assert result.error is None and result.stats.rows == 5


def test_dlt_names_win_over_cloudflare_names(
    api: FakeAPI, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("CLOUDFLARE_ACCOUNT_ID", "f" * 32)
    monkeypatch.setenv("SOURCES__CLOUDFLARE_EMAIL_SECURITY__ACCOUNT_ID", ACCOUNT)
    monkeypatch.setenv("SOURCES__CLOUDFLARE_EMAIL_SECURITY__API_TOKEN", TOKEN)
    monkeypatch.setenv("SOURCES__CLOUDFLARE_EMAIL_SECURITY__BASE_URL", BASE)
    pipeline = duckdb_pipeline(tmp_path)
    result = sync(pipeline)
    assert result.error is None and result.stats.rows == 5


def test_several_accounts_in_one_run(tmp_path: Path) -> None:
    other = "fedcba9876543210fedcba9876543210"
    with requests_mock.Mocker() as mock:
        first = FakeAPI(mock, [job(A_1, total=1)], {A_1: [message("m1")]})
        second = FakeAPI(
            mock, [job(B_1, total=2)], {B_1: [message("m1"), message("m2")]}, account=other
        )
        result = run(tmp_path, account_id=f"{ACCOUNT},{other}")
        assert decide(result).exit_code == 0 and (first.count(), second.count()) == (1, 1)
    assert sorted(
        rows(
            tmp_path,
            "select account_id, job_id, count(*) from"
            " cloudflare_email_security.bulk_job_messages group by all",
        )
    ) == [(ACCOUNT, A_1, 1), (other, B_1, 2)]


def test_odd_items_are_loaded_or_set_aside_by_rule(tmp_path: Path) -> None:
    long_text = "x" * 100_000
    items = [
        message("ok"),
        {"status": "FAILED", "status_message": "no id"},  # rejected: no key
        message("no-status", status=None),  # loaded, status null
        message("new-status", "QUARANTINED"),  # loaded as it came
        message("count-as-text", retry_count="3"),  # coerced to 3
        message("count-as-word", retry_count="three"),  # kept in a variant
        message("odd-time", created_at="2026-11-01 08:00:00+00:00"),
        message("offset-time", created_at="2026-11-01T09:00:00.123456+01:00"),
        message("long", "FAILED", status_message=long_text),
        message("unicode", "FAILED", status_message="Boîte aux lettres introuvable 📫 ñ"),
        # an unknown object is one JSON column, not columns of its own (nor a child table)
        message("extra", new_field={"depth": 1, "tags": ["a"]}, another="value"),
        message(
            "nested",
            message={
                "subject": "Invoice",
                "recipients": ["a@example.com"],
                "dispositions": [{"name": "SPAM"}],
            },
        ),
    ]
    with requests_mock.Mocker() as mock:
        FakeAPI(mock, [job(J1, total=len(items))], {J1: items}, per_page=5)
        result = run(tmp_path)
    assert decide(result).exit_code == 0 and result.stats.rows_rejected == 1
    assert result.stats.rows == len(items) - 1
    got = {
        r[0]: r[1:]
        for r in rows(
            tmp_path,
            "select message_id, status, retry_count, cast(created_at as varchar),"
            " length(status_message),"
            " status_message, message->>'$.subject', new_field->>'$.depth', new_field->'$.tags',"
            " another"
            " from cloudflare_email_security.bulk_job_messages",
        )
    }
    assert len(got) == len(items) - 1
    assert got["no-status"][0] is None and got["new-status"][0] == "QUARANTINED"
    assert got["count-as-text"][1] == 3
    assert got["count-as-word"][1] is None
    assert rows(
        tmp_path,
        "select retry_count__v_text from cloudflare_email_security"
        ".bulk_job_messages where message_id = 'count-as-word'",
    ) == [("three",)]
    assert got["odd-time"][2].startswith("2026-11-01 08:00:00")
    assert got["offset-time"][2].startswith("2026-11-01 08:00:00.123456")
    assert got["long"][3] == 100_000
    assert got["unicode"][4] == "Boîte aux lettres introuvable 📫 ñ"
    assert got["nested"][5] == "Invoice"
    assert got["extra"][6:] == ("1", '["a"]', "value")


def test_a_job_listed_twice_is_fetched_and_loaded_once(api: FakeAPI, tmp_path: Path) -> None:
    api.jobs = api.jobs + [api.jobs[0]]  # j-done again on a later page
    result = run(tmp_path)
    assert decide(result).exit_code == 0 and result.appended_messages
    assert len([q for q in api.queries if q["path"] == f"/{J_DONE}/messages"]) == 2  # its 2 pages
    assert rows(
        tmp_path,
        "select count(*), count(distinct (job_id, message_id)) from"
        " cloudflare_email_security.bulk_job_messages",
    ) == [(5, 5)]


def test_an_empty_table_is_appended_to_and_a_filled_one_merged(
    api: FakeAPI, tmp_path: Path
) -> None:
    first = run(tmp_path)
    staged = (
        "select count(*) from information_schema.tables where table_schema ="
        " 'cloudflare_email_security_staging' and table_name = 'bulk_job_messages'"
    )
    assert first.appended_messages and rows(tmp_path, staged) == [(0,)]
    progress(api)
    second = run(tmp_path)
    assert not second.appended_messages and rows(tmp_path, staged) == [(1,)]
    assert sorted(
        rows(
            tmp_path,
            "select job_id, message_id, status from cloudflare_email_security.bulk_job_messages",
        )
    ) == [
        (J_BUSY, "m1", "COMPLETED"),
        (J_BUSY, "m9", "COMPLETED"),
        (J_DONE, "m1", "COMPLETED"),
        (J_DONE, "m2", "FAILED"),
        (J_DONE, "m3", "SKIPPED"),
    ]


def test_a_run_tidies_dlts_working_folder(
    api: FakeAPI, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("cf_bulk_sync.loading.housekeeping.KEEP_LOADED_PACKAGES", 1)
    run(tmp_path)
    progress(api)
    second = run(tmp_path)
    assert second.load_ids
    loaded = list((tmp_path / "dlt" / "cf_bulk_sync" / "load" / "loaded").iterdir())
    assert [p.name for p in loaded] == second.load_ids
