"""What the orchestrator recipes share, without importing either orchestrator."""

# The pool (Dagster) or pool slot (Airflow) of one API token: Cloudflare's request limit is per
# user, across accounts and processes, so the runs of one token take turns.
DEFAULT_POOL = "cf_bulk_sync"
