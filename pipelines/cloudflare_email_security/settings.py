"""Constants of the Cloudflare Email Security bulk action API and of this source."""

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
DEFAULT_TIMEOUT = 60.0

JOB_TERMINAL_STATUSES = frozenset({"COMPLETED", "FAILED", "CANCELLED"})
JOB_STATUSES = ("PENDING", "DISCOVERING", "PROCESSING", "COMPLETED", "FAILED", "CANCELLED")
MESSAGE_STATUSES = (
    "PENDING",
    "DISCOVERING",
    "PROCESSING",
    "COMPLETED",
    "FAILED",
    "CANCELLED",
    "SKIPPED",
)
ACTION_TYPES = ("MOVE", "RELEASE")

# The names users already have in their shell, read when dlt's own names are not set.
ENV_ACCOUNT_ID = "CLOUDFLARE_ACCOUNT_ID"
ENV_API_TOKEN = "CLOUDFLARE_API_TOKEN"
ENV_BASE_URL = "CLOUDFLARE_API_BASE_URL"

JOBS_TABLE = "bulk_jobs"
MESSAGES_TABLE = "bulk_job_messages"
DELETIONS_TABLE = "bulk_job_deletions"
REJECTED_TABLE = "bulk_job_messages_rejected"
