-- Mart: one row per job (job_id): the API's own counters beside the counts of the messages
-- loaded for it, their differences (loaded minus API) and whether they agree. A job still in
-- progress may legitimately disagree (it moved between the two reads): it is flagged
-- in_progress, not inconsistent. A job whose latest fetch did not finish, or was limited by
-- --status (a subset on purpose), is flagged incomplete_sync: its rows cannot be judged.
-- Jobs without a sync-state row (loaded before it existed) count as fully synced. A settled job
-- whose only shortfall is its items set aside as not loadable (count_rejected: loaded plus
-- rejected is what the API counted, and no status has more loaded than counted) is flagged
-- explained_by_rejected: accounted for, not lost (settled_jobs__rejected_items names them).
-- incremental: job_id
with

jobs as (
    select * from stg_bulk_jobs
),

counts as (
    select * from job_status_counts
),

sync_state as (
    select * from stg_bulk_job_sync_state
),

compared as (
    select
        jobs.job_id,
        jobs.account_id,
        jobs.job_status,
        jobs.is_terminal,
        jobs.is_deleted,
        -- no boolean inside coalesce(): T-SQL has no boolean values to coalesce
        (
            sync_state.job_id is null
            or (
                (sync_state.is_messages_complete or sync_state.is_messages_complete is null)
                and sync_state.status_filter is null
            )
        ) as is_fully_synced,
        jobs.api_count_discovered,
        counts.count_messages as loaded_count_messages,
        counts.count_messages - coalesce(jobs.api_count_discovered, 0) as diff_total,
        counts.count_rejected,
        jobs.api_count_successful,
        counts.count_completed as loaded_count_completed,
        counts.count_completed - coalesce(jobs.api_count_successful, 0) as diff_successful,
        jobs.api_count_failed,
        counts.count_failed as loaded_count_failed,
        counts.count_failed - coalesce(jobs.api_count_failed, 0) as diff_failed,
        jobs.api_count_skipped,
        counts.count_skipped as loaded_count_skipped,
        counts.count_skipped - coalesce(jobs.api_count_skipped, 0) as diff_skipped,
        jobs.api_count_cancelled,
        counts.count_cancelled as loaded_count_cancelled,
        counts.count_cancelled - coalesce(jobs.api_count_cancelled, 0) as diff_cancelled,
        jobs.api_count_pending,
        counts.count_pending + counts.count_processing + counts.count_discovering
            as loaded_count_pending,
        counts.count_pending + counts.count_processing + counts.count_discovering
        - coalesce(jobs.api_count_pending, 0) as diff_pending
    from jobs
    inner join counts
        on counts.job_id = jobs.job_id
    left join sync_state
        on sync_state.job_id = jobs.job_id
),

checked as (
    select
        *,
        (
            diff_total = 0 and diff_successful = 0 and diff_failed = 0 and diff_skipped = 0
            and diff_cancelled = 0 and diff_pending = 0
        ) as is_consistent,
        (
            count_rejected > 0 and diff_total + count_rejected = 0 and diff_successful <= 0
            and diff_failed <= 0 and diff_skipped <= 0 and diff_cancelled <= 0
            and diff_pending <= 0
        ) as is_explained_by_rejected
    from compared
),

final as (
    select
        *,
        case
            when is_consistent then 'consistent'
            when not is_terminal then 'in_progress'
            when not is_fully_synced then 'incomplete_sync'
            when is_explained_by_rejected then 'explained_by_rejected'
            else 'inconsistent'
        end as reconciliation_status
    from checked
)

select * from final
