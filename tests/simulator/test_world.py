from collections import Counter

import pytest

from cf_bulk_sync.simulator.world import IN_FLIGHT, JOB_STATUSES, TERMINAL, World

MESSAGE_STATUSES = {
    "PENDING",
    "DISCOVERING",
    "PROCESSING",
    "COMPLETED",
    "FAILED",
    "CANCELLED",
    "SKIPPED",
}


def counters_hold(job: dict) -> bool:
    return job["total_messages_discovered"] == (
        job["messages_pending"]
        + job["messages_successful"]
        + job["messages_failed"]
        + job["messages_skipped"]
        + job["messages_cancelled"]
    )


def test_same_seed_same_world_other_seed_other_world() -> None:
    assert World(seed=5, jobs=8).truth_messages() == World(seed=5, jobs=8).truth_messages()
    assert World(seed=5, jobs=8).truth_jobs() != World(seed=6, jobs=8).truth_jobs()


def test_every_job_status_and_message_status_is_present() -> None:
    world = World(seed=7, jobs=24, messages=(0, 300))
    assert {j["status"] for j in world.truth_jobs().values()} == set(JOB_STATUSES)
    assert set(world.truth_messages().values()) == MESSAGE_STATUSES
    assert {j["action_type"] for j in world.truth_jobs().values()} == {"MOVE", "RELEASE"}


def test_counters_match_messages_before_and_after_time_moves() -> None:
    world = World(seed=3, jobs=15, messages=(0, 80))
    for _ in range(6):
        for job_id, job in world.truth_jobs().items():
            assert counters_hold(job), job_id
            statuses = Counter(s for (j, _), s in world.truth_messages().items() if j == job_id)
            assert job["messages_failed"] == statuses["FAILED"]
            assert job["messages_successful"] == statuses["COMPLETED"]
        world.advance()


def test_failure_texts_embed_volatile_details() -> None:
    world = World(seed=7, jobs=24, messages=(0, 300))
    texts = [
        m["status_message"]
        for job in world.jobs.values()
        for m in job.messages
        if m["status"] == "FAILED"
    ]
    assert any("@" in t for t in texts)
    assert any("request-id:" in t for t in texts)
    assert len(set(texts)) > 50  # details vary; the models must group them


def test_retries_are_visible_in_flight_and_settled() -> None:
    world = World(seed=7, jobs=24, messages=(0, 300))
    messages = [m for job in world.jobs.values() for m in job.messages]
    assert any(m["retry_after"] for m in messages if m["status"] == "FAILED")
    assert any(m["retry_count"] > 0 for m in messages)
    assert any(m["alert_id"] is None for m in messages)


def test_settled_jobs_have_no_pending_retry() -> None:
    world = World(seed=9, jobs=20)
    for job in world.jobs.values():
        if job.status in TERMINAL:
            assert all(m["retry_after"] is None for m in job.messages), job.fields["job_id"]
            assert job.counters()["messages_pending"] == 0


def test_advance_progresses_creates_and_deletes() -> None:
    world = World(seed=4, jobs=10, messages=(1, 40))
    before = world.truth_jobs()
    changes = world.advance(steps=2, create=1, delete=1)
    after = world.truth_jobs()
    assert len(changes["created"]) == 2 and all(j in after for j in changes["created"])
    assert len(changes["deleted"]) == 2 and not any(j in after for j in changes["deleted"])
    assert all(before[j]["status"] in TERMINAL for j in changes["deleted"])
    moved = [j for j in changes["advanced"] if j in after and after[j] != before.get(j)]
    assert moved


def test_every_job_settles_eventually() -> None:
    world = World(seed=2, jobs=12, messages=(0, 50))
    world.advance(steps=40, create=0, delete=0)
    assert not [j for j in world.jobs.values() if j.status in IN_FLIGHT]


@pytest.mark.parametrize("jobs", [pytest.param(0, id="empty"), pytest.param(1, id="one")])
def test_small_worlds(jobs: int) -> None:
    assert len(World(seed=1, jobs=jobs).jobs) == jobs
