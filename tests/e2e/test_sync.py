"""The real pipeline against the simulator over HTTP on 127.0.0.1, into DuckDB."""

import math
from pathlib import Path
from typing import Any

import pytest

from cf_bulk_sync.outcome import decide
from cf_bulk_sync.simulator import Simulator, World
from cf_bulk_sync.simulator.world import TERMINAL

from ..support.syncer import Syncer, faulty, small_world

pytestmark = pytest.mark.e2e

PER_PAGE = 7
MESSAGE_COLUMNS = (
    "job_id, message_id, account_id, status, status_message, retry_count, retry_after,"
    " processed_at, created_at, action_params__client_recipient, action_params__destination"
)


def pages(count: int) -> int:
    return max(math.ceil(count / PER_PAGE), 1)


def expected_requests(world: World, only_unsettled: bool = False) -> dict[str, int]:
    jobs = world.truth_jobs()
    messages = sum(
        pages(job["total_messages_discovered"])
        for job in jobs.values()
        if not only_unsettled or job["status"] not in TERMINAL or job["messages_pending"]
    )
    return {"jobs": pages(len(jobs)), "messages": messages}


def assert_equals_truth(syncer: Syncer, deleted: frozenset = frozenset()) -> None:
    world = syncer.sim.world
    loaded = syncer.messages()
    truth = world.truth_messages()
    assert {k: v for k, v in loaded.items() if k[0] not in deleted} == truth
    assert {k[0] for k in loaded} - set(world.jobs) == set(deleted) & {k[0] for k in loaded}
    dupes = syncer.query(
        "select job_id, message_id from cloudflare_email_security.bulk_job_messages"
        " group by 1, 2 having count(*) > 1"
    )
    assert dupes == []
    jobs = {
        row[0]: row[1:]
        for row in syncer.query(
            "select job_id, status, total_messages_discovered, messages_failed,"
            " messages_pending from cloudflare_email_security.bulk_jobs"
        )
    }
    for job_id, job in world.truth_jobs().items():
        assert jobs[job_id] == (
            job["status"],
            job["total_messages_discovered"],
            job["messages_failed"],
            job["messages_pending"],
        )
    assert set(jobs) - set(world.jobs) == set(deleted)


def snapshot(syncer: Syncer) -> Any:
    return sorted(
        syncer.query(f"select {MESSAGE_COLUMNS} from cloudflare_email_security.bulk_job_messages"),
        key=str,
    )


def test_full_sync_equals_the_simulator_and_makes_only_the_requests_it_must(
    syncer: Syncer,
) -> None:
    result = syncer.run(per_page=PER_PAGE)
    assert result.error is None and decide(result).exit_code == 0
    assert_equals_truth(syncer)
    assert dict(syncer.sim.counts) == expected_requests(syncer.sim.world)
    assert result.stats.requests == sum(expected_requests(syncer.sim.world).values())
    by_status = syncer.query(
        "select status, count(*) from cloudflare_email_security.bulk_job_messages group by 1"
    )
    assert dict(by_status) == dict(result.stats.rows_by_status)


def test_rerun_with_nothing_new_fetches_only_the_listing(syncer: Syncer) -> None:
    """Nothing changed: jobs settled are skipped, jobs in flight whose listing counters did
    not move are not fetched again (docs/scheduled-cost.md): one listing, no pages."""
    syncer.run(per_page=PER_PAGE)
    before = snapshot(syncer)
    quiet = syncer.run(per_page=PER_PAGE)
    assert dict(syncer.sim.counts) == {"jobs": expected_requests(syncer.sim.world)["jobs"]}
    in_flight = sum(
        1
        for j in syncer.sim.world.truth_jobs().values()
        if j["status"] not in TERMINAL or j["messages_pending"]
    )
    assert quiet.stats.jobs_unchanged == in_flight > 0
    assert snapshot(syncer) == before


