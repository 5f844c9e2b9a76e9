CREATE VIEW reporting.stg_bulk_job_messages AS
WITH messages AS (
  SELECT
    *
  FROM "raw".bulk_job_messages
), renamed AS (
  SELECT
    job_id AS job_id,
    message_id AS message_id,
    account_id AS account_id,
    UPPER(TRIM(action_type)) AS action_type,
    action_params__destination AS destination,
    action_params__client_recipient AS client_recipient,
    action_params__expected_disposition AS expected_disposition,
    COALESCE(UPPER(REPLACE(TRIM(status), ' ', '_')), 'UNKNOWN') AS message_status, /* unknown statuses stay visible as they came; a missing one becomes UNKNOWN */
    status_message AS status_message,
    CAST(retry_count AS BIGINT) AS retry_count,
    CAST(created_at AS TIMESTAMP WITH TIME ZONE) AS created_at,
    CAST(processed_at AS TIMESTAMP WITH TIME ZONE) AS processed_at,
    CAST(retry_after AS TIMESTAMP WITH TIME ZONE) AS retry_after,
    postfix_id AS postfix_id,
    alert_id AS alert_id,
    email_message_id AS email_message_id
  FROM messages
), reason_texts AS (
  SELECT
    *
  FROM "raw".failure_reason_texts
), final AS (
  SELECT
    renamed.*,
    CASE
      WHEN renamed.message_status IN ('FAILED', 'SKIPPED', 'CANCELLED')
      THEN COALESCE(reason_texts.failure_reason, 'unknown')
    END AS failure_reason,
    CASE
      WHEN renamed.message_status IN ('FAILED', 'SKIPPED', 'CANCELLED')
      THEN COALESCE(reason_texts.reason_family, 'other')
    END AS reason_family,
    renamed.message_status IN ('PENDING', 'DISCOVERING', 'PROCESSING') AS is_in_flight,
    renamed.message_status = 'FAILED' AND NOT renamed.retry_after IS NULL AS is_retrying
  FROM renamed
  LEFT JOIN reason_texts
    ON reason_texts.status_message = renamed.status_message
)
SELECT
  *
FROM final
