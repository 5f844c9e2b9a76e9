-- Mart: one row per UTC day, action type, destination and message status (activity_date,
-- action_type, destination, message_status): messages created and messages processed that day,
-- for trend charts. Jobs without a destination (RELEASE) show '(none)'.
-- Summed from the per-job job_daily_activity, so that a build re-aggregates small per-job
-- rows instead of reading every message again.
with

job_days as (
    select * from job_daily_activity
),

final as (
    select
        activity_date,
        action_type,
        destination,
        message_status,
        cast(sum(count_created) as bigint) as count_created,
        cast(sum(count_processed) as bigint) as count_processed
    from job_days
    group by activity_date, action_type, destination, message_status
)

select * from final
