"""The simulator's HTTP server: the three bulk endpoints, the two token verify endpoints, an
admin API, faults and counting."""

import bisect
import hashlib
import json
import re
import socket
import struct
import sys
import threading
import time
from collections import Counter
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlparse

from .cursors import CursorError, Cursors
from .drift import EMPTY_PAGES, Drift
from .faults import Faults
from .world import JOB_STATUSES, World

DEFAULT_TOKEN = "sim-token"
DEFAULT_EMAIL = "sim@example.com"
DEFAULT_KEY = "sim-global-key"
MESSAGE_STATUSES = (
    "PENDING",
    "DISCOVERING",
    "PROCESSING",
    "COMPLETED",
    "FAILED",
    "CANCELLED",
    "SKIPPED",
)
ROUTE = re.compile(
    r"^/accounts/(?P<account>[^/]+)/email-security/investigate/bulk"
    r"(?:/(?P<job>[^/]+))?(?P<messages>/messages)?/?$"
)
ACCOUNT_ID = re.compile(r"^[0-9a-f]{32}$")
VERIFY_ROUTE = re.compile(r"^(?:/user|/accounts/(?P<account>[^/]+))/tokens/verify/?$")
TOKEN_OWNERS = ("user", "account")
TOKEN_STATUSES = ("active", "disabled", "expired")


class ApiError(Exception):
    def __init__(self, status: int, code: int, message: str) -> None:
        super().__init__(message)
        self.status, self.code, self.message = status, code, message


