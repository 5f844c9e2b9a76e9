-- Mart: one row per message status and failure reason across all jobs (message_status,
-- failure_reason): how often each reason occurs, in how many jobs, and when, with its family.
with

job_reasons as (
    select * from job_failure_reasons
),

grouped as (
    select
        message_status,
        failure_reason,
        reason_family,
        sum(count_messages) as count_messages,
        count(*) as count_jobs,
        sum(count_retrying) as count_retrying,
        min(first_seen_at) as first_seen_at,
        max(last_seen_at) as last_seen_at,
        min(example_status_message) as example_status_message
    from job_reasons
    group by message_status, failure_reason, reason_family
),

status_totals as (
    select
        message_status,
        sum(count_messages) as count_in_status
    from grouped
    group by message_status
),

final as (
    select
        grouped.message_status,
        grouped.failure_reason,
        grouped.reason_family,
        cast(grouped.count_messages as bigint) as count_messages,
        cast(grouped.count_jobs as bigint) as count_jobs,
        cast(1.0 * grouped.count_messages / status_totals.count_in_status as decimal(9, 4))
            as share_within_status,
        cast(grouped.count_retrying as bigint) as count_retrying,
        grouped.first_seen_at,
        grouped.last_seen_at,
        grouped.example_status_message
    from grouped
    inner join status_totals
        on status_totals.message_status = grouped.message_status
)

select * from final
