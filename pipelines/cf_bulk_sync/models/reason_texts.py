"""The lookup table the models join for failure reasons: one row per distinct status_message.

`failure_reason_texts` (`text_hash`, `status_message`, `failure_reason`, `rule_version`) sits
in the raw dataset beside the messages. Each text is reduced to its reason in Python
(`failure_reasons`) and loaded through dlt, merged on `text_hash`: the table is written the
same way on every destination dlt loads, and dbt reads it as a source like any raw table.
The sync derives the texts of the pages it fetches and loads them with the messages
(`marked_rows`); before the models are built, any text still without a reason under the
current `RULE_VERSION` (messages loaded by another tool or an older release, or a rule change,
which derives every text again) is derived and loaded by the build.

Loaded by the sync's own pipeline, as the run record is (`ops.run_record`): the same
destination, credentials and dataset, whatever the destination.
"""

import hashlib
import logging
from collections.abc import Container, Iterable
from typing import Any

import dlt
import pyarrow as pa
from dlt.common.normalizers.utils import generate_dlt_ids
from dlt.common.schema.typing import TTableSchemaColumns

from ..errors import ModelError
from .failure_reasons import RULE_VERSION, failure_reason

TABLE = "failure_reason_texts"
MESSAGES_TABLE = "bulk_job_messages"
COLUMNS: TTableSchemaColumns = {
    "text_hash": {"data_type": "text", "precision": 64, "nullable": False, "primary_key": True},
    "status_message": {"data_type": "text", "nullable": False},
    "failure_reason": {"data_type": "text", "nullable": False},
    "rule_version": {"data_type": "bigint", "nullable": False},
}

# from this many texts on, they go to dlt as one Arrow table (see reason_items)
ARROW_FROM = 1_000

log = logging.getLogger(__name__)


def text_hash(text: str) -> str:
    """The key of a text: a digest, so that the key stays short whatever the text's length."""
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def reason_rows(texts: list[str]) -> list[dict[str, Any]]:
    return [
        {
            "text_hash": text_hash(text),
            "status_message": text,
            "failure_reason": failure_reason(text),
            "rule_version": RULE_VERSION,
        }
        for text in texts
    ]


def reason_items(texts: list[str]) -> Any:
    """`reason_rows` as dlt should take them: as dict rows when few, which dlt writes as INSERT
    statements; as one Arrow table from `ARROW_FROM` texts, which dlt writes as a Parquet file
    (20,000 texts took 5 s and 1.3 GB in DuckDB as statements, 0.3 s as Parquet; for a few
    texts the Parquet path costs more, about 0.4 s to start)."""
    rows = reason_rows(texts)
    if len(rows) < ARROW_FROM:
        return rows
    columns = {
        **{
            name: pa.array([row[name] for row in rows], type=pa.string())
            for name in ("text_hash", "status_message", "failure_reason")
        },
        "rule_version": pa.array([row["rule_version"] for row in rows], type=pa.int64()),
        # dlt adds its row id to rows from dicts only (see loading.dlt_defaults)
        "_dlt_id": pa.array(generate_dlt_ids(len(rows)), type=pa.string()),
    }
    # not null, as declared (dlt warns when an Arrow schema's hints differ from its own)
    schema = pa.schema(
        [pa.field(name, array.type, nullable=False) for name, array in columns.items()]
    )
    return pa.Table.from_arrays(list(columns.values()), schema=schema)


def marked_rows(texts: Iterable[str]) -> Any:
    """`reason_items` of `texts`, marked for `TABLE` (merged on `text_hash`) so that a resource
    can yield them beside its own rows: the sync derives the texts of the pages it loads, in
    the same load package, so that the build after a run finds none left to load (a load of
    its own costs dlt about 0.6 s, more than the rest of a build that changed one job)."""
    return dlt.mark.with_hints(
        reason_items(sorted(texts)),
        dlt.mark.make_hints(
            table_name=TABLE,
            write_disposition="merge",
            primary_key="text_hash",
            columns=COLUMNS,
        ),
        # a variant: without it the hints would become the yielding resource's own
        create_table_variant=True,
    )


def underived_texts(client: Any, present: Container[str], since: str | None = None) -> list[str]:
    """The distinct status messages with no reason under the current rule version yet; of the
    messages loaded after load id `since` only, when given (those before were derived then).
    `client` is an open SQL client of the pipeline's destination (the build's own)."""
    if MESSAGES_TABLE not in present:
        return []
    messages = client.make_qualified_table_name(MESSAGES_TABLE)
    # an incremental build reads only the new messages, not all of history
    quoted = (since or "").replace("'", "''")
    recent = "" if since is None else f" and m._dlt_load_id > '{quoted}'"
    if TABLE not in present:
        sql = (
            f"select distinct m.status_message from {messages} m"
            f" where m.status_message is not null{recent}"
        )
    else:
        texts = client.make_qualified_table_name(TABLE)
        # joined on the text itself: hashing in SQL differs per dialect
        sql = (
            f"select distinct m.status_message from {messages} m"
            f" left join {texts} t on t.status_message = m.status_message"
            f" and t.rule_version = {RULE_VERSION}"
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
