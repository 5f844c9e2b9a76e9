/* Mart: one row per UTC day, action type, destination and message status (activity_date, */ /* action_type, destination, message_status): messages created and messages processed that day, */ /* for trend charts. Jobs without a destination (RELEASE) show '(none)'. */ /* Summed from the per-job job_daily_activity, so that a build re-aggregates small per-job */ /* rows instead of reading every message again. */
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
INTO reporting.daily_message_activity
FROM (
  SELECT
    *
  FROM final
) AS temp
