"""The API's words the source and the command line share: job and message statuses, action
types. A module of its own so that the command line names them without importing dlt (the
source's package does)."""

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
