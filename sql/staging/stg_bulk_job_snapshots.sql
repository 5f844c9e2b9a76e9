-- Staging: one row per job and observation (job_id, observed_at): a job's status and counters
-- as seen by one sync run while it was in progress, and once more when it settled.
with

snapshots as (
    select * from bulk_job_snapshots
),

final as (
    select
        job_id,
        account_id,
        cast(observed_at as timestamp with time zone) as observed_at,
        upper(replace(trim(status), ' ', '_')) as job_status,
        cast(total_messages_discovered as bigint) as api_count_discovered,
        cast(messages_pending as bigint) as api_count_pending,
        cast(messages_successful as bigint) as api_count_successful,
        cast(messages_failed as bigint) as api_count_failed,
        cast(messages_skipped as bigint) as api_count_skipped,
        cast(messages_cancelled as bigint) as api_count_cancelled
    from snapshots
)

select * from final
