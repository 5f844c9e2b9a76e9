"""A requests-mock fake of the bulk endpoints: paged data and a log of every query received."""

import re
from typing import Any
from urllib.parse import parse_qs, urlparse

import requests_mock

BASE = "https://api.test/client/v4"
ACCOUNT = "0123456789abcdef0123456789abcdef"
PREFIX = f"{BASE}/accounts/{ACCOUNT}/email-security/investigate/bulk"


def ok(result: Any, next_cursor: str | None = None, count: int | None = None) -> dict:
    info = {
        "count": len(result) if count is None else count,
        "per_page": 1000,
        "total_count": 0,
        "page": 0,
        "next": next_cursor,
        "previous": None,
    }
    return {"success": True, "errors": [], "messages": [], "result": result, "result_info": info}


def failure(code: int, message: str) -> dict:
    return {
        "success": False,
        "errors": [{"code": code, "message": message}],
        "messages": [],
        "result": None,
    }


def job(job_id: str, status: str = "COMPLETED", total: int = 0, **extra: Any) -> dict:
    return {
        "job_id": job_id,
        "action_type": "MOVE",
        "status": status,
        "action_params": {"type": "MOVE", "destination": "JunkEmail"},
        "total_messages_discovered": total,
        "messages_pending": 0,
        "messages_successful": total,
        "messages_failed": 0,
        "messages_skipped": 0,
        "messages_cancelled": 0,
        **extra,
    }


def message(message_id: str, status: str = "COMPLETED", **extra: Any) -> dict:
    return {
        "message_id": message_id,
        "status": status,
        "action_type": "MOVE",
        "action_params": {
            "client_recipient": "a@example.com",
            "type": "MOVE",
            "destination": "JunkEmail",
        },
        "created_at": "2026-11-01T10:00:00Z",
        "postfix_id": "ABC",
        "retry_count": 0,
        **extra,
    }


class FakeAPI:
    """Serves `jobs` and `messages[job_id]` in pages of `per_page`, cursors `c<offset>`."""

    def __init__(
        self,
        mock: requests_mock.Mocker,
        jobs: list[dict],
        messages: dict[str, list[dict]],
        per_page: int = 2,
        account: str = ACCOUNT,
    ) -> None:
        self.jobs = jobs
        self.messages = messages
        self.per_page = per_page
        self.queries: list[dict[str, Any]] = []
        # jobs left out of the listing while their own endpoints still answer
        self.unlisted: set[str] = set()
        prefix = PREFIX.replace(ACCOUNT, account)
        mock.get(re.compile(re.escape(prefix) + r".*"), json=self._answer)

    def _answer(self, request: Any, context: Any) -> dict:
        url = urlparse(request.url)
        query = {k: v[-1] for k, v in parse_qs(url.query).items()}
        tail = url.path.split("/investigate/bulk", 1)[1]
        self.queries.append({"path": tail, **query})
        offset = int(query.get("cursor", "c0")[1:])
        if tail == "":
            items = [j for j in self.jobs if j["job_id"] not in self.unlisted]
        else:
            job_id = tail.split("/")[1]
            if job_id not in self.messages:
                context.status_code = 404
                return failure(1002, "job not found")
            if not tail.endswith("/messages"):
                # a deleted job is gone from every endpoint, its detail too
                found = [j for j in self.jobs if j["job_id"] == job_id]
                if not found:
                    context.status_code = 404
                    return failure(1002, "job not found")
                return ok(found[0])
            items = [
                m
                for m in self.messages[job_id]
                if "status" not in query or m["status"] == query["status"]
            ]
        page = items[offset : offset + self.per_page]
        more = offset + self.per_page < len(items)
        return ok(page, f"c{offset + self.per_page}" if more else None)

    def cursors(self, path: str = "") -> list[str | None]:
        return [q.get("cursor") for q in self.queries if q["path"] == path]

    def count(self, suffix: str = "/messages") -> int:
        return sum(1 for q in self.queries if q["path"].endswith(suffix) and q["path"])


def ids_of(page: list[Any]) -> list[Any]:
    """The message ids of a page as the client yields it: dict items, or one Arrow table."""
    from cf_bulk_sync.source.arrow_pages import is_arrow_page

    if is_arrow_page(page):
        return page[0].column("message_id").to_pylist()
    return [m.get("message_id") for m in page]


# Job ids are UUIDs, as the API documents (the catalog sets anything else aside); named here
# so that tests read as before. Their text sorts in the order of their names.
J1 = "10000000-0000-4000-8000-000000000001"
J_BUSY = "b0000000-0000-4000-8000-00000000b005"
J_DONE = "d0000000-0000-4000-8000-00000000d011"
A_1 = "a1000000-0000-4000-8000-0000000000a1"
B_1 = "b1000000-0000-4000-8000-0000000000b1"
