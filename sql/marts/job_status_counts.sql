-- Mart: one row per job (job_id): the job's attributes and its loaded messages counted per
-- status, with rates and retry figures. Rates are shares of the job's loaded messages (0..1).
-- count_rejected: its items set aside as not loadable (not among count_messages).
-- incremental: job_id
with

jobs as (
    select * from stg_bulk_jobs
),

messages as (
    select * from stg_bulk_job_messages
),

rejected as (
    select * from stg_bulk_job_messages_rejected
),

rejected_counts as (
    select
        job_id,
        count(*) as count_rejected
    from rejected
    group by job_id
),

counts as (
    select
        job_id,
        count(*) as count_messages,
        sum(case when message_status = 'PENDING' then 1 else 0 end) as count_pending,
        sum(case when message_status = 'DISCOVERING' then 1 else 0 end) as count_discovering,
        sum(case when message_status = 'PROCESSING' then 1 else 0 end) as count_processing,
        sum(case when message_status = 'COMPLETED' then 1 else 0 end) as count_completed,
        sum(case when message_status = 'FAILED' then 1 else 0 end) as count_failed,
        sum(case when message_status = 'CANCELLED' then 1 else 0 end) as count_cancelled,
        sum(case when message_status = 'SKIPPED' then 1 else 0 end) as count_skipped,
        sum(
            case
                when message_status in (
                    'PENDING', 'DISCOVERING', 'PROCESSING', 'COMPLETED', 'FAILED', 'CANCELLED',
                    'SKIPPED'
                ) then 0
                else 1
            end
        ) as count_other,
        sum(case when retry_count > 0 then 1 else 0 end) as count_retried,
        sum(case when is_retrying then 1 else 0 end) as count_awaiting_retry,
        sum(coalesce(retry_count, 0)) as total_retries,
        max(retry_count) as max_retry_count,
        min(created_at) as first_message_created_at,
        max(processed_at) as last_processed_at
    from messages
    group by job_id
),

joined as (
    select
        jobs.job_id,
        jobs.account_id,
        jobs.action_type,
        jobs.destination,
        jobs.job_status,
        jobs.is_terminal,
        jobs.is_deleted,
        jobs.comment,
        jobs.created_at,
        jobs.started_at,
        jobs.completed_at,
        jobs.deleted_at,
        cast(coalesce(counts.count_messages, 0) as bigint) as count_messages,
        cast(coalesce(counts.count_pending, 0) as bigint) as count_pending,
        cast(coalesce(counts.count_discovering, 0) as bigint) as count_discovering,
        cast(coalesce(counts.count_processing, 0) as bigint) as count_processing,
        cast(coalesce(counts.count_completed, 0) as bigint) as count_completed,
        cast(coalesce(counts.count_failed, 0) as bigint) as count_failed,
        cast(coalesce(counts.count_cancelled, 0) as bigint) as count_cancelled,
        cast(coalesce(counts.count_skipped, 0) as bigint) as count_skipped,
        cast(coalesce(counts.count_other, 0) as bigint) as count_other,
        cast(coalesce(rejected_counts.count_rejected, 0) as bigint) as count_rejected,
        cast(coalesce(counts.count_retried, 0) as bigint) as count_retried,
        cast(coalesce(counts.count_awaiting_retry, 0) as bigint) as count_awaiting_retry,
        cast(coalesce(counts.total_retries, 0) as bigint) as total_retries,
        cast(counts.max_retry_count as bigint) as max_retry_count,
        counts.first_message_created_at,
        counts.last_processed_at
    from jobs
    left join counts
        on counts.job_id = jobs.job_id
    left join rejected_counts
        on rejected_counts.job_id = jobs.job_id
),

final as (
    select
        *,
        -- settled messages, whatever the outcome: how far the job has got
        case
            when count_messages > 0 then cast(
                1.0 * (count_completed + count_failed + count_cancelled + count_skipped)
                / count_messages as decimal(9, 4)
            )
        end as processed_rate,
        case
            when count_messages > 0
                then cast(1.0 * count_completed / count_messages as decimal(9, 4))
        end as completion_rate,
        case
            when count_messages > 0
                then cast(1.0 * count_failed / count_messages as decimal(9, 4))
        end as failure_rate
    from joined
)

select * from final
