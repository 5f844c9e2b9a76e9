/* Mart: one row per job (job_id): the API's own counters beside the counts of the messages */ /* loaded for it, their differences (loaded minus API) and whether they agree. A job still in */ /* progress may legitimately disagree (it moved between the two reads): it is flagged */ /* in_progress, not inconsistent. A job whose latest fetch did not finish, or was limited by */ /* --status (a subset on purpose), is flagged incomplete_sync: its rows cannot be judged. */ /* Jobs without a sync-state row (loaded before it existed) count as fully synced. A settled job */ /* whose only shortfall is its items set aside as not loadable (count_rejected: loaded plus */ /* rejected is what the API counted, and no status has more loaded than counted) is flagged */ /* explained_by_rejected: accounted for, not lost (settled_jobs__rejected_items names them). */ /* incremental: job_id */
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
    CAST(CASE
      WHEN sync_state.job_id IS NULL
      OR (
        (
          sync_state.is_messages_complete <> 0 OR sync_state.is_messages_complete IS NULL
        )
        AND sync_state.status_filter IS NULL
      )
      THEN 1
      ELSE 0
    END AS BIT) AS is_fully_synced, /* no boolean inside coalesce(): T-SQL has no boolean values to coalesce */
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
    CAST(CASE
      WHEN diff_total = 0
      AND diff_successful = 0
      AND diff_failed = 0
      AND diff_skipped = 0
      AND diff_cancelled = 0
      AND diff_pending = 0
      THEN 1
      ELSE 0
    END AS BIT) AS is_consistent,
    CAST(CASE
      WHEN count_rejected > 0
      AND diff_total + count_rejected = 0
      AND diff_successful <= 0
      AND diff_failed <= 0
      AND diff_skipped <= 0
      AND diff_cancelled <= 0
      AND diff_pending <= 0
      THEN 1
      ELSE 0
    END AS BIT) AS is_explained_by_rejected
  FROM compared
), final AS (
  SELECT
    *,
    CASE
      WHEN is_consistent <> 0
      THEN 'consistent'
      WHEN NOT is_terminal <> 0
      THEN 'in_progress'
      WHEN NOT is_fully_synced <> 0
      THEN 'incomplete_sync'
      WHEN is_explained_by_rejected <> 0
      THEN 'explained_by_rejected'
      ELSE 'inconsistent'
    END AS reconciliation_status
  FROM checked
)
SELECT
  *
INTO reporting.job_reconciliation
FROM (
  SELECT
    *
  FROM final
) AS temp
