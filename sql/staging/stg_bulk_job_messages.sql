-- Staging: one row per message of a bulk action job (job_id, message_id).
-- Renames and casts, and adds failure_reason and reason_family: the status_message of FAILED,
-- SKIPPED and CANCELLED messages reduced to the cause it states, so that texts differing only
-- in variable tokens (addresses, ids, numbers, codes, hosts, durations, tails) fall in one
-- group, and that cause's family. The rule runs in Python once per distinct text
-- (cf_bulk_sync/reasons/) into failure_reason_texts, the same on every warehouse; here it is
-- only joined. The raw text is kept as status_message.
with

messages as (
    select * from bulk_job_messages
),

renamed as (
    select
        job_id,
        message_id,
        account_id,
        upper(trim(action_type)) as action_type,
        action_params__destination as destination,
        action_params__client_recipient as client_recipient,
        action_params__expected_disposition as expected_disposition,
        -- unknown statuses stay visible as they came; a missing one becomes UNKNOWN
        coalesce(upper(replace(trim(status), ' ', '_')), 'UNKNOWN') as message_status,
        status_message,
        cast(retry_count as bigint) as retry_count,
        cast(created_at as timestamp with time zone) as created_at,
        cast(processed_at as timestamp with time zone) as processed_at,
        cast(retry_after as timestamp with time zone) as retry_after,
        postfix_id,
        alert_id,
        email_message_id
    from messages
),

reason_texts as (
    select * from failure_reason_texts
),

final as (
    select
        renamed.*,
        case
            when renamed.message_status in ('FAILED', 'SKIPPED', 'CANCELLED')
                then coalesce(reason_texts.failure_reason, 'unknown')
        end as failure_reason,
        case
            when renamed.message_status in ('FAILED', 'SKIPPED', 'CANCELLED')
                then coalesce(reason_texts.reason_family, 'other')
        end as reason_family,
        renamed.message_status in ('PENDING', 'DISCOVERING', 'PROCESSING') as is_in_flight,
        renamed.message_status = 'FAILED' and renamed.retry_after is not null as is_retrying
    from renamed
    left join reason_texts
        on reason_texts.status_message = renamed.status_message
)

select * from final
