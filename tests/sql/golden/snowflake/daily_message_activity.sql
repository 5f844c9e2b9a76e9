CREATE TABLE reporting.daily_message_activity AS
WITH job_days AS (
  SELECT
    *
  FROM reporting.job_daily_activity
), final AS (
  SELECT
    activity_date AS activity_date,
    action_type AS action_type,
    destination AS destination,
    message_status AS message_status,
    CAST(SUM(count_created) AS BIGINT) AS count_created,
    CAST(SUM(count_processed) AS BIGINT) AS count_processed
  FROM job_days
  GROUP BY
    activity_date,
    action_type,
    destination,
    message_status
)
SELECT
  *
FROM final
