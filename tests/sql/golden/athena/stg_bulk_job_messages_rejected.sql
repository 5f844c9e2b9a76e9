CREATE VIEW reporting.stg_bulk_job_messages_rejected AS
WITH rejected AS (
  SELECT
    *
  FROM raw.bulk_job_messages_rejected
), messages AS (
  SELECT
    *
  FROM raw.bulk_job_messages
), ranked AS (
  SELECT
    rejected.job_id AS job_id,
    rejected.account_id AS account_id,
    rejected.rejected_id AS rejected_id,
    rejected.message_id AS message_id,
    rejected.field AS field,
    rejected.reason AS reason,
    ROW_NUMBER() OVER (
      PARTITION BY rejected.job_id, COALESCE(rejected.message_id, rejected.rejected_id)
      ORDER BY rejected.rejected_id
    ) AS recency
  FROM rejected
  LEFT JOIN messages
    ON messages.job_id = rejected.job_id AND messages.message_id = rejected.message_id
  WHERE
    messages.message_id IS NULL
), final AS (
  SELECT
    job_id AS job_id,
    account_id AS account_id,
    rejected_id AS rejected_id,
    message_id AS message_id,
    field AS field,
    reason AS reason
  FROM ranked
  WHERE
    recency = 1
)
SELECT
  *
FROM final
