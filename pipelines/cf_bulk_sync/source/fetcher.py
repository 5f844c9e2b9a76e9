"""Fetching several jobs' messages at once: worker threads feed a bounded queue, so waiting on
the network overlaps while memory stays flat (a worker waits when the queue is full).

Threads only pay off while they wait: turning pages into tables holds Python's lock, so on a
fast network extra workers just take turns with each other and with dlt's own thread, and the
run gets slower. `Concurrency` lets as many workers run at once as it takes to hide the
waiting it measures, up to the number configured.
"""

import queue
import threading
import time
from collections.abc import Callable, Generator, Iterable, Iterator
from concurrent.futures import ThreadPoolExecutor
from typing import Any, TypeVar

T = TypeVar("T")
PAGE, DONE = "page", "done"
_END = object()
Event = tuple[str, T, Any]


_waits = threading.local()


def record_wait(response: Any, *args: Any, **kwargs: Any) -> None:
    """Response hook: adds the time the request waited for its answer (until the headers came)
    to the calling thread's total."""
    _waits.total = getattr(_waits, "total", 0.0) + response.elapsed.total_seconds()


def _waited() -> float:
    return getattr(_waits, "total", 0.0)


class Concurrency:
    """How many workers may run at once: `1 + wait / busy` from each step's time waiting for
    responses (see `record_wait`) and the rest of its time, weighted towards recent steps,
    between 1 and `maximum`. Time spent waiting for Python's lock counts as busy, so crowding
    lowers the limit. Starts at `maximum`: on a slow network nothing is lost while it measures.
    """

    def __init__(self, maximum: int) -> None:
        self.maximum = maximum
        self.limit = maximum
        self.active = 0
        self._wait: float | None = None
        self._busy = 0.0
        self._changed = threading.Condition()

    def enter(self, stop: threading.Event) -> bool:
        """Waits for a free slot; False when `stop` was set meanwhile."""
        with self._changed:
            while self.active >= self.limit:
                if stop.is_set():
                    return False
                self._changed.wait(0.1)
            self.active += 1
            return True

    def reduce(self) -> int:
        """Halves the most workers allowed at once (not below 1) for the rest of the run;
        returns the new most."""
        with self._changed:
            self.maximum = max(1, self.maximum // 2)
            self.limit = min(self.limit, self.maximum)
            return self.maximum

    def leave(self, wall: float, wait: float) -> None:
        wait, busy = max(wait, 0.0), max(wall - wait, 1e-6)
        with self._changed:
            self.active -= 1
            if self._wait is None:
                self._wait, self._busy = wait, busy
            else:
                self._wait = 0.7 * self._wait + 0.3 * wait
                self._busy = 0.7 * self._busy + 0.3 * busy
            self.limit = max(1, min(self.maximum, 1 + int(self._wait / self._busy)))
            self._changed.notify_all()


def fetch_concurrently(
    jobs: Iterable[T], fetch: Callable[[T], Iterator[Any]], workers: "int | Concurrency"
) -> Generator[Event, None, None]:
    """Runs `fetch(job)` for every job on `workers` threads (or under a `Concurrency` the
    caller keeps, to lower it later) and yields, as they come, `(PAGE, job, item)` for each
    item and then `(DONE, job, error or None)` once per job.

    Closing the iterator (or leaving it early) stops the workers: jobs not started are
    cancelled and running ones stop before their next item.
    """
    todo: list[T] = list(jobs)
    concurrency = workers if isinstance(workers, Concurrency) else Concurrency(workers)
    workers = concurrency.maximum
    events: queue.Queue[Event] = queue.Queue(maxsize=max(2 * workers, 2))
    stop = threading.Event()

    def put(event: Event) -> bool:
        while not stop.is_set():
            try:
                events.put(event, timeout=0.1)
                return True
            except queue.Full:
                continue
        return False

    def work(job: T) -> None:
        if stop.is_set():
            return
        error: BaseException | None = None
        items = fetch(job)
        try:
            while concurrency.enter(stop):
                wall, waited = time.perf_counter(), _waited()
                try:
                    item = next(items, _END)
                finally:
                    concurrency.leave(time.perf_counter() - wall, _waited() - waited)
                if item is _END:
                    break
                if not put((PAGE, job, item)):
                    return
            else:
                return
        except BaseException as e:  # noqa: BLE001 - handed to the consumer, which decides
            error = e
        put((DONE, job, error))

    pool = ThreadPoolExecutor(max_workers=workers, thread_name_prefix="cf-fetch")
    futures = [pool.submit(work, job) for job in todo]
    try:
        remaining = len(todo)
        while remaining:
            event = events.get()
            if event[0] == DONE:
                remaining -= 1
            yield event
    finally:
        stop.set()
        for future in futures:
            future.cancel()
        pool.shutdown(wait=True)
