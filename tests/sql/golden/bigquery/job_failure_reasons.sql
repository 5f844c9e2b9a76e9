CREATE TABLE reporting.job_failure_reasons AS
WITH messages AS (
  SELECT
    *
  FROM reporting.stg_bulk_job_messages
), jobs AS (
  SELECT
    *
  FROM reporting.stg_bulk_jobs
), reasoned AS (
  SELECT
    *,
    COALESCE(processed_at, created_at) AS seen_at
  FROM messages
  WHERE
    NOT failure_reason IS NULL
), grouped AS (
  SELECT
    job_id AS job_id,
    message_status AS message_status,
    failure_reason AS failure_reason,
    reason_family AS reason_family,
    COUNT(*) AS count_messages,
    SUM(CASE WHEN is_retrying THEN 1 ELSE 0 END) AS count_retrying,
    MIN(seen_at) AS first_seen_at,
    MAX(seen_at) AS last_seen_at
  FROM reasoned
  GROUP BY
    job_id,
    message_status,
    failure_reason,
    reason_family
), status_totals AS (
  SELECT
    job_id AS job_id,
    message_status AS message_status,
    COUNT(*) AS count_in_status
  FROM reasoned
  GROUP BY
    job_id,
    message_status
), examples /* the latest message of each group, as a concrete example to look up */ AS (
  SELECT
    job_id AS job_id,
    message_status AS message_status,
    failure_reason AS failure_reason,
    status_message AS example_status_message,
    message_id AS example_message_id,
    ROW_NUMBER() OVER (
      PARTITION BY job_id, message_status, failure_reason
      ORDER BY seen_at DESC, message_id NULLS LAST
    ) AS recency
  FROM reasoned
), final AS (
  SELECT
    grouped.job_id AS job_id,
    jobs.account_id AS account_id,
    jobs.action_type AS action_type,
    jobs.destination AS destination,
    jobs.job_status AS job_status,
    grouped.message_status AS message_status,
    grouped.failure_reason AS failure_reason,
    grouped.reason_family AS reason_family,
    CAST(grouped.count_messages AS INT64) AS count_messages,
    CAST(ROUND(
      CAST(1.0 * grouped.count_messages / NULLIF(status_totals.count_in_status, 0) AS NUMERIC),
      4
    ) AS NUMERIC) AS share_within_status,
    CAST(grouped.count_retrying AS INT64) AS count_retrying,
    grouped.first_seen_at AS first_seen_at,
    grouped.last_seen_at AS last_seen_at,
    examples.example_status_message AS example_status_message,
    examples.example_message_id AS example_message_id
  FROM grouped
  INNER JOIN status_totals
    ON status_totals.job_id = grouped.job_id
    AND status_totals.message_status = grouped.message_status
  INNER JOIN examples
    ON examples.job_id = grouped.job_id
    AND examples.message_status = grouped.message_status
    AND examples.failure_reason = grouped.failure_reason
    AND examples.recency = 1
  LEFT JOIN jobs
    ON jobs.job_id = grouped.job_id
)
SELECT
  *
FROM final