class Simulator:
    """Serves a `World` on 127.0.0.1. Use as a context manager, or `start()` and `stop()`."""

    def __init__(
        self,
        world: World | None = None,
        *,
        token: str = DEFAULT_TOKEN,
        email: str = DEFAULT_EMAIL,
        key: str = DEFAULT_KEY,
        host: str = "127.0.0.1",
        port: int = 0,
        base_path: str = "/client/v4",
        faults: Faults | None = None,
        latency: float = 0.0,
        cursor_ttl: float = 900.0,
        rate_limit: tuple[int, float] | None = None,
        token_owner: str = "user",
        token_status: str = "active",
        token_can_read: bool = True,
        drift: Drift | set[str] | None = None,
    ) -> None:
        self.world = world or World()
        # how the API drifts (see drift.py): `drift.kinds` may change while it runs
        self.drift = drift if isinstance(drift, Drift) else Drift(set(drift or ()))
        self.token, self.email, self.key = token, email, key
        # What the token is, as the verify endpoints tell: owned by the user (verified at
        # /user/tokens/verify) or by the account (/accounts/{id}/tokens/verify only); its status;
        # and whether it holds "Cloud Email Security: Read" (if not, or not active, the bulk
        # endpoints answer 403 / code 10000 while verify still answers). Attributes: a test may
        # change them while the simulator runs.
        self.token_owner = _one_of(token_owner, TOKEN_OWNERS, "token_owner")
        self.token_status = _one_of(token_status, TOKEN_STATUSES, "token_status")
        self.token_can_read = token_can_read
        # False: the verify endpoints answer 404 / code 7000 "No route for that URI", as a
        # proxy or mirror serving only the bulk endpoints does (the bulk endpoints still work)
        self.verify_route = True
        self.host, self.port = host, port
        self.base_path = "/" + base_path.strip("/") if base_path.strip("/") else ""
        self.faults = faults or Faults()
        self.latency = latency
        # (requests, seconds): like Cloudflare, more than that in any window answers 429
        self.rate_limit = rate_limit
        # the most items a page holds whatever per_page asks (Cloudflare's is 1000; a proxy
        # or a future API may serve fewer); result_info.per_page says what was served
        self.max_per_page = 1000
        self.cursors = Cursors(f"sim-{id(self)}-{time.time()}".encode(), cursor_ttl)
        self.counts: Counter = Counter()
        self.request_times: list[float] = []
        self._count_lock = threading.Lock()
        self._cache: dict[tuple[Any, ...], tuple[float, bytes]] = {}
        self._cache_version = -1
        self._server: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None

    # --- lifecycle -----------------------------------------------------------------------
    def start(self) -> "Simulator":
        handler = type("Handler", (_Handler,), {"sim": self})
        self._server = _Server((self.host, self.port), handler)
        self._server.daemon_threads = True
        self.port = self._server.server_address[1]
        self._thread = threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        if self._server:
            self._server.shutdown()
            self._server.server_close()
            self._server = None

    def __enter__(self) -> "Simulator":
        return self.start()

    def __exit__(self, *exc: Any) -> None:
        self.stop()

    @property
    def base_url(self) -> str:
        return f"http://{self.host}:{self.port}{self.base_path}"

    # --- controls ------------------------------------------------------------------------
    def advance(self, steps: int = 1, create: int = 1, delete: int = 1) -> dict[str, list[str]]:
        return self.world.advance(steps, create, delete)

    def served_truth(self) -> dict[tuple[str, str], str]:
        """(job_id, message_id) -> status of every message a sync can load now, with job ids as
        served (see drift.py) and without the message a poison-item drift makes unloadable."""
        poisoned = self.drift.poisoned(self.world)
        with self.world.lock:
            return {
                (self.drift.served_id(job_id), m["message_id"]): m["status"]
                for job_id, job in self.world.jobs.items()
                for m in job.messages
                if poisoned is None or m is not poisoned[1]
            }

    def expire_cursors(self) -> None:
        self.cursors.expire_all()

    def reset_counts(self) -> None:
        with self._count_lock:
            self.counts.clear()
            self.request_times.clear()

    def busiest_window(self, seconds: float) -> int:
        """The most requests that arrived in any `seconds` (refused ones included)."""
        with self._count_lock:
            return busiest_window(self.request_times, seconds)

    def _count(self, endpoint: str) -> float | None:
        """Counts a request; returns the seconds to wait when it breaks the rate limit."""
        with self._count_lock:
            self.counts[endpoint] += 1
            now = time.monotonic()
            wait = None
            if self.rate_limit:
                limit, window = self.rate_limit
                recent = [t for t in self.request_times[-limit:] if now - t < window]
                if len(recent) >= limit:
                    self.counts["rate_limited"] += 1
                    wait = window - (now - recent[0])
            # every request counts against the limit, refused ones too, as at Cloudflare
            self.request_times.append(now)
            return wait

    # --- the API -------------------------------------------------------------------------
    def authenticate(self, headers: Any) -> None:
        bearer = headers.get("Authorization", "")
        if bearer == f"Bearer {self.token}":
            if self.token_status != "active" or not self.token_can_read:
                raise ApiError(403, 10000, "Authentication error")
            return
        if headers.get("X-Auth-Email") == self.email and headers.get("X-Auth-Key") == self.key:
            return
        raise ApiError(403, 10000, "Authentication error")

    def verify_token(self, route: dict[str, str | None], headers: Any) -> bytes:
        """`GET /user/tokens/verify` or `GET /accounts/{id}/tokens/verify`: the token's id and
        status, from the endpoint of its owner only; 401 / code 1000 anywhere else."""
        owner = "user" if route["account"] is None else "account"
        if route["account"] is not None:
            self._check_account(route["account"])
        if headers.get("Authorization", "") != f"Bearer {self.token}" or owner != self.token_owner:
            raise ApiError(401, 1000, "Invalid API Token")
        result: dict[str, Any] = {
            "id": hashlib.sha256(self.token.encode()).hexdigest()[:32],
            "status": self.token_status,
        }
        if self.token_status == "expired":
            result["expires_on"] = "2020-01-01T00:00:00Z"
        return envelope(json.dumps(result).encode())

    def _check_account(self, account: str) -> None:
        if not ACCOUNT_ID.match(account):
            raise ApiError(
                400,
                7003,
                f"Could not route to /accounts/{account}, perhaps your object"
                " identifier is invalid?",
            )
        if account != self.world.account_id:
            raise ApiError(404, 7003, f"Could not route to /accounts/{account}: account not found")

    def respond(self, route: dict[str, str | None], query: dict[str, list[str]]) -> bytes:
        world = self.world
        self._check_account(route["account"] or "")
        params = {k: v[-1] for k, v in query.items()}
        with world.lock:
            if self._cache_version != world.version:
                self._cache.clear()
                self._cache_version = world.version
            # Pages embed cursors, so a cached page must not outlive them.
            key = (
                route["job"],
                bool(route["messages"]),
                tuple(sorted(params.items())),
                self.cursors.generation,
                self.drift.key(),
            )
            cached = self._cache.get(key)
            if cached is None or time.time() - cached[0] > self.cursors.ttl_seconds / 2:
                cached = self._cache[key] = (time.time(), self._render(route, params))
            return cached[1]

    def _render(self, route: dict[str, str | None], params: dict[str, str]) -> bytes:
        world, drift = self.world, self.drift
        job_id = route["job"]
        if job_id is not None:
            internal = drift.internal_id(world, job_id)
            job = world.jobs.get(internal) if internal is not None else None
            if job is None:
                raise ApiError(404, 1002, f"Bulk action job {job_id} not found")
            if not route["messages"]:
                return envelope(json.dumps(drift.job(job.as_dict(), world.step)).encode())
            status = _choice(params.get("status"), MESSAGE_STATUSES, "status")
            fragments = self._message_fragments(job)
            seqs = [
                i for i, m in enumerate(job.messages) if status is None or m["status"] == status
            ]
            scope = f"m|{job_id}|{status}|{_per_page(params, 20, self.max_per_page)}"
            return self._page(seqs, lambda i: fragments[i], scope, params, 20)
        status = _choice(params.get("status"), JOB_STATUSES, "status")
        action = _choice(params.get("action_type"), ("MOVE", "RELEASE"), "action_type")
        jobs = {
            j.seq: j
            for j in world.job_list()
            if (status is None or j.status == status)
            and (action is None or j.fields["action_type"] == action)
        }
        scope = f"j|{status}|{action}|{_per_page(params, 20, self.max_per_page)}"
        body = self._page(
            sorted(jobs),
            lambda s: json.dumps(drift.job(jobs[s].as_dict(), world.step)).encode(),
            scope,
            params,
            20,
        )
        if drift.on("errors-on-success"):
            notice = b'"errors":[{"code":9000,"message":"the list omits archived jobs"}]'
            body = body.replace(b'"errors":[]', notice, 1)
        return body

    def _message_fragments(self, job: Any) -> list[bytes]:
        """The job's messages as served: pre-rendered, unless a drift changes them."""
        drift, step = self.drift, self.world.step
        poisoned = drift.poisoned(self.world)
        if not drift.changes_items and (poisoned is None or poisoned[0] is not job):
            return job.message_bytes()
        fragments = []
        for message in job.messages:
            served = drift.message(message, step)
            if poisoned is not None and message is poisoned[1]:
                served["retry_count"] = 10**30
            fragments.append(json.dumps(served, separators=(",", ":")).encode())
        return fragments

    def _page(
        self,
        seqs: list[int],
        render: Any,
        scope: str,
        params: dict[str, str],
        default_per_page: int,
    ) -> bytes:
        """One page of a keyset listing: items after (or before) the cursor's anchor."""
        per_page = _per_page(params, default_per_page, self.max_per_page)
        start = 0
        # with the empty-pages drift, a listing of messages passes through empty pages between
        # any two (cursors "e1", "e2" ... anchored where the next page starts)
        empties = EMPTY_PAGES if self.drift.on("empty-pages") and scope.startswith("m|") else 0
        forward = "e1" if empties else "n"
        if params.get("cursor"):
            try:
                direction, anchor = self.cursors.read(params["cursor"], scope)
            except CursorError as e:
                raise ApiError(400, 10021, f"Invalid cursor: {e}") from None
            if direction.startswith("e") and int(direction[1:]) <= empties:
                step = int(direction[1:])
                after = "n" if step == empties else f"e{step + 1}"
                empty: dict[str, Any] = {"count": 0, "per_page": per_page, "total_count": 0}
                empty |= {"page": 0, "next": self.cursors.issue(scope, after, anchor)}
                return envelope(b"[]", {**empty, "previous": None})
            if direction == "p":
                start = max(bisect.bisect_left(seqs, anchor) - per_page, 0)
            else:
                start = bisect.bisect_right(seqs, anchor)
        page = seqs[start : start + per_page]
        more = start + per_page < len(seqs)
        info: dict[str, Any] = {
            "count": len(page),
            "per_page": per_page,
            "total_count": 0,
            "page": 0,
            "next": self.cursors.issue(scope, forward, page[-1]) if more and page else None,
            "previous": self.cursors.issue(scope, "p", page[0]) if start > 0 and page else None,
        }
        body = b"[" + b",".join(render(s) for s in page) + b"]"
        return envelope(body, info)


