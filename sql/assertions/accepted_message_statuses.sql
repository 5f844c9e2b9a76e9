-- Message statuses are ones the API documents. A new value is loaded and counted as "other",
-- and this check says so, so that the models can learn it. A warning: the data is complete.
-- severity: warn
select message_status, count(*) as count_messages
from stg_bulk_job_messages
where message_status not in (
    'PENDING', 'DISCOVERING', 'PROCESSING', 'COMPLETED', 'FAILED', 'CANCELLED', 'SKIPPED'
)
group by message_status
