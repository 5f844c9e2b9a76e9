"""Fetching several jobs' messages at once: worker threads feed a bounded queue, so waiting on
the network overlaps while memory stays flat (a worker waits when the queue is full)."""

import queue
import threading
from concurrent.futures import ThreadPoolExecutor
from typing import Any, Callable, Iterable, Iterator, List, Optional, Tuple, TypeVar

T = TypeVar("T")
PAGE, DONE = "page", "done"
Event = Tuple[str, T, Any]


def fetch_concurrently(
    jobs: Iterable[T], fetch: Callable[[T], Iterator[Any]], workers: int
) -> Iterator[Event]:
    """Runs `fetch(job)` for every job on `workers` threads and yields, as they come,
    `(PAGE, job, item)` for each item and then `(DONE, job, error or None)` once per job.

    Closing the iterator (or leaving it early) stops the workers: jobs not started are
    cancelled and running ones stop before their next item.
    """
    todo: List[T] = list(jobs)
    events: "queue.Queue[Event]" = queue.Queue(maxsize=max(2 * workers, 2))
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
        error: Optional[BaseException] = None
        try:
            for item in fetch(job):
                if not put((PAGE, job, item)):
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
