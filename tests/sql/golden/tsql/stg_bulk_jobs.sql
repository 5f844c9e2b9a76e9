CREATE VIEW reporting.stg_bulk_jobs AS
WITH jobs AS (
  SELECT
    *
  FROM raw.bulk_jobs
), deletions AS (
  SELECT
    *
  FROM raw.bulk_job_deletions
), renamed AS (
  SELECT
    jobs.job_id AS job_id,
    jobs.account_id AS account_id,
    UPPER(TRIM(jobs.action_type)) AS action_type,
    jobs.action_params__destination AS destination,
    UPPER(REPLACE(TRIM(jobs.status), ' ', '_')) AS job_status, /* spelling varies in hand-made and future data ("in progress"); unknown values stay visible */
    jobs.status_message AS job_status_message,
    jobs.comment AS comment,
    CAST(jobs.created_at AS DATETIMEOFFSET) AS created_at,
    CAST(jobs.started_at AS DATETIMEOFFSET) AS started_at,
    CAST(jobs.completed_at AS DATETIMEOFFSET) AS completed_at,
    CAST(jobs.total_messages_discovered AS BIGINT) AS api_count_discovered,
    CAST(jobs.messages_pending AS BIGINT) AS api_count_pending,
    CAST(jobs.messages_successful AS BIGINT) AS api_count_successful,
    CAST(jobs.messages_failed AS BIGINT) AS api_count_failed,
    CAST(jobs.messages_skipped AS BIGINT) AS api_count_skipped,
    CAST(jobs.messages_cancelled AS BIGINT) AS api_count_cancelled,
    CAST(deletions.deleted_at AS DATETIMEOFFSET) AS deleted_at
  FROM jobs
  LEFT JOIN deletions
    ON deletions.job_id = jobs.job_id
), final AS (
  SELECT
    *,
    CAST(CASE WHEN job_status IN ('COMPLETED', 'FAILED', 'CANCELLED') THEN 1 ELSE 0 END AS BIT) AS is_terminal,
    CAST(CASE WHEN NOT deleted_at IS NULL THEN 1 ELSE 0 END AS BIT) AS is_deleted
  FROM renamed
)
SELECT
  *
FROM final
