"""The lookup table the models join for failure reasons: one row per distinct status_message.

`failure_reason_texts` (`text_hash`, `status_message`, `failure_reason`, `reason_family`,
`rule_version`, `families_hash`) sits in the raw dataset beside the messages. Each text is
reduced to its reason and family in Python (`..reasons`, which the sync uses too) and loaded
through dlt, merged on `text_hash`: the table is written the same way on every destination dlt
loads, and dbt reads it as a source like any raw table. The sync derives the texts of the pages
it fetches and loads them with the messages; before the models are built, any text still without
a reason under the current rule version and family mapping (messages loaded by another tool or
an older release, a rule change or a changed mapping, which derive every text again) is derived
and loaded by the build.

Loaded by the sync's own pipeline, as the run record is (`ops.run_record`): the same
destination, credentials and dataset, whatever the destination.
"""

import logging
from collections.abc import Container, Mapping
from typing import Any

import dlt

from ..errors import ModelError
from ..reasons.families import current_rules
from ..reasons.names import COLUMNS, MESSAGES_TABLE, TABLE
from ..reasons.rule import RULE_VERSION
from ..reasons.texts import reason_items

__all__ = ["COLUMNS", "TABLE", "RULE_VERSION", "derivation", "underived_texts"]

log = logging.getLogger(__name__)


def derivation() -> str:
    """What the stored reasons depend on: the rule's version and the family mapping's digest
    (in the models' fingerprints: a change rebuilds the marts)."""
    return f"{RULE_VERSION}:{current_rules().digest}"


def underived_texts(client: Any, present: Container[str], since: str | None = None) -> list[str]:
    """The distinct status messages with no reason under the current rule version and family
    mapping yet; of the messages loaded after load id `since` only, when given (those before
    were derived then). `client` is an open SQL client of the pipeline's destination (the
    build's own); `present` the raw tables there (with the columns each lacks, as the runner
    finds them)."""
    if MESSAGES_TABLE not in present:
        return []
    messages = client.make_qualified_table_name(MESSAGES_TABLE)
    # an incremental build reads only the new messages, not all of history
    quoted = (since or "").replace("'", "''")
    recent = "" if since is None else f" and m._dlt_load_id > '{quoted}'"
    lacking = present.get(TABLE, ()) if isinstance(present, Mapping) else ()
    if TABLE not in present or "families_hash" in lacking:
        # no table yet, or one of a release before families: every text is derived again
        sql = (
            f"select distinct m.status_message from {messages} m"
            f" where m.status_message is not null{recent}"
        )
    else:
        texts = client.make_qualified_table_name(TABLE)
        digest = current_rules().digest
        # joined on the text itself: hashing in SQL differs per dialect
        sql = (
            f"select distinct m.status_message from {messages} m"
            f" left join {texts} t on t.status_message = m.status_message"
            f" and t.rule_version = {RULE_VERSION} and t.families_hash = '{digest}'"
            f" where m.status_message is not null and t.status_message is null{recent}"
        )
    with client.execute_query(sql) as cursor:
        return [row[0] for row in cursor.fetchall()]


def load_reason_texts(pipeline: dlt.Pipeline, texts: list[str]) -> None:
    """Derives the reasons of `texts` (from `underived_texts`) and loads them, merged."""
    if pipeline.has_pending_data:
        # loading the texts would load the pending package first: that is a run's job
        raise ModelError(
            "a load package of an earlier run is pending: run `cf-bulk-sync run` to load it,"
            " then build the models"
        )
    resource = dlt.resource(
        reason_items(texts),
        name=TABLE,
        columns=COLUMNS,
        primary_key="text_hash",
        write_disposition="merge",
    )
    try:
        pipeline.run(resource).raise_on_failed_jobs()
    except Exception as e:  # noqa: BLE001 - one line naming the table; nothing else pending
        pipeline.abort_packages()
        raise ModelError(f"loading {TABLE} failed: {type(e).__name__}: {e}") from e
    log.info("failure reasons derived for %d new texts (rule %d)", len(texts), RULE_VERSION)
