"""The request budget's window shared by every process of one token on this host: a small JSON
file under dlt's data dir, read and rewritten under an exclusive `flock`.

The file is taken in batches: one visit records up to `batch` sends at once and hands them out
to this process's next requests for `hold` seconds (a 1M-message sync spent 2.7 s on a visit
per request). A slot recorded up to `hold` before its request leaves is still counted long
enough: our window is longer than Cloudflare's by a margin of twice `hold` (see budget).

Cloudflare's limit is per user, across accounts, processes and tools; a window per process
would let each new run (or each parallel one) start with the whole budget again.
"""

import errno
import fcntl
import hashlib
import json
import os
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from dlt.common.runtime import run_context

from .budget import EPSILON, MemoryWindow, RequestBudget, margin_seconds

FOLDER = "cf_bulk_sync_request_budget"
FORMAT = 1


def budget_key(credential: str) -> str:
    """The name of a token's window file: a digest, never the token.

    A plain SHA-256 (domain-separated, truncated to 128 bits) rather than a slow hash or an
    HMAC with a host secret: Cloudflare API tokens are 40 random characters (over 200 bits) and
    global keys 37 hex digits (148 bits), so guessing one from its digest is infeasible at
    any hash speed, and a host secret would be one more file to create, protect and lose. The
    digest lets someone who already holds a candidate token confirm it, nothing more.
    """
    digest = hashlib.sha256(b"cf-bulk-sync request budget\0" + credential.encode())
    return digest.hexdigest()[:32]


def budget_path(credential: str) -> Path:
    """`<dlt data dir>/cf_bulk_sync_request_budget/<digest>.json` (DLT_DATA_DIR moves it)."""
    folder = Path(run_context.active().get_data_entity(FOLDER))
    return folder / f"{budget_key(credential)}.json"


class FileWindow:
    """The send times of the token's recent requests, in wall-clock seconds (`time.time`: the
    one clock every process on the host shares, and one that survives a reboot).

    A file that cannot be parsed is started afresh with one warning (its times only matter for
    one window; refusing the run would stop every sync of the token until someone deletes it).
    A file that cannot be written (permissions, a read-only or full disk) switches this process
    to a window of its own with one warning: the run goes on protected as before this file
    existed, only not together with the token's other processes.
    """

    def __init__(
        self, path: Path, warn: Callable[[str], None], batch: int = 1, hold: float = 0.0
    ) -> None:
        self.path = path
        self._warn = warn
        self._fallback: MemoryWindow | None = None
        self.batch = max(1, batch)
        self.hold = hold
        self._left = 0  # slots recorded in the file, not yet used by a request
        self._taken_at = 0.0
        self.visits = 0  # times the file was read and written (for the tests and benchmark)

    def take(self, now: float, span: float, limit: int) -> float:
        if self._fallback is not None:
            return self._fallback.take(now, span, limit)
        if self._left and 0 <= now - self._taken_at <= self.hold:
            self._left -= 1
            return 0.0
        self._left = 0  # unused slots lapse: recorded too early to be used safely
        try:
            return self._take(now, span, limit)
        except OSError as e:
            self._fallback = MemoryWindow()
            self._warn(
                f"request budget file {self.path} cannot be used ({_reason(e)}): this process"
                " keeps a budget of its own, not shared with other runs of the token; make the"
                " folder writable or set DLT_DATA_DIR to one that is"
            )
            return self._fallback.take(now, span, limit)

    def _take(self, now: float, span: float, limit: int) -> float:
        self.path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
        self.visits += 1
        fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o600)
        with os.fdopen(fd, "r+") as handle:
            fcntl.flock(handle, fcntl.LOCK_EX)  # released when the file is closed
            content = handle.read()
            sent, keep = self._parse(content, now)
            keep = max(keep, span)
            # kept: what any process of the token may still count (the longest window one of
            # them declared recently); times far in the future mean the clock was set back:
            # they would block every process for that long, so they go
            sent = [t for t in sent if now - keep < t <= now + keep]
            recent = [t for t in sent if t + span > now + EPSILON]
            wait = 0.0
            if len(recent) >= limit:
                wait = max(min(recent) + span - now, 0.001)
            else:
                taken = min(self.batch, limit - len(recent))
                sent.extend([now] * taken)
                self._left, self._taken_at = taken - 1, now
            handle.seek(0)
            handle.write(json.dumps({"format": FORMAT, "keep": [keep, now + keep], "sent": sent}))
            handle.truncate()
        return wait

    def _parse(self, content: str, now: float) -> tuple[list[float], float]:
        """The recorded send times and the retention that still holds, from the file's text."""
        if not content:
            return [], 0.0
        try:
            # the first JSON value only: a process killed between writing a shorter text and
            # truncating the file leaves the end of the longer one behind it
            data: Any = json.JSONDecoder().raw_decode(content)[0]
            sent = [float(t) for t in data["sent"]]
            keep, keep_until = (float(v) for v in data["keep"])
        except (ValueError, TypeError, KeyError) as e:
            self._warn(
                f"request budget file {self.path} was unreadable ({type(e).__name__}); started"
                " it afresh: requests other processes of the token sent in the last window are"
                " not counted"
            )
            return [], 0.0
        # a retention declared by a process with a longer window lapses one such window later
        return sent, keep if keep_until > now else 0.0


def _reason(error: OSError) -> str:
    return error.strerror or errno.errorcode.get(error.errno or 0, type(error).__name__)


def shared_budget(
    credential: str,
    max_requests: int,
    window_seconds: float,
    warn: Callable[[str], None],
    sleep: Callable[[float], None] = time.sleep,
) -> RequestBudget:
    """The budget of `credential` (an API token, or the e-mail and key of legacy auth), its
    window shared by every process and pipeline using it on this host."""

    # batches of a hundredth of the budget, at most 10 (1,200 per 5 minutes: 10): small budgets,
    # such as the tests' shared ones, keep a visit per request
    batch = max(1, min(10, max_requests // 120))
    hold = margin_seconds(window_seconds) / 2
    window = FileWindow(budget_path(credential), warn, batch=batch, hold=hold)
    budget = RequestBudget(
        max_requests, window_seconds, clock=time.time, sleep=sleep, window=window
    )
    budget.shared = True
    return budget