def busiest_window(times: list[float], seconds: float) -> int:
    """The most of `times` (ascending) in any half-open span of `seconds`: a sliding window,
    as Cloudflare counts its rate limit, not one cut at fixed boundaries."""
    most, start = 0, 0
    for end, moment in enumerate(times):
        while moment - times[start] >= seconds:
            start += 1
        most = max(most, end - start + 1)
    return most


def envelope(result: bytes, result_info: dict[str, Any] | None = None) -> bytes:
    info = b"" if result_info is None else b',"result_info":' + json.dumps(result_info).encode()
    return b'{"success":true,"errors":[],"messages":[],"result":' + result + info + b"}"


def error_body(code: int, message: str) -> bytes:
    return json.dumps(
        {
            "success": False,
            "errors": [{"code": code, "message": message}],
            "messages": [],
            "result": None,
        }
    ).encode()


def _per_page(params: dict[str, str], default: int, cap: int = 1000) -> int:
    raw = params.get("per_page")
    if raw is None:
        return min(default, cap)
    if not raw.isdigit() or int(raw) < 1:
        raise ApiError(400, 10001, f"per_page must be a positive integer, got {raw!r}")
    return min(int(raw), cap)


def _one_of(value: str, allowed: tuple[str, ...], name: str) -> str:
    if value not in allowed:
        raise ValueError(f"{name} must be one of {', '.join(allowed)}, not {value!r}")
    return value


