-- Job statuses are ones the API documents. A warning: a new status is kept as it came.
-- severity: warn
select job_id, job_status
from stg_bulk_jobs
where job_status is null
    or job_status not in ('PENDING', 'DISCOVERING', 'PROCESSING', 'COMPLETED', 'FAILED', 'CANCELLED')
