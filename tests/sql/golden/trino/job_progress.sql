CREATE TABLE reporting.job_progress AS
WITH snapshots AS (
  SELECT
    *
  FROM reporting.stg_bulk_job_snapshots
), jobs AS (
  SELECT
    *
  FROM reporting.stg_bulk_jobs
), measured AS (
  SELECT
    snapshots.*,
    COALESCE(snapshots.api_count_discovered, 0) - COALESCE(snapshots.api_count_pending, 0) AS count_processed
  FROM snapshots
), final AS (
  SELECT
    measured.job_id AS job_id,
    measured.account_id AS account_id,
    jobs.action_type AS action_type,
    jobs.destination AS destination,
    measured.observed_at AS observed_at,
    measured.job_status AS job_status,
    measured.api_count_discovered AS count_discovered,
    measured.api_count_pending AS count_pending,
    measured.api_count_successful AS count_successful,
    measured.api_count_failed AS count_failed,
    measured.api_count_skipped AS count_skipped,
    measured.api_count_cancelled AS count_cancelled,
    measured.count_processed AS count_processed,
    CASE
      WHEN measured.api_count_discovered > 0
      THEN CAST(ROUND(
        CAST(CAST(1.0 * measured.count_processed AS DOUBLE) / NULLIF(measured.api_count_discovered, 0) AS DECIMAL(38, 9)),
        4
      ) AS DECIMAL(9, 4))
    END AS processed_rate,
    measured.count_processed - COALESCE(
      LAG(measured.count_processed) OVER (PARTITION BY measured.job_id ORDER BY measured.observed_at),
      0
    ) AS count_processed_since_previous
  FROM measured
  LEFT JOIN jobs
    ON jobs.job_id = measured.job_id
)
SELECT
  *
FROM final
