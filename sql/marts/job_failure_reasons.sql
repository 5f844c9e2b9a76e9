-- Mart: one row per job, message status and failure reason (job_id, message_status,
-- failure_reason): why the job's FAILED, SKIPPED and CANCELLED messages ended that way, and
-- the family of that reason (one per reason: it is derived from the reason alone).
-- share_within_status is the share of the job's messages in that status (0..1).
-- incremental: job_id
with

messages as (
    select * from stg_bulk_job_messages
),

jobs as (
    select * from stg_bulk_jobs
),

reasoned as (
    select
        *,
        coalesce(processed_at, created_at) as seen_at
    from messages
    where failure_reason is not null
),

grouped as (
    select
        job_id,
        message_status,
        failure_reason,
        reason_family,
        count(*) as count_messages,
        sum(case when is_retrying then 1 else 0 end) as count_retrying,
        min(seen_at) as first_seen_at,
        max(seen_at) as last_seen_at
    from reasoned
    group by job_id, message_status, failure_reason, reason_family
),

status_totals as (
    select
        job_id,
        message_status,
        count(*) as count_in_status
    from reasoned
    group by job_id, message_status
),

-- the latest message of each group, as a concrete example to look up
examples as (
    select
        job_id,
        message_status,
        failure_reason,
        status_message as example_status_message,
        message_id as example_message_id,
        row_number() over (
            partition by job_id, message_status, failure_reason
            order by seen_at desc, message_id
        ) as recency
    from reasoned
),

final as (
    select
        grouped.job_id,
        jobs.account_id,
        jobs.action_type,
        jobs.destination,
        jobs.job_status,
        grouped.message_status,
        grouped.failure_reason,
        grouped.reason_family,
        cast(grouped.count_messages as bigint) as count_messages,
        cast(1.0 * grouped.count_messages / status_totals.count_in_status as decimal(9, 4))
            as share_within_status,
        cast(grouped.count_retrying as bigint) as count_retrying,
        grouped.first_seen_at,
        grouped.last_seen_at,
        examples.example_status_message,
        examples.example_message_id
    from grouped
    inner join status_totals
        on status_totals.job_id = grouped.job_id
        and status_totals.message_status = grouped.message_status
    inner join examples
        on examples.job_id = grouped.job_id
        and examples.message_status = grouped.message_status
        and examples.failure_reason = grouped.failure_reason
        and examples.recency = 1
    left join jobs
        on jobs.job_id = grouped.job_id
)

select * from final
