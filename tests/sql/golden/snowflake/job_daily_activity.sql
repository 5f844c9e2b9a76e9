CREATE TABLE reporting.job_daily_activity AS
WITH messages AS (
  SELECT
    *
  FROM reporting.stg_bulk_job_messages
), keyed AS (
  SELECT
    job_id AS job_id,
    COALESCE(action_type, '(none)') AS action_type,
    COALESCE(destination, '(none)') AS destination,
    message_status AS message_status,
    CAST(CONVERT_TIMEZONE('UTC', created_at) AS DATE) AS created_date,
    CAST(CONVERT_TIMEZONE('UTC', processed_at) AS DATE) AS processed_date
  FROM messages
), created AS (
  SELECT
    job_id AS job_id,
    created_date AS activity_date,
    action_type AS action_type,
    destination AS destination,
    message_status AS message_status,
    COUNT(*) AS count_created
  FROM keyed
  WHERE
    NOT created_date IS NULL
  GROUP BY
    job_id,
    created_date,
    action_type,
    destination,
    message_status
), processed AS (
  SELECT
    job_id AS job_id,
    processed_date AS activity_date,
    action_type AS action_type,
    destination AS destination,
    message_status AS message_status,
    COUNT(*) AS count_processed
  FROM keyed
  WHERE
    NOT processed_date IS NULL
  GROUP BY
    job_id,
    processed_date,
    action_type,
    destination,
    message_status
), days AS (
  SELECT
    job_id AS job_id,
    activity_date AS activity_date,
    action_type AS action_type,
    destination AS destination,
    message_status AS message_status
  FROM created
  UNION
  SELECT
    job_id AS job_id,
    activity_date AS activity_date,
    action_type AS action_type,
    destination AS destination,
    message_status AS message_status
  FROM processed
), final AS (
  SELECT
    days.job_id AS job_id,
    days.activity_date AS activity_date,
    days.action_type AS action_type,
    days.destination AS destination,
    days.message_status AS message_status,
    CAST(COALESCE(created.count_created, 0) AS BIGINT) AS count_created,
    CAST(COALESCE(processed.count_processed, 0) AS BIGINT) AS count_processed
  FROM days
  LEFT JOIN created
    ON created.job_id = days.job_id
    AND created.activity_date = days.activity_date
    AND created.action_type = days.action_type
    AND created.destination = days.destination
    AND created.message_status = days.message_status
  LEFT JOIN processed
    ON processed.job_id = days.job_id
    AND processed.activity_date = days.activity_date
    AND processed.action_type = days.action_type
    AND processed.destination = days.destination
    AND processed.message_status = days.message_status
)
SELECT
  *
FROM final
