"""The total deadline per response (source/deadline.py) against a raw TCP server on 127.0.0.1
that drips its answer a byte at a time: in the status line and headers, or in the body. The
read timeout (5 s) never fires, because a byte comes every 20 ms; only the deadline can end
the request."""

import socket
import threading
import time
from collections.abc import Iterator

import pytest
import requests

from cf_bulk_sync.source.budget import RequestBudget
from cf_bulk_sync.source.retrying import BudgetedAdapter, DeadlineExceeded
from cf_bulk_sync.source.stats import SyncStats

BODY = b'{"success": true, "errors": [], "messages": [], "result": []}'
HEAD = b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nX-Padding: " + b"p" * 200 + b"\r\n"
HEAD += b"Content-Length: " + str(len(BODY)).encode() + b"\r\n\r\n"


def _serve(listener: socket.socket, drip_head: bool, stop: threading.Event) -> None:
    while not stop.is_set():
        try:
            conn, _ = listener.accept()
        except OSError:
            return
        with conn:
            conn.recv(65536)
            answer = HEAD + BODY
            dripped = HEAD if drip_head else BODY
            if not drip_head:
                conn.sendall(HEAD)
            try:
                for byte in dripped:  # 20 ms a byte: seconds for the part dripped
                    if stop.is_set():
                        return
                    conn.sendall(bytes([byte]))
                    time.sleep(0.02)
                if drip_head:
                    conn.sendall(answer[len(HEAD) :])
            except OSError:
                continue


@pytest.fixture(params=["headers", "body"])
def dripping(request: pytest.FixtureRequest) -> Iterator[str]:
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen()
    listener.settimeout(0.2)
    stop = threading.Event()

    def loop() -> None:
        while not stop.is_set():
            try:
                _serve(listener, request.param == "headers", stop)
            except TimeoutError:
                continue

    thread = threading.Thread(target=loop, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{listener.getsockname()[1]}/"
    stop.set()
    thread.join(5)
    listener.close()


def test_a_dripped_response_is_cut_at_the_deadline(dripping: str) -> None:
    stats = SyncStats()
    adapter = BudgetedAdapter(RequestBudget(100, 1.0), stats, deadline=0.5)
    session = requests.Session()
    session.mount("http://", adapter)
    started = time.monotonic()
    with pytest.raises(DeadlineExceeded, match="request_deadline=0.5s"):
        session.get(dripping, timeout=5)
    took = time.monotonic() - started
    # the whole answer takes over 5 s to drip (headers) or 1.2 s (body); cut at 0.5 s
    assert took < 1.1, f"took {took:.2f}s"
    assert stats.requests == 1


def test_a_prompt_response_is_untouched_and_its_connection_reused() -> None:
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen()
    accepted: list[int] = []

    def serve() -> None:
        conn, _ = listener.accept()
        accepted.append(1)
        with conn:
            for _ in range(3):
                conn.recv(65536)
                conn.sendall(HEAD + BODY)

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    adapter = BudgetedAdapter(RequestBudget(100, 1.0), SyncStats(), deadline=0.2)
    session = requests.Session()
    session.mount("http://", adapter)
    url = f"http://127.0.0.1:{listener.getsockname()[1]}/"
    for _ in range(3):
        assert session.get(url, timeout=5).json()["success"] is True
        time.sleep(0.3)  # past the deadline: a timer left running would cut the idle connection
    thread.join(5)
    listener.close()
    assert accepted == [1]  # one connection for all three: never cut
