"""The failure-reason rule itself: each kind of variable token is dropped wherever it stands,
tails are cut, a batch is derived as each text alone would be."""

import pytest

from cf_bulk_sync.reasons.rule import MAX_TEXT, UNKNOWN
from cf_bulk_sync.reasons.texts import derive_reasons, failure_reason
from cf_bulk_sync.source.privacy import Pseudonymizer

from ..sql.test_failure_reasons import GROUPS


@pytest.mark.parametrize(
    "reason,text",
    [pytest.param(r, t, id=f"{r}|{t}") for r, texts in GROUPS.items() for t in texts],
)
def test_each_phrasing_gets_its_groups_reason(reason: str, text: str | None) -> None:
    assert failure_reason(text) == reason


def test_different_groups_never_share_a_reason() -> None:
    texts = [t for ts in GROUPS.values() for t in ts]
    assert len(GROUPS) == 13
    assert len({failure_reason(t) for t in texts}) == len(GROUPS)


@pytest.mark.parametrize(
    "text,reason",
    [
        pytest.param("Cancelled by admin@example.com", "Cancelled", id="address-at-end"),
        pytest.param("Mailbox bob@example.org not found", "Mailbox not found", id="address"),
        pytest.param(
            "Message <CAF1a2b3c4@mail.example.com> not found in mailbox",
            "Message not found in mailbox",
            id="message-id",
        ),
        pytest.param(
            "Job 4f6c2b1e-8d3a-4c5b-9e7f-0a1b2c3d4e5f cancelled", "Job cancelled", id="uuid"
        ),
        pytest.param("Quota exceeded for job a1b2c3", "Quota exceeded for job", id="id"),
        pytest.param("Duplicate of item 0x8004010F", "Duplicate of item", id="hex"),
        pytest.param("Moved 1 message", "Moved message", id="number"),
        pytest.param("Upstream returned HTTP 502", "Upstream returned HTTP", id="http-code"),
        pytest.param("Folder 'Archive 2024' not found", "Folder not found", id="quoted"),
        pytest.param('Folder "Quarantine" not found', "Folder not found", id="double-quoted"),
        pytest.param(
            "Connection to outlook.office365.com timed out", "Connection to timed out", id="host"
        ),
        pytest.param("See https://aka.ms/x?id=1 for help", "See for help", id="url"),
        pytest.param(
            "Timeout after 30 seconds while moving message",
            "Timeout while moving message",
            id="duration",
        ),
        pytest.param("Too many requests. Retry after 30 seconds.", "Too many requests", id="retry"),
        pytest.param("Graph API error 503: Service Unavailable", "Graph API error", id="colon"),
        pytest.param("HTTP 404: Not Found", "Not found", id="generic-before-colon"),
        pytest.param(
            "rateLimitExceeded: Rate Limit Exceeded", "Rate limit exceeded", id="gmail-reason-code"
        ),
        pytest.param("Access denied (code 0x80070005)", "Access denied", id="parenthesis"),
        pytest.param("Backend error [req_id=abc123]", "Backend error", id="bracket"),
        pytest.param("Upstream error request_id=ffe0d1", "Upstream error", id="labelled-id"),
        pytest.param("MAILBOX X@Y.COM NOT FOUND", "Mailbox not found", id="shouted"),
        pytest.param(
            "ErrorItemNotFound: The specified object was not found in the store.",
            "ErrorItemNotFound",
            id="graph-code",
        ),
        pytest.param(
            "The user doesn't have access", "The user doesn't have access", id="apostrophe"
        ),
    ],
)
def test_tokens_are_dropped_wherever_they_stand(text: str, reason: str) -> None:
    assert failure_reason(text) == reason


def test_a_pseudonymised_address_is_an_address() -> None:
    p = Pseudonymizer("key")
    for text in ("Cancelled by x@example.com", "Mailbox x@example.com not found"):
        item = {"status_message": text}
        p.apply(item)
        assert "@" not in item["status_message"]
        assert failure_reason(item["status_message"]) == failure_reason(text)


@pytest.mark.parametrize("text", [None, "", "  ", "503", "<abc@def>", "x@y.com", "(detail)"])
def test_nothing_but_tokens_is_unknown(text: str | None) -> None:
    assert failure_reason(text) == UNKNOWN


def test_a_batch_is_derived_as_each_text_alone() -> None:
    texts: list[str | None] = [t for ts in GROUPS.values() for t in ts]
    # any whitespace reads as one space; a step never runs from one text into the next
    texts += ["Mailbox x@y.com\nnot found", "Throttled, retry\nin 30s", "Access denied: \n"]
    assert derive_reasons(texts) == [failure_reason(t) for t in texts]
    assert derive_reasons(texts)[-3:] == ["Mailbox not found", "Throttled", "Access denied"]


def test_a_text_of_megabytes_is_read_from_its_start_only() -> None:
    # no address, digit or colon to stop the steps that scan from every position: on the whole
    # text this takes hours; the reason is what its first characters say
    text = "Message could not be moved " + "x" * 2_000_000
    assert failure_reason(text) == failure_reason(text[:MAX_TEXT])
    assert failure_reason(text).startswith("Message could not be moved x")
