"""Payloads a hostile API sends, planted into the simulator's rendered pages byte for byte
(the simulator renders each message once and keeps the bytes, see `SimJob.message_bytes`)."""

import json
from collections.abc import Callable
from typing import Any

from cf_bulk_sync.simulator import World
from cf_bulk_sync.simulator.world import SimJob


def nested(levels: int) -> dict[str, Any]:
    value: dict[str, Any] = {}
    for _ in range(levels):
        value = {"a": value}
    return value


def _field(name: str, value: Any) -> Callable[[dict[str, Any]], bytes]:
    return lambda m: json.dumps({**m, name: value}).encode()


def _bad_utf8(m: dict[str, Any]) -> bytes:
    marked = json.dumps({**m, "status_message": "@@BAD@@"}).encode()
    return marked.replace(b"@@BAD@@", b"bounced \xff\xfe here")


# name -> (how the planted message is rendered, the field the rejection names)
MESSAGE_PAYLOADS: dict[str, tuple[Callable[[dict[str, Any]], bytes], str]] = {
    "retry_count 10^30": (_field("retry_count", 10**30), "retry_count"),
    "retry_count 2^63": (_field("retry_count", 2**63), "retry_count"),
    "invalid UTF-8": (_bad_utf8, "status_message"),
    "nested 300 levels": (_field("message", nested(300)), "message"),
    "message_id missing": (lambda m: json.dumps({**m, "message_id": None}).encode(), "message_id"),
    "message_id an object": (_field("message_id", {"x": 1}), "message_id"),
    "not an object": (lambda m: b'"just a string"', "(item)"),
}


def plant(world: World, render: Callable[[dict[str, Any]], bytes], index: int = 1) -> SimJob:
    """Replaces the `index`-th message of the first job with at least three by `render(it)`;
    returns that job. The world's truth still holds the message as it was."""
    job = next(j for j in world.jobs.values() if len(j.messages) >= 3)
    with world.lock:
        fragments = list(job.message_bytes())
        fragments[index] = render(job.messages[index])
        job.rendered = fragments
        world.version += 1
    return job


def heal(world: World, job: SimJob) -> None:
    """Serves the job's messages as they are again."""
    with world.lock:
        job.rendered = None
        world.version += 1
