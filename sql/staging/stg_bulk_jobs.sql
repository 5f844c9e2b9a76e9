-- Staging: one row per bulk action job (job_id), as the API last reported it.
-- Renames and casts only, plus the deletion mark kept in bulk_job_deletions: a job deleted at
-- Cloudflare stays here with its last known values.
with

jobs as (
    select * from bulk_jobs
),

deletions as (
    select * from bulk_job_deletions
),

renamed as (
    select
        jobs.job_id,
        jobs.account_id,
        upper(trim(jobs.action_type)) as action_type,
        jobs.action_params__destination as destination,
        -- spelling varies in hand-made and future data ("in progress"); unknown values stay visible
        upper(replace(trim(jobs.status), ' ', '_')) as job_status,
        jobs.status_message as job_status_message,
        jobs.comment,
        cast(jobs.created_at as timestamp with time zone) as created_at,
        cast(jobs.started_at as timestamp with time zone) as started_at,
        cast(jobs.completed_at as timestamp with time zone) as completed_at,
        cast(jobs.total_messages_discovered as bigint) as api_count_discovered,
        cast(jobs.messages_pending as bigint) as api_count_pending,
        cast(jobs.messages_successful as bigint) as api_count_successful,
        cast(jobs.messages_failed as bigint) as api_count_failed,
        cast(jobs.messages_skipped as bigint) as api_count_skipped,
        cast(jobs.messages_cancelled as bigint) as api_count_cancelled,
        cast(deletions.deleted_at as timestamp with time zone) as deleted_at
    from jobs
    left join deletions
        on deletions.job_id = jobs.job_id
),

final as (
    select
        *,
        job_status in ('COMPLETED', 'FAILED', 'CANCELLED') as is_terminal,
        deleted_at is not null as is_deleted
    from renamed
)

select * from final