def test_rerun_with_nothing_new_and_no_skip_fetches_only_jobs_in_progress(
    syncer: Syncer,
) -> None:
    syncer.run(per_page=PER_PAGE)
    before = snapshot(syncer)
    second = syncer.run(per_page=PER_PAGE, refetch_unchanged_after=0)
    expected = expected_requests(syncer.sim.world, only_unsettled=True)
    assert dict(syncer.sim.counts) == expected
    assert expected["messages"] < expected_requests(syncer.sim.world)["messages"]
    assert second.stats.jobs_skipped == sum(
        1
        for j in syncer.sim.world.truth_jobs().values()
        if j["status"] in TERMINAL and not j["messages_pending"]
    )
    assert snapshot(syncer) == before


def test_time_moves_statuses_merge_new_jobs_appear_deleted_job_is_marked(
    syncer: Syncer,
) -> None:
    syncer.run(per_page=PER_PAGE)
    changes = syncer.sim.advance(steps=3, create=1, delete=1)
    deleted = frozenset(changes["deleted"])
    result = syncer.run(per_page=PER_PAGE)
    assert decide(result).exit_code == 0 and result.stats.jobs_deleted == len(deleted) == 3
    assert_equals_truth(syncer, deleted)
    marked = {
        r[0]
        for r in syncer.query(
            "select job_id from cloudflare_email_security.bulk_job_deletions"
            " where deleted_at is not null"
        )
    }
    assert marked == deleted
    kept = syncer.query(
        "select count(*) from cloudflare_email_security.bulk_job_messages where job_id in"
        f" ({', '.join(repr(j) for j in deleted)})"
    )[0][0]
    assert kept > 0  # a deleted job's messages stay in the warehouse
    # and moving on again keeps everything exact
    more = syncer.sim.advance(steps=5, create=2, delete=1)
    syncer.run(per_page=PER_PAGE)
    assert_equals_truth(syncer, deleted | frozenset(more["deleted"]))


@pytest.mark.slow
def test_with_faults_at_20_percent_the_warehouse_equals_a_fault_free_run(tmp_path: Path) -> None:
    results = {}
    for name, faults in (("clean", None), ("faulty", faulty(0.2, seed=5))):
        with Simulator(small_world(), faults=faults) as sim:
            syncer = Syncer(sim, tmp_path / name)
            # Workers interleave requests, so which request draws which fault varies between
            # runs; 10 attempts make a streak that outlives every retry (0.2**10) negligible.
            first = syncer.run(per_page=PER_PAGE, max_attempts=10)
            assert decide(first).exit_code == 0, first.stats.job_errors
            sim.advance(steps=2)
            second = syncer.run(per_page=PER_PAGE, max_attempts=10)
            assert decide(second).exit_code == 0, second.error
            results[name] = (
                snapshot(syncer),
                syncer.query(
                    "select job_id, status, messages_failed"
                    " from cloudflare_email_security.bulk_jobs order by 1"
                ),
            )
            if faults:
                assert faults.injected >= 3
                # every fault but a slow answer costs exactly one retry
                retried = faults.injected - faults.by_kind["slow"]
                assert first.stats.retries + second.stats.retries == retried
    assert results["faulty"] == results["clean"]


def test_explicit_job_ids_fetch_only_those_jobs(syncer: Syncer) -> None:
    world = syncer.sim.world
    chosen = sorted(world.jobs, key=lambda j: -len(world.jobs[j].messages))[:2]
    result = syncer.run(per_page=PER_PAGE, job_ids=chosen)
    assert decide(result).exit_code == 0
    assert {k[0] for k in syncer.messages()} == set(chosen)
    assert syncer.sim.counts["jobs"] == 0 and syncer.sim.counts["job"] == 2
    assert syncer.sim.counts["messages"] == sum(pages(len(world.jobs[j].messages)) for j in chosen)


