-- Staging: one row per message item of a job that could not be loaded as declared and has not
-- been loaded since (job_id, rejected_id): the sync set it aside in bulk_job_messages_rejected
-- with the field at fault and why. An item that names its message counts once (one of its
-- rejections, by key), and not at all once a later page loaded that message: so loaded plus rejected
-- is what the job's counters can be compared with (job_reconciliation).
with

rejected as (
    select * from bulk_job_messages_rejected
),

messages as (
    select * from bulk_job_messages
),

ranked as (
    select
        rejected.job_id,
        rejected.account_id,
        rejected.rejected_id,
        rejected.message_id,
        rejected.field,
        rejected.reason,
        row_number() over (
            partition by rejected.job_id, coalesce(rejected.message_id, rejected.rejected_id)
            order by rejected.rejected_id
        ) as recency
    from rejected
    left join messages
        on messages.job_id = rejected.job_id
        and messages.message_id = rejected.message_id
    where messages.message_id is null
),

final as (
    select
        job_id,
        account_id,
        rejected_id,
        message_id,
        field,
        reason
    from ranked
    where recency = 1
)

select * from final
