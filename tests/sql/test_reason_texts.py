"""failure_reason_texts: derived once per distinct text before the models, again on a rule
change or a changed family mapping, and what stg_bulk_job_messages joins; a group keeps its
name when new phrasings of its cause arrive."""

import pytest

from cf_bulk_sync.models import reason_texts
from cf_bulk_sync.reasons import texts as derived
from cf_bulk_sync.reasons.families import current_rules
from cf_bulk_sync.reasons.texts import text_hash

from .conftest import REPORTING, Warehouse, job, message

RAW = "cloudflare_email_security"


def texts_table(warehouse: Warehouse) -> list[tuple]:
    return warehouse.query(
        f"select text_hash, status_message, failure_reason, reason_family, rule_version,"
        f" families_hash from {RAW}.failure_reason_texts order by status_message"
    )


def test_each_distinct_text_is_derived_once_and_joined(warehouse: Warehouse) -> None:
    warehouse.seed("bulk_jobs", [job("j1", "FAILED")])
    warehouse.seed(
        "bulk_job_messages",
        [
            message("j1", "m1", "CANCELLED", "Cancelled by a@example.com"),
            message("j1", "m2", "CANCELLED", "Cancelled by a@example.com"),
            message("j1", "m3", "COMPLETED", "Moved 1 message"),
        ],
    )
    warehouse.build()
    version, digest = reason_texts.RULE_VERSION, current_rules().digest
    assert texts_table(warehouse) == [
        (
            text_hash("Cancelled by a@example.com"),
            "Cancelled by a@example.com",
            "Cancelled",
            "excluded by policy",
            version,
            digest,
        ),
        (
            text_hash("Moved 1 message"),
            "Moved 1 message",
            "Moved message",
            "other",
            version,
            digest,
        ),
    ]
    assert warehouse.query(
        f"select message_id, failure_reason from {REPORTING}.stg_bulk_job_messages order by 1"
    ) == [("m1", "Cancelled"), ("m2", "Cancelled"), ("m3", None)]
    # the next build finds nothing new: it loads nothing
    with warehouse.pipeline.sql_client() as client:
        present = {"bulk_job_messages", reason_texts.TABLE}
        assert reason_texts.underived_texts(client, present) == []


def test_new_texts_are_added_and_a_rule_change_derives_every_text_again(
    warehouse: Warehouse, monkeypatch: pytest.MonkeyPatch
) -> None:
    warehouse.seed("bulk_jobs", [job("j1", "FAILED")])
    warehouse.seed("bulk_job_messages", [message("j1", "m1", "FAILED", "Graph API error 500")])
    warehouse.build()
    warehouse.seed(
        "bulk_job_messages", [message("j1", "m2", "FAILED", "Mailbox x@y.com not found")]
    )
    warehouse.build()
    assert [r[1:5] for r in texts_table(warehouse)] == [
        ("Graph API error 500", "Graph API error", "provider error", reason_texts.RULE_VERSION),
        ("Mailbox x@y.com not found", "Mailbox not found", "not found", reason_texts.RULE_VERSION),
    ]
    for module in (reason_texts, derived):
        monkeypatch.setattr(module, "RULE_VERSION", 99)
    monkeypatch.setattr(derived, "derive_reasons", lambda texts: [t.upper() for t in texts])
    warehouse.build()
    assert [r[1:5] for r in texts_table(warehouse)] == [
        ("Graph API error 500", "GRAPH API ERROR 500", "provider error", 99),
        ("Mailbox x@y.com not found", "MAILBOX X@Y.COM NOT FOUND", "not found", 99),
    ]
    assert warehouse.query(
        f"select failure_reason from {REPORTING}.stg_bulk_job_messages order by message_id"
    ) == [("GRAPH API ERROR 500",), ("MAILBOX X@Y.COM NOT FOUND",)]


def test_a_changed_family_mapping_derives_every_text_and_rebuilds_the_marts(
    warehouse: Warehouse, monkeypatch: pytest.MonkeyPatch
) -> None:
    warehouse.seed("bulk_jobs", [job("j1", "FAILED", messages_failed=2)])
    warehouse.seed(
        "bulk_job_messages",
        [
            message("j1", "m1", "FAILED", "Mailbox a@example.com is full"),
            message("j1", "m2", "FAILED", "Graph API error 503"),
        ],
    )
    warehouse.build()

    def families() -> list[tuple]:
        return warehouse.mart("failure_reasons", "failure_reason, reason_family")

    assert families() == [
        ("Graph API error", "provider error"),
        ("Mailbox is full", "throttling/quota"),
    ]
    monkeypatch.setenv("CF_BULK_SYNC__REASON_FAMILIES", '{"mailbox is full": "mailbox hygiene"}')
    result = warehouse.build()
    assert result.full
    assert families() == [
        ("Graph API error", "provider error"),
        ("Mailbox is full", "mailbox hygiene"),
    ]
    assert {r[5] for r in texts_table(warehouse)} == {current_rules().digest}


def test_a_new_phrasing_of_a_known_cause_keeps_its_groups_name(warehouse: Warehouse) -> None:
    warehouse.seed("bulk_jobs", [job("j1", "FAILED"), job("j2", "FAILED")])
    warehouse.seed(
        "bulk_job_messages",
        [message("j1", "m1", "FAILED", "Message <a1@example.com> not found in mailbox x@y.com")],
    )
    warehouse.build()
    first = warehouse.mart("failure_reasons", "failure_reason, count_messages")
    # later, more often, phrased otherwise: the same cause, under the same name
    warehouse.seed(
        "bulk_job_messages",
        [
            message("j2", f"m{i}", "FAILED", text)
            for i, text in enumerate(
                [
                    "message not found in mailbox",
                    "Message not found in mailbox: b@example.org",
                    "Message <b2@example.com> not found in mailbox (request-id: 7d1e)",
                ]
            )
        ],
    )
    result = warehouse.build()
    assert not result.full
    assert first == [("Message not found in mailbox", 1)]
    assert warehouse.mart("failure_reasons", "failure_reason, count_messages") == [
        ("Message not found in mailbox", 4)
    ]
    assert warehouse.mart("job_failure_reasons", "job_id, failure_reason, count_messages") == [
        ("j1", "Message not found in mailbox", 1),
        ("j2", "Message not found in mailbox", 3),
    ]
