"""failure_reason_texts: derived once per distinct text before the models, again on a rule
change, and what stg_bulk_job_messages joins."""

import pytest

from cf_bulk_sync.models import reason_texts
from cf_bulk_sync.models.reason_texts import text_hash

from .conftest import REPORTING, Warehouse, job, message

RAW = "cloudflare_email_security"


def texts_table(warehouse: Warehouse) -> list[tuple]:
    return warehouse.query(
        f"select text_hash, status_message, failure_reason, rule_version"
        f" from {RAW}.failure_reason_texts order by status_message"
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
    version = reason_texts.RULE_VERSION
    assert texts_table(warehouse) == [
        (
            text_hash("Cancelled by a@example.com"),
            "Cancelled by a@example.com",
            "Cancelled by <address>",
            version,
        ),
        (text_hash("Moved 1 message"), "Moved 1 message", "Moved <n> message", version),
    ]
    assert warehouse.query(
        f"select message_id, failure_reason from {REPORTING}.stg_bulk_job_messages order by 1"
    ) == [("m1", "Cancelled by <address>"), ("m2", "Cancelled by <address>"), ("m3", None)]
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
    assert [r[1:] for r in texts_table(warehouse)] == [
        ("Graph API error 500", "Graph API error <n>", reason_texts.RULE_VERSION),
        ("Mailbox x@y.com not found", "Mailbox not found", reason_texts.RULE_VERSION),
    ]
    monkeypatch.setattr(reason_texts, "RULE_VERSION", 99)
    monkeypatch.setattr(reason_texts, "failure_reason", lambda text: text.upper())
    warehouse.build()
    assert [r[1:] for r in texts_table(warehouse)] == [
        ("Graph API error 500", "GRAPH API ERROR 500", 99),
        ("Mailbox x@y.com not found", "MAILBOX X@Y.COM NOT FOUND", 99),
    ]
    assert warehouse.query(
        f"select failure_reason from {REPORTING}.stg_bulk_job_messages order by message_id"
    ) == [("GRAPH API ERROR 500",), ("MAILBOX X@Y.COM NOT FOUND",)]
