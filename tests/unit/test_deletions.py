"""Ids and deletions that cannot lie: a job is deleted only on the API's word for that job, one
marked deleted that is listed again is alive again, a 404 on a listed job's messages is
checked with the job itself, an id that is not a safe path segment fails by name, and a job
whose listing fails for good fails alone."""

from pathlib import Path
from typing import Any

import pytest
import requests_mock

from cf_bulk_sync.outcome import decide

from .fakes import PREFIX, FakeAPI, failure, job, message
from .test_source import rows, run

J_A = "aaaaaaaa-0000-4000-8000-00000000000a"
J_B = "bja_0f3a9c77e1"  # an id in another format than a UUID: a safe path segment


@pytest.fixture
def api() -> Any:
    with requests_mock.Mocker() as mock:
        fake = FakeAPI(
            mock,
            jobs=[job(J_A, "COMPLETED", 1), job(J_B, "COMPLETED", 1)],
            messages={J_A: [message("m1")], J_B: [message("m1")]},
        )
        fake.mock = mock  # type: ignore[attr-defined]
        yield fake


def deleted(tmp_path: Path) -> list[tuple]:
    if not rows(
        tmp_path,
        "select 1 from information_schema.tables where table_name = 'bulk_job_deletions'",
    ):
        return []  # no deletion ever loaded
    return rows(
        tmp_path,
        "select job_id, deleted_at is not null, restored_at is not null"
        " from cloudflare_email_security.bulk_job_deletions order by job_id",
    )


def test_an_id_in_another_format_is_synced(api: FakeAPI, tmp_path: Path) -> None:
    result = run(tmp_path)
    assert decide(result).exit_code == 0, result.error or result.stats.job_errors
    assert rows(
        tmp_path, "select job_id from cloudflare_email_security.bulk_job_messages order by 1"
    ) == [(J_A,), (J_B,)]


@pytest.mark.parametrize("odd", ["../../user/tokens/verify", "a?b=1", "x y", 12345, None])
def test_an_id_that_is_not_a_path_segment_fails_that_job_by_name(
    api: FakeAPI, tmp_path: Path, odd: Any
) -> None:
    api.jobs = api.jobs + [job(odd, "COMPLETED", 1)]  # type: ignore[arg-type]
    result = run(tmp_path)
    assert decide(result).exit_code == 3
    (failed,) = result.stats.job_errors
    assert repr(odd)[:30] in failed and "not an id" in result.stats.job_errors[failed]
    assert not [q for q in api.queries if "tokens" in q["path"] or "?" in q["path"]]
    assert len(rows(tmp_path, "select 1 from cloudflare_email_security.bulk_jobs")) == 2


def test_a_job_missing_from_the_list_is_deleted_only_when_its_detail_says_so(
    api: FakeAPI, tmp_path: Path
) -> None:
    run(tmp_path)
    api.unlisted = {J_A}  # the list leaves it out, but the job itself still answers
    second = run(tmp_path)
    assert decide(second).exit_code == 0 and second.stats.jobs_deleted == 0
    assert any(
        "missing from the job list but its detail answers" in w for w in second.stats.warnings
    )
    assert deleted(tmp_path) == []


def test_a_deleted_job_listed_again_is_alive_again(api: FakeAPI, tmp_path: Path) -> None:
    run(tmp_path)
    everything = api.jobs
    api.jobs = everything[1:]  # J_A deleted: gone from the list and from its detail
    second = run(tmp_path)
    assert second.stats.jobs_deleted == 1
    assert deleted(tmp_path) == [(J_A, True, False)]
    api.jobs = everything
    third = run(tmp_path)
    assert decide(third).exit_code == 0
    assert any(
        f"job {J_A} was marked deleted and is listed again" in w for w in third.stats.warnings
    )
    assert deleted(tmp_path) == [(J_A, False, True)]
    fourth = run(tmp_path)
    assert fourth.stats.jobs_deleted == 0 and deleted(tmp_path) == [(J_A, False, True)]


def test_a_404_on_a_listed_jobs_messages_is_checked_with_the_job(
    api: FakeAPI, tmp_path: Path
) -> None:
    mock = api.mock  # type: ignore[attr-defined]
    mock.get(f"{PREFIX}/{J_A}/messages", status_code=404, json=failure(1002, "not found"))
    result = run(tmp_path)
    assert decide(result).exit_code == 3
    assert "but the job's detail answers: it is not deleted" in result.stats.job_errors[J_A]
    assert not [w for w in result.stats.warnings if "vanished" in w]
    assert deleted(tmp_path) == []


def test_a_404_on_messages_of_a_job_deleted_meanwhile_is_a_warning(
    api: FakeAPI, tmp_path: Path
) -> None:
    mock = api.mock  # type: ignore[attr-defined]
    mock.get(f"{PREFIX}/{J_A}/messages", status_code=404, json=failure(1002, "not found"))
    mock.get(f"{PREFIX}/{J_A}", status_code=404, json=failure(1002, "not found"))
    result = run(tmp_path)
    assert decide(result).exit_code == 0
    assert any(f"job {J_A} vanished during the run" in w for w in result.stats.warnings)


def test_a_job_whose_listing_fails_for_good_fails_alone(api: FakeAPI, tmp_path: Path) -> None:
    mock = api.mock  # type: ignore[attr-defined]
    mock.get(f"{PREFIX}/{J_A}/messages", json=failure(1003, "Invalid job state"))
    result = run(tmp_path)
    assert decide(result).exit_code == 3
    assert "code 1003: Invalid job state" in result.stats.job_errors[J_A]
    assert rows(tmp_path, "select job_id from cloudflare_email_security.bulk_job_messages") == [
        (J_B,)
    ]


def test_statuses_in_lower_case_still_settle_jobs(api: FakeAPI, tmp_path: Path) -> None:
    api.jobs = [{**j, "status": "completed"} for j in api.jobs]
    api.messages = {k: [{**m, "status": "completed"} for m in v] for k, v in api.messages.items()}
    first = run(tmp_path)
    assert dict(first.stats.rows_by_status) == {"COMPLETED": 2}
    second = run(tmp_path)
    assert second.stats.jobs_skipped == 2
    assert api.count() == 2  # each job's messages were fetched once, by the first run
