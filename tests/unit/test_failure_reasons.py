"""The failure-reason rule itself: the phrasings the SQL rule it replaced was tested on fall in
the same 13 groups, and the details it takes out leave placeholders, not holes."""

import pytest

from cf_bulk_sync.models.failure_reasons import MAX_TEXT, UNKNOWN, failure_reason
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
        pytest.param("Cancelled by admin@example.com", "Cancelled by <address>", id="address"),
        pytest.param(
            "Timeout after 30 seconds while moving message 4f6c2b1e-8d3a-4c5b-9e7f-0a1b2c3d4e5f",
            "Timeout after <n> seconds while moving message <id>",
            id="number-and-uuid",
        ),
        pytest.param(
            "Message <CAF1a2b3c4@mail.example.com> not found in mailbox",
            "Message <message-id> not found in mailbox",
            id="message-id",
        ),
        pytest.param("Quota exceeded for job a1b2c3", "Quota exceeded for job <id>", id="id"),
        pytest.param("Mailbox bob@example.org not found", "Mailbox not found", id="subject"),
        pytest.param("Moved 1 message", "Moved <n> message", id="count"),
    ],
)
def test_details_become_placeholders(text: str, reason: str) -> None:
    assert failure_reason(text) == reason


def test_a_pseudonymised_address_is_an_address() -> None:
    p = Pseudonymizer("key")
    for text in ("Cancelled by x@example.com", "Mailbox x@example.com not found"):
        item = {"status_message": text}
        p.apply(item)
        assert "@" not in item["status_message"]
        assert failure_reason(item["status_message"]) == failure_reason(text)


@pytest.mark.parametrize("text", [None, "", "  ", "503", "<abc@def>", "x@y.com", "(detail)"])
def test_nothing_but_details_is_unknown(text: str | None) -> None:
    assert failure_reason(text) == UNKNOWN


def test_a_text_of_megabytes_is_read_from_its_start_only() -> None:
    # no address, digit or colon to stop the steps that scan from every position: on the whole
    # text this takes hours; the reason is what its first characters say
    text = "Message could not be moved " + "x" * 2_000_000
    assert failure_reason(text) == failure_reason(text[:MAX_TEXT])
    assert failure_reason(text).startswith("Message could not be moved x")
