CREATE VIEW reporting.stg_bulk_job_sync_state AS
WITH sync_state AS (
  SELECT
    *
  FROM raw.bulk_job_sync_state
), final AS (
  SELECT
    job_id AS job_id,
    account_id AS account_id,
    CAST(messages_complete AS BOOLEAN) AS is_messages_complete,
    status_filter AS status_filter,
    CAST(synced_at AS TIMESTAMP WITH TIME ZONE) AS synced_at
  FROM sync_state
)
SELECT
  *
FROM final
