"""The failure-reason rule as the models apply it (stg_bulk_job_messages joins the reasons
derived in Python), on many phrasings of real-looking texts."""

from .conftest import REPORTING, Warehouse, job, message

# Each group: texts that differ only in variable tokens, and the one reason they must become.
# The 33 texts and their 13 groups are those of the SQL rule of rule version 1: only the names
# changed (tokens are dropped, not placeholders; the corpus in tests/data has many more).
GROUPS: dict[str, list[str]] = {
    "Mailbox not found": [
        "Mailbox alice@example.com not found",
        "Mailbox bob.smith+tag@corp.example.org not found",
        "Mailbox not found: carol@example.net",
        "Mailbox not found (dave_w@mail.example.co.uk)",
        "Mailbox  O'Brien@example.com  not found.",
    ],
    "Message not found in mailbox": [
        "Message <CAF1a2b3c4@mail.example.com> not found in mailbox",
        "Message <20261101.1234@example.org> not found in mailbox",
    ],
    "Graph API error": [
        "Graph API error 503: Service Unavailable"
        " (request-id: 4f6c2b1e-8d3a-4c5b-9e7f-0a1b2c3d4e5f)",
        "Graph API error 500: Internal Server Error",
        "Graph API error 429",
    ],
    "Throttled by microsoft graph": [
        "Throttled by Microsoft Graph, retry in 30s",
        "Throttled by Microsoft Graph, retry in 120 seconds",
        "Throttled by Microsoft Graph. Retry after 5s.",
    ],
    "Access denied": [
        "Access denied: insufficient permissions for mailbox a@b.com (code 0x8004010F)",
        "Access denied (code 0x80070005)",
    ],
    "Timeout while moving message": [
        "Timeout after 30 seconds while moving message 4f6c2b1e-8d3a-4c5b-9e7f-0a1b2c3d4e5f",
        "Timeout after 60 seconds while moving message 9a8b7c6d-1e2f-4a3b-8c9d-0e1f2a3b4c5d",
    ],
    "Upstream returned HTTP": [
        "Upstream returned HTTP 502 [req_id=abc123]",
        "Upstream returned HTTP 504 request_id=ffe0d1",
        "Upstream returned HTTP 500 trace-id: 7d1e",
    ],
    "Mailbox is full": [
        "erin@example.com: Mailbox is full",
        "frank@example.org: Mailbox is full",
    ],
    "Recipient is outside the protected domains": [
        "Recipient erin@sub.example.co.uk is outside the protected domains",
        "Recipient x@y.io is outside the protected domains",
    ],
    "Message already moved by another action": [
        "Message already moved by another action (job 4f6c2b1e-8d3a-4c5b-9e7f-0a1b2c3d4e5f)",
    ],
    "Destination folder JunkEmail not accessible": [
        "Destination folder JunkEmail not accessible: a@example.com",
    ],
    "Destination folder inbox not accessible": [
        "Destination folder Inbox not accessible: b@example.com",
    ],
    "unknown": [None, "", "   ", "12345", "<abc@def>"],
}


def test_texts_differing_only_in_details_share_one_reason(warehouse: Warehouse) -> None:
    rows, expected = [], {}
    for reason, texts in GROUPS.items():
        for text in texts:
            message_id = f"m{len(rows)}"
            rows.append(message("j1", message_id, "FAILED", text))
            expected[message_id] = reason
    warehouse.seed("bulk_jobs", [job("j1", "FAILED", messages_failed=len(rows))])
    warehouse.seed("bulk_job_messages", rows)
    warehouse.build()
    got = dict(
        warehouse.query(f"select message_id, failure_reason from {REPORTING}.stg_bulk_job_messages")
    )
    assert got == expected
    # different reasons never share a group
    assert len({got[m] for m in got}) == len(GROUPS)


def test_only_failed_skipped_and_cancelled_messages_get_a_reason(warehouse: Warehouse) -> None:
    warehouse.seed("bulk_jobs", [job("j1")])
    warehouse.seed(
        "bulk_job_messages",
        [
            message("j1", "m1", "COMPLETED", "Moved 1 message"),
            message("j1", "m2", "SKIPPED", "Message already in destination folder"),
            message("j1", "m3", "CANCELLED", "Cancelled by admin@example.com"),
            message("j1", "m4", "PENDING", None),
        ],
    )
    warehouse.build()
    assert warehouse.query(
        f"select message_id, failure_reason, reason_family, status_message from {REPORTING}"
        ".stg_bulk_job_messages order by 1"
    ) == [
        ("m1", None, None, "Moved 1 message"),
        (
            "m2",
            "Message already in destination folder",
            "already done or duplicate",
            "Message already in destination folder",
        ),
        ("m3", "Cancelled", "excluded by policy", "Cancelled by admin@example.com"),
        ("m4", None, None, None),
    ]
