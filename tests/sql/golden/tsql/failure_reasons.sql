/* Mart: one row per message status and failure reason across all jobs (message_status, */ /* failure_reason): how often each reason occurs, in how many jobs, and when, with its family. */
WITH job_reasons AS (
  SELECT
    *
  FROM reporting.job_failure_reasons
), grouped AS (
  SELECT
    message_status AS message_status,
    failure_reason AS failure_reason,
    reason_family AS reason_family,
    SUM(count_messages) AS count_messages,
    COUNT_BIG(*) AS count_jobs,
    SUM(count_retrying) AS count_retrying,
    MIN(first_seen_at) AS first_seen_at,
    MAX(last_seen_at) AS last_seen_at,
    MIN(example_status_message) AS example_status_message
  FROM job_reasons
  GROUP BY
    message_status,
    failure_reason,
    reason_family
), status_totals AS (
  SELECT
    message_status AS message_status,
    SUM(count_messages) AS count_in_status
  FROM grouped
  GROUP BY
    message_status
), final AS (
  SELECT
    grouped.message_status AS message_status,
    grouped.failure_reason AS failure_reason,
    grouped.reason_family AS reason_family,
    CAST(grouped.count_messages AS BIGINT) AS count_messages,
    CAST(grouped.count_jobs AS BIGINT) AS count_jobs,
    CAST(ROUND(
      CAST(CAST(1.0 * grouped.count_messages AS FLOAT) / NULLIF(status_totals.count_in_status, 0) AS NUMERIC(38, 9)),
      4
    ) AS NUMERIC(9, 4)) AS share_within_status,
    CAST(grouped.count_retrying AS BIGINT) AS count_retrying,
    grouped.first_seen_at AS first_seen_at,
    grouped.last_seen_at AS last_seen_at,
    grouped.example_status_message AS example_status_message
  FROM grouped
  INNER JOIN status_totals
    ON status_totals.message_status = grouped.message_status
)
SELECT
  *
INTO reporting.failure_reasons
FROM (
  SELECT
    *
  FROM final
) AS temp
