/* Mart: one row per job and observation (job_id, observed_at): how a job advanced from one */ /* sync run to the next, for progress charts. processed_rate is the share of discovered */ /* messages no longer pending (0..1). */ /* incremental: job_id */
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
        CAST(CAST(1.0 * measured.count_processed AS FLOAT) / NULLIF(measured.api_count_discovered, 0) AS NUMERIC(38, 9)),
        4
      ) AS NUMERIC(9, 4))
    END AS processed_rate,
    measured.count_processed - COALESCE(
      LAG(measured.count_processed) OVER (
        PARTITION BY measured.job_id
        ORDER BY CASE WHEN measured.observed_at IS NULL THEN 1 ELSE 0 END, measured.observed_at
      ),
      0
    ) AS count_processed_since_previous
  FROM measured
  LEFT JOIN jobs
    ON jobs.job_id = measured.job_id
)
SELECT
  *
INTO reporting.job_progress
FROM (
  SELECT
    *
  FROM final
) AS temp
