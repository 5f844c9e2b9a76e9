-- Mart: one row per job, UTC day, action type, destination and message status (job_id,
-- activity_date, action_type, destination, message_status): the job's messages created and
-- processed that day. Per job so that a build updates only the jobs that changed;
-- daily_message_activity sums it over jobs. Jobs without a destination (RELEASE) show '(none)'.
-- incremental: job_id
with

messages as (
    select * from stg_bulk_job_messages
),

keyed as (
    select
        job_id,
        coalesce(action_type, '(none)') as action_type,
        coalesce(destination, '(none)') as destination,
        message_status,
        cast(created_at at time zone 'UTC' as date) as created_date,
        cast(processed_at at time zone 'UTC' as date) as processed_date
    from messages
),

created as (
    select
        job_id,
        created_date as activity_date,
        action_type,
        destination,
        message_status,
        count(*) as count_created
    from keyed
    where created_date is not null
    group by job_id, created_date, action_type, destination, message_status
),

processed as (
    select
        job_id,
        processed_date as activity_date,
        action_type,
        destination,
        message_status,
        count(*) as count_processed
    from keyed
    where processed_date is not null
    group by job_id, processed_date, action_type, destination, message_status
),

days as (
    select job_id, activity_date, action_type, destination, message_status from created
    union
    select job_id, activity_date, action_type, destination, message_status from processed
),

final as (
    select
        days.job_id,
        days.activity_date,
        days.action_type,
        days.destination,
        days.message_status,
        cast(coalesce(created.count_created, 0) as bigint) as count_created,
        cast(coalesce(processed.count_processed, 0) as bigint) as count_processed
    from days
    left join created
        on created.job_id = days.job_id
        and created.activity_date = days.activity_date
        and created.action_type = days.action_type
        and created.destination = days.destination
        and created.message_status = days.message_status
    left join processed
        on processed.job_id = days.job_id
        and processed.activity_date = days.activity_date
        and processed.action_type = days.action_type
        and processed.destination = days.destination
        and processed.message_status = days.message_status
)

select * from final
