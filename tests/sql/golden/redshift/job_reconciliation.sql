CREATE TABLE reporting.job_reconciliation AS
WITH jobs AS (
  SELECT
    *
  FROM reporting.stg_bulk_jobs
), counts AS (
  SELECT
    *
  FROM reporting.job_status_counts
), sync_state AS (
  SELECT
    *
  FROM reporting.stg_bulk_job_sync_state
), compared AS (
  SELECT
    jobs.job_id AS job_id,
    jobs.account_id AS account_id,
    jobs.job_status AS job_status,
    jobs.is_terminal AS is_terminal,
    jobs.is_deleted AS is_deleted,
    (
      sync_state.job_id IS NULL
      OR (
        (
          sync_state.is_messages_complete OR sync_state.is_messages_complete IS NULL
        )
        AND sync_state.status_filter IS NULL
      )
    ) AS is_fully_synced, /* no boolean inside coalesce(): T-SQL has no boolean values to coalesce */
    jobs.api_count_discovered AS api_count_discovered,
    counts.count_messages AS loaded_count_messages,
    counts.count_messages - COALESCE(jobs.api_count_discovered, 0) AS diff_total,
    counts.count_rejected AS count_rejected,
    jobs.api_count_successful AS api_count_successful,
    counts.count_completed AS loaded_count_completed,
    counts.count_completed - COALESCE(jobs.api_count_successful, 0) AS diff_successful,
    jobs.api_count_failed AS api_count_failed,
    counts.count_failed AS loaded_count_failed,
    counts.count_failed - COALESCE(jobs.api_count_failed, 0) AS diff_failed,
    jobs.api_count_skipped AS api_count_skipped,
    counts.count_skipped AS loaded_count_skipped,
    counts.count_skipped - COALESCE(jobs.api_count_skipped, 0) AS diff_skipped,
    jobs.api_count_cancelled AS api_count_cancelled,
    counts.count_cancelled AS loaded_count_cancelled,
    counts.count_cancelled - COALESCE(jobs.api_count_cancelled, 0) AS diff_cancelled,
    jobs.api_count_pending AS api_count_pending,
    counts.count_pending + counts.count_processing + counts.count_discovering AS loaded_count_pending,
    counts.count_pending + counts.count_processing + counts.count_discovering - COALESCE(jobs.api_count_pending, 0) AS diff_pending
  FROM jobs
  INNER JOIN counts
    ON counts.job_id = jobs.job_id
  LEFT JOIN sync_state
    ON sync_state.job_id = jobs.job_id
), checked AS (
  SELECT
    *,
    (
      diff_total = 0
      AND diff_successful = 0
      AND diff_failed = 0
      AND diff_skipped = 0
      AND diff_cancelled = 0
      AND diff_pending = 0
    ) AS is_consistent,
    (
      count_rejected > 0
      AND diff_total + count_rejected = 0
      AND diff_successful <= 0
      AND diff_failed <= 0
      AND diff_skipped <= 0
      AND diff_cancelled <= 0
      AND diff_pending <= 0
    ) AS is_explained_by_rejected
  FROM compared
), final AS (
  SELECT
    *,
    CASE
      WHEN is_consistent
      THEN 'consistent'
      WHEN NOT is_terminal
      THEN 'in_progress'
      WHEN NOT is_fully_synced
      THEN 'incomplete_sync'
      WHEN is_explained_by_rejected
      THEN 'explained_by_rejected'
      ELSE 'inconsistent'
    END AS reconciliation_status
  FROM checked
)
SELECT
  *
FROM final
