-- Staging: one row per message of a bulk action job (job_id, message_id).
-- Renames and casts, and derives failure_reason: the status_message of FAILED, SKIPPED and
-- CANCELLED messages reduced to the reason itself, so that texts differing only in volatile
-- details (addresses, ids, numbers, retry tails) fall in one group. This is the one place the
-- rule lives; the raw text is kept as status_message.
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

-- The rule runs once per distinct text, not once per message.
texts as (
    select distinct status_message as raw_text, status_message as reason
    from renamed
    where message_status in ('FAILED', 'SKIPPED', 'CANCELLED')
        and status_message is not null
),

-- <message-ids>, (parenthesised details) and [bracketed details] never name the reason.
without_enclosed as (
    select
        raw_text,
        regexp_replace(
            regexp_replace(regexp_replace(reason, '<[^>]*>', ' ', 'g'), '\([^)]*\)', ' ', 'g'),
            '\[[^]]*\]', ' ', 'g'
        ) as reason
    from texts
),

-- E-mail addresses and UUIDs sit anywhere in the sentence ("Mailbox a@x.com not found").
without_addresses as (
    select
        raw_text,
        regexp_replace(
            regexp_replace(
                reason, '[A-Za-z0-9._%+=''-]+@[A-Za-z0-9-]+(\.[A-Za-z0-9-]+)+', ' ', 'g'
            ),
            '[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}', ' ', 'g'
        ) as reason
    from without_enclosed
),

-- "request-id: abc", "trace_id=abc": the label and its value; and "retry in 30s" tails.
without_request_ids as (
    select
        raw_text,
        regexp_replace(
            regexp_replace(
                reason, '(request|req|trace|correlation)[ _-]?id\s*[:=#]?\s*[^ ,;]+', ' ', 'gi'
            ),
            '[,;.]?\s*(please\s+)?(retry|try again)\s+(in|after)\s+[0-9]+\s*[a-z]*\.?\s*$', ' ',
            'gi'
        ) as reason
    from without_addresses
),

-- A detail after ": " is dropped, unless nothing but details came before the colon.
without_colon_detail as (
    select
        raw_text,
        case
            when regexp_matches(regexp_replace(reason, ':\s.*$', ''), '[A-Za-z]{2,}')
                then regexp_replace(reason, ':\s.*$', '')
            else regexp_replace(reason, '^[^:]*:\s', '')
        end as reason
    from without_request_ids
),

-- Any word holding a digit is an id, a count, a code or a duration: 503, 0x8004010F, 30s.
without_numbers as (
    select
        raw_text,
        regexp_replace(reason, '[^ ]*[0-9][^ ]*', ' ', 'g') as reason
    from without_colon_detail
),

tidied as (
    select
        raw_text,
        nullif(
            regexp_replace(
                regexp_replace(regexp_replace(reason, '\s+', ' ', 'g'), '\s+([,;.])', '\1', 'g'),
                '^[ ,;:.#=-]+|[ ,;:.#=-]+$', '', 'g'
            ),
            ''
        ) as reason
    from without_numbers
),

final as (
    select
        renamed.*,
        case
            when renamed.message_status in ('FAILED', 'SKIPPED', 'CANCELLED')
                then coalesce(tidied.reason, 'unknown')
        end as failure_reason,
        renamed.message_status in ('PENDING', 'DISCOVERING', 'PROCESSING') as is_in_flight,
        renamed.message_status = 'FAILED' and renamed.retry_after is not null as is_retrying
    from renamed
    left join tidied
        on tidied.raw_text = renamed.status_message
)

select * from final
