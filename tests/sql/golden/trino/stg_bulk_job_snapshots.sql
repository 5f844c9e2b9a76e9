CREATE VIEW reporting.stg_bulk_job_snapshots AS
WITH snapshots AS (
  SELECT
    *
  FROM raw.bulk_job_snapshots
), final AS (
  SELECT
    job_id AS job_id,
    account_id AS account_id,
    CAST(observed_at AS TIMESTAMP WITH TIME ZONE) AS observed_at,
    UPPER(REPLACE(TRIM(status), ' ', '_')) AS job_status,
    CAST(total_messages_discovered AS BIGINT) AS api_count_discovered,
    CAST(messages_pending AS BIGINT) AS api_count_pending,
    CAST(messages_successful AS BIGINT) AS api_count_successful,
    CAST(messages_failed AS BIGINT) AS api_count_failed,
    CAST(messages_skipped AS BIGINT) AS api_count_skipped,
    CAST(messages_cancelled AS BIGINT) AS api_count_cancelled
  FROM snapshots
)
SELECT
  *
FROM final