def test_status_filter_fetches_only_that_status(syncer: Syncer) -> None:
    result = syncer.run(per_page=PER_PAGE, status="FAILED")
    assert decide(result).exit_code == 0
    loaded = syncer.messages()
    assert set(loaded.values()) == {"FAILED"}
    assert loaded == {k: v for k, v in syncer.sim.world.truth_messages().items() if v == "FAILED"}


@pytest.mark.parametrize("workers", [1, 4])
def test_expired_cursors_mid_run_restart_the_job_without_duplicates(
    syncer: Syncer, monkeypatch: pytest.MonkeyPatch, workers: int
) -> None:
    sim = syncer.sim
    original = sim.respond
    expired = []

    def expire_once_mid_listing(route: Any, query: Any) -> bytes:
        if route["messages"] and "cursor" in query and not expired:
            expired.append(route["job"])
            sim.expire_cursors()
        return original(route, query)

    monkeypatch.setattr(sim, "respond", expire_once_mid_listing)
    result = syncer.run(per_page=PER_PAGE, workers=workers)
    # one expiry hits every job that is mid-listing at that moment: one of them per worker
    assert decide(result).exit_code == 0 and expired
    assert 1 <= result.stats.cursor_restarts <= workers
    assert_equals_truth(syncer)


def test_snapshots_follow_jobs_in_progress_until_they_settle(syncer: Syncer) -> None:
    world = syncer.sim.world
    in_progress = {
        j
        for j, job in world.truth_jobs().items()
        if job["status"] not in TERMINAL or job["messages_pending"]
    }
    assert in_progress
    count = "select count(*) from cloudflare_email_security.bulk_job_snapshots"
    syncer.run(per_page=PER_PAGE)
    first = syncer.query("select job_id from cloudflare_email_security.bulk_job_snapshots")
    assert {r[0] for r in first} == in_progress and len(first) == len(in_progress)
    world.advance(steps=40, create=0, delete=0)  # everything settles
    syncer.run(per_page=PER_PAGE)
    final = syncer.query(
        "select job_id, status from cloudflare_email_security.bulk_job_snapshots"
        " where observed_at = (select max(observed_at) from"
        " cloudflare_email_security.bulk_job_snapshots)"
    )
    assert {r[0] for r in final} == in_progress
    assert {r[1] for r in final} <= TERMINAL
    syncer.run(per_page=PER_PAGE)
    assert syncer.query(count)[0][0] == 2 * len(in_progress)  # nothing new once settled


def test_a_lost_working_folder_is_restored_from_the_warehouse(syncer: Syncer) -> None:
    import shutil

    syncer.run(per_page=PER_PAGE)
    shutil.rmtree(syncer.folder / "dlt")  # a CI runner or a new machine: no local state
    again = syncer.run(per_page=PER_PAGE)
    # the state came back with the warehouse: settled jobs are skipped and jobs in flight
    # known unchanged are not fetched again
    assert dict(syncer.sim.counts) == {"jobs": expected_requests(syncer.sim.world)["jobs"]}
    assert again.stats.jobs_skipped > 0 and again.stats.jobs_unchanged > 0
    assert_equals_truth(syncer)


def test_an_expired_cursor_on_the_job_list_restarts_the_list(
    syncer: Syncer, monkeypatch: pytest.MonkeyPatch
) -> None:
    sim = syncer.sim
    original = sim.respond
    expired = []

    def expire_once_mid_job_list(route: Any, query: Any) -> bytes:
        if route["job"] is None and "cursor" in query and not expired:
            expired.append(query["cursor"])
            sim.expire_cursors()
        return original(route, query)

    monkeypatch.setattr(sim, "respond", expire_once_mid_job_list)
    result = syncer.run(per_page=PER_PAGE)
    assert decide(result).exit_code == 0 and expired, result.error
    assert result.stats.cursor_restarts == 1
    assert result.stats.jobs_seen == len(sim.world.jobs)  # each job listed once
    assert_equals_truth(syncer)
