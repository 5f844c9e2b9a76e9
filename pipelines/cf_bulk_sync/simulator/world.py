"""The simulated account: bulk action jobs and their messages, made from a seed, moving in time.

Job counters are never stored: they are derived from the messages on every read, so they always
satisfy `total_messages_discovered = pending + successful + failed + skipped + cancelled`.
"""

import json
import random
import threading
from collections import Counter
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from . import texts

JOB_STATUSES = ("PENDING", "DISCOVERING", "PROCESSING", "COMPLETED", "FAILED", "CANCELLED")
TERMINAL = frozenset({"COMPLETED", "FAILED", "CANCELLED"})
IN_FLIGHT = frozenset({"PENDING", "DISCOVERING", "PROCESSING"})
MAX_RETRIES = 3
STEP = timedelta(minutes=10)

# Share of messages per status, by the status of the job they belong to.
SETTLED_MIX = {
    "COMPLETED": (("COMPLETED", 85), ("FAILED", 8), ("SKIPPED", 7)),
    "FAILED": (("FAILED", 70), ("COMPLETED", 25), ("SKIPPED", 5)),
    "CANCELLED": (("CANCELLED", 55), ("COMPLETED", 40), ("FAILED", 5)),
    "PROCESSING": (
        ("COMPLETED", 45),
        ("PROCESSING", 15),
        ("PENDING", 15),
        ("FAILED", 20),
        ("SKIPPED", 5),
    ),
}


def iso(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}Z"


@dataclass
class SimJob:
    seq: int
    fields: dict[str, Any]
    planned: int
    messages: list[dict[str, Any]] = field(default_factory=list)
    rendered: list[bytes] | None = None

    @property
    def status(self) -> str:
        return self.fields["status"]

    def counters(self) -> dict[str, int]:
        by_status = Counter(m["status"] for m in self.messages)
        return {
            "total_messages_discovered": len(self.messages),
            "messages_pending": by_status["PENDING"]
            + by_status["DISCOVERING"]
            + by_status["PROCESSING"],
            "messages_successful": by_status["COMPLETED"],
            "messages_failed": by_status["FAILED"],
            "messages_skipped": by_status["SKIPPED"],
            "messages_cancelled": by_status["CANCELLED"],
        }

    def as_dict(self) -> dict[str, Any]:
        return {**self.fields, **self.counters()}

    def message_bytes(self) -> list[bytes]:
        """Each message pre-rendered as JSON, kept until the job changes."""
        if self.rendered is None:
            self.rendered = [json.dumps(m, separators=(",", ":")).encode() for m in self.messages]
        return self.rendered