def _choice(value: str | None, allowed: tuple[str, ...], name: str) -> str | None:
    if value is None:
        return None
    if value not in allowed:
        raise ApiError(400, 10001, f"{name} must be one of {', '.join(allowed)}")
    return value


class _Server(ThreadingHTTPServer):
    def handle_error(self, request: Any, client_address: Any) -> None:
        # clients hanging up (resets, timeouts, a stopped run) are routine here, not errors
        if not isinstance(sys.exc_info()[1], (ConnectionError, TimeoutError)):
            super().handle_error(request, client_address)


class _Handler(BaseHTTPRequestHandler):
    sim: Simulator
    protocol_version = "HTTP/1.1"
    # Headers and body leave in two writes; with Nagle's algorithm on, the second waits for the
    # client's delayed ACK (~40 ms a request on loopback).
    disable_nagle_algorithm = True

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002
        pass

    def _send(
        self,
        status: int,
        body: bytes,
        content_type: str = "application/json",
        headers: dict[str, str] | None = None,
        api: bool = True,
    ) -> None:
        if api and content_type == "application/json":
            body = self.sim.drift.body(body)
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        for name, value in (headers or {}).items():
            self.send_header(name, value)
        self.end_headers()
        self.wfile.write(body)

    def do_GET(self) -> None:  # noqa: N802
        url = urlparse(self.path)
        sim = self.sim
        if url.path.startswith("/__admin/"):
            return self._admin(url.path, parse_qs(url.query))
        path = url.path[len(sim.base_path) :] if url.path.startswith(sim.base_path) else None
        match = ROUTE.match(path or "")
        verify = VERIFY_ROUTE.match(path or "") if match is None and sim.verify_route else None
        if match is None and verify is None:
            return self._send(404, error_body(7000, f"No route for that URI: {url.path}"))
        if match is None:
            endpoint = "token_verify"
        else:
            endpoint = "messages" if match["messages"] else "job" if match["job"] else "jobs"
        wait = sim._count(endpoint)
        if wait is not None:
            return self._send(
                429,
                error_body(971, "Please wait and consider throttling your request speed"),
                headers={"Retry-After": str(max(int(wait + 0.999), 1))},
            )
        if sim.latency:
            time.sleep(sim.latency)
        fault = sim.faults.pick()
        if fault and self._fault(fault):
            return
        params = {k: v[-1] for k, v in parse_qs(url.query).items()}
        job = match["job"] if match is not None else None
        drifted = sim.drift.intercept(sim.world, endpoint, job, params)
        if drifted is not None:
            return self._send(drifted[0], drifted[1], drifted[2])
        try:
            if verify is not None:
                body = sim.verify_token(verify.groupdict(), self.headers)
            else:
                assert match is not None
                sim.authenticate(self.headers)
                body = sim.respond(match.groupdict(), parse_qs(url.query))
        except ApiError as e:
            return self._send(e.status, error_body(e.code, e.message))
        self._send(200, body)

    def do_POST(self) -> None:  # noqa: N802
        url = urlparse(self.path)
        self._admin(url.path, parse_qs(url.query))

    def _fault(self, fault: str) -> bool:
        """Plays one fault; returns True when the request got no normal answer."""
        sim = self.sim
        if fault == "slow":
            time.sleep(sim.faults.slow_seconds)
            return False
        if fault == "reset":
            self.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
            self.close_connection = True
            self.connection.close()
            return True
        if fault == "429":
            self._send(
                429,
                error_body(971, "Please wait and consider throttling your request speed"),
                headers={"Retry-After": str(sim.faults.retry_after)},
            )
        elif fault == "truncated":
            whole = envelope(
                b'[{"message_id":"00000000-0000-4000-8000-000000000000"}]',
                {"count": 1, "per_page": 1, "next": None},
            )
            self._send(200, whole[: len(whole) // 2])
        elif fault == "html":
            self._send(502, b"<html><body><h1>502 Bad Gateway</h1></body></html>", "text/html")
        else:
            self._send(int(fault), error_body(10002, "Internal server error"))
        return True

    def _admin(self, path: str, query: dict[str, list[str]]) -> None:
        sim = self.sim
        arg = {k: int(v[-1]) for k, v in query.items() if v[-1].isdigit()}
        if path == "/__admin/advance":
            result: Any = sim.advance(
                arg.get("steps", 1), arg.get("create", 1), arg.get("delete", 1)
            )
        elif path == "/__admin/expire-cursors":
            sim.expire_cursors()
            result = {"expired": True}
        elif path == "/__admin/reset-counts":
            sim.reset_counts()
            result = {"reset": True}
        elif path == "/__admin/requests":
            result = dict(sim.counts)
        else:
            return self._send(404, error_body(7000, f"No admin route {path}"), api=False)
        self._send(200, json.dumps(result).encode(), api=False)
