"""A run's progress while it runs, so that a long backfill is visibly alive.

On a terminal, a live line drawn by `rich` (jobs done / to do, messages loaded / expected from
the jobs' own counters, request rate, time left). Elsewhere (cron, CI, an orchestrator's log),
one log line every `interval` seconds with the same figures. Both on stderr, so stdout keeps
only the summary (or the JSON result).
"""

import logging
import sys
import threading
import time
from types import TracebackType
from typing import IO, TYPE_CHECKING

if TYPE_CHECKING:  # the command line reads MODES: importing this module stays cheap
    from ..source.stats import SyncStats

MODES = ("auto", "bar", "log", "none")
DEFAULT_INTERVAL = 10.0
LOGGER = logging.getLogger("cf_bulk_sync.progress")


def describe(stats: "SyncStats", elapsed: float, now: float | None = None) -> str:
    """One line of figures: what a person wants to know about a run in progress, led by a
    wait for the request budget while one lasts (a run asleep must say why)."""
    left = stats.budget_wait_until - (time.monotonic() if now is None else now)
    waiting = (
        f"waiting {left:.0f}s for the request budget ({stats.budget_wait_reason}); "
        if left > 0.5
        else ""
    )
    return waiting + _figures(stats, elapsed)


def _figures(stats: "SyncStats", elapsed: float) -> str:
    if not stats.jobs_todo and not stats.jobs_seen:
        return f"listing jobs; {stats.requests} requests in {elapsed:.0f}s"
    rate = stats.requests / elapsed if elapsed > 0 else 0.0
    done = stats.jobs_synced + len(stats.job_errors)
    line = (
        f"jobs {done:,}/{stats.jobs_todo:,} to fetch ({stats.jobs_skipped:,} settled, skipped);"
        f" messages {stats.rows:,}/{stats.messages_expected:,}; {rate:.1f} requests/s"
    )
    eta = time_left(stats, elapsed)
    return line + (f"; about {eta:.0f}s left" if eta is not None else "")


def time_left(stats: "SyncStats", elapsed: float) -> float | None:
    """Seconds left at the rate so far, from the messages expected; None before any arrived."""
    if stats.rows <= 0 or stats.messages_expected <= stats.rows:
        return None
    return (stats.messages_expected - stats.rows) * elapsed / stats.rows


class RunProgress:
    """Reports `stats` until the `with` block ends. `mode`: `bar` (a live line), `log` (a line
    every `interval` seconds), `none`, or `auto` (`bar` on a terminal, else `log`)."""

    def __init__(
        self,
        stats: "SyncStats",
        mode: str = "auto",
        interval: float = DEFAULT_INTERVAL,
        stream: IO[str] | None = None,
    ) -> None:
        self.stats = stats
        self.stream = stream or sys.stderr
        if mode == "auto":
            mode = "bar" if self.stream.isatty() else "log"
        self.mode = mode
        self.interval = interval
        self._done = threading.Event()
        self._thread: threading.Thread | None = None
        self._started = time.monotonic()

    def __enter__(self) -> "RunProgress":
        if self.mode in ("bar", "log"):
            target = self._draw if self.mode == "bar" else self._log
            self._thread = threading.Thread(target=target, name="cf-progress", daemon=True)
            self._thread.start()
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        trace: TracebackType | None,
    ) -> None:
        self._done.set()
        if self._thread is not None:
            self._thread.join(timeout=5)

    def _elapsed(self) -> float:
        return time.monotonic() - self._started

    def _log(self) -> None:
        handler = logging.StreamHandler(self.stream)
        handler.setFormatter(logging.Formatter("%(asctime)s cf-bulk-sync progress: %(message)s"))
        LOGGER.addHandler(handler)
        LOGGER.setLevel(logging.INFO)
        LOGGER.propagate = False
        try:
            while not self._done.wait(self.interval):
                LOGGER.info(describe(self.stats, self._elapsed()))
        finally:
            LOGGER.removeHandler(handler)

    def _draw(self) -> None:
        from rich.console import Console
        from rich.progress import BarColumn, Progress, TextColumn, TimeRemainingColumn

        console = Console(file=self.stream)
        columns = (
            TextColumn("cf-bulk-sync"),
            BarColumn(),
            TextColumn("{task.description}"),
            TimeRemainingColumn(),
        )
        with Progress(*columns, console=console, transient=True) as bar:
            task = bar.add_task("listing jobs", total=None)
            while not self._done.wait(0.2):
                stats = self.stats
                bar.update(
                    task,
                    total=stats.messages_expected or None,
                    completed=stats.rows,
                    description=describe(stats, self._elapsed()),
                )
