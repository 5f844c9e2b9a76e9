"""How the simulated API drifts the way real APIs do over a long life: fields added, types that
change, odd pages and envelopes, ids in a new format. Each kind is an option of its own
(`Simulator(drift={...})`, `cf-bulk-sync simulate --drift KIND`), can be switched on and off
while the simulator runs (`Simulator.drift.kinds`), and changes only what is served: the
world's truth stays as it is (`served_id`, `poisoned` say what a sync should then hold).

- added-scalar, added-list, added-object: jobs and messages carry a key nobody declared
  (`spam_score`: a number; `labels`: a list; `delivery`: an object holding a list);
- type-change: a key whose type changes with each step of time (`verdict`: a number, then a
  text, then an object, and again);
- poison-item: one message of a settled job carries a retry_count past 64 bits (it cannot be
  loaded as declared: the sync sets it aside);
- false-temporary: every seventh request answers `success: false` with HTTP 200 and an
  internal error (retried like a 5xx);
- false-one-job: one settled job's messages answer `success: false` with HTTP 200 and an
  error that is not temporary, every time;
- errors-on-success: the job list answers `success: true` with an entry in `errors`;
- empty-pages: two empty pages, each with a next cursor, between any two pages of messages;
- transient-404: page 2 of the first in-progress job with more than one page answers 404
  once (its detail still answers);
- id-format: job ids are `bja_` and 24 hex characters instead of UUIDs;
- bom: every JSON body starts with a UTF-8 byte-order mark;
- lowercase-status: job and message statuses in lower case;
- edge-403: every request gets an HTML 403 from the edge, before the API.
"""

import hashlib
import json
import threading
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from .world import SimJob, World

DRIFT_KINDS = (
    "added-scalar",
    "added-list",
    "added-object",
    "type-change",
    "poison-item",
    "false-temporary",
    "false-one-job",
    "errors-on-success",
    "empty-pages",
    "transient-404",
    "id-format",
    "bom",
    "lowercase-status",
    "edge-403",
)
# the kinds that change the items served
_ITEM_KINDS = frozenset(
    {"added-scalar", "added-list", "added-object", "type-change", "lowercase-status", "id-format"}
)
EMPTY_PAGES = 2
BOM = b"\xef\xbb\xbf"
EDGE_PAGE = (
    b"<!DOCTYPE html><html><head><title>Attention Required! | Cloudflare</title></head>"
    b"<body><h1>Sorry, you have been blocked</h1><p>Error 1020: Access denied</p></body></html>"
)
# (status, body, content type) of an answer that replaces the API's own
Answer = tuple[int, bytes, str]


@dataclass
class Drift:
    """The drift kinds switched on (a set a test may change at any time) and what they did."""

    kinds: set[str] = field(default_factory=set)
    requests: int = 0
    not_found_served: bool = False
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def __post_init__(self) -> None:
        self.kinds = set(self.kinds)
        unknown = self.kinds - set(DRIFT_KINDS)
        if unknown:
            raise ValueError(f"drift: unknown kinds {sorted(unknown)}; known: {DRIFT_KINDS}")

    def on(self, kind: str) -> bool:
        return kind in self.kinds

    def key(self) -> tuple[str, ...]:
        """What a cached page depends on."""
        return tuple(sorted(self.kinds))

    @property
    def changes_items(self) -> bool:
        return bool(self.kinds & _ITEM_KINDS)

    # --- ids -----------------------------------------------------------------------------
    def served_id(self, job_id: str) -> str:
        """The id a job is served under."""
        if not self.on("id-format"):
            return job_id
        return "bja_" + hashlib.sha256(job_id.encode()).hexdigest()[:24]

    def internal_id(self, world: "World", served: str) -> str | None:
        """The world's id of a job asked for by its served id; None when none is served so."""
        if not self.on("id-format"):
            return served if served in world.jobs else None
        return next((j for j in world.jobs if self.served_id(j) == served), None)

    # --- items ---------------------------------------------------------------------------
    def job(self, fields: dict[str, Any], step: int) -> dict[str, Any]:
        """A job as served at time step `step` (the world's clock in steps)."""
        served = self._added(dict(fields), str(fields["job_id"]), step)
        if isinstance(fields["job_id"], str):  # a test's broken id (null, a number) as it is
            served["job_id"] = self.served_id(fields["job_id"])
        return served

    def message(self, message: dict[str, Any], step: int) -> dict[str, Any]:
        return self._added(dict(message), str(message["message_id"]), step)

    def _added(self, item: dict[str, Any], key: str, step: int) -> dict[str, Any]:
        n = int(hashlib.sha256(key.encode()).hexdigest()[:6], 16)
        if self.on("added-scalar"):
            item["spam_score"] = n % 100
        if self.on("added-list"):
            item["labels"] = ["phish", "reported"][: 1 + n % 2]
        if self.on("added-object"):
            item["delivery"] = {"region": "eu", "hops": [{"host": "mx1", "ms": n % 50}]}
        if self.on("type-change"):
            item["verdict"] = (n % 10, ["low", "high"][n % 2], {"score": n % 10})[step % 3]
        if self.on("lowercase-status") and isinstance(item.get("status"), str):
            item["status"] = item["status"].lower()
        return item

    def poisoned(self, world: "World") -> tuple["SimJob", dict[str, Any]] | None:
        """The settled job and message served with a retry_count past 64 bits, if any."""
        if not self.on("poison-item"):
            return None
        job = next(
            (j for j in world.job_list() if j.status == "COMPLETED" and len(j.messages) >= 2),
            None,
        )
        return (job, job.messages[1]) if job is not None else None

    # --- answers that replace the API's --------------------------------------------------
    def intercept(
        self, world: "World", endpoint: str, job_id: str | None, params: dict[str, str]
    ) -> Answer | None:
        """An answer in place of the API's for this request, or None."""
        with self._lock:
            self.requests += 1
            count = self.requests
        if self.on("edge-403"):
            return 403, EDGE_PAGE, "text/html"
        if self.on("false-temporary") and count % 7 == 0:
            return 200, _failure(10002, "Internal server error, please try again"), _JSON
        if endpoint == "messages" and job_id is not None:
            internal = self.internal_id(world, job_id)
            job = world.jobs.get(internal) if internal else None
            if job is not None and self.on("false-one-job") and job is _first_settled(world):
                return 200, _failure(1003, "Bulk action job is in an invalid state"), _JSON
            if (
                job is not None
                and self.on("transient-404")
                and not self.not_found_served
                and params.get("cursor")
                and job is _first_busy(world)
            ):
                self.not_found_served = True
                return 404, _failure(1002, f"Bulk action job {job_id} not found"), _JSON
        return None

    def body(self, content: bytes) -> bytes:
        return BOM + content if self.on("bom") else content


_JSON = "application/json"


def _failure(code: int, message: str) -> bytes:
    errors = [{"code": code, "message": message}]
    return json.dumps({"success": False, "errors": errors, "messages": [], "result": None}).encode()


def _first_settled(world: "World") -> "SimJob | None":
    return next((j for j in world.job_list() if j.status == "COMPLETED" and j.messages), None)


def _first_busy(world: "World") -> "SimJob | None":
    return next(
        (
            j
            for j in world.job_list()
            if j.status in ("DISCOVERING", "PROCESSING") and len(j.messages) > 20
        ),
        None,
    )
