"""The reason-family checks: a family a user's mapping brings warns (the data is complete),
and a reason with two families blocks."""

import pytest

from cf_bulk_sync.models.runner import build_models
from cf_bulk_sync.reasons.names import TABLE

from .conftest import Warehouse, job, message

RAW = "cloudflare_email_security"


def test_a_family_of_ones_own_is_kept_and_warned_about(
    warehouse: Warehouse, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("CF_BULK_SYNC__REASON_FAMILIES", '{"mailbox is full": "mailbox hygeine"}')
    warehouse.seed(
        "bulk_jobs", [job("j1", "FAILED", total_messages_discovered=2, messages_failed=2)]
    )
    warehouse.seed(
        "bulk_job_messages",
        [
            message("j1", "m1", "FAILED", "a@example.com: Mailbox is full"),
            message("j1", "m2", "FAILED", "Graph API error 500"),
        ],
    )
    result = warehouse.build()
    assert result.blocking_failures == []
    assert [(a.name, a.rows) for a in result.warnings] == [
        ("accepted_reason_families", [("mailbox hygeine", 1)])
    ]
    assert warehouse.mart("failure_reasons", "failure_reason, reason_family") == [
        ("Graph API error", "provider error"),
        ("Mailbox is full", "mailbox hygeine"),
    ]


def test_a_reason_with_two_families_blocks(warehouse: Warehouse) -> None:
    warehouse.seed(
        "bulk_jobs", [job("j1", "FAILED", total_messages_discovered=2, messages_failed=2)]
    )
    warehouse.seed(
        "bulk_job_messages",
        [
            message("j1", "m1", "FAILED", "Graph API error 500"),
            message("j1", "m2", "FAILED", "Graph API error 503"),
        ],
    )
    warehouse.build()
    # texts derived under two mappings, mixed (as a hand-edited table would be)
    with warehouse.pipeline.sql_client() as client:
        texts = client.make_qualified_table_name(TABLE)
        client.execute_sql(
            f"update {texts} set reason_family = 'other'"
            " where status_message = 'Graph API error 503'"
        )
    result = build_models(warehouse.pipeline, full=True)
    blocking = {a.name: a.rows for a in result.blocking_failures}
    # named by its own check (the marts' keys, one row per reason, break too)
    assert blocking["failure_reasons__one_family"] == [("Graph API error", 2)]
