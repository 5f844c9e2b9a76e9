-- severity: warn
-- incremental: job_id
-- The items set aside as not loadable of settled jobs they alone keep from reconciling: not
-- lost (each is in bulk_job_messages_rejected with its raw text), but worth a look.
select rejected.job_id, rejected.message_id, rejected.field, rejected.reason
from stg_bulk_job_messages_rejected as rejected
inner join job_reconciliation as reconciliation
    on reconciliation.job_id = rejected.job_id
where reconciliation.reconciliation_status = 'explained_by_rejected'
