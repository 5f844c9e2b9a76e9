"""Constants of the Cloudflare Email Security bulk action API and of this source."""

from typing import cast

from dlt.common.schema.typing import TColumnSchema

from ..vocabulary import ACTION_TYPES, JOB_STATUSES, JOB_TERMINAL_STATUSES, MESSAGE_STATUSES

DEFAULT_BASE_URL = "https://api.cloudflare.com/client/v4"
API_PREFIX = "/accounts/{account_id}/email-security/investigate"

MAX_PER_PAGE = 1000
DEFAULT_PER_PAGE = 1000

# Cloudflare allows about 1,200 requests per 5 minutes per user; tripping it blocks every call of
# the user for 5 minutes, so the client stays under it by itself.
DEFAULT_BUDGET_REQUESTS = 1200
DEFAULT_BUDGET_SECONDS = 300.0

DEFAULT_MAX_ATTEMPTS = 5
DEFAULT_BACKOFF_FACTOR = 1.0
DEFAULT_MAX_RETRY_DELAY = 300.0
DEFAULT_TIMEOUT = 60.0  # seconds to wait for each read of a response
# Seconds to wait for a connection (TCP, TLS) to the API, apart from the reads' timeout: a wrong
# base_url, a closed port or a dropped packet fails in seconds, not after a read's minute.
DEFAULT_CONNECT_TIMEOUT = 5.0
# Seconds one response may take in all (connect and every read): a server or proxy dripping
# bytes is cut off here and the request retried. A page of 1000 messages takes about a second.
DEFAULT_DEADLINE = 30.0
# A job in flight whose status and counters the listing shows unchanged since its last full
# fetch is not fetched again until this many seconds have passed (see fetched.py): what can lag
# meanwhile is what the counters do not show (moves among PENDING, DISCOVERING and PROCESSING,
# which all count as pending; a failed message's retry_after and texts).
DEFAULT_REFETCH_UNCHANGED = 3600.0
# Jobs fetched at once: enough to hide the API's latency, few enough to stay polite.
DEFAULT_WORKERS = 4
# Restarts of one job's listing after its cursor expired; from the second on, with half the
# workers each time (a listing read too slowly outlives its cursor).
CURSOR_RESTARTS = 3
MAX_WORKERS = 32
# An item nested deeper than this is set aside (see quarantine): dlt's JSON writer stops at 254
# levels, and no documented field nests more than two.
MAX_NESTING = 64
# The raw text of a set-aside item is kept up to this many characters.
REJECTED_RAW_CHARS = 10_000
# The API's tables are loaded without child tables: a nested value nobody declared (an object
# or a list the API adds one day) is kept whole as JSON in one column named after its key.
# A child table of a merged table needs dlt's root key, which a first load that appends (see
# loading.first_load) does not write: from the second run on every merge failed on it. With no
# nesting, an append and a merge make the same table.
MAX_TABLE_NESTING = 0
# Rows per Arrow item handed to dlt: its cost per item is fixed (schema checks, a file write).
ARROW_BATCH_ROWS = 5000

# the API's statuses and action types live in ..vocabulary (shared with the command line)
__all__ = ["ACTION_TYPES", "JOB_STATUSES", "JOB_TERMINAL_STATUSES", "MESSAGE_STATUSES"]

# The names users already have in their shell, read when dlt's own names are not set.
ENV_ACCOUNT_ID = "CLOUDFLARE_ACCOUNT_ID"
ENV_API_TOKEN = "CLOUDFLARE_API_TOKEN"
ENV_BASE_URL = "CLOUDFLARE_API_BASE_URL"

JOBS_TABLE = "bulk_jobs"
MESSAGES_TABLE = "bulk_job_messages"
DELETIONS_TABLE = "bulk_job_deletions"
REJECTED_TABLE = "bulk_job_messages_rejected"
SNAPSHOTS_TABLE = "bulk_job_snapshots"
SYNC_STATE_TABLE = "bulk_job_sync_state"


def _columns(**types: str) -> dict[str, TColumnSchema]:
    """Column hints, one fresh dict per column: dlt writes each column's name into its dict, so
    a dict shared by two columns would end up describing only one of them."""
    return {
        name: cast(TColumnSchema, {"data_type": data_type}) for name, data_type in types.items()
    }


JOB_COUNTERS = (
    "total_messages_discovered",
    "messages_pending",
    "messages_successful",
    "messages_failed",
    "messages_skipped",
    "messages_cancelled",
)

# Declared so that every documented field exists with its type from the first load on, even
# when it is null in every row so far (dlt creates no column for a value it never saw), and so
# that the SQL models can rely on them. Undocumented fields are still loaded as they come.
_COUNTER_TYPES = dict.fromkeys(JOB_COUNTERS, "bigint")
JOB_COLUMNS = _columns(
    job_id="text",
    account_id="text",
    action_type="text",
    action_params__type="text",
    action_params__destination="text",
    comment="text",
    created_at="timestamp",
    started_at="timestamp",
    completed_at="timestamp",
    status="text",
    status_message="text",
    search_params="json",
    **_COUNTER_TYPES,
    # the hash of the row's content: a row listed again as it is stored is not written again
    # (see changes.py)
    _cf_row_hash="bigint",
)
MESSAGE_COLUMNS = _columns(
    job_id="text",
    message_id="text",
    account_id="text",
    action_type="text",
    action_params__type="text",
    action_params__client_recipient="text",
    action_params__destination="text",
    action_params__expected_disposition="text",
    created_at="timestamp",
    processed_at="timestamp",
    retry_after="timestamp",
    retry_count="bigint",
    status="text",
    status_message="text",
    postfix_id="text",
    alert_id="text",
    email_message_id="text",
    # The live API may nest details of the e-mail; its shape is not documented, so it is kept
    # whole as JSON rather than exploded into columns and child tables.
    message="json",
    _cf_row_hash="bigint",
)
REJECTED_COLUMNS = _columns(
    rejected_id="text",
    job_id="text",
    account_id="text",
    message_id="text",
    field="text",
    reason="text",
    raw="text",
    item="json",
)
# Fields declared bigint, by table: a number past 64 bits there is set aside (see quarantine).
MESSAGE_INTEGERS = frozenset(n for n, c in MESSAGE_COLUMNS.items() if c["data_type"] == "bigint")
JOB_INTEGERS = frozenset(n for n, c in JOB_COLUMNS.items() if c["data_type"] == "bigint")
DELETION_COLUMNS = _columns(
    job_id="text", account_id="text", deleted_at="timestamp", restored_at="timestamp"
)
SNAPSHOT_COLUMNS = _columns(
    job_id="text", account_id="text", observed_at="timestamp", status="text", **_COUNTER_TYPES
)
# Per job, whether its loaded messages are the whole listing and under which status filter:
# the reconciliation judges only jobs whose messages are complete and unfiltered.
SYNC_STATE_COLUMNS = _columns(
    job_id="text",
    account_id="text",
    messages_complete="bool",
    status_filter="text",
    synced_at="timestamp",
)

# the failure texts the sync derives reasons for at a time (see the messages resource)
REASON_BATCH_TEXTS = 5_000
