"""A total deadline per response: connect, headers and body together.

requests' timeout bounds the connect and each socket read, not the response: a server or proxy
that sends a byte now and then (in the status line, the headers or the body) keeps a request
alive for ever. So each request runs under a timer that, at the deadline, shuts down the socket
of the connection the request was sent on; the blocked read returns at once and the attempt
fails. The connection is found through the connection pools, which note, per sending thread,
the connection they hand out (urllib3's pools are swapped for these in the adapter).
"""

import contextlib
import socket
import threading
from types import TracebackType
from typing import Any

from urllib3.connectionpool import HTTPConnectionPool, HTTPSConnectionPool

_sending = threading.local()


class _Watched:
    """The connection one request is on, once the pool has handed it out."""

    conn: Any = None


class _Watching:
    """Notes, for the deadline of the sending thread, the connection the pool hands out."""

    def _get_conn(self, timeout: float | None = None) -> Any:
        conn = super()._get_conn(timeout)  # type: ignore[misc]
        watched = getattr(_sending, "watched", None)
        if watched is not None:
            watched.conn = conn
        return conn


class WatchedHTTPConnectionPool(_Watching, HTTPConnectionPool):
    pass


class WatchedHTTPSConnectionPool(_Watching, HTTPSConnectionPool):
    pass


POOL_CLASSES = {"http": WatchedHTTPConnectionPool, "https": WatchedHTTPSConnectionPool}


class ResponseDeadline:
    """`with ResponseDeadline(seconds) as deadline:` around sending a request and reading its
    whole body, in the sending thread; `deadline.expired` tells whether the timer cut it."""

    def __init__(self, seconds: float) -> None:
        self.seconds = seconds
        self.expired = False
        self._watched = _Watched()
        self._lock = threading.Lock()
        self._done = False
        self._timer = threading.Timer(seconds, self._cut)
        self._timer.daemon = True

    def __enter__(self) -> "ResponseDeadline":
        _sending.watched = self._watched
        self._timer.start()
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        # under the lock: a timer firing from now on must not cut the connection, which is back
        # in the pool (urllib3 drops a pooled connection it finds shut before reusing it, which
        # covers the instant between the pool taking it back and this line)
        with self._lock:
            self._done = True
        self._timer.cancel()
        _sending.watched = None

    def _cut(self) -> None:
        with self._lock:
            if self._done:
                return
            self.expired = True
            sock = getattr(self._watched.conn, "sock", None)
            if sock is not None:
                with contextlib.suppress(OSError):
                    sock.shutdown(socket.SHUT_RDWR)