class World:
    """A deterministic account: the same seed and sizes give the same jobs and messages."""

    def __init__(
        self,
        seed: int = 7,
        jobs: int = 24,
        messages: tuple[int, int] = (0, 300),
        account_id: str | None = None,
        start: datetime = datetime(2026, 11, 1, 6, 0, tzinfo=UTC),
        status: str | None = None,
    ) -> None:
        self.rng = random.Random(seed)
        self.account_id = account_id or f"{self.rng.getrandbits(128):032x}"
        self.messages_range = messages
        self.clock = start
        self.version = 0
        self.lock = threading.RLock()
        self.jobs: dict[str, SimJob] = {}
        self._seq = 0
        self._steps = 0
        for i in range(jobs):
            # The first six jobs take each job status once, so every status is always present,
            # unless one status is asked for (benchmarks: every job settled, sizes exact).
            job_status = status or (
                JOB_STATUSES[i]
                if i < len(JOB_STATUSES)
                else self.rng.choices(JOB_STATUSES, weights=(1, 1, 2, 10, 2, 2))[0]
            )
            self._create_job(job_status, self.rng.randint(*messages))
            self.clock += timedelta(minutes=self.rng.randint(20, 90))

    # --- reading -------------------------------------------------------------------------
    @property
    def step(self) -> int:
        """The steps of time taken so far (see `advance`)."""
        return self._steps

    def job_list(self) -> list[SimJob]:
        return list(self.jobs.values())

    def truth_jobs(self) -> dict[str, dict[str, Any]]:
        with self.lock:
            return {job_id: job.as_dict() for job_id, job in self.jobs.items()}

    def truth_messages(self) -> dict[tuple[str, str], str]:
        """(job_id, message_id) -> status of every message of every job."""
        with self.lock:
            return {
                (job_id, m["message_id"]): m["status"]
                for job_id, job in self.jobs.items()
                for m in job.messages
            }

    # --- making --------------------------------------------------------------------------
    def add_job(self, status: str, messages: int) -> str:
        """A job of `status` with `messages` planned (all made unless it is PENDING), as a
        benchmark shapes an account: so many jobs in flight, so many settled."""
        with self.lock:
            job = self._create_job(status, messages)
            self.version += 1
            return str(job.fields["job_id"])

    def progress_job(self, job_id: str) -> None:
        """One step of time for one job alone (the rest of the account stays as it is)."""
        with self.lock:
            self._progress(self.jobs[job_id])
            self.version += 1

    def _create_job(self, status: str, planned: int) -> SimJob:
        rng = self.rng
        action = rng.choice(("MOVE", "MOVE", "RELEASE"))
        params = {"type": action}
        if action == "MOVE":
            params["destination"] = rng.choice(texts.DESTINATIONS)
        created = self.clock
        fields = {
            "job_id": texts.rng_uuid(rng),
            "action_type": action,
            "action_params": params,
            "comment": rng.choice(texts.COMMENTS),
            "created_at": iso(created),
            "started_at": None,
            "completed_at": None,
            "status": "PENDING",
            "status_message": None,
            "search_params": {
                "query": rng.choice(("subject:invoice", "from:billing", "has:attachment", "")),
                "start": iso(created - timedelta(days=rng.randint(1, 14))),
                "end": iso(created),
                "sender": texts.address(rng) if rng.random() < 0.5 else None,
            },
        }
        self._seq += 1
        job = SimJob(self._seq, fields, planned)
        self.jobs[str(fields["job_id"])] = job
        if status != "PENDING":
            fields["started_at"] = iso(created + timedelta(minutes=1))
            # The status comes first: it decides whether failed messages are still retried.
            fields["status"] = status
            discovered = planned if status != "DISCOVERING" else planned // 2
            mix = SETTLED_MIX.get(status)
            for _ in range(discovered):
                self._add_message(job, self._pick(mix) if mix else "DISCOVERING")
            if status in TERMINAL:
                fields["completed_at"] = iso(created + timedelta(minutes=rng.randint(5, 60)))
            if status == "FAILED":
                fields["status_message"] = "Job failed: too many message errors"
            elif status == "CANCELLED":
                fields["status_message"] = f"Cancelled by {texts.address(rng)}"
        self.version += 1
        return job

    def _pick(self, mix: tuple[tuple[str, int], ...]) -> str:
        return self.rng.choices([s for s, _ in mix], weights=[w for _, w in mix])[0]

    def _add_message(self, job: SimJob, status: str) -> None:
        rng = self.rng
        params: dict[str, Any] = {
            "client_recipient": texts.address(rng),
            "type": job.fields["action_type"],
        }
        if params["type"] == "MOVE":
            params["destination"] = job.fields["action_params"]["destination"]
            if rng.random() < 0.3:
                params["expected_disposition"] = rng.choice(texts.DISPOSITIONS)
        created = datetime.fromisoformat(job.fields["created_at"].replace("Z", "+00:00"))
        message = {
            "action_params": params,
            "action_type": params["type"],
            "created_at": iso(created + timedelta(seconds=len(job.messages) + 1)),
            "message_id": texts.rng_uuid(rng),
            "postfix_id": f"{rng.getrandbits(40):010X}",
            "retry_count": 0,
            "status": "PENDING",
            "alert_id": f"{rng.getrandbits(32):08x}-alert" if rng.random() < 0.7 else None,
            "email_message_id": f"<{rng.getrandbits(64):016x}@{rng.choice(texts.DOMAINS)}>"
            if rng.random() < 0.9
            else None,
            "processed_at": None,
            "retry_after": None,
            "status_message": None,
        }
        job.messages.append(message)
        self._set_status(job, message, status, created + timedelta(minutes=rng.randint(2, 50)))

    def _set_status(
        self, job: SimJob, message: dict[str, Any], status: str, when: datetime
    ) -> None:
        rng = self.rng
        message["status"] = status
        if status in ("COMPLETED", "FAILED", "SKIPPED", "CANCELLED"):
            message["processed_at"] = iso(when)
        message["status_message"] = (
            texts.reason(status, rng) if status in ("FAILED", "SKIPPED", "CANCELLED") else None
        )
        if status == "FAILED":
            in_flight = job.fields["status"] in IN_FLIGHT
            if in_flight and message["retry_count"] < MAX_RETRIES:
                message["retry_after"] = iso(when + timedelta(minutes=rng.choice((5, 10, 15))))
            else:
                message["retry_count"] = max(message["retry_count"], rng.randint(1, MAX_RETRIES))
                message["retry_after"] = None
        else:
            message["retry_after"] = None
        job.rendered = None

    # --- time ----------------------------------------------------------------------------
    def advance(self, steps: int = 1, create: int = 1, delete: int = 1) -> dict[str, list[str]]:
        """Moves time by `steps` ten-minute steps: in-flight jobs progress (discovery, processing,
        retries, settling), `create` new jobs appear and `delete` settled jobs are deleted per
        step. Returns the ids touched."""
        changes: dict[str, list[str]] = {"advanced": [], "created": [], "deleted": []}
        with self.lock:
            for _ in range(steps):
                self.clock += STEP
                self._steps += 1
                for job in list(self.jobs.values()):
                    if job.status in IN_FLIGHT:
                        self._progress(job)
                        changes["advanced"].append(job.fields["job_id"])
                for _ in range(create):
                    job = self._create_job("PENDING", self.rng.randint(*self.messages_range))
                    changes["created"].append(job.fields["job_id"])
                settled = [j for j in self.jobs.values() if j.status in TERMINAL]
                for job in self.rng.sample(settled, min(delete, len(settled))):
                    del self.jobs[job.fields["job_id"]]
                    changes["deleted"].append(job.fields["job_id"])
            self.version += 1
        return changes

    def _progress(self, job: SimJob) -> None:
        rng, now, fields = self.rng, self.clock, job.fields
        job.rendered = None
        if fields["status"] == "PENDING":
            fields["status"], fields["started_at"] = "DISCOVERING", iso(now)
        if fields["status"] == "DISCOVERING":
            for message in job.messages:
                message["status"] = "PENDING"
            for _ in range(min(job.planned - len(job.messages), max(job.planned // 2, 1))):
                self._add_message(job, "DISCOVERING")
            if len(job.messages) >= job.planned:
                fields["status"] = "PROCESSING"
            return
        for message in job.messages:
            status = message["status"]
            if status == "PROCESSING":
                self._set_status(
                    job,
                    message,
                    self._pick((("COMPLETED", 80), ("FAILED", 15), ("SKIPPED", 5))),
                    now,
                )
            elif status in ("PENDING", "DISCOVERING") and rng.random() < 0.6:
                self._set_status(job, message, "PROCESSING", now)
            elif (
                status == "FAILED" and message["retry_after"] and message["retry_after"] <= iso(now)
            ):
                message["retry_count"] += 1
                self._set_status(job, message, "COMPLETED" if rng.random() < 0.7 else "FAILED", now)
        if not any(m["status"] in IN_FLIGHT or m["retry_after"] for m in job.messages):
            failed = sum(m["status"] == "FAILED" for m in job.messages)
            fields["status"] = "FAILED" if failed * 2 > max(len(job.messages), 1) else "COMPLETED"
            fields["completed_at"] = iso(now)
            if fields["status"] == "FAILED":
                fields["status_message"] = "Job failed: too many message errors"
