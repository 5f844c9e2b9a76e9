import threading
import time
from typing import Iterator, List

import pytest

from pipelines.cloudflare_email_security.fetcher import DONE, PAGE, fetch_concurrently


def pages_of(job: int) -> Iterator[str]:
    for page in range(3):
        time.sleep(0.001)
        yield f"{job}-{page}"


@pytest.mark.parametrize("workers", [1, 3, 8])
def test_every_page_and_one_done_per_job(workers: int) -> None:
    events = list(fetch_concurrently(range(10), pages_of, workers))
    pages = sorted(item for kind, _, item in events if kind == PAGE)
    assert pages == sorted(f"{j}-{p}" for j in range(10) for p in range(3))
    done = [(job, error) for kind, job, error in events if kind == DONE]
    assert sorted(done) == [(j, None) for j in range(10)]
    for job in range(10):  # a job's DONE comes after its pages
        order = [k for k, j, _ in events if j == job]
        assert order == [PAGE, PAGE, PAGE, DONE]


def test_errors_are_handed_over_not_raised_in_threads() -> None:
    def failing(job: int) -> Iterator[str]:
        yield "first"
        raise ValueError(f"job {job} broke")

    events = list(fetch_concurrently([1, 2], failing, 2))
    errors = {job: str(error) for kind, job, error in events if kind == DONE}
    assert errors == {1: "job 1 broke", 2: "job 2 broke"}


def test_several_jobs_really_run_at_once() -> None:
    running, peak = [0], [0]
    lock = threading.Lock()

    def slow(job: int) -> Iterator[int]:
        with lock:
            running[0] += 1
            peak[0] = max(peak[0], running[0])
        time.sleep(0.05)
        with lock:
            running[0] -= 1
        yield job

    list(fetch_concurrently(range(8), slow, 4))
    assert peak[0] == 4


def test_leaving_early_stops_the_workers() -> None:
    started: List[int] = []

    def endless(job: int) -> Iterator[int]:
        started.append(job)
        while True:
            yield job

    events = fetch_concurrently(range(100), endless, 2)
    for _ in range(5):
        next(events)
    events.close()
    time.sleep(0.3)
    assert len(started) <= 2
    assert threading.active_count() < 10
