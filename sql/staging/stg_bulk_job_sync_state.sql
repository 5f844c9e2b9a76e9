-- Staging: one row per job the sync set out to fetch (job_id), as of its latest attempt:
-- whether all of its messages were loaded, and under which status filter (null: all).
with

sync_state as (
    select * from bulk_job_sync_state
),

final as (
    select
        job_id,
        account_id,
        cast(messages_complete as boolean) as is_messages_complete,
        status_filter,
        cast(synced_at as timestamp with time zone) as synced_at
    from sync_state
)

select * from final
