CREATE TABLE reporting.job_status_counts AS
WITH jobs AS (
  SELECT
    *
  FROM reporting.stg_bulk_jobs
), messages AS (
  SELECT
    *
  FROM reporting.stg_bulk_job_messages
), rejected AS (
  SELECT
    *
  FROM reporting.stg_bulk_job_messages_rejected
), rejected_counts AS (
  SELECT
    job_id AS job_id,
    COUNT(*) AS count_rejected
  FROM rejected
  GROUP BY
    job_id
), counts AS (
  SELECT
    job_id AS job_id,
    COUNT(*) AS count_messages,
    SUM(CASE WHEN message_status = 'PENDING' THEN 1 ELSE 0 END) AS count_pending,
    SUM(CASE WHEN message_status = 'DISCOVERING' THEN 1 ELSE 0 END) AS count_discovering,
    SUM(CASE WHEN message_status = 'PROCESSING' THEN 1 ELSE 0 END) AS count_processing,
    SUM(CASE WHEN message_status = 'COMPLETED' THEN 1 ELSE 0 END) AS count_completed,
    SUM(CASE WHEN message_status = 'FAILED' THEN 1 ELSE 0 END) AS count_failed,
    SUM(CASE WHEN message_status = 'CANCELLED' THEN 1 ELSE 0 END) AS count_cancelled,
    SUM(CASE WHEN message_status = 'SKIPPED' THEN 1 ELSE 0 END) AS count_skipped,
    SUM(
      CASE
        WHEN message_status IN (
          'PENDING',
          'DISCOVERING',
          'PROCESSING',
          'COMPLETED',
          'FAILED',
          'CANCELLED',
          'SKIPPED'
        )
        THEN 0
        ELSE 1
      END
    ) AS count_other,
    SUM(CASE WHEN retry_count > 0 THEN 1 ELSE 0 END) AS count_retried,
    SUM(CASE WHEN is_retrying THEN 1 ELSE 0 END) AS count_awaiting_retry,
    SUM(COALESCE(retry_count, 0)) AS total_retries,
    MAX(retry_count) AS max_retry_count,
    MIN(created_at) AS first_message_created_at,
    MAX(processed_at) AS last_processed_at
  FROM messages
  GROUP BY
    job_id
), joined AS (
  SELECT
    jobs.job_id AS job_id,
    jobs.account_id AS account_id,
    jobs.action_type AS action_type,
    jobs.destination AS destination,
    jobs.job_status AS job_status,
    jobs.is_terminal AS is_terminal,
    jobs.is_deleted AS is_deleted,
    jobs.comment AS comment,
    jobs.created_at AS created_at,
    jobs.started_at AS started_at,
    jobs.completed_at AS completed_at,
    jobs.deleted_at AS deleted_at,
    CAST(COALESCE(counts.count_messages, 0) AS BIGINT) AS count_messages,
    CAST(COALESCE(counts.count_pending, 0) AS BIGINT) AS count_pending,
    CAST(COALESCE(counts.count_discovering, 0) AS BIGINT) AS count_discovering,
    CAST(COALESCE(counts.count_processing, 0) AS BIGINT) AS count_processing,
    CAST(COALESCE(counts.count_completed, 0) AS BIGINT) AS count_completed,
    CAST(COALESCE(counts.count_failed, 0) AS BIGINT) AS count_failed,
    CAST(COALESCE(counts.count_cancelled, 0) AS BIGINT) AS count_cancelled,
    CAST(COALESCE(counts.count_skipped, 0) AS BIGINT) AS count_skipped,
    CAST(COALESCE(counts.count_other, 0) AS BIGINT) AS count_other,
    CAST(COALESCE(rejected_counts.count_rejected, 0) AS BIGINT) AS count_rejected,
    CAST(COALESCE(counts.count_retried, 0) AS BIGINT) AS count_retried,
    CAST(COALESCE(counts.count_awaiting_retry, 0) AS BIGINT) AS count_awaiting_retry,
    CAST(COALESCE(counts.total_retries, 0) AS BIGINT) AS total_retries,
    CAST(counts.max_retry_count AS BIGINT) AS max_retry_count,
    counts.first_message_created_at AS first_message_created_at,
    counts.last_processed_at AS last_processed_at
  FROM jobs
  LEFT JOIN counts
    ON counts.job_id = jobs.job_id
  LEFT JOIN rejected_counts
    ON rejected_counts.job_id = jobs.job_id
), final AS (
  SELECT
    *,
    CASE
      WHEN count_messages > 0
      THEN CAST(ROUND(
        CAST(CAST(1.0 * (
          count_completed + count_failed + count_cancelled + count_skipped
        ) AS DOUBLE) / NULLIF(count_messages, 0) AS DECIMAL(38, 9)),
        4
      ) AS DECIMAL(9, 4))
    END AS processed_rate, /* settled messages, whatever the outcome: how far the job has got */
    CASE
      WHEN count_messages > 0
      THEN CAST(ROUND(
        CAST(CAST(1.0 * count_completed AS DOUBLE) / NULLIF(count_messages, 0) AS DECIMAL(38, 9)),
        4
      ) AS DECIMAL(9, 4))
    END AS completion_rate,
    CASE
      WHEN count_messages > 0
      THEN CAST(ROUND(
        CAST(CAST(1.0 * count_failed AS DOUBLE) / NULLIF(count_messages, 0) AS DECIMAL(38, 9)),
        4
      ) AS DECIMAL(9, 4))
    END AS failure_rate
  FROM joined
)
SELECT
  *
FROM final
