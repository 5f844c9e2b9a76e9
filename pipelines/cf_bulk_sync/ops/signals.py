"""Stopping a run cleanly on SIGTERM or SIGINT, the way schedulers end a job.

Airflow, Kubernetes and systemd send SIGTERM on a timeout, a person presses Ctrl-C. The first
signal asks the run to stop: fetching ends at the next page boundary, what was fetched is
loaded (dlt's package commits or stays pending for the next run), the run is recorded as
interrupted and exits 143 or 130. A second signal exits at once; the operating system releases
the run lock, and the next run finishes whatever package was left.

While dlt normalises or loads it installs its own handlers (its `intercepted_signals`), which
drain running jobs and then raise; the sync reports that as an interruption too. A second
signal then reaches the handler below through dlt's, which calls the handler it replaced.
"""

import os
import signal
import threading
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from types import FrameType

from dlt.common.runtime import signals as dlt_signals

HANDLED = (signal.SIGINT, signal.SIGTERM)


class StopRequest:
    """Set by the first signal: `event` for the workers to watch, `signum` for the outcome."""

    def __init__(self) -> None:
        self.event = threading.Event()
        self.signum: int | None = None

    def stop(self, signum: int) -> None:
        self.signum = signum
        self.event.set()


@contextmanager
def stop_on_signals(request: StopRequest | None = None) -> Iterator[StopRequest]:
    """Handles SIGINT and SIGTERM for the length of a run (in the main thread only: Python
    delivers signals there; elsewhere the request is never set by a signal)."""
    request = request or StopRequest()
    if threading.current_thread() is not threading.main_thread():
        yield request
        return

    def handle(signum: int, frame: FrameType | None) -> None:
        if request.signum is not None or dlt_signals.was_signal_received():
            os._exit(128 + signum)  # the second signal: at once
        request.stop(signum)
        name = signal.Signals(signum).name
        message = (
            f"cf-bulk-sync: {name} received: stopping at the next page and loading what was"
            f" fetched; send {name} again to stop at once\n"
        )
        with suppress(OSError):
            os.write(2, message.encode())  # no print or logging inside a signal handler

    previous = {signum: signal.signal(signum, handle) for signum in HANDLED}
    try:
        yield request
    finally:
        for signum, handler in previous.items():
            signal.signal(signum, handler)
