import threading
import time
from collections.abc import Callable, Iterator
from datetime import timedelta
from types import SimpleNamespace

import pytest

from cf_bulk_sync.source.fetcher import (
    DONE,
    PAGE,
    Concurrency,
    fetch_concurrently,
    record_wait,
)


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


def waiting(seconds: float) -> None:
    """A request that waits `seconds` for its response, as the client's hook reports it."""
    time.sleep(seconds)
    record_wait(SimpleNamespace(elapsed=timedelta(seconds=seconds)))


def peak_running(work: Callable[[], None], jobs: int, workers: int) -> tuple[int, int]:
    """The most steps running at once: overall, and among steps started after `workers`
    steps had finished (once the limit has measurements to go by)."""
    running, finished, peak, late_peak = [0], [0], [0], [0]
    lock = threading.Lock()

    def job(number: int) -> Iterator[int]:
        for page in range(3):
            with lock:
                running[0] += 1
                peak[0] = max(peak[0], running[0])
                late = finished[0] >= workers
            work()
            with lock:
                if late:
                    late_peak[0] = max(late_peak[0], running[0])
                running[0] -= 1
                finished[0] += 1
            yield page

    list(fetch_concurrently(range(jobs), job, workers))
    return peak[0], late_peak[0]


def test_several_jobs_really_run_at_once_while_they_wait() -> None:
    peak, late_peak = peak_running(lambda: waiting(0.05), jobs=8, workers=4)
    # at once from the start; still several once measured (>= 3 leaves room for a slow
    # machine, whose scheduling delays count as work)
    assert peak == 4 and late_peak >= 3


def test_busy_workers_take_turns_instead_of_crowding() -> None:
    def busy() -> None:
        waiting(0.0001)
        end = time.perf_counter() + 0.01
        while time.perf_counter() < end:
            pass

    # once measured, one at a time is enough (the first steps may overlap: nothing measured)
    assert peak_running(busy, jobs=12, workers=4)[1] == 1


def test_the_limit_follows_the_share_of_time_spent_waiting() -> None:
    limit = Concurrency(6)
    assert limit.limit == 6
    stop = threading.Event()
    for _ in range(3):  # 1 ms waiting in every 10 ms: threads would only crowd
        assert limit.enter(stop)
        limit.leave(wall=0.010, wait=0.001)
    assert limit.limit == 1
    for _ in range(12):  # 100 ms waiting for 5 ms of work: as many as allowed
        assert limit.enter(stop)
        limit.leave(wall=0.105, wait=0.100)
    assert limit.limit == 6
    for _ in range(12):  # as long waiting as working: two at once hide it
        assert limit.enter(stop)
        limit.leave(wall=0.020, wait=0.010)
    assert limit.limit == 2


def test_waits_are_counted_per_thread() -> None:
    from cf_bulk_sync.source import fetcher

    before = fetcher._waited()
    other = threading.Thread(
        target=lambda: record_wait(SimpleNamespace(elapsed=timedelta(seconds=5)))
    )
    other.start()
    other.join()
    record_wait(SimpleNamespace(elapsed=timedelta(seconds=0.25)))
    assert fetcher._waited() - before == pytest.approx(0.25)


def test_a_full_limit_gives_way_to_stop() -> None:
    limit = Concurrency(1)
    stop = threading.Event()
    assert limit.enter(stop)
    stop.set()
    assert not limit.enter(stop)  # returns instead of waiting forever for the held slot


def test_leaving_early_stops_the_workers() -> None:
    started: list[int] = []

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


def test_reduce_halves_the_workers_down_to_one() -> None:
    concurrency = Concurrency(4)
    assert [concurrency.reduce() for _ in range(4)] == [2, 1, 1, 1]
    assert concurrency.limit == 1
    concurrency.leave(1.0, 100.0)  # much waiting would ask for more: the most stays 1
    assert concurrency.limit == 1
